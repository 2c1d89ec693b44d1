#!/bin/sh
# tests/mock/run.sh — build Torchlet against the host emulation of the CUDA backend
# (tests/mock/mock_cuda.c) and of NCCL (tests/mock/mock_nccl.c, with the stand-in headers in
# tests/mock/include/) in build/mock/, then run chapter 08's GPU tests and lab, and chapter 09's
# GPU path: tests/test_ch09_nccl.c (one rank, then two ranks under mpirun with two emulated GPUs)
# and the lab as the tutorial's script on two emulated GPUs; chapter 09's other tests run there too
# (tests/test_ch09_dist.c), for its test_nccl: NCCL set up on one rank's GPU, a host buffer
# all-reduced (DDP on a GPU is test_ddp_one_rank's, in tests/test_ch09_nccl.c).
# It checks the device plumbing (dispatch, .to, model.to, autograd, printing, NCCL collectives,
# DDP on GPU tensors) without a GPU; the CUDA kernels and NCCL itself are only checked on a real
# GPU (tests/test_ch08_cuda.c; tests/test_ch09_nccl.c and test_nccl in tests/test_ch09_dist.c).
set -e
cd "$(dirname "$0")/../.."
B=build/mock
mkdir -p $B/obj $B/tests $B/labs $B/nonccl
MPI_CFLAGS= MPI_LIBS=
if command -v mpicc >/dev/null 2>&1; then
    MPI_CFLAGS="-DTL_WITH_MPI $(mpicc --showme:compile)"
    MPI_LIBS=$(mpicc --showme:link)
fi
CFLAGS="-std=c11 -O1 -g -Wall -Wextra -Wno-unused-parameter -fPIC -Ilib -DTL_WITH_CUDA ${MOCK_CFLAGS:-}"
LIBS="-lopenblas -lzip -lcjson -lm -lpthread"
for f in lib/*.c tests/mock/mock_cuda.c tests/mock/mock_nccl.c; do
    gcc $CFLAGS $MPI_CFLAGS -DTL_WITH_NCCL -Itests/mock/include -c "$f" -o $B/obj/$(basename "$f" .c).o
done
gcc -shared ${MOCK_CFLAGS:-} -o $B/libtorchlet.so $B/obj/*.o $LIBS $MPI_LIBS
# a second library without NCCL (CUDA tensors, no NCCL): collectives on them must refuse clearly
gcc $CFLAGS $MPI_CFLAGS -c lib/dist_nccl.c -o $B/nonccl/dist_nccl.o
gcc -shared ${MOCK_CFLAGS:-} -o $B/nonccl/libtorchlet.so $(ls $B/obj/*.o | grep -v -e '/dist_nccl.o$' -e '/mock_nccl.o$') \
    $B/nonccl/dist_nccl.o $LIBS $MPI_LIBS
RP="-Wl,-rpath,$PWD/$B"
for t in tests/test_ch08_cuda.c tests/test_ch08_device.c tests/test_ch09_dist.c tests/test_ch09_nccl.c; do
    gcc $CFLAGS -Itests -o $B/tests/$(basename "$t" .c) "$t" -L$B -ltorchlet $RP -lcmocka $LIBS
done
gcc $CFLAGS -Itests -o $B/nonccl/test_ch09_nccl tests/test_ch09_nccl.c -L$B/nonccl -ltorchlet \
    -Wl,-rpath,$PWD/$B/nonccl -lcmocka $LIBS
for l in 08-gpu 09-ddp; do
    gcc $CFLAGS -o $B/labs/$l labs/$l.c -L$B -ltorchlet $RP $LIBS
done
status=0
$B/tests/test_ch08_cuda || status=1
$B/tests/test_ch08_device || status=1
$B/labs/08-gpu --cell 7 || status=1   # cell 8 times a 4096^3 product: too slow emulated
TL_BUILD=$B $B/tests/test_ch09_dist || status=1     # its test_nccl: NCCL on one rank's GPU (no DDP)
# here nothing may be skipped but the other build's case: the emulation has NCCL and two GPUs (and MPI)
TL_MOCK_GPUS=2 $B/tests/test_ch09_nccl > $B/test_ch09_nccl.txt 2>&1 || status=1
cat $B/test_ch09_nccl.txt
want=2; [ -z "$MPI_LIBS" ] || ! command -v mpirun >/dev/null 2>&1 || want=5     # + the three two-rank cases
grep -q "PASSED  \] $want test" $B/test_ch09_nccl.txt || { echo "test_ch09_nccl: its GPU cases did not all run" >&2; status=1; }
$B/nonccl/test_ch09_nccl > $B/test_ch09_nccl_nonccl.txt 2>&1 || status=1
cat $B/test_ch09_nccl_nonccl.txt
grep -q 'OK \] test_without_nccl' $B/test_ch09_nccl_nonccl.txt || { echo "test_ch09_nccl: the build without NCCL was not checked" >&2; status=1; }
$B/labs/09-ddp > $B/09-ddp.txt 2>&1 || { cat $B/09-ddp.txt >&2; status=1; }
grep -q '^\[GPU0\] Epoch: 003/003 | Batchsize 002 | Train/Val Loss: 0.01$' $B/09-ddp.txt ||
    { echo "09-ddp: the GPU cell did not train on the emulated GPU" >&2; cat $B/09-ddp.txt >&2; status=1; }
# the tutorial's script on two emulated GPUs: each rank's losses, as on two CPU processes
if [ -n "$MPI_LIBS" ] && command -v mpirun >/dev/null 2>&1; then
    root=$([ "$(id -u)" -ne 0 ] || echo --allow-run-as-root)
    if TL_MOCK_GPUS=2 timeout 120 mpirun -np 2 --oversubscribe $root -x TL_MOCK_GPUS $B/labs/09-ddp \
            > $B/09-ddp-np2.txt 2>&1; then
        for want in '[GPU0] Epoch: 001/003 | Batchsize 002 | Train/Val Loss: 0.66' \
                    '[GPU1] Epoch: 001/003 | Batchsize 002 | Train/Val Loss: 0.67' \
                    '[GPU0] Epoch: 002/003 | Batchsize 002 | Train/Val Loss: 0.23' \
                    '[GPU1] Epoch: 002/003 | Batchsize 002 | Train/Val Loss: 0.45' \
                    '[GPU0] Epoch: 003/003 | Batchsize 002 | Train/Val Loss: 0.13' \
                    '[GPU1] Epoch: 003/003 | Batchsize 002 | Train/Val Loss: 0.11' \
                    'World size: 2 (backend: nccl)'; do
            grep -qxF "$want" $B/09-ddp-np2.txt || { echo "09-ddp on two emulated GPUs: no line '$want'" >&2; status=1; }
        done
        [ "$(grep -c 'Test accuracy 1.0' $B/09-ddp-np2.txt)" -eq 6 ] || { echo "09-ddp: accuracies" >&2; status=1; }
        [ $status -eq 0 ] || cat $B/09-ddp-np2.txt >&2
    else
        echo "mpirun -np 2 $B/labs/09-ddp on two emulated GPUs failed:" >&2; cat $B/09-ddp-np2.txt >&2; status=1
    fi
else
    echo "no MPI: the two-rank GPU run of chapter 09 is skipped"
fi
exit $status

#!/bin/sh
# tests/mock/run.sh — build Torchlet against the host emulation of the CUDA backend
# (tests/mock/mock_cuda.c) in build/mock/, then run chapter 08's GPU tests and lab there.
# It checks the device plumbing (dispatch, .to, model.to, autograd, printing) without a GPU;
# the CUDA kernels themselves are only checked on a real GPU (tests/test_ch08_cuda.c).
set -e
cd "$(dirname "$0")/../.."
B=build/mock
mkdir -p $B/obj $B/tests $B/labs
CFLAGS="-std=c11 -O1 -g -Wall -Wextra -Wno-unused-parameter -fPIC -Ilib -DTL_WITH_CUDA ${MOCK_CFLAGS:-}"
for f in lib/*.c tests/mock/mock_cuda.c; do
    gcc $CFLAGS -c "$f" -o $B/obj/$(basename "$f" .c).o
done
gcc -shared ${MOCK_CFLAGS:-} -o $B/libtorchlet.so $B/obj/*.o -lopenblas -lzip -lcjson -lm -lpthread
RP="-Wl,-rpath,$PWD/$B"
for t in tests/test_ch08_cuda.c tests/test_ch08_device.c; do
    gcc $CFLAGS -Itests -o $B/tests/$(basename "$t" .c) "$t" -L$B -ltorchlet $RP -lcmocka -lopenblas -lzip -lcjson -lm -lpthread
done
gcc $CFLAGS -o $B/labs/08-gpu labs/08-gpu.c -L$B -ltorchlet $RP -lopenblas -lzip -lcjson -lm -lpthread
status=0
$B/tests/test_ch08_cuda || status=1
$B/tests/test_ch08_device || status=1
$B/labs/08-gpu --cell 7 || status=1   # cell 8 times a 4096^3 product: too slow emulated
exit $status

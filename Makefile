# Makefile — the build graph behind ./build.sh (run ./build.sh, not make, unless you know why).
#
#   make tangle            chapters/*.md -> lib/, labs/, build/expected/ (write-if-changed)
#   make all               libtorchlet.so, the labs, the tests, the labs' outputs
#   make book              the HTML book in build/book/
#   make BUILD=build/san SANITIZE=1 all      the same with AddressSanitizer + UBSan
#   make TL_CUDA=0 all     leave CUDA out even when nvcc is installed
#   make TL_MPI=0 all      leave MPI out even when mpicc is installed (chapter 09: a world of one)
#   make fuzz              the fuzz targets (clang + libFuzzer) in build/fuzz/, one per file loader
#
# The library is every lib/*.c (+ lib/*.cu when CUDA is on); each labs/NN-name.c is one lab.

BUILD    ?= build
SANITIZE ?= 0
# The tools found by a shell command are looked for once per make call (:=, where the command line
# or the environment did not name them): a recursive ?= would run nvcc --dryrun at every use.
ifeq ($(origin NVCC),undefined)
NVCC     := $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
endif
TL_CUDA  ?= $(if $(NVCC),1,0)
# The toolkit's root, as nvcc itself reports it (its _HERE_ is the real bin/ folder): the nvcc on
# PATH may be a wrapper script in /usr/local/bin whose own folder holds no CUDA libraries. An nvcc
# whose --dryrun prints no _HERE_ line: the folder above the one that holds it (links resolved).
ifeq ($(origin CUDA_HOME),undefined)
CUDA_HOME := $(if $(NVCC),$(or $(shell $(NVCC) --dryrun -x cu -c /dev/null -o /dev/null 2>&1 | \
                 sed -n 's|^\#\$$ _HERE_=\(.*\)/bin/*$$|\1|p' | head -n 1), \
                 $(abspath $(dir $(realpath $(NVCC)))..)))
endif

CC       := gcc
# -O3: gcc 12 vectorises loops of unknown length only from -O3 (the optimiser's update, the
#      element-wise kernels); without -ffast-math the results are the same bits as at -O2.
# -mtls-dialect=gnu2 (on x86-64 only: the option's values differ from one target to another): a
#      thread-local variable of the library (its pools, caches, error state) costs a call to
#      __tls_get_addr per use in the default dialect; TLS descriptors make it a load, and stay
#      safe for a library opened with dlopen.
CFLAGS   := -std=c11 -O3 -fno-semantic-interposition -g -Wall -Wextra -Wshadow -Wno-unused-parameter -fPIC -Ilib
ifeq ($(shell uname -m),x86_64)
CFLAGS   += -mtls-dialect=gnu2
endif
LDLIBS   := -lopenblas -lzip -lz -lcjson -lm -lpthread
ifeq ($(SANITIZE),1)
SAN_CFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_LDFLAGS := -fsanitize=address,undefined
CFLAGS   += -O1 $(SAN_CFLAGS)
LDFLAGS  += $(SAN_LDFLAGS)
endif
ifeq ($(TL_CUDA),1)
CFLAGS   += -DTL_WITH_CUDA
NVFLAGS  := -O2 -Ilib -Xcompiler -fPIC -gencode arch=compute_80,code=sm_80 \
            -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90 \
            -DTL_CUDA_LIBDIR='"$(CUDA_HOME)/lib64"'   # where cuBLAS is looked for after the loader's path
LIBCUDA  := -L$(CUDA_HOME)/lib64 -L$(CUDA_HOME)/targets/x86_64-linux/lib -lcudart_static -ldl -lrt \
            -lstdc++   # kernel templates use the C++ runtime (static-init guards)
endif

# MPI (chapter 09), optional like CUDA: found when mpicc is installed; make TL_MPI=0 leaves it out.
# NCCL joins a CUDA build when nccl.h is there. mpirun runs the two-rank capture of chapter 09's lab.
ifeq ($(origin MPICC),undefined)
MPICC    := $(shell command -v mpicc 2>/dev/null)
endif
TL_MPI   ?= $(if $(MPICC),1,0)
ifeq ($(TL_MPI),1)
MPI_CFLAGS := $(shell $(MPICC) --showme:compile 2>/dev/null || $(MPICC) -compile_info | cut -d' ' -f2-)
MPI_LIBS   := $(shell $(MPICC) --showme:link 2>/dev/null || $(MPICC) -link_info | cut -d' ' -f2-)
CFLAGS   += -DTL_WITH_MPI $(MPI_CFLAGS)
LDLIBS   += $(MPI_LIBS)
ifeq ($(origin MPIRUN),undefined)
MPIRUN   := $(shell command -v mpirun 2>/dev/null)
endif
endif
# what mpirun needs in a laptop or a container: more ranks than cores, and root (the one place these
# are written for the Makefile, build.sh and .ci/run, which read them from $(BUILD)/settings)
MPIRUN_FLAGS := --oversubscribe $(if $(filter 0,$(shell id -u)),--allow-run-as-root)
TL_NCCL  ?= $(if $(filter 1,$(TL_CUDA)),$(if $(wildcard $(CUDA_HOME)/include/nccl.h),1,0),0)
ifeq ($(TL_NCCL),1)
CFLAGS   += -DTL_WITH_NCCL -I$(CUDA_HOME)/include
LIBCUDA  += -L$(CUDA_HOME)/lib64 -lnccl -Wl,-rpath,$(CUDA_HOME)/lib64
endif

LIB_SRC  := $(sort $(wildcard lib/*.c))
CU_SRC   := $(if $(filter 1,$(TL_CUDA)),$(sort $(wildcard lib/*.cu)))
LAB_SRC  := $(sort $(wildcard labs/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
CHAPTERS := $(sort $(wildcard chapters/*/[0-9][0-9]-*.md))
HEADERS  := $(wildcard lib/*.h)

LIB      := $(BUILD)/libtorchlet.so
OBJ      := $(LIB_SRC:lib/%.c=$(BUILD)/obj/%.o) $(CU_SRC:lib/%.cu=$(BUILD)/obj/%.cu.o)
LABS     := $(LAB_SRC:labs/%.c=$(BUILD)/labs/%)
OUTS     := $(LAB_SRC:labs/%.c=$(BUILD)/out/%.txt)
TESTS    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%) $(BUILD)/tests/doctest
BENCHES  := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
RPATH    := -Wl,-rpath,'$$ORIGIN/..' -Wl,-rpath,'$$ORIGIN'
TANGLE_ROOT ?= .

# Rebuild everything when the flags change (CUDA on/off, sanitizer): make does not see flags.
FLAGS_FILE := $(BUILD)/.flags
$(shell mkdir -p $(BUILD); echo '$(CFLAGS) $(LDFLAGS) $(TL_CUDA)' | cmp -s - $(FLAGS_FILE) || \
        echo '$(CFLAGS) $(LDFLAGS) $(TL_CUDA)' > $(FLAGS_FILE))
# The build's settings, for the scripts that compile against this library (tools/grade.sh: the
# students' code is compiled, and chapter 08's kernels by nvcc, exactly as the library was) and run
# its programs (build.sh's mpirun_cmd, .ci/run): one bash array a line, KEY=(words as the recipes
# pass them to the shell). Written only when it changes; $(FLAGS_FILE) stays the rebuild trigger.
define SETTINGS
# $(BUILD)/settings: written by the Makefile, read with `source` (bash); do not edit
CC=($(CC))
TL_CUDA=($(TL_CUDA))
NVCC=($(if $(filter 1,$(TL_CUDA)),$(NVCC)))
NVFLAGS=($(strip $(NVFLAGS)))
LIBCUDA=($(strip $(LIBCUDA)))
TL_MPI=($(TL_MPI))
MPI_CFLAGS=($(strip $(MPI_CFLAGS)))
MPI_LIBS=($(strip $(MPI_LIBS)))
MPIRUN_FLAGS=($(strip $(MPIRUN_FLAGS)))
SAN_CFLAGS=($(strip $(SAN_CFLAGS)))
SAN_LDFLAGS=($(strip $(SAN_LDFLAGS)))
endef
ifneq ($(file < $(BUILD)/settings),$(SETTINGS))
$(file > $(BUILD)/settings,$(SETTINGS))
endif

.PHONY: all lib labs tests outs benches tangle book clean fuzz
all: lib labs tests benches outs
lib: $(LIB)
labs: $(LABS)
tests: $(TESTS)
outs: $(OUTS)
benches: $(BENCHES)

tangle:
	@pandoc -f commonmark -t plain -o /dev/null --lua-filter tools/tangle.lua \
	    -M tangle_root=$(TANGLE_ROOT) -M expected_dir=$(TANGLE_ROOT)/build/expected \
	    $(patsubst %,-M chapter=%,$(CHAPTERS)) /dev/null

$(BUILD)/obj/%.o: lib/%.c $(HEADERS) $(FLAGS_FILE) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/obj/%.cu.o: lib/%.cu $(HEADERS) $(FLAGS_FILE) | $(BUILD)/obj
	$(NVCC) $(NVFLAGS) -c $< -o $@
$(LIB): $(OBJ)
	$(CC) -shared -Wl,-Bsymbolic-functions $(LDFLAGS) -o $@ $^ $(LDLIBS) $(LIBCUDA)

$(BUILD)/labs/%: labs/%.c $(LIB) $(HEADERS) $(wildcard labs/*.h) $(FLAGS_FILE) | $(BUILD)/labs
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -L$(BUILD) -ltorchlet $(RPATH) $(LDLIBS)
$(BUILD)/tests/%: tests/%.c $(LIB) $(HEADERS) $(FLAGS_FILE) $(wildcard tests/*.h tests/golden/*.h labs/*.h) | $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests -o $@ $< -L$(BUILD) -ltorchlet $(RPATH) -lcmocka $(LDLIBS)
# benchmarks: built with everything (so they never rot), run only by ./build.sh bench
$(BUILD)/bench/%: bench/%.c $(LIB) $(HEADERS) $(wildcard labs/*.h bench/*.h) $(FLAGS_FILE) | $(BUILD)/bench
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -L$(BUILD) -ltorchlet $(RPATH) $(LDLIBS)
$(BUILD)/tests/doctest: tools/doctest.c $(FLAGS_FILE) | $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lcmocka -lm

# a lab's output, captured for the book (the doc test runs the labs itself), and its figures:
# every Graphviz file the lab wrote into $(BUILD)/out/NN-name/ becomes an SVG beside it
$(BUILD)/out/%.txt: $(BUILD)/labs/% | $(BUILD)/out
	@rm -rf $(BUILD)/out/$*
	@TL_FIGURES=$(BUILD)/out/$* $< > $@.tmp 2>&1 || { echo "lab $* failed; its output is in $@.tmp" >&2; exit 1; }
	@for f in $(BUILD)/out/$*/*.dot; do [ -e "$$f" ] || continue; \
	    dot -Tsvg "$$f" -o "$${f%.dot}.svg" || exit 1; done
	@mv $@.tmp $@

# chapter 09's lab also runs as two ranks (mpirun -np 2); the book shows that run beside the one-rank one
ifneq ($(MPIRUN),)
OUTS     += $(BUILD)/out/09-ddp-np2.txt
$(BUILD)/out/09-ddp-np2.txt: $(BUILD)/labs/09-ddp | $(BUILD)/out
	@$(MPIRUN) -np 2 $(MPIRUN_FLAGS) $< > $@.tmp 2>&1 || { echo "mpirun -np 2 $< failed; its output is in $@.tmp" >&2; exit 1; }
	@mv $@.tmp $@
endif

book: $(BUILD)/book/index.html
$(BUILD)/book/index.html: $(OUTS) $(CHAPTERS) $(wildcard book/* chapters/*/*.svg chapters/*/*.png) \
                          tools/weave.lua tools/weave.sh tools/literate.lua
	@tools/weave.sh $(BUILD)

$(BUILD)/obj $(BUILD)/labs $(BUILD)/tests $(BUILD)/out $(BUILD)/bench:
	@mkdir -p $@

# The fuzz targets: fuzz/fuzz_NAME.c, each linked with the library's sources compiled by clang with
# libFuzzer's instrumentation, AddressSanitizer and UBSan (always in build/fuzz: their own build).
# Run one: build/fuzz/fuzz_pth -max_total_time=60 NEW_CORPUS_DIR fuzz/corpus/pth
CLANG       ?= clang
FUZZ_DIR    := build/fuzz
FUZZ_SRC    := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZERS     := $(FUZZ_SRC:fuzz/%.c=$(FUZZ_DIR)/%)
FUZZ_OBJ    := $(LIB_SRC:lib/%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_CFLAGS := -std=c11 -O1 -g -Ilib -Itests -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined
fuzz: $(FUZZERS)
$(FUZZ_DIR)/obj/%.o: lib/%.c $(HEADERS) | $(FUZZ_DIR)/obj
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_DIR)/%: fuzz/%.c $(FUZZ_OBJ) $(HEADERS) tests/pth_builder.h
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LDLIBS)
$(FUZZ_DIR)/obj:
	@mkdir -p $@

clean:
	rm -rf build

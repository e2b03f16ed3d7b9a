# The README's two commands:
#   make demo   build, then run `convnd demo` (the main job)
#   make test   build with -Werror, run every test; then the same under ASan + UBSan
#   make bench  the benchmark table (convnd vs PyTorch, % of the measured FMA peak)
# Other targets: build, test-fast (no sanitizer pass), test-sanitize, golden (regenerate the
# PyTorch golden data; needs python3-torch), clean.
#
# The correctness suite runs once per micro-kernel set this CPU can run (CONVND_ISA), so every
# ISA path is checked against the reference engine on the CI machine.
BUILD      ?= build
BUILD_SAN  ?= build-sanitize
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE      ?= cmake
CTEST      ?= ctest
PYTHON_TORCH ?= /usr/bin/python3
has_flags = $(shell for f in $(1); do grep -qw $$f /proc/cpuinfo 2>/dev/null || exit 0; done; echo y)
ISAS ?= generic $(if $(call has_flags,avx2 fma),avx2) $(if $(call has_flags,avx512f avx512dq avx512bw avx512vl),avx512)

.PHONY: all build demo test test-fast test-sanitize bench golden clean

all: build

build:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCONVND_WERROR=ON
	$(CMAKE) --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/convnd demo

test-fast: build
	set -e; for isa in $(ISAS); do echo "== CONVND_ISA=$$isa"; \
	    (cd $(BUILD) && CONVND_ISA=$$isa $(CTEST) --output-on-failure -j $(JOBS)); done

test-sanitize:
	$(CMAKE) -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DCONVND_WERROR=ON -DCONVND_SANITIZE=ON
	$(CMAKE) --build $(BUILD_SAN) -j $(JOBS)
	set -e; for isa in $(ISAS); do echo "== sanitizers, CONVND_ISA=$$isa"; \
	    (cd $(BUILD_SAN) && CONVND_ISA=$$isa ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(CTEST) --output-on-failure -j $(JOBS)); done

test: test-fast test-sanitize

bench: build
	$(PYTHON_TORCH) bench/run_bench.py --convnd $(BUILD)/convnd --markdown BENCHMARKS.md

golden:
	$(PYTHON_TORCH) tests/golden/make_golden.py tests/data/golden

clean:
	rm -rf $(BUILD) $(BUILD_SAN)

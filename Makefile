# The README's two commands:
#   make demo   build, then run `convnd demo` (the main job)
#   make test   build with -Werror, run every test; then the same under ASan + UBSan
# Other targets: build, test-fast (no sanitizer pass), test-sanitize, golden (regenerate the
# PyTorch golden data; needs python3-torch), clean.
BUILD      ?= build
BUILD_SAN  ?= build-sanitize
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE      ?= cmake
CTEST      ?= ctest
PYTHON_TORCH ?= /usr/bin/python3

.PHONY: all build demo test test-fast test-sanitize golden clean

all: build

build:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCONVND_WERROR=ON
	$(CMAKE) --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/convnd demo

test-fast: build
	cd $(BUILD) && $(CTEST) --output-on-failure -j $(JOBS)

test-sanitize:
	$(CMAKE) -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DCONVND_WERROR=ON -DCONVND_SANITIZE=ON
	$(CMAKE) --build $(BUILD_SAN) -j $(JOBS)
	cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(CTEST) --output-on-failure -j $(JOBS)

test: test-fast test-sanitize

golden:
	$(PYTHON_TORCH) tests/golden/make_golden.py tests/data/golden

clean:
	rm -rf $(BUILD) $(BUILD_SAN)

# Thin wrapper around CMake so the README commands stay short.
#   make            configure + build (build/)
#   make test       build + all unit tests (normal build); skipped tests
#                   are listed with their reasons (scripts/ctest.sh)
#   make asan-test  the same under ASan+UBSan (build-asan/)
#   make tsan-test  the same under ThreadSanitizer (build-tsan/)
#   make check      what CI runs: format check, normal, ASan+UBSan and TSan
#                   builds with unit and daemon tests, gcc/clang build matrix
#                   (-Werror), fuzzers, VM suite
#   make install    cmake --install build
#   make coverage   host line coverage of src/ per file (build-cov/, gcovr)
#   make coverage-vm  the same with the VM suite's counters added
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
COV_BUILD ?= build-cov
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build test asan-test tsan-test check coverage coverage-vm format format-check install run clean

all: build

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

test: build
	scripts/ctest.sh $(BUILD) -j$(JOBS)

asan-test:
	cmake -S . -B $(ASAN_BUILD) -DSRPTD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	scripts/ctest.sh $(ASAN_BUILD) -j$(JOBS)

# ASLR off: see the ThreadSanitizer stage of scripts/check.sh.
tsan-test:
	cmake -S . -B $(TSAN_BUILD) -DSRPTD_TSAN=ON $(CMAKE_FLAGS)
	cmake --build $(TSAN_BUILD) -j$(JOBS)
	SRPTD_TEST_WORKERS=3 setarch $$(uname -m) -R \
		scripts/ctest.sh $(TSAN_BUILD) -j$(JOBS)

check:
	scripts/check.sh

coverage:
	JOBS=$(JOBS) scripts/coverage.sh $(COV_BUILD)

coverage-vm:
	JOBS=$(JOBS) scripts/coverage.sh --vm $(COV_BUILD)

format:
	scripts/format.sh

format-check:
	scripts/format.sh --check

run: build
	$(BUILD)/src/srptd --foreground -c conf/srptd.conf

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(COV_BUILD) build-matrix

# Thin wrapper around CMake so the README commands stay short.
#   make            configure + build (build/)
#   make test       build + all unit tests (normal build); skipped tests
#                   are listed with their reasons (scripts/ctest.sh)
#   make check      what CI runs: format check, normal + sanitizer builds
#                   with unit and daemon tests, gcc/clang build matrix
#                   (-Werror), fuzzers, VM suite
#   make install    cmake --install build
#   make coverage   host line coverage of src/ per file (build-cov/, gcovr)
BUILD ?= build
ASAN_BUILD ?= build-asan
COV_BUILD ?= build-cov
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build test asan-test check coverage format format-check install run clean

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

check:
	scripts/check.sh

coverage:
	JOBS=$(JOBS) scripts/coverage.sh $(COV_BUILD)

format:
	scripts/format.sh

format-check:
	scripts/format.sh --check

run: build
	$(BUILD)/src/srptd --foreground -c conf/srptd.conf

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(COV_BUILD) build-matrix

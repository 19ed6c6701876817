#!/bin/sh
# Host line coverage of src/ (issue 10): a separate build with gcc
# --coverage, every ctest test, then per-file line coverage of src/ printed
# by gcovr (Debian package gcovr, scripts/install-deps.sh).  An HTML report
# with annotated sources goes to BUILD/coverage/index.html.
#   scripts/coverage.sh [BUILD]     (default build-cov; `make coverage`)
# Counters restart from zero on every run.  Exit status is ctest's: the
# figures of a run with failing tests are printed but not trusted.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build-cov}
JOBS=${JOBS:-$(nproc)}

command -v gcovr >/dev/null || {
	echo "coverage.sh: gcovr missing (scripts/install-deps.sh)" >&2
	exit 2
}
# -O0 so that lines map 1:1 onto counters; no -Werror (not a warnings build).
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DSRPTD_WERROR=OFF \
	-DCMAKE_C_FLAGS="--coverage -O0" \
	-DCMAKE_EXE_LINKER_FLAGS="--coverage" >/dev/null
cmake --build "$BUILD" -j"$JOBS"
find "$BUILD" -name '*.gcda' -delete
rc=0
ctest --test-dir "$BUILD" --no-tests=error --output-on-failure -j"$JOBS" || rc=$?

mkdir -p "$BUILD/coverage"
# Only src/: what the installed programs run.  gcovr runs gcov itself on
# the objects under BUILD/src (the libraries and programs built from src/;
# elsewhere lie only tests and CMake's compiler probe).  The full table,
# with the missed line numbers, goes to BUILD/coverage/coverage.txt; the
# terminal gets it without that column.
gcovr --root . --object-directory "$BUILD" --filter '^src/' \
	--html-details "$BUILD/coverage/index.html" \
	--txt "$BUILD/coverage/coverage.txt" --print-summary "$BUILD/src" |
	sed 's/^/  /'
awk '{ if ($1 == "File" || (NF >= 4 && $2 ~ /^[0-9]+$/))
		printf "%-44s %6s %6s %5s\n", $1, $2, $3, $4
	else
		print substr($0, 1, 64) }' "$BUILD/coverage/coverage.txt"
echo "coverage: details in $BUILD/coverage/coverage.txt and index.html"
[ "$rc" = 0 ] || echo "coverage.sh: ctest failed (rc $rc)" >&2
exit "$rc"

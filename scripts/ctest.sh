#!/bin/sh
# Run a build's ctest suite the way the project counts results
# (doc/testing.md): no tests at all is an error, a failing test prints its
# output, and every skipped test is listed with the reason it gave.
#   scripts/ctest.sh BUILD_DIR [ctest options...]
# SRPTD_TEST_NO_SKIP=1 makes any skipped test fail the run: scripts/check.sh
# sets it, because the CI machine has every dependency, so a skip there
# means a check silently stopped running.
set -u
build=${1:?usage: scripts/ctest.sh BUILD_DIR [ctest options...]}
shift
out=$(mktemp)
trap 'rm -f "$out" "$out.rc"' EXIT

{
	ctest --test-dir "$build" --no-tests=error --output-on-failure "$@"
	echo $? >"$out.rc"
} 2>&1 | tee "$out"
rc=$(cat "$out.rc")

# ctest's summary names each skipped test: "	 15 - name (Skipped)".
skipped=$(sed -n 's/^[[:space:]]*[0-9]* - \(.*\) (Skipped)$/\1/p' "$out")
[ -n "$skipped" ] || exit "$rc"

echo
echo "Skipped tests (what they could not run, and why):"
for t in $skipped; do
	echo "  $t"
	# A test's reasons are its "SKIP: why" lines (tests/lib/test_skip.c,
	# the shell tests), each followed by cmocka's line naming the case.
	awk -v want="$t" '
		/^[0-9]+\/[0-9]+ Test: / { sel = ($3 == want); next }
		!sel { next }
		reason != "" {
			if (sub(/^\[  SKIPPED \] /, ""))
				print "    " $0 ": " reason
			else
				print "    " reason
			reason = ""
		}
		/^SKIP: / { reason = substr($0, 7) }
		END { if (reason != "") print "    " reason }
	' "$build/Testing/Temporary/LastTest.log"
done
if [ "${SRPTD_TEST_NO_SKIP:-0}" = 1 ]; then
	echo "FAIL: $(echo "$skipped" | wc -l) test(s) skipped; SRPTD_TEST_NO_SKIP=1 counts a skip as a failure"
	exit 1
fi
exit "$rc"

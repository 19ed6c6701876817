# Result helpers for the bash tests under tests/ (sourced; doc/testing.md):
# "PASS name" / "FAIL name" lines, a closing "N passed, N failed" line, and
# the exit status ctest reads (0 pass, 1 fail, 77 skipped).
# SHTEST_LOG, if set to a file that exists, is printed after each FAIL.
passed=0
failed=0

ok() {
	echo "PASS $1"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $1"
	failed=$((failed + 1))
	if [ -n "${SHTEST_LOG:-}" ] && [ -f "$SHTEST_LOG" ]; then
		echo "--- srptd log ---"
		cat "$SHTEST_LOG"
		echo "---"
	fi
}

# skip_all WHY: this run cannot check what it names; ctest shows "skipped".
skip_all() {
	echo "SKIP: $1"
	exit 77
}

# wait_for PATTERN FILE SECONDS: poll until grep finds PATTERN.
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# finish: the summary line and the exit status (no check at all fails).
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
	exit
}

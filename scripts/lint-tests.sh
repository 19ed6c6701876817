#!/bin/sh
# Reject the patterns that let a test pass without checking what it names
# (doc/testing.md).  Run by scripts/check.sh; exit 1 listing every hit.
set -u
cd "$(dirname "$0")/.."
bad=0
err() {
	echo "lint-tests: $*" >&2
	bad=1
}

# 1. cmocka's bare skip() exits 0 and gives no reason: SRPTD_SKIP("why").
hits=$(git grep -nE '(^|[^_[:alnum:]])skip[[:space:]]*\(\)' -- \
	'tests/*.c' 'tests/*.h' ':!tests/lib/test_skip.h')
[ -z "$hits" ] || err "bare skip() (use SRPTD_SKIP(\"why\")):
$hits"
hits=$(git grep -nE 'SRPTD_SKIP\([[:space:]]*(\)|[^"[:space:]])' -- \
	'tests/*.c' 'tests/*.h' ':!tests/lib/test_skip.h')
[ -z "$hits" ] || err "SRPTD_SKIP without a reason string:
$hits"

# 2. A test that can skip maps it to exit status 77: main() returns
#    srptd_test_status().  A fixture that skips binds every test beside it.
for f in $(git grep -l 'SRPTD_SKIP(' -- 'tests/*.c' ':!tests/lib/*'); do
	case $(basename "$f") in
	test_*.c) users=$f ;;
	*) users=$(git ls-files "$(dirname "$f")/test_*.c") ;;
	esac
	for u in $users; do
		grep -q 'srptd_test_status(' "$u" ||
			err "$u can skip but main() does not return srptd_test_status()"
	done
done

# 3. Shell tests run by ctest say SKIP only with exit status 77.
for f in $(git ls-files 'tests/daemon/*.sh' 'tests/install/*.sh'); do
	if grep -q 'SKIP' "$f" && ! grep -q 'exit 77' "$f"; then
		err "$f prints SKIP but never exits 77"
	fi
done

# 4. Every ctest run treats "no tests" as an error.
hits=$(git grep -nE '(^|[[:space:];|&(])ctest[[:space:]]+-' -- Makefile \
	'scripts/*.sh' 'tests/*.sh' | grep -v -- '--no-tests=error' |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*#')
[ -z "$hits" ] || err "ctest without --no-tests=error (use scripts/ctest.sh):
$hits"

# 5. A VM check that does not run says so with a result line (SKIP or
#    FAIL, tests/vm/README.md), never only on the console; and every guest
#    script reports results (run.sh fails a run that reported none).
vm=$(git ls-files 'tests/vm/guest/*.sh' 'tests/unit/*_vm.sh')
hits=$(for f in $vm; do
	grep -nHiE '(echo|printf|out)[[:space:]].*(not run([^[:alnum:]]|$)|skip(ped|ping)?([^_[:alnum:]]|$))' "$f" |
		grep -vE '(report|out)[[:space:]]+"(SKIP|FAIL) '
done)
[ -z "$hits" ] || err "VM check not run without a SKIP/FAIL result line:
$hits"
for f in $(git ls-files 'tests/unit/*_vm.sh'); do
	grep -qE 'report|run_check' "$f" ||
		err "$f reports no result (report / run_check, tests/vm/guest/lib.sh)"
done

[ "$bad" = 0 ] && echo "lint-tests: OK"
exit "$bad"

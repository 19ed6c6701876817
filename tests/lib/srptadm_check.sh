# srptadm helpers for the bash tests under tests/daemon/ (sourced after
# shtest.sh).  The test sets SRPTADM (the binary), SOCK (the control
# socket) and TMP (its scratch directory).

# run CMD...: srptadm with the test socket; sets rc, out (stdout), err.
run() {
	"$SRPTADM" -s "$SOCK" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	out=$(cat "$TMP/out")
	err=$(cat "$TMP/err")
}

# check NAME RC STDOUT_ERE [STDERR_ERE]
check() {
	local why=""
	[ "$rc" = "$2" ] || why="exit $rc, want $2"
	[ -n "$3" ] && ! grep -qE -- "$3" <<<"$out" && why="$why; stdout lacks /$3/"
	[ -n "${4:-}" ] && ! grep -qE -- "$4" <<<"$err" && why="$why; stderr lacks /$4/"
	if [ -z "$why" ]; then
		ok "$1"
	else
		fail "$1: $why"
		echo "--- stdout:"; echo "$out"; echo "--- stderr:"; echo "$err"
	fi
}

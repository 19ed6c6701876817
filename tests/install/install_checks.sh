# What an installed srptd must look like, whether `cmake --install`
# (test_install.sh) or the Debian packages (test_packages.sh) put it in a
# scratch root.  Sourced after tests/lib/shtest.sh.

# check DESCRIPTION CMD...: PASS if CMD succeeds (its output is dropped).
check() {
	local what=$1

	shift
	if "$@" >/dev/null 2>&1; then
		ok "$what"
	else
		fail "$what"
	fi
}

# check_installed ROOT PREFIX UNIT: the daemon, unit, man pages, configs
# and module list under ROOT (PREFIX e.g. /usr; UNIT the unit's path in
# ROOT, e.g. /lib/systemd/system/srptd.service).
check_installed() {
	local root=$1 prefix=$2
	local unit=$root$3 sbin=$prefix/sbin

	check "daemon installed in sbin" test -x "$root$sbin/srptd"
	check "srptadm installed in sbin" test -x "$root$sbin/srptadm"
	check "srptadm bash completion installed" \
		bash -n "$root$prefix/share/bash-completion/completions/srptadm"
	check "systemd unit installed" test -f "$unit"
	check "unit is Type=notify" grep -qx "Type=notify" "$unit"
	check "unit runs the installed binary" grep -qx \
		"ExecStart=$sbin/srptd --systemd -c /etc/srptd.conf" "$unit"
	check "unit validates before start" \
		grep -q "^ExecStartPre=$sbin/srptd --check-config" "$unit"
	check "unit reloads with SIGHUP" \
		grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit"
	check "unit raises LimitMEMLOCK" grep -qx "LimitMEMLOCK=infinity" "$unit"
	check "srptd(8) installed" \
		test -f "$root$prefix/share/man/man8/srptd.8" -o \
		-f "$root$prefix/share/man/man8/srptd.8.gz"
	check "srptadm(8) installed" \
		test -f "$root$prefix/share/man/man8/srptadm.8" -o \
		-f "$root$prefix/share/man/man8/srptadm.8.gz"
	check "srptd.conf(5) installed" \
		test -f "$root$prefix/share/man/man5/srptd.conf.5" -o \
		-f "$root$prefix/share/man/man5/srptd.conf.5.gz"
	check "example config installed as /etc/srptd.conf" test -f "$root/etc/srptd.conf"
	check "drop-in directory created" test -d "$root/etc/srptd.d"
	check "rdma modules-load file installed" \
		grep -qx rdma_ucm "$root/etc/rdma/modules/srptd.conf"
	check "installed config validates" \
		"$root$sbin/srptd" --check-config "$root/etc/srptd.conf"
	verify_unit "$root" "$3"
}

# verify_unit ROOT UNIT: `systemd-analyze verify` of the unit as installed
# in ROOT.  It runs offline with --root; the root gets the host's unit
# files that the unit's dependencies name (sysinit.target ...) and
# /bin/kill (ExecReload=) so that only the unit itself is judged.
# systemd-analyze exits 0 on unknown keys and bad values (it only warns),
# so any output at all fails.
verify_unit() {
	local root=$1 unit=$2 u out

	if ! command -v systemd-analyze >/dev/null; then
		fail "systemd-analyze verify: systemd-analyze not installed"
		return
	fi
	mkdir -p "$root/bin" "$root/lib/systemd/system"
	[ -e "$root/bin/kill" ] || cp /bin/kill "$root/bin/kill"
	for u in /lib/systemd/system/*.target /lib/systemd/system/*.slice \
		/lib/systemd/system/rdma-load-modules@.service; do
		[ -e "$root/lib/systemd/system/${u##*/}" ] || cp -P "$u" "$root/lib/systemd/system/"
	done
	out=$(systemd-analyze verify --man=no --root="$root" "$unit" 2>&1)
	if [ $? = 0 ] && [ -z "$out" ]; then
		ok "systemd-analyze verify: the unit is clean"
	else
		fail "systemd-analyze verify: the unit is clean: $out"
	fi
	# The hardening of systemd/srptd.service.in: exposure 2.9 with
	# systemd 252 (7.7 before it).  A change that weakens it fails here.
	out=$(systemd-analyze security --offline=yes --root="$root" \
		--threshold=$UNIT_MAX_EXPOSURE "${unit##*/}" 2>&1)
	if [ $? = 0 ]; then
		ok "systemd-analyze security: exposure at most $UNIT_MAX_EXPOSURE/100"
	else
		fail "systemd-analyze security: exposure at most $UNIT_MAX_EXPOSURE/100: $(tail -n 1 <<<"$out")"
	fi
}
UNIT_MAX_EXPOSURE=29

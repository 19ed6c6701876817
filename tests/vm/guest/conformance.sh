# The conformance group (sourced by suite.sh; only when named, not part of
# "all"): libiscsi's SCSI conformance suite, Debian's iscsi-test-cu
# (libiscsi-bin), driving the SG_IO device (/dev/sgN) of the target's LUN 0
# disk through the ib_srp initiator, with --dataloss (it writes the whole
# LUN).  Run with --target lio,srptd, it faces both targets in the same
# boot; conformance_summary puts both tallies side by side at the end.
#
# Check:
#   libiscsi  iscsi-test-cu --dataloss --test=$CF_TESTS /dev/sgN within
#             CF_SECONDS; INFO <target>_libiscsi passed= failed= skipped=
#             and one INFO <target>_libiscsi_failed line per failed test.
#             Figures only: it fails only when the tool cannot run at all
#             (no sg device, or not one test reported).
#
# A test that skips itself (libiscsi prints "[SKIPPED]" and lets it pass:
# the target lacks a feature, e.g. no second initiator over SG_IO) counts
# as skipped, not passed.  Knobs (kernel command line via run.sh):
# VMRIG_CF_TESTS (run.sh --cf-tests: test family or suite, default SCSI:
# every SCSI test, none of the iSCSI-transport ones) and VMRIG_CF_SECONDS
# (run.sh --cf-seconds: time limit per target, default 900).

CF_TESTS=${VMRIG_CF_TESTS:-SCSI}
CF_SECONDS=${VMRIG_CF_SECONDS:-900}
CF_FIG=/tmp/cf-figures.txt

# cf_tally LOG: one "PASS|FAIL|SKIP Suite.Test" line per test CUnit ran
# (verbose mode: "Suite: S", then "  Test: T ...passed|FAILED", with the
# test's own output, "[SKIPPED] ..." among it, between the two).
cf_tally() {
	awk '
	function done(res) {
		if (t == "") return
		if (res == "passed" && skip) res = "SKIP"
		else if (res == "passed") res = "PASS"
		else res = "FAIL"
		print res " " s "." t
		t = ""
	}
	{
		line = $0
		if (match(line, /^Suite: /)) { s = substr(line, 8); next }
		if (match(line, /^ *Test: /)) {
			line = substr(line, RSTART + RLENGTH)
			t = line
			sub(/ \.\.\..*$/, "", t)
			skip = 0
			line = substr(line, length(t) + 1)
		}
		if (t == "") next
		if (index(line, "[SKIPPED]")) skip = 1
		if (match(line, /\.\.\.passed *$/) || match(line, /^passed *$/))
			done("passed")
		else if (match(line, /\.\.\.FAILED *$/) || match(line, /^FAILED *$/))
			done("FAILED")
	}' "$1"
}

chk_libiscsi() {
	need_disk || return 1
	_sg=$(ls "/sys/block/$DEV/device/scsi_generic/" 2>/dev/null | head -n 1)
	[ -n "$_sg" ] && [ -c "/dev/$_sg" ] ||
		fail "no sg device for /dev/$DEV" || return 1
	_log=/tmp/cf-$T.log
	_t0=$(now)
	echo "vmrig: iscsi-test-cu --dataloss --test=$CF_TESTS /dev/$_sg (limit $CF_SECONDS s)"
	timeout "$CF_SECONDS" iscsi-test-cu --dataloss --test="$CF_TESTS" \
		"/dev/$_sg" >"$_log" 2>&1
	_rc=$?
	_secs=$(elapsed "$_t0")
	cf_tally "$_log" >"/tmp/cf-$T.tally"
	_p=$(grep -c '^PASS ' "/tmp/cf-$T.tally")
	_f=$(grep -c '^FAIL ' "/tmp/cf-$T.tally")
	_s=$(grep -c '^SKIP ' "/tmp/cf-$T.tally")
	_to=0
	[ "$_rc" = 124 ] && _to=1
	_fig="passed=$_p failed=$_f skipped=$_s seconds=$_secs timed_out=$_to exit=$_rc"
	report "INFO ${T}_libiscsi $_fig"
	echo "$T $_fig" >>$CF_FIG
	grep '^FAIL ' "/tmp/cf-$T.tally" | while read -r _r _n; do
		report "INFO ${T}_libiscsi_failed $_n"
	done
	# The whole output on the console, for the failure messages.
	sed "s/^/cf-$T: /" "$_log"
	[ $((_p + _f + _s)) -gt 0 ] ||
		fail "iscsi-test-cu ran no test (exit $_rc): $(tail -n 3 "$_log" | tr '\n' ' ')"
}

# conformance_summary: both targets' tallies side by side, and the tests
# whose result differs between them.
conformance_summary() {
	[ -s $CF_FIG ] || return 0
	report "INFO libiscsi $(awk '{ $1 = $1 ":"; printf "| %s ", $0 }' $CF_FIG)"
	[ -s /tmp/cf-lio.tally ] && [ -s /tmp/cf-srptd.tally ] || return 0
	awk 'FNR == NR { lio[$2] = $1; next }
	     ($2 in lio) && lio[$2] != $1 {
		print "INFO libiscsi_differs " $2 " lio=" lio[$2] " srptd=" $1 }' \
		/tmp/cf-lio.tally /tmp/cf-srptd.tally |
		while read -r _l; do report "$_l"; done
}

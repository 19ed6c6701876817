# Helpers shared by the bash tests of srptd's statistics
# (tests/daemon/test_ctl_stats.sh, test_metrics.sh); sourced after
# shtest.sh, with TMP set to the test's scratch directory and PID to the
# srptd it started.

# stats_null_conf [DEVICE_LINE...]: the devices and targets of a
# configuration that needs no RDMA device and no disk: null0 (1 GiB) and
# null1 (2 GiB), each DEVICE_LINE one more entry of the devices list, and
# target tgt0 with null0 as LUN 0 for any initiator.
stats_null_conf() {
	local d
	echo 'devices = ('
	echo '  { name = "null0"; engine = "null"; size = "1G"; },'
	printf '  { name = "null1"; engine = "null"; size = "2G"; }'
	for d in "$@"; do
		printf ',\n  %s' "$d"
	done
	cat <<'CONF'

);
targets = (
  { name = "tgt0";
    id_ext = "0x0002c90300a1b2c3";
    ioc_guid = "0x0002c90300a1b2c3";
    unknown_initiators = "default-map";
    lun_map = ( { lun = 0; device = "null0"; } );
  }
);
CONF
}

# stats_prom_check NAME FILE [--expect 'series=value'...]: FILE is valid
# Prometheus text (tests/lib/prom_check.py) with those samples; one PASS
# or FAIL line called NAME.
stats_prom_check() {
	local name=$1 file=$2
	shift 2
	if "${PY:-python3}" "$(dirname "${BASH_SOURCE[0]}")/prom_check.py" "$file" "$@" \
		>"$TMP/prom_check.out" 2>&1; then
		ok "$name"
	else
		fail "$name: $(cat "$TMP/prom_check.out")"
	fi
}

# stats_stop: SIGTERM to srptd ($PID), which must exit with status 0.
stats_stop() {
	local rc
	kill -TERM "$PID"
	wait "$PID"
	rc=$?
	PID=""
	[ "$rc" = 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $rc"
}

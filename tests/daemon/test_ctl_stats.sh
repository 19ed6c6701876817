#!/bin/bash
# srptadm stats against a running srptd without RDMA devices: the human
# tables list the configured devices, --json has every device with its
# counters and the latency bucket bounds, --prometheus is valid text
# format (tests/lib/prom_check.py) and the very text the daemon.metrics
# endpoint serves (one renderer); usage errors exit 2.
# Usage: test_ctl_stats.sh PATH/TO/srptd PATH/TO/srptadm
set -u
SRPTD=${1:?usage: test_ctl_stats.sh SRPTD SRPTADM}
SRPTADM_BIN=${2:?usage: test_ctl_stats.sh SRPTD SRPTADM}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/srptd-ctl-stats.XXXXXX")
SOCK=$TMP/srptd.sock
PID=""
SHTEST_LOG=$TMP/log
. "$HERE/../lib/shtest.sh"
. "$HERE/../lib/stats_sh.sh"

cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || skip_all "python3 not installed"
command -v curl >/dev/null || skip_all "curl not installed (scripts/install-deps.sh)"
adm() { "$SRPTADM_BIN" -s "$SOCK" "$@"; }

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$TMP/srptd.conf" <<CONF
version = 1;
daemon: {
  include_dir = "";
  control_socket = "$SOCK";
  metrics = "127.0.0.1:$PORT";
};
$(stats_null_conf)
CONF
"$SRPTD" --foreground -c "$TMP/srptd.conf" 2>"$TMP/log" &
PID=$!
if ! wait_for "ready (configuration generation 1)" "$TMP/log" 10; then
	fail "srptd starts"
	finish
fi

adm stats >"$TMP/human" 2>&1
rc=$?
if [ "$rc" = 0 ] &&
	grep -qE '^DEVICE +READS +WRITES +OTHER +READ +WRITTEN +ERRORS +ABORTED +P50 +P99$' "$TMP/human" &&
	grep -qE '^null0 +0 +0 +0 +0 B +0 B +0 +0 +- +-$' "$TMP/human" &&
	grep -qE '^null1 ' "$TMP/human" &&
	grep -qE '^TARGET +SESSION ' "$TMP/human" &&
	grep -q '^(no sessions)$' "$TMP/human" &&
	grep -qx '(no running targets: see srptadm status, fabric)' "$TMP/human" &&
	grep -qx '(no I/O workers: see srptadm status, fabric)' "$TMP/human"; then
	ok "stats: tables of devices, targets, sessions, workers"
else
	fail "stats: tables (rc=$rc): $(cat "$TMP/human")"
fi

adm stats --json >"$TMP/json" 2>&1
if "$PY" - "$TMP/json" >"$TMP/jchk" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["generation"] == 1, r["generation"]
le = r["latency_bucket_le_us"]
assert le[0] == 1 and le[-1] == 4194304 and len(le) == 23, le
names = [d["name"] for d in r["devices"]]
assert names == ["null0", "null1"], names
for d in r["devices"]:
    assert d["online"] is True
    assert d["commands"] == {"read": 0, "write": 0, "other": 0}, d
    assert d["read_bytes"] == 0 and d["written_bytes"] == 0
    assert d["check_conditions"] == {}
    assert d["stuck_commands"] == 0 and d["stuck_commands_total"] == 0, d
    for k in ("read", "write", "other"):
        h = d["latency"][k]
        assert h["count"] == 0 and len(h["buckets"]) == len(le) + 1, h
assert r["sessions"] == [] and isinstance(r["targets"], list)
PY
then
	ok "stats --json: devices, counters, latency buckets"
else
	fail "stats --json: $(cat "$TMP/jchk") $(head -c 400 "$TMP/json")"
fi

adm stats --prometheus >"$TMP/prom" 2>&1
stats_prom_check "stats --prometheus: valid text format with the devices" \
	"$TMP/prom" \
	--expect 'srptd_device_online{device="null0"}=1' \
	--expect 'srptd_device_commands_total{device="null1",direction="write"}=0' \
	--expect 'srptd_device_stuck_commands{device="null0"}=0' \
	--expect 'srptd_device_stuck_commands_total{device="null1"}=0'
curl -s --max-time 5 -o "$TMP/http" "http://127.0.0.1:$PORT/metrics"
if cmp -s "$TMP/prom" "$TMP/http"; then
	ok "stats --prometheus is what GET /metrics serves"
else
	fail "stats --prometheus differs from GET /metrics: $(diff "$TMP/prom" "$TMP/http" | head -5)"
fi

adm stats --bogus >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] && ok "stats --bogus: exit 2" || fail "stats --bogus: exit $rc"
adm stats --prometheus --json >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] && ok "stats --prometheus --json: exit 2" ||
	fail "stats --prometheus --json: exit $rc"
"$SRPTADM_BIN" -s "$TMP/nosock" stats >/dev/null 2>&1
rc=$?
[ "$rc" = 3 ] && ok "stats without srptd: exit 3" || fail "stats without srptd: exit $rc"

stats_stop
finish

#!/bin/bash
# The Prometheus endpoint (daemon.metrics, srptd(8) METRICS) of a running
# srptd without RDMA devices: GET /metrics parses as the text format
# (tests/lib/prom_check.py, and promtool when installed) and shows the
# configured devices; other paths and methods get 404; a reload moves
# the endpoint to another address, turns it off, and a non-loopback
# address is refused with file:line (reload and --check-config) while the
# running endpoint stays as it was.
# Usage: test_metrics.sh PATH/TO/srptd
set -u
SRPTD=${1:?usage: test_metrics.sh SRPTD_BINARY}
HERE=$(cd "$(dirname "$0")" && pwd)
CHECK="$HERE/../lib/prom_check.py"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/srptd-metrics-test.XXXXXX")
PID=""
SHTEST_LOG=$TMP/log
. "$HERE/../lib/shtest.sh"
. "$HERE/../lib/stats_sh.sh"

cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

command -v curl >/dev/null || skip_all "curl not installed (scripts/install-deps.sh)"
command -v python3 >/dev/null || skip_all "python3 not installed"

# A TCP port nobody listens on now (on the IPv4 and IPv6 loopback).
free_port() {
	python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET6 if socket.has_ipv6 else socket.AF_INET)
s.bind(("::1" if socket.has_ipv6 else "127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

# write_conf METRICS_VALUE
write_conf() {
	cat >"$TMP/srptd.conf" <<CONF
version = 1;
daemon: {
  include_dir = "";
  metrics = "$1";
  control_socket = "$TMP/srptd.sock"; # not the system's
};
$(stats_null_conf "{ name = \"gone\"; path = \"$TMP/absent.img\"; engine = \"sync\"; }")
CONF
}

# fetch URL OUT: HTTP status code on stdout ("000": no connection).
fetch() {
	curl -s -o "$2" -w '%{http_code}' --max-time 15 "$1"
}

# --- the checker refuses what it must refuse ---------------------------
# A checker that accepts anything would make every check below pass.
bad_case() { # name, text
	printf '%b' "$2" >"$TMP/bad.txt"
	if python3 "$CHECK" "$TMP/bad.txt" >"$TMP/bad.out" 2>&1; then
		fail "checker refuses $1"
	else
		ok "checker refuses $1"
	fi
}
bad_case "a sample without TYPE" 'x_total 1\n'
bad_case "a bad metric name" '# TYPE 1x gauge\n1x 1\n'
bad_case "non-cumulative buckets" '# TYPE h histogram\nh_bucket{le="1"} 5\nh_bucket{le="+Inf"} 4\nh_sum 1\nh_count 4\n'
bad_case "buckets without +Inf" '# TYPE h histogram\nh_bucket{le="1"} 5\nh_sum 1\nh_count 5\n'
bad_case "a counter without _total" '# TYPE c counter\nc 1\n'
bad_case "a repeated series" '# TYPE g gauge\ng{a="1"} 1\ng{a="1"} 2\n'
bad_case "a bad escape" '# TYPE g gauge\ng{a="\\q"} 1\n'
bad_case "a family split in two" '# TYPE g gauge\n# TYPE k gauge\ng 1\nk 1\ng{a="b"} 1\n'
printf '# HELP g ok\n# TYPE g gauge\ng{a="q\\"n\\n"} 1\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n' >"$TMP/good.txt"
python3 "$CHECK" "$TMP/good.txt" --expect 'g{a="q\"n\n"}=1' >"$TMP/good.out" 2>&1 &&
	ok "checker accepts a valid text" ||
	fail "checker accepts a valid text: $(cat "$TMP/good.out")"

# --- --check-config: loopback only -------------------------------------
write_conf "192.0.2.1:9108"
if "$SRPTD" --check-config -c "$TMP/srptd.conf" >"$TMP/out" 2>&1; then
	fail "check-config refuses a non-loopback metrics address (exit 0)"
elif grep -q "^$TMP/srptd.conf:4: daemon.metrics: \"192.0.2.1:9108\" is not a loopback address" "$TMP/out"; then
	ok "check-config refuses a non-loopback metrics address with file:line"
else
	fail "check-config refuses a non-loopback address: $(cat "$TMP/out")"
fi

# --- serving -----------------------------------------------------------
PORT=$(free_port)
write_conf "127.0.0.1:$PORT"
"$SRPTD" --foreground -c "$TMP/srptd.conf" 2>"$TMP/log" &
PID=$!
if wait_for "ready (configuration generation 1)" "$TMP/log" 30 &&
	grep -q "metrics: serving http://127.0.0.1:$PORT/metrics" "$TMP/log"; then
	ok "srptd starts with the endpoint on 127.0.0.1:$PORT"
else
	fail "srptd starts with the endpoint"
	finish
fi
code=$(fetch "http://127.0.0.1:$PORT/metrics" "$TMP/m1")
[ "$code" = 200 ] && ok "GET /metrics: 200" || fail "GET /metrics: $code"
stats_prom_check "the text is valid and lists the configured devices" \
	"$TMP/m1" \
	--expect 'srptd_device_online{device="null0"}=1' \
	--expect 'srptd_device_online{device="null1"}=1' \
	--expect 'srptd_device_online{device="gone"}=0' \
	--expect 'srptd_device_commands_total{device="null0",direction="read"}=0' \
	--expect 'srptd_device_command_duration_seconds_count{device="null0",direction="write"}=0' \
	--expect 'srptd_config_generation=1'
version=$("$SRPTD" --version | awk '{ print $2; exit }')
grep -qx "srptd_build_info{version=\"$version\"} 1" "$TMP/m1" &&
	ok "srptd_build_info names version $version" ||
	fail "srptd_build_info names version $version"
grep -q '^srptd_device_command_duration_seconds_bucket{device="null0",direction="read",le="+Inf"} 0$' "$TMP/m1" &&
	ok "histograms in seconds end in +Inf" ||
	fail "histograms in seconds end in +Inf"
if command -v promtool >/dev/null; then
	promtool check metrics <"$TMP/m1" >"$TMP/pt" 2>&1 &&
		ok "promtool check metrics" ||
		fail "promtool check metrics: $(cat "$TMP/pt")"
fi
curl -s -D "$TMP/hdr" -o /dev/null --max-time 15 "http://127.0.0.1:$PORT/metrics"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$TMP/hdr" &&
	ok "Content-Type of the text format" ||
	fail "Content-Type of the text format: $(cat "$TMP/hdr")"
code=$(fetch "http://127.0.0.1:$PORT/" "$TMP/x")
[ "$code" = 404 ] && ok "GET / is 404" || fail "GET / is 404 ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 -X POST \
	--data x "http://127.0.0.1:$PORT/metrics")
[ "$code" = 404 ] && ok "POST /metrics is 404" || fail "POST /metrics ($code)"

# --- reload: refused address, move, off ---------------------------------
write_conf "10.1.2.3:$PORT"
kill -HUP "$PID"
if wait_for "reload failed" "$TMP/log" 30 &&
	grep -q "$TMP/srptd.conf:4: daemon.metrics: \"10.1.2.3:$PORT\" is not a loopback address" "$TMP/log" &&
	[ "$(fetch "http://127.0.0.1:$PORT/metrics" "$TMP/x")" = 200 ]; then
	ok "reload refuses a non-loopback address, endpoint unchanged"
else
	fail "reload refuses a non-loopback address, endpoint unchanged"
fi

PORT2=$(free_port)
if [ -n "$PORT2" ] && python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	write_conf "[::1]:$PORT2"
	kill -HUP "$PID"
	if wait_for "configuration generation 2 applied" "$TMP/log" 30 &&
		[ "$(fetch "http://[::1]:$PORT2/metrics" "$TMP/m2")" = 200 ] &&
		[ "$(fetch "http://127.0.0.1:$PORT/metrics" "$TMP/x")" = 000 ] &&
		python3 "$CHECK" "$TMP/m2" --expect 'srptd_config_generation=2' \
			>"$TMP/chk" 2>&1; then
		ok "reload moves the endpoint to [::1]:$PORT2"
	else
		fail "reload moves the endpoint to [::1]:$PORT2: $(cat "$TMP/chk" 2>/dev/null)"
	fi
	gen=3
else
	echo "(no IPv6 loopback here: the move to [::1] is not checked)"
	gen=2
fi

write_conf ""
kill -HUP "$PID"
if wait_for "configuration generation $gen applied" "$TMP/log" 30 &&
	grep -q "metrics: no longer serving" "$TMP/log" &&
	[ "$(fetch "http://127.0.0.1:$PORT/metrics" "$TMP/x")" = 000 ] &&
	{ [ "$gen" = 2 ] || [ "$(fetch "http://[::1]:$PORT2/metrics" "$TMP/x")" = 000 ]; }; then
	ok "reload with metrics = \"\" turns the endpoint off"
else
	fail "reload with metrics = \"\" turns the endpoint off"
fi

stats_stop
finish

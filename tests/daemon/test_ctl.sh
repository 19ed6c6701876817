#!/bin/bash
# srptadm against a running srptd (no RDMA device needed) on a private
# control socket: every command, human and --json, checked against the
# configuration; JSON-RPC protocol errors on the raw socket (the daemon
# keeps serving); srptadm's exit codes.
# With "auth" as third argument it checks instead who may connect (needs
# root to run srptadm as another user; skipped otherwise): a user neither
# root nor in daemon.control_group is refused, a member is served.
# Usage: test_ctl.sh PATH/TO/srptd PATH/TO/srptadm [auth]
set -u
SRPTD=${1:?usage: test_ctl.sh SRPTD SRPTADM [auth]}
SRPTADM_BIN=$(realpath "${2:?usage: test_ctl.sh SRPTD SRPTADM [auth]}")
MODE=${3:-commands}
SRC=${SRPTD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/srptd-ctl-test.XXXXXX")
SOCK=$TMP/run/srptd.sock
PID=""
SHTEST_LOG=$TMP/log
. "$(dirname "$0")/../lib/shtest.sh"
. "$(dirname "$0")/../lib/srptadm_check.sh"

cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# The system's python3 starts faster than a pyenv shim found first in PATH.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) ||
	skip_all "python3 not installed (JSON and raw socket checks)"

# write_conf [GROUP]: two devices, two targets, a group.
write_conf() {
	cat >"$TMP/srptd.conf" <<CONF
version = 1;
daemon: {
  log_level = "info";
  include_dir = "";
  control_socket = "$SOCK";
  control_group = "${1:-}";
};
devices = (
  { name = "null0"; engine = "null"; size = "1G"; },
  { name = "file0"; path = "$TMP/file0.img"; engine = "sync"; size = "64M";
    create = true; block_size = 4096; read_only = true; }
);
targets = (
  { name = "tgt0";
    id_ext = "0x0002c90300a1b2c3";
    ioc_guid = "0x0002c90300a1b2c3";
    unknown_initiators = "default-map";
    lun_map = ( { lun = 0; device = "null0"; },
                { lun = 1; device = "file0"; } );
    groups = ( { name = "db";
                 initiators = [ "fe80:0000:0000:0000:0002:c903:000f:1367" ];
                 lun_map = ( { lun = 5; device = "file0"; } ); } );
  },
  { name = "tgt1";
    id_ext = "0x0002c90300a1b2d4";
    ioc_guid = "0x0002c90300a1b2d4";
    lun_map = ( { lun = 0; device = "null0"; read_only = true; } );
  }
);
CONF
}

start() {
	rm -f "$TMP/log" # wait_for must not see the last run's "ready"
	"$SRPTD" --foreground -c "$TMP/srptd.conf" 2>"$TMP/log" &
	PID=$!
	if ! wait_for "ready (configuration generation" "$TMP/log" 10; then
		fail "srptd starts with a control socket"
		finish
	fi
}

stop() {
	kill -TERM "$PID"
	wait "$PID"
	PID=""
}

# jget EXPR: python expression on the JSON in $out as r.
jget() {
	"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$TMP/out" "$1" 2>&1
}

# jcheck NAME EXPR WANT
jcheck() {
	local got
	got=$(jget "$2")
	if [ "$got" = "$3" ]; then ok "$1"; else fail "$1: $2 = '$got', want '$3'"; fi
}

# raw LINE...: each argument a request line on one connection; prints
# the response lines.
raw() {
	"$PY" - "$SOCK" "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"".join(a.encode() + b"\n" for a in sys.argv[2:]))
s.shutdown(socket.SHUT_WR)
sys.stdout.write(s.makefile().read())
PY
}

# --- who may connect ----------------------------------------------------
if [ "$MODE" = auth ]; then
	[ "$(id -u)" = 0 ] || skip_all "not root: cannot run srptadm as another user"
	command -v setpriv >/dev/null || skip_all "setpriv (util-linux) not installed"
	GRP=$(getent group nogroup | cut -d: -f1)
	[ -n "$GRP" ] || skip_all "no group nogroup to use as daemon.control_group"
	OTHER=$(getent group daemon | cut -d: -f1)
	[ -n "$OTHER" ] || skip_all "no group daemon for the non-member"
	# The peer must reach the socket and run srptadm: world-readable
	# copies in a traversable directory.
	chmod 755 "$TMP"
	SRPTADM=$TMP/srptadm
	cp "$SRPTADM_BIN" "$SRPTADM" && chmod 755 "$SRPTADM"
	as() { # as REGID GROUPS CMD...: run as nobody
		local regid=$1 groups=--clear-groups
		[ -n "$2" ] && groups=--groups=$2
		shift 2
		setpriv --reuid=nobody --regid="$regid" "$groups" "$@"
	}
	write_conf "$GRP"
	start
	st=$(stat -c '%a %U %G' "$SOCK")
	[ "$st" = "660 root $GRP" ] && ok "socket is root:$GRP 0660" ||
		fail "socket is root:$GRP 0660 (got $st)"
	run status
	check "root is served" 0 "^srptd .* running"
	as "$OTHER" "" "$SRPTADM" -s "$SOCK" status >"$TMP/out" 2>"$TMP/err"
	rc=$? out=$(cat "$TMP/out") err=$(cat "$TMP/err")
	check "a non-member cannot even connect (socket mode)" 3 "" \
		"cannot connect .*Permission denied"
	# Loosen the mode: the per-connection check still refuses.
	chmod 666 "$SOCK"
	as "$OTHER" "" "$SRPTADM" -s "$SOCK" status >"$TMP/out" 2>"$TMP/err"
	rc=$? out=$(cat "$TMP/out") err=$(cat "$TMP/err")
	check "a non-member is refused by SO_PEERCRED with an error" 1 "" \
		"permission denied: uid [0-9]+ is not root nor in daemon.control_group"
	grep -q "control socket: refused uid" "$TMP/log" &&
		ok "the refusal is logged" || fail "the refusal is logged"
	as "$GRP" "" "$SRPTADM" -s "$SOCK" status >"$TMP/out" 2>"$TMP/err"
	rc=$? out=$(cat "$TMP/out") err=$(cat "$TMP/err")
	check "a member by primary group is served" 0 "^srptd .* running"
	as "$OTHER" "$GRP" "$SRPTADM" -s "$SOCK" --json status >"$TMP/out" 2>"$TMP/err"
	rc=$? out=$(cat "$TMP/out") err=$(cat "$TMP/err")
	check "a member by supplementary group is served" 0 '"state": "running"'
	# Reload with the group gone: root only again (0600, refused).
	write_conf ""
	kill -HUP "$PID"
	wait_for "configuration generation 2 applied" "$TMP/log" 10
	st=$(stat -c '%a %G' "$SOCK")
	[ "$st" = "600 root" ] && ok "reload without a group: socket 0600 root" ||
		fail "reload without a group: socket 0600 root (got $st)"
	chmod 666 "$SOCK"
	as "$GRP" "" "$SRPTADM" -s "$SOCK" status >"$TMP/out" 2>"$TMP/err"
	rc=$? out=$(cat "$TMP/out") err=$(cat "$TMP/err")
	check "after the reload the former member is refused" 1 "" \
		"permission denied: uid [0-9]+ is not root$"
	# A member may not have a file checked that it cannot read itself.
	echo "secret = 1;" >"$TMP/secret.conf"
	chmod 600 "$TMP/secret.conf"
	chmod 666 "$SOCK"
	write_conf "$GRP"
	kill -HUP "$PID"
	wait_for "configuration generation 3 applied" "$TMP/log" 10
	as "$GRP" "" "$SRPTADM" -s "$SOCK" config check "$TMP/secret.conf" >"$TMP/out" 2>"$TMP/err"
	rc=$? out=$(cat "$TMP/out") err=$(cat "$TMP/err")
	check "a member cannot have a root-only file checked" 1 "" \
		"only root may have a file checked that the caller cannot read"
	run config check "$TMP/secret.conf"
	check "root can" 1 "" "secret.conf:1: unknown setting \"secret\""
	stop
	# Without capabilities (srptd.service drops them all) the socket
	# cannot be the group's: it is open to all, the credentials decide.
	rm -f "$TMP/log"
	setpriv --bounding-set=-all --inh-caps=-all \
		"$SRPTD" --foreground -c "$TMP/srptd.conf" 2>"$TMP/log" &
	PID=$!
	wait_for "ready (configuration generation" "$TMP/log" 10 ||
		fail "srptd starts without capabilities"
	st=$(stat -c '%a %G' "$SOCK")
	[ "$st" = "666 root" ] && ok "without CAP_CHOWN: socket 0666 root" ||
		fail "without CAP_CHOWN: socket 0666 root (got $st)"
	grep -q "cannot give it to group" "$TMP/log" && ok "...and says so" ||
		fail "...and says so"
	as "$GRP" "" "$SRPTADM" -s "$SOCK" status >"$TMP/out" 2>"$TMP/err"
	rc=$? out=$(cat "$TMP/out") err=$(cat "$TMP/err")
	check "without CAP_CHOWN a member is served" 0 "^srptd .* running"
	as "$OTHER" "" "$SRPTADM" -s "$SOCK" status >"$TMP/out" 2>"$TMP/err"
	rc=$? out=$(cat "$TMP/out") err=$(cat "$TMP/err")
	check "without CAP_CHOWN a non-member is refused" 1 "" \
		"permission denied: uid [0-9]+ is not root nor in daemon.control_group"
	stop
	# A group that does not exist stops the start.
	write_conf "no-such-group-srptd"
	"$SRPTD" --foreground -c "$TMP/srptd.conf" >"$TMP/out" 2>&1
	rc=$?
	[ "$rc" = 1 ] && grep -q 'daemon.control_group: no group "no-such-group-srptd"' "$TMP/out" &&
		ok "an unknown control_group fails the start" ||
		fail "an unknown control_group fails the start (rc=$rc): $(cat "$TMP/out")"
	finish
fi

SRPTADM=$SRPTADM_BIN
write_conf ""
start

# --- srptadm basics -------------------------------------------------------
run --version
check "--version" 0 "^srptadm [0-9]"
run --help
check "--help lists the commands" 0 "^  status "
run
check "no command: usage, exit 2" 2 "" "^Usage: srptadm"
run frobnicate
check "unknown command: exit 2" 2 "" "unknown command 'frobnicate'"
run status extra
check "extra argument: exit 2" 2 "" "^usage: srptadm status$"
"$SRPTADM" -s "$TMP/nothing.sock" status >"$TMP/out" 2>"$TMP/err"
rc=$? out="" err=$(cat "$TMP/err")
check "no daemon: exit 3" 3 "" "cannot connect to srptd at $TMP/nothing.sock"

# --- status ---------------------------------------------------------------
run status
check "status (human)" 0 "^srptd [0-9.]+ running, pid $PID, up "
check "status shows the config and generation" 0 "^config: +$TMP/srptd.conf \(generation 1\)$"
check "status shows targets, devices and LUNs" 0 "^devices: +2 \(2 online\), 4 LUN\(s\) mapped$"
check "status without RDMA devices" 0 "^fabric: +waiting for RDMA devices$|RDMA device"
check "status shows what the workers hold" 0 "^in use: +0 request\(s\), 0 buffer chunk\(s\), 0 stuck backend I/O\(s\)$"
run status --json
check "status --json" 0 '"state": "running"'
jcheck "status --json: pid" 'r["pid"]' "$PID"
jcheck "status --json: targets" 'r["targets"]' 2
jcheck "status --json: devices" 'r["devices"], r["devices_online"]' "(2, 2)"
jcheck "status --json: LUN map entries" 'r["luns"]' 4
jcheck "status --json: generation" 'r["generation"]' 1
jcheck "status --json: config" 'r["config"]' "$TMP/srptd.conf"
jcheck "status --json: no sessions" 'r["sessions"], r["channels"]' "(0, 0)"
jcheck "status --json: nothing held" \
	'r["requests_active"], r["buffer_chunks_in_use"], r["backend_ios_stuck"]' "(0, 0, 0)"
run --json status
check "--json before the command" 0 '"log_level": "info"'

# --- targets ---------------------------------------------------------------
run targets
check "targets (human): tgt0" 0 "^tgt0 +0x0002c90300a1b2c3 +0x0002c90300a1b2c3 +no +default-map +0 null0, 1 file0 \(ro\)$"
check "targets (human): tgt1" 0 "^tgt1 +0x0002c90300a1b2d4 +0x0002c90300a1b2d4 +no +deny +0 null0 \(ro\)$"
check "targets (human): group" 0 "^tgt0 group db: LUNs 5 file0 \(ro\); initiators fe80:0000:0000:0000:0002:c903:000f:1367$"
run targets --json
jcheck "targets --json: names" '[t["name"] for t in r["targets"]]' "['tgt0', 'tgt1']"
jcheck "targets --json: id_ext" 'r["targets"][1]["id_ext"]' "0x0002c90300a1b2d4"
jcheck "targets --json: lun_map" 'r["targets"][0]["lun_map"]' \
	"[{'lun': 0, 'device': 'null0', 'read_only': False}, {'lun': 1, 'device': 'file0', 'read_only': True}]"
jcheck "targets --json: group" '(r["targets"][0]["groups"][0]["name"], r["targets"][0]["groups"][0]["initiators"])' \
	"('db', ['fe80:0000:0000:0000:0002:c903:000f:1367'])"
jcheck "targets --json: not running without RDMA" '[t["running"] for t in r["targets"]]' "[False, False]"
run targets tgt1 --json
jcheck "targets TARGET" '[t["name"] for t in r["targets"]]' "['tgt1']"
run targets nosuch
check "targets of an unknown target: exit 1" 1 "" 'no target "nosuch"'

# --- ports --------------------------------------------------------------------
run ports
check "ports (human) without RDMA devices" 0 "^\(no ports: waiting for RDMA devices\)$"
check "ports (human): configured listeners" 0 "^RDMA/CM listeners: 0.0.0.0:5000 \[::\]:5000 \(not started\)$"
check "ports (human): IB/CM service id" 0 "^IB/CM: service id 0x00000000013f1388$"
run ports --json
jcheck "ports --json" '(r["fabric_up"], r["ports"], r["rdma_cm"]["listen"], r["ib_cm"]["enabled"])' \
	"(False, [], ['0.0.0.0:5000', '[::]:5000'], True)"

# --- devices ----------------------------------------------------------------
run devices
check "devices (human): null0" 0 "^null0 +online +null +1.0 GiB +512 +rw,wc +- +tgt0/0 tgt1/0$"
check "devices (human): file0" 0 "^file0 +online +sync +64.0 MiB +4096 +ro,wc,direct +$TMP/file0.img +tgt0/1 tgt0:db/5$"
run devices --json
jcheck "devices --json: size and block size from the config" \
	'[(d["name"], d["size"], d["block_size"]) for d in r["devices"]]' \
	"[('null0', 1073741824, 512), ('file0', 67108864, 4096)]"
jcheck "devices --json: engine in use" '[d["engine"] for d in r["devices"]]' "['null', 'sync']"
jcheck "devices --json: flags" '[(d["read_only"], d["write_cache"]) for d in r["devices"]]' \
	"[(False, True), (True, True)]"
jcheck "devices --json: maps" 'r["devices"][1]["maps"]' \
	"[{'target': 'tgt0', 'group': None, 'lun': 1, 'read_only': True}, {'target': 'tgt0', 'group': 'db', 'lun': 5, 'read_only': True}]"
run devices file0 --json
jcheck "devices DEVICE" '[d["name"] for d in r["devices"]]' "['file0']"
run devices nosuch
check "devices of an unknown device: exit 1" 1 "" 'no device "nosuch"'

# --- login-info -----------------------------------------------------------------
run login-info
check "login-info without RDMA devices" 0 "^\(none: waiting for RDMA devices\)$"
run login-info tgt0 --json
jcheck "login-info --json" '(r["fabric_up"], r["logins"])' "(False, [])"
run login-info nosuch
check "login-info of an unknown target: exit 1" 1 "" 'no target "nosuch"'

# --- sessions ---------------------------------------------------------------
# Without RDMA devices nobody logs in: the VM suite checks real sessions
# (tests/unit/srp/test_srp_sessions.c the snapshot behind them).
run sessions
check "sessions (human), none" 0 "^\(no sessions\)$"
run sessions -v tgt0 --json
jcheck "sessions -v TARGET --json" 'r["sessions"]' "[]"
run sessions nosuch
check "sessions of an unknown target: exit 1" 1 "" 'no target "nosuch"'
run sessions -x
check "sessions with an unknown option: exit 2" 2 "" "usage: srptadm sessions \[-v\] \[TARGET\]"
run session kick 0x00000000000000000000000000000001 tgt0
check "session kick of no session: exit 1" 1 "" "no session of initiator 0x0*1 on target tgt0"
run session kick fe80::1
check "session kick with a bad id: exit 1" 1 "" "is not an initiator port id"
run session kick
check "session kick without an id: exit 2" 2 "" "usage: srptadm session kick INITIATOR \[TARGET\]"

# --- log-level ----------------------------------------------------------------
run log-level
check "log-level shows the level" 0 "^log level info$"
run log-level debug
check "log-level sets the level" 0 "^log level debug \(was info\)$"
wait_for "log level info -> debug" "$TMP/log" 5 && ok "the change is logged" ||
	fail "the change is logged"
run status --json
jcheck "status shows the new level" 'r["log_level"]' debug
run log-level verbose
check "log-level with an unknown level: exit 1" 1 "" 'unknown level "verbose"'
run log-level info --json
jcheck "log-level --json" '(r["level"], r["previous"])' "('info', 'debug')"

# --- config check / dump ------------------------------------------------------
run config check
check "config check of the running file" 0 "^$TMP/srptd.conf: configuration OK \(2 devices, 2 targets\)$"
printf 'version = 2;\ndaemon: { bogus = 1; };\n' >"$TMP/bad.conf"
( cd "$TMP" && "$SRPTADM" -s "$SOCK" config check bad.conf ) >"$TMP/out" 2>"$TMP/err"
rc=$? out=$(cat "$TMP/out") err=$(cat "$TMP/err")
check "config check FILE (relative): errors as file:line: message, exit 1" 1 "" \
	"^$TMP/bad.conf:1: version: unsupported version 2"
check "config check: every error" 1 "" "^$TMP/bad.conf:2: unknown setting \"bogus\" in daemon$"
run config check "$TMP/bad.conf" --json
jcheck "config check --json" '(r["valid"], len(r["errors"]))' "(False, 2)"
run config check "$TMP/missing.conf"
check "config check of a missing file: exit 1" 1 "" "$TMP/missing.conf.*No such file"
run config
check "config without a subcommand: usage" 2 "" "^usage: srptadm config check \[FILE\]$"
run config dump
check "config dump" 0 '^  control_socket = "'"$SOCK"'";$'
cp "$TMP/out" "$TMP/dump1.conf"
run config dump --json
jcheck "config dump --json" '(r["generation"], r["text"].splitlines()[1])' "(1, 'version = 1;')"
run config check "$TMP/dump1.conf"
check "the dump is a valid configuration" 0 "configuration OK \(2 devices, 2 targets\)"

# --- reload -------------------------------------------------------------------
cp "$TMP/srptd.conf" "$TMP/srptd.conf.orig"
sed -i 's|^devices = (|devices = (\n  { name = "null2"; engine = "null"; size = "2G"; },|' "$TMP/srptd.conf"
run reload
check "reload applies a change and reports it" 0 "configuration generation 2 applied"
grep -q "reload requested by uid 0 (control socket)" "$TMP/log" &&
	ok "reload: the request is logged" || fail "reload: the request is logged"
run devices null2 --json
jcheck "reload: the new device is there" '[(d["name"], d["size"], d["state"]) for d in r["devices"]]' \
	"[('null2', 2147483648, 'online')]"
echo "bogus_key = 1;" >>"$TMP/srptd.conf"
run reload
check "reload of a broken file: exit 1, errors as file:line: message" 1 "" \
	"^$TMP/srptd.conf:[0-9]+: unknown setting \"bogus_key\"$"
check "reload of a broken file: not applied" 1 "" \
	"reload not applied; running configuration generation 2$"
run reload --json
jcheck "reload --json of a broken file" '(r["applied"], r["errors"], r["generation"])' "(False, 1, 2)"
run status --json
jcheck "a failed reload keeps the running generation" 'r["generation"]' 2
cp "$TMP/srptd.conf.orig" "$TMP/srptd.conf"
run reload --json
jcheck "reload --json" '(r["applied"], r["generation"], r["report"][-1])' \
	"(True, 3, 'configuration generation 3 applied')"
run reload extra
check "reload with an argument: exit 2" 2 "" "^usage: srptadm reload \[--force\]$"

# --- bash completion (contrib/bash-completion/srptadm) ------------------------
COMPL=$SRC/contrib/bash-completion/srptadm
bash -n "$COMPL" && ok "bash completion: bash -n" || fail "bash completion: bash -n"
# comp WORD...: what completing the last word offers, on one line.
comp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_srptadm; [ ${#COMPREPLY[@]} = 0 ] ||
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		_ "$COMPL" "$@"
}
# ccheck NAME WANT WORD...
ccheck() {
	local name=$1 want=$2 got
	shift 2
	got=$(comp "$@")
	[ "$got" = "$want" ] && ok "completion: $name" ||
		fail "completion: $name: got '$got', want '$want'"
}
ccheck "commands" "config device devices log-level login-info lun ports reload session sessions stats status targets " \
	"$SRPTADM" ""
ccheck "a command prefix" "config " "$SRPTADM" con
ccheck "a group's subcommands" "check dump " "$SRPTADM" config ""
ccheck "log levels" "debug " "$SRPTADM" log-level d
ccheck "a command's options" "--json -v " "$SRPTADM" sessions -
ccheck "target names from srptd" "tgt0 tgt1 " "$SRPTADM" -s "$SOCK" targets ""
ccheck "device names from srptd" "file0 " "$SRPTADM" -s "$SOCK" devices f
ccheck "lun map's device argument" "file0 null0 " "$SRPTADM" -s "$SOCK" lun map tgt0 3 ""
ccheck "no names without srptd" "" "$SRPTADM" -s "$TMP/none.sock" targets ""

# --- the protocol on the raw socket ----------------------------------------
R=$(raw '{"jsonrpc":"2.0","id":1,"method":"status"}' \
	'this is not json' \
	'{"jsonrpc":"2.0","id":2,"method":"no.such.method"}' \
	'{"jsonrpc":"2.0","id":3,"method":"status","params":{"bogus":1}}' \
	'{"jsonrpc":"2.0","id":4,"method":"status","params":[1]}' \
	'{"jsonrpc":"1.0","id":5,"method":"status"}' \
	'[{"jsonrpc":"2.0","id":6,"method":"status"}]' \
	'{"jsonrpc":"2.0","method":"status"}' \
	"$(printf '%*s' 70000 '' | tr ' ' x)" \
	'{"jsonrpc":"2.0","id":"last","method":"status"}')
echo "$R" >"$TMP/raw"
line() { sed -n "${1}p" "$TMP/raw"; }
[ "$(wc -l <"$TMP/raw")" = 9 ] && ok "one response per request, none for the notification" ||
	fail "one response per request, none for the notification: $R"
line 1 | grep -q '"id":1,"result":{"version"' && ok "raw status result" ||
	fail "raw status result: $(line 1)"
line 2 | grep -q '"id":null,"error":{"code":-32700,"message":"parse error"}' &&
	ok "garbage line: -32700" || fail "garbage line: -32700: $(line 2)"
line 3 | grep -q '"id":2,"error":{"code":-32601,"message":"unknown method \\"no.such.method\\""}' &&
	ok "unknown method: -32601" || fail "unknown method: -32601: $(line 3)"
line 4 | grep -q '"id":3,"error":{"code":-32602,"message":"status: unknown parameter \\"bogus\\""}' &&
	ok "unknown parameter: -32602" || fail "unknown parameter: -32602: $(line 4)"
line 5 | grep -q '"id":4,"error":{"code":-32602,"message":"params must be an object"}' &&
	ok "positional params: -32602" || fail "positional params: -32602: $(line 5)"
line 6 | grep -q '"id":5,"error":{"code":-32600' && ok "wrong jsonrpc version: -32600" ||
	fail "wrong jsonrpc version: -32600: $(line 6)"
line 7 | grep -q '"id":null,"error":{"code":-32600,"message":"batch requests are not supported"}' &&
	ok "batch: -32600" || fail "batch: -32600: $(line 7)"
line 8 | grep -q '"id":null,"error":{"code":-32600,"message":"request line longer than 65536 bytes"}' &&
	ok "oversized line: -32600" || fail "oversized line: -32600: $(line 8)"
line 9 | grep -q '"id":"last","result":{' && ok "served on after every error" ||
	fail "served on after every error: $(line 9)"
run status
check "the daemon still serves srptadm" 0 "running"

stop
grep -q "control socket $SOCK" "$TMP/log" && ok "the socket is logged" ||
	fail "the socket is logged"
[ ! -e "$SOCK" ] && ok "the socket is removed at exit" ||
	fail "the socket is removed at exit"
# A socket left behind by a killed srptd does not stop the next one.
start
kill -9 "$PID"
wait "$PID" 2>/dev/null
PID=""
[ -S "$SOCK" ] || fail "a killed srptd leaves its socket (test premise)"
start
run status
check "a stale socket is replaced" 0 "running"
# ...but a second srptd on a live socket does not start.
"$SRPTD" --foreground -c "$TMP/srptd.conf" >"$TMP/out2" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "control socket $SOCK: in use" "$TMP/out2" &&
	ok "a second srptd on the same socket fails to start" ||
	fail "a second srptd on the same socket fails to start (rc=$rc): $(cat "$TMP/out2")"
run status
check "the first srptd still serves" 0 "pid $PID"
stop

# A dump re-parses to the same state: srptd run from the dump dumps it
# again unchanged.
cp "$TMP/dump1.conf" "$TMP/srptd.conf"
start
run config dump
if [ "$rc" = 0 ] && [ "$out" = "$(cat "$TMP/dump1.conf")" ]; then
	ok "config dump round trip: dump, re-parse, dump again: identical"
else
	fail "config dump round trip"
	diff "$TMP/dump1.conf" "$TMP/out"
fi
stop

finish

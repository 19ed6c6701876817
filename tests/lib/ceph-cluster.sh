#!/bin/bash
# A throw-away single-node Ceph cluster for the rbd tests (doc/ceph.md):
# one mon and one memstore OSD on 127.0.0.1, no mgr, no systemd, no auth,
# every file (data, sockets, logs, pids) under one directory.
#
#   ceph-cluster.sh run [--dir DIR] [--image POOL/NAME:SIZE]... -- CMD...
#       start a cluster, create the images, run CMD with CEPH_CONF,
#       SRPTD_CEPH_DIR and SRPTD_CEPH_SCRIPT exported, stop the cluster
#       whatever happens (trap); exits with CMD's status.
#   ceph-cluster.sh start DIR      start in the empty or missing DIR,
#                                  print DIR/ceph.conf
#   ceph-cluster.sh image DIR POOL/NAME SIZE
#                                  create the pool if needed, then the image
#   ceph-cluster.sh stop DIR       kill the daemons started in DIR
#   ceph-cluster.sh kill DIR       same, SIGKILL at once (cluster "lost")
#
# Every wait is bounded (CEPH_CLUSTER_TIMEOUT, default 60 s).  The mon
# listens on a free port (msgr v2 only) so that tests may run in parallel.
set -eu

timeout_s=${CEPH_CLUSTER_TIMEOUT:-60}

die() {
	echo "ceph-cluster.sh: $*" >&2
	exit 1
}

need() {
	local b
	for b in "$@"; do
		command -v "$b" >/dev/null ||
			die "$b not found (scripts/install-deps.sh installs ceph-mon ceph-osd ceph-common)"
	done
}

# A TCP port nobody listens on now (the mon binds it a second later).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ceph CLI against the cluster in $1 with a bounded connect.
c_ceph() {
	local dir=$1
	shift
	timeout "$timeout_s" ceph --conf "$dir/ceph.conf" \
		--connect-timeout "$timeout_s" "$@"
}

# wait_until SECONDS CMD...: retry CMD every 0.2 s.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

osd_up() {
	c_ceph "$1" osd stat -f json | grep -q '"num_up_osds":1'
}

write_conf() {
	local dir=$1 port=$2 fsid
	fsid=$(cat /proc/sys/kernel/random/uuid)
	cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$port
public addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool delete = true
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 2147483648
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
mon data = $dir/mon/\$name
osd data = $dir/osd/\$name
keyring = $dir/keyring
osd max object name len = 256
osd max object namespace len = 64
EOF
}

cmd_start() {
	local dir=$1 port uuid
	need ceph-mon ceph-osd ceph monmaptool python3
	mkdir -p "$dir"
	[ ! -e "$dir/ceph.conf" ] || die "$dir already holds a cluster"
	dir=$(cd "$dir" && pwd)
	mkdir -p "$dir/run" "$dir/log" "$dir/mon/mon.a" "$dir/osd/osd.0"
	port=$(free_port)
	write_conf "$dir" "$port"
	monmaptool --create --fsid "$(sed -n 's/^fsid = //p' "$dir/ceph.conf")" \
		--addv a "[v2:127.0.0.1:$port]" "$dir/monmap" >/dev/null
	ceph-mon --conf "$dir/ceph.conf" --id a --mkfs \
		--monmap "$dir/monmap" >"$dir/log/mkfs-mon.log" 2>&1 ||
		die "ceph-mon --mkfs failed (see $dir/log/mkfs-mon.log)"
	ceph-mon --conf "$dir/ceph.conf" --id a ||
		die "ceph-mon did not start (see $dir/log)"
	wait_until "$timeout_s" c_ceph "$dir" mon stat ||
		die "mon not answering within ${timeout_s} s"
	uuid=$(cat /proc/sys/kernel/random/uuid)
	[ "$(c_ceph "$dir" osd new "$uuid")" = 0 ] ||
		die "ceph osd new did not give id 0"
	ceph-osd --conf "$dir/ceph.conf" --id 0 --mkfs --osd-uuid "$uuid" \
		>"$dir/log/mkfs-osd.log" 2>&1 ||
		die "ceph-osd --mkfs failed (see $dir/log/mkfs-osd.log)"
	ceph-osd --conf "$dir/ceph.conf" --id 0 >/dev/null 2>&1 ||
		die "ceph-osd did not start (see $dir/log)"
	wait_until "$timeout_s" osd_up "$dir" ||
		die "osd not up within ${timeout_s} s"
	echo "$dir/ceph.conf"
}

cmd_image() {
	local dir=$1 spec=$2 size=$3 pool
	pool=${spec%%/*}
	need rbd
	if ! c_ceph "$dir" osd pool ls | grep -qx "$pool"; then
		c_ceph "$dir" osd pool create "$pool" 8 8 >/dev/null 2>&1 ||
			die "cannot create pool $pool"
		timeout "$timeout_s" rbd --conf "$dir/ceph.conf" pool init \
			"$pool" || die "rbd pool init $pool failed"
	fi
	timeout "$timeout_s" rbd --conf "$dir/ceph.conf" create --size "$size" \
		"$spec" || die "rbd create $spec failed"
}

# Daemon pids from the pid files of DIR (only what this script started).
daemon_pids() {
	local f
	for f in "$1"/run/*.pid; do
		[ -f "$f" ] && cat "$f" 2>/dev/null
	done
	return 0
}

cmd_stop() {
	local dir=$1 sig=${2:-TERM} pid left i
	[ -d "$dir/run" ] || return 0
	for pid in $(daemon_pids "$dir"); do
		kill "-$sig" "$pid" 2>/dev/null || true
	done
	# Bounded: 10 s of TERM, then KILL.
	for ((i = 0; i < 100; i++)); do
		left=""
		for pid in $(daemon_pids "$dir"); do
			kill -0 "$pid" 2>/dev/null && left="$left $pid"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	for pid in $left; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	rm -f "$dir"/run/*.pid
}

cmd_run() {
	local dir="" own=0 images=() spec size rc img
	while [ $# -gt 0 ]; do
		case $1 in
		--dir)
			dir=$2
			shift 2
			;;
		--image)
			images+=("$2")
			shift 2
			;;
		--)
			shift
			break
			;;
		*) die "run: unknown option $1" ;;
		esac
	done
	[ $# -gt 0 ] || die "run: no command"
	if [ -z "$dir" ]; then
		dir=$(mktemp -d "${TMPDIR:-/tmp}/ceph-XXXXXX")
		own=1
	fi
	# shellcheck disable=SC2064 # expand now: dir is fixed
	trap "cmd_stop '$dir'; [ $own = 0 ] || rm -rf '$dir'" EXIT
	trap 'exit 130' INT TERM HUP
	# SIGKILL (a ctest timeout) skips the trap, and the daemons are no
	# children of ours: a watchdog outside our process tree stops them
	# once this shell is gone.
	mkdir -p "$dir/run"
	(setsid "$0" watch "$$" "$dir" "$own" </dev/null >/dev/null 2>&1 &)
	cmd_start "$dir" >/dev/null
	for img in "${images[@]}"; do
		spec=${img%:*}
		size=${img##*:}
		cmd_image "$dir" "$spec" "$size"
	done
	export CEPH_CONF="$dir/ceph.conf" SRPTD_CEPH_DIR="$dir"
	SRPTD_CEPH_SCRIPT="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
	export SRPTD_CEPH_SCRIPT
	rc=0
	"$@" || rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		echo "--- ceph logs ($dir/log) ---"
		tail -n 20 "$dir"/log/*.log 2>/dev/null || true
	fi
	return "$rc"
}

# watch PID DIR OWN: when PID is gone, stop DIR's daemons (and remove DIR
# if OWN is 1).  Started by cmd_run; exits with it or with the cluster.
cmd_watch() {
	local pid=$1 dir=$2 own=$3
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
	done
	cmd_stop "$dir"
	[ "$own" = 0 ] || rm -rf "$dir"
}

[ $# -gt 0 ] || die "usage: ceph-cluster.sh run|start|image|stop|kill ..."
sub=$1
shift
case $sub in
run) cmd_run "$@" ;;
start) cmd_start "$@" ;;
image) cmd_image "$@" ;;
stop) cmd_stop "$1" ;;
kill) cmd_stop "$1" KILL ;;
watch) cmd_watch "$@" ;;
*) die "unknown command $sub" ;;
esac

#!/bin/bash
# The Debian packages installed for real: apt installs them into a fresh
# Debian 12 chroot (mmdebstrap --variant=minbase), so their Depends
# resolve from the archive and their maintainer scripts run, without
# touching this machine.  Then, in the chroot: what the package installs
# and registers (conffiles, the unit installed but not enabled), the
# installed srptd started in the foreground on the shipped example and on
# a configuration written the way srptd.conf(5) says, the installed
# srptadm against it (root, a member of daemon.control_group, another
# user), the metrics endpoint, remove keeping an edited conffile, purge
# leaving nothing of ours; srptd-isdm-dkms installed without kernel
# headers, then built by DKMS for the kernel the VM suite boots.
# README.md "Debian packages" is what this checks.
#   test_packages_install.sh DEB_DIR
# Needs root, mmdebstrap and Debian's archive (scripts/install-deps.sh).
# The minbase tarball is cached in $SRPTD_CHROOT_CACHE (default
# /var/cache/srptd-tests) for a week; SRPTD_CHROOT_CACHE= builds it anew
# every run.  Measured on the 2-core machine with a load of about 15:
# mmdebstrap 255 s (a cache hit unpacks in 8 s), installing srptd 53 s,
# the DKMS part (compiler, headers, module build) 251 s; 6.5 min in all
# with the cache.
set -u
DEBS=${1:?usage: test_packages_install.sh DEB_DIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib/shtest.sh"

[ "$(id -u)" = 0 ] || { fail "must run as root (chroot, mounts)"; finish; }
command -v mmdebstrap >/dev/null ||
	{ fail "mmdebstrap not installed (scripts/install-deps.sh)"; finish; }

version=$(sed -n 's/^project(srptd VERSION \([^ )]*\).*/\1/p' "$top/CMakeLists.txt")
deb=$DEBS/srptd_${version}_$(dpkg --print-architecture).deb
dkms=$DEBS/srptd-isdm-dkms_${version}_all.deb
isdm=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/contrib/srptd-isdm/dkms.conf")
[ -f "$deb" ] && [ -f "$dkms" ] ||
	{ fail "packages $deb and $dkms built (scripts/build-packages.sh)"; finish; }

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/srptd-chroot.XXXXXX")
LOG=$ROOT.log
daemon_pid=""

# Unmount everything below ROOT, deepest first; remove ROOT only when
# nothing is mounted there any more (a bind mount of /dev must never be
# recursed into).
cleanup() {
	local m

	[ -z "$daemon_pid" ] || { kill "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null; }
	for m in $(findmnt -rn -o TARGET | grep "^$ROOT/" | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	if findmnt -rn -o TARGET | grep -q "^$ROOT/"; then
		echo "test_packages_install.sh: $ROOT still has mounts; left in place" >&2
	else
		rm -rf --one-file-system "$ROOT"
	fi
	rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# in_root CMD...: CMD in the chroot, non-interactive; output to $LOG.
in_root() {
	chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@" >"$LOG" 2>&1
}

# check DESCRIPTION CMD...: PASS if CMD succeeds; its output on failure.
check() {
	local what=$1 out

	shift
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		fail "$what"
		[ -z "$out" ] || sed 's/^/  | /' <<<"$out" | tail -n 20
	fi
}

# check_root DESCRIPTION CMD...: check with CMD run by in_root.
check_root() {
	local what=$1

	shift
	if in_root "$@"; then
		ok "$what"
	else
		fail "$what"
		sed 's/^/  | /' "$LOG" | tail -n 20
	fi
}

# --- the chroot ------------------------------------------------------------
cache=${SRPTD_CHROOT_CACHE-/var/cache/srptd-tests}
tarball=$cache/bookworm-minbase.tar
t0=$(date +%s)
if [ -n "$cache" ] && [ -n "$(find "$tarball" -mtime -7 2>/dev/null)" ]; then
	how="cached $tarball"
else
	[ -n "$cache" ] || tarball=$ROOT.tar
	mkdir -p "$(dirname "$tarball")"
	if ! mmdebstrap --quiet --format=tar --variant=minbase bookworm "$tarball.new" >"$LOG" 2>&1; then
		fail "mmdebstrap --variant=minbase bookworm"
		tail -n 20 "$LOG"
		rm -f "$tarball.new"
		finish
	fi
	mv "$tarball.new" "$tarball"
	how="mmdebstrap"
fi
tar -C "$ROOT" -xf "$tarball" || { fail "unpack $tarball"; finish; }
[ -n "$cache" ] || rm -f "$tarball"
echo "chroot: Debian 12 minbase from $how in $(($(date +%s) - t0)) s"

mount -t proc proc "$ROOT/proc" && mount -t sysfs sysfs "$ROOT/sys" &&
	mount --bind /dev "$ROOT/dev" && mount -t tmpfs -o mode=0755 tmpfs "$ROOT/run" ||
	{ fail "mount /proc, /sys, /dev, /run in the chroot"; finish; }
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
# What a chroot build does (invoke-rc.d(8)): no service starts from a
# maintainer script here.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
mkdir "$ROOT/debs"
cp "$deb" "$dkms" "$ROOT/debs/"
check_root "apt-get update in the chroot" apt-get update -q || finish

# --- srptd: install -------------------------------------------------------
t0=$(date +%s)
check_root "apt-get install ./srptd.deb (Depends from the archive, postinst runs)" \
	apt-get install -y -q "/debs/${deb##*/}" || finish
echo "srptd installed in $(($(date +%s) - t0)) s"
check "dpkg -s srptd: install ok installed" \
	grep -qx "Status: install ok installed" <(chroot "$ROOT" dpkg -s srptd)
check "apt-get check: dependencies consistent" chroot "$ROOT" apt-get check -q
for f in /usr/sbin/srptd /usr/sbin/srptadm; do
	check "$f: no library left unresolved" \
		bash -c "! chroot '$ROOT' ldd $f | grep -q 'not found'"
done
for f in /usr/sbin/srptd /usr/sbin/srptadm /lib/systemd/system/srptd.service \
	/usr/share/man/man8/srptd.8.gz /usr/share/man/man8/srptadm.8.gz \
	/usr/share/man/man5/srptd.conf.5.gz /etc/srptd.conf \
	/etc/rdma/modules/srptd.conf \
	/usr/share/bash-completion/completions/srptadm \
	/usr/share/doc/srptd/examples/srptd.conf; do
	check "installed: $f" test -f "$ROOT$f"
done
check "installed: /etc/srptd.d" test -d "$ROOT/etc/srptd.d"
conffiles=$(chroot "$ROOT" dpkg-query -W -f='${Conffiles}' srptd)
for f in /etc/srptd.conf /etc/rdma/modules/srptd.conf; do
	check "$f is a conffile (dpkg-query Conffiles)" \
		grep -q "^ $f [0-9a-f]\{32\}$" <<<"$conffiles"
done
# debian/rules: installed, not enabled.  The unit is registered with
# deb-systemd-helper (so purge cleans up after an admin's enable), and
# neither systemctl nor the wants directories see it enabled.
check "systemctl --root: srptd.service is disabled" \
	grep -qx disabled <(systemctl --root="$ROOT" is-enabled srptd.service 2>&1)
check "no .wants link to srptd.service" \
	bash -c "! ls '$ROOT'/etc/systemd/system/*.wants/srptd.service 2>/dev/null | grep -q ."
check "deb-systemd-helper knows the unit (debian-installed)" \
	chroot "$ROOT" env DPKG_MAINTSCRIPT_PACKAGE=srptd \
	deb-systemd-helper debian-installed srptd.service
check "deb-systemd-helper: not enabled by the package (was-enabled false)" \
	bash -c "! chroot '$ROOT' env DPKG_MAINTSCRIPT_PACKAGE=srptd \
		deb-systemd-helper was-enabled srptd.service"
check_root "srptd --check-config /etc/srptd.conf (the shipped example)" \
	srptd --check-config /etc/srptd.conf

# --- srptd: the installed daemon and srptadm ------------------------------
# start_daemon: srptd -f in the chroot as srptd(8) says (systemd is not
# PID 1 here), until it logs that it is ready.
dlog=$ROOT/srptd.log
start_daemon() {
	chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		srptd --foreground -c /etc/srptd.conf >"$dlog" 2>&1 &
	daemon_pid=$!
	SHTEST_LOG=$dlog
	if wait_for "srptd notice: ready" "$dlog" 30; then
		ok "$1: srptd --foreground starts and is ready"
	else
		fail "$1: srptd --foreground starts and is ready"
	fi
}
stop_daemon() {
	local rc

	kill -TERM "$daemon_pid"
	wait "$daemon_pid"
	rc=$?
	daemon_pid=""
	[ "$rc" = 0 ] && ok "$1: SIGTERM: srptd exits 0" ||
		fail "$1: SIGTERM: srptd exits 0 (exit $rc)"
	SHTEST_LOG=""
}
# adm [setpriv options --] ARGS...: the installed srptadm in the chroot
# (as root, or through setpriv as another user); sets rc, out.
adm() {
	local as=()

	if [ "$1" = --as ]; then
		as=(setpriv --reuid="$2" --regid="$2" --init-groups)
		shift 2
	fi
	out=$(chroot "$ROOT" "${as[@]}" srptadm "$@" 2>&1)
	rc=$?
}
# expect NAME RC ERE: the last adm's exit status and output.
expect() {
	if [ "$rc" = "$2" ] && grep -qE -- "$3" <<<"$out"; then
		ok "$1"
	else
		fail "$1 (exit $rc, want $2; want /$3/)"
		sed 's/^/  | /' <<<"$out" | tail -n 20
	fi
}

start_daemon "shipped example"
adm status
expect "srptadm status: running, waiting for RDMA devices" 0 \
	"^srptd $version running.*" 
expect "srptadm status: no RDMA device here" 0 "fabric: +waiting for RDMA devices"
adm devices
expect "srptadm devices: the example's disk0 (sparse file) and scratch (null)" 0 \
	"disk0 +online.*/var/lib/srptd/disk0.img +tgt0/0"
check "the example created /var/lib/srptd/disk0.img" \
	test -f "$ROOT/var/lib/srptd/disk0.img"
adm stats
expect "srptadm stats" 0 "^DEVICE +READS"
adm targets
expect "srptadm targets" 0 "^tgt0 +auto +auto +no +default-map"
adm config check
expect "srptadm config check" 0 "configuration OK"
stop_daemon "shipped example"

# --- a configuration written from srptd.conf(5) alone ---------------------
# A file-backed LUN for one group of initiators, the socket open to a
# group, the metrics endpoint on the loopback.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
in_root groupadd storage && in_root useradd -G storage alice &&
	in_root useradd bob || fail "groupadd/useradd in the chroot"
cat >"$ROOT/etc/srptd.conf" <<EOF
version = 1;
daemon: {
  control_group = "storage";
  metrics = "127.0.0.1:$port";
};
devices = (
  { name = "vol1"; path = "/srv/vol1.img"; create = true; size = "64M"; }
);
targets = (
  { name = "t1";
    groups = (
      { name = "hosts";
        initiators = [ "fe80:0000:0000:0000:0002:c903:000f:1367" ];
        lun_map = ( { lun = 0; device = "vol1"; } ); }
    ); }
);
EOF
check_root "srptd --check-config on a file-backed LUN per srptd.conf(5)" \
	srptd --check-config /etc/srptd.conf
start_daemon "file-backed LUN"
adm devices
expect "srptadm devices: vol1 online, mapped to the group" 0 \
	"vol1 +online +io_uring +64.0 MiB .*/srv/vol1.img +t1:hosts/0"
check "socket is root's, group storage, mode 0660" \
	grep -qx "srw-rw---- 0 $(chroot "$ROOT" getent group storage | cut -d: -f3)" \
	<(stat -c '%A %u %g' "$ROOT/run/srptd/srptd.sock")
adm --as alice status
expect "srptadm as a member of daemon.control_group" 0 "^srptd $version running"
adm --as bob status
expect "srptadm as another user is refused (exit 3)" 3 "Permission denied"
metrics=$(curl -sf --max-time 15 "http://127.0.0.1:$port/metrics")
check "daemon.metrics serves /metrics: vol1 online" \
	grep -qx 'srptd_device_online{device="vol1"} 1' <<<"$metrics"
stop_daemon "file-backed LUN"

# --- remove keeps an edited conffile, purge leaves nothing of ours ---------
# A reservation state file stands for what srptd writes with APTPL; the
# LUN image the example created is the admin's data and stays.
touch "$ROOT/var/lib/srptd/pr-6001405f2e9c43b7a1d0000000000001.state"
check_root "dpkg -r srptd" dpkg -r srptd
check "after remove: dpkg -s says config-files" \
	grep -qx "Status: deinstall ok config-files" <(chroot "$ROOT" dpkg -s srptd)
check "after remove: the programs are gone" test ! -e "$ROOT/usr/sbin/srptd"
check "after remove: the edited /etc/srptd.conf is kept" \
	grep -q 'control_group = "storage"' "$ROOT/etc/srptd.conf"
check_root "dpkg -P srptd" dpkg -P srptd
left=$(cd "$ROOT" && find etc lib usr var \( -iname '*srptd*' -o -name 'pr-*.state' \) \
	! -path 'var/lib/srptd/disk0.img' ! -path 'var/lib/srptd' \
	! -path 'usr/src/*' 2>/dev/null)
check "after purge: no file of ours left (LUN images aside): ${left:-none}" test -z "$left"
check "after purge: /etc/srptd.conf is gone" test ! -e "$ROOT/etc/srptd.conf"
check "after purge: the example's LUN image is kept" \
	test -f "$ROOT/var/lib/srptd/disk0.img"

# --- srptd-isdm-dkms ------------------------------------------------------
# No headers for the running kernel (nor any other) in the chroot: dkms's
# postinst adds the module and builds nothing, and the install succeeds.
t0=$(date +%s)
check_root "apt-get install --no-install-recommends ./srptd-isdm-dkms.deb without kernel headers" \
	apt-get install -y -q --no-install-recommends "/debs/${dkms##*/}"
check "dkms status: srptd-isdm/$isdm added" \
	grep -q "^srptd-isdm/$isdm: added" <(chroot "$ROOT" dkms status)
# The kernel the VM suite boots: linux-image-amd64's dependency
# (tests/vm/run.sh).  Its headers' postinst runs DKMS's autoinstall.
kver=$(chroot "$ROOT" apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' | head -n 1)
if [ -z "$kver" ]; then
	fail "the VM kernel's version from apt-cache depends linux-image-amd64"
else
	check_root "apt-get install linux-headers-$kver (its hook runs dkms build, install)" \
		apt-get install -y -q --no-install-recommends "linux-headers-$kver"
	check "dkms status: srptd-isdm/$isdm installed for $kver" \
		grep -q "^srptd-isdm/$isdm, $kver, [^:]*: installed" <(chroot "$ROOT" dkms status)
	ko=$(cd "$ROOT" && ls lib/modules/"$kver"/updates/dkms/srptd_isdm.ko* 2>/dev/null)
	check "srptd_isdm.ko built for $kver (modinfo vermagic)" \
		grep -q "^vermagic: *$kver " <(chroot "$ROOT" modinfo -F vermagic "/$ko" | sed 's/^/vermagic: /')
	check_root "dpkg -P srptd-isdm-dkms" dpkg -P srptd-isdm-dkms
	check "after purge: the module and DKMS tree are gone" \
		test -z "$(cd "$ROOT" && ls -d var/lib/dkms/srptd-isdm usr/src/srptd-isdm-* \
			lib/modules/*/updates/dkms/srptd_isdm.ko* 2>/dev/null)"
fi
echo "srptd-isdm-dkms checks in $(($(date +%s) - t0)) s"

finish

#!/bin/bash
# tests/vm/run.sh -- boot Debian's kernel in QEMU (TCG) with Soft-RoCE and
# run the SRP suite: the Linux ib_srp initiator against an SRP target in the
# same guest (LIO ib_srpt as the reference, srptd as the target under test).
#
# Usage: tests/vm/run.sh [options]      (as root on Debian 12; see README.md)
#   --target LIST   lio | srptd | lio,srptd | all (default: srptd)
#   --srptd PATH    srptd binary for the guest   (default: build/src/srptd
#                   if it exists)
#   --srptd-b PATH  a second srptd build for the perf group's in-boot A/B
#                   (target "srptdb": srptd restarted with it for its
#                   runs; B/A printed beside srptd/LIO)
#   --srptadm PATH  srptadm binary for the guest (default: tools/srptadm
#                   beside the srptd binary, as the build tree has it)
#   --demo          boot, log in, show what the initiator sees; no checks
#   --exec FILE     run FILE (sh) in the guest instead of the suite
#   --copy FILE     also put executable FILE (and its libraries) in the
#                   guest's /usr/local/bin; repeatable (test clients)
#   --checks LIST   comma list of check groups (default all; see suite.sh;
#                   an unknown name is refused, "none" runs only the
#                   fabric checks and a login)
#   --srptd-caps L  run srptd (root) with only these capabilities, as the
#                   unit's CapabilityBoundingSet= does: comma list without
#                   the cap_ prefix (ipc_lock,net_admin) or "none"; via
#                   setpriv, with RLIMIT_MEMLOCK unlimited (LimitMEMLOCK=)
#   --srptd-set SECTION.KEY=VALUE  a setting for every srptd configuration
#                   the guest writes (target-srptd.sh srptd_conf_set), e.g.
#                   daemon.busy_poll_us=200 for the perf group; SECTION is
#                   a top-level group (daemon, fabric, backend_defaults);
#                   VALUE a number, true/false, or a string without spaces
#                   or commas; repeatable
#   --srptd-strace  run srptd under strace -f; at each stop an INFO line
#                   lists the system calls it made (SystemCallFilter=)
#   --timeout SEC   guest watchdog (default 900); qemu is killed 120 s later
#   --repeat N      run each multipath scenario N times (--checks
#                   multipath; default 1)
#   --mp-seconds S  fio time per multipath scenario run (default 45)
#   --mp-scsi-timeout S  SCSI command timeout of the multipath path disks
#                   (default 30, sd's default; blktests' srp group uses 1)
#   --cf-tests T    iscsi-test-cu test family/suite for --checks conformance
#                   (default SCSI)
#   --cf-seconds S  time limit of iscsi-test-cu per target (default 900)
#   --perf-rounds N rounds of the perf group (--checks perf; default 3)
#   --perf-seconds S  fio time per job, target and round (default 20)
#   --perf-jobs L   comma list of perf jobs (default all: 4k-randread-qd32,
#                   4k-randwrite-qd32, 128k-read-qd32, 1m-write-qd8)
#   --perf-strace-seconds S  fio time per job of the strace pass against
#                   srptd (default 10; 0 skips it)
#   --perf-profile-seconds S  a profile pass per job and target: perf
#                   record -a (cpu-clock) for S seconds of fio, top
#                   symbols and the split by process (default 0: none)
#   --perf-wakeups-seconds S  a wake-up pass per job and target: perf
#                   record -a -g of sched_wakeup for S seconds of fio,
#                   who wakes whom and from where (default 0: none)
#   --perf-pin      fio on vCPU 0 for every target, srptd's threads on the
#                   other vCPUs (as systemd's CPUAffinity= would): the
#                   application and the target apart (default: the
#                   scheduler places both)
#   --accel A       tcg (default) or kvm
#   --no-deps       do not run scripts/install-deps.sh --vm
#   --gcov DIR      the binary was built with gcc --coverage in build
#                   directory DIR: the guest adds its line counters to
#                   DIR's .gcda files (scripts/coverage.sh --vm)
#
# Output: the guest's "PASS name" / "FAIL name: reason" / "SKIP name: why" /
# "INFO k=v" lines, the console log if anything failed, and as the last line
# "N passed, N failed, N skipped".  Exit 0 only if nothing failed and at
# least one check passed, in every mode: a guest script that exits non-zero
# is a failure (guest/init), one that reports nothing too.  A skipped check
# fails the run when SRPTD_TEST_NO_SKIP=1 (scripts/check.sh sets it;
# doc/testing.md).  Artefacts of the last runs: tests/vm/.cache/runs/.
set -euo pipefail

# The whole script is one function, read completely before it runs, so
# editing run.sh cannot disturb runs in progress (bash otherwise reads a
# script as it goes).
main() {

# srptd's verbs fabric accepts logins (since 5d0597f and earlier), so the
# suite tests srptd by default; LIO stays available as the reference.
DEFAULT_TARGET=srptd

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=$here/.cache
. "$here/host/lib.sh"

target=$DEFAULT_TARGET
srptd=
srptd_b=
srptadm=
mode=suite
exec_file=
copies=()
checks=all
wd=900
accel=tcg
deps=1
gcov=
repeat=1
mpsec=45
mptmo=30
srptd_caps=
srptd_strace=0
srptd_set=
cftests=SCSI
cfsec=900
wd_given=0
perfrounds=3
perfsec=20
perfjobs=all
perfstrace=10
perfprofile=0
perfwake=0
perfpin=0

while [ $# -gt 0 ]; do
	case $1 in
	--target) target=$2; shift ;;
	--target=*) target=${1#*=} ;;
	--srptd) srptd=$2; shift ;;
	--srptd=*) srptd=${1#*=} ;;
	--srptd-b) srptd_b=$2; shift ;;
	--srptadm) srptadm=$2; shift ;;
	--srptadm=*) srptadm=${1#*=} ;;
	--demo) mode=demo ;;
	--exec) mode=exec; exec_file=$2; shift ;;
	--copy) copies+=("$(realpath "$2")"); shift ;;
	--checks) checks=$2; shift ;;
	--srptd-caps) srptd_caps=$2; shift ;;
	--srptd-strace) srptd_strace=1 ;;
	--srptd-set)
		case $2 in
		[a-z]*.[a-z]*=?*) ;;
		*) echo "run.sh: --srptd-set $2: not SECTION.KEY=VALUE" >&2; exit 2 ;;
		esac
		case $2 in
		*[\ ,\"\'\;]*) echo "run.sh: --srptd-set $2: no spaces, commas, quotes or semicolons" >&2; exit 2 ;;
		esac
		srptd_set=${srptd_set:+$srptd_set,}$2
		shift
		;;
	--timeout) wd=$2; wd_given=1; shift ;;
	--perf-rounds) perfrounds=$2; shift ;;
	--perf-seconds) perfsec=$2; shift ;;
	--perf-jobs) perfjobs=$2; shift ;;
	--perf-strace-seconds) perfstrace=$2; shift ;;
	--perf-profile-seconds) perfprofile=$2; shift ;;
	--perf-wakeups-seconds) perfwake=$2; shift ;;
	--perf-pin) perfpin=1 ;;
	--accel) accel=$2; shift ;;
	--no-deps) deps=0 ;;
	--repeat) repeat=$2; shift ;;
	--mp-seconds) mpsec=$2; shift ;;
	--mp-scsi-timeout) mptmo=$2; shift ;;
	--cf-tests) cftests=$2; shift ;;
	--cf-seconds) cfsec=$2; shift ;;
	--gcov) gcov=$(realpath "$2"); shift ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ "$target" = all ] && target=lio,srptd
case ,$target, in
*,lio,* | *,srptd,*) ;;
*) echo "run.sh: --target must be lio, srptd or lio,srptd" >&2; exit 2 ;;
esac
# A misspelt group would run nothing and pass: refuse names that no guest
# script asks for (the want/want_named calls are the list, guest/suite.sh;
# "none": the fabric checks and a login only).
_groups=" all none $(grep -ohE 'want(_named)? [a-z0-9-]+' "$here"/guest/*.sh |
	awk '{ print $2 }' | sort -u | tr '\n' ' ')"
for _g in $(echo "$checks" | tr ',' ' '); do
	case $_groups in
	*" $_g "*) ;;
	*) echo "run.sh: unknown check group '$_g' (known:$_groups)" >&2
	   exit 2 ;;
	esac
done
perf=0
case ,$checks, in *,perf,*) perf=1 ;; esac
if [ "$perf" = 1 ] && [ "$wd_given" = 0 ]; then
	# Each run: fio, a login and a logout (about 15 s under TCG); the
	# strace pass; the other groups' default allowance on top.
	_nj=$(echo "$perfjobs" | tr ',' '\n' | wc -l)
	[ "$perfjobs" = all ] && _nj=4
	wd=$((wd + perfrounds * _nj * 2 * (perfsec + 20) + _nj * (perfstrace + 25)))
	# the B runs, each with two restarts of srptd
	[ -n "$srptd_b" ] && wd=$((wd + perfrounds * _nj * (perfsec + 60)))
	wd=$((wd + _nj * 2 * (perfprofile + 120)))
	[ "$perfwake" -gt 0 ] && wd=$((wd + _nj * 2 * (perfwake + 120)))
fi
if [ -z "$srptd" ] && [ -x "$top/build/src/srptd" ]; then
	srptd=$top/build/src/srptd
fi
if [ -n "$srptd" ]; then
	[ -x "$srptd" ] || { echo "run.sh: --srptd $srptd: not an executable" >&2; exit 2; }
	srptd=$(realpath "$srptd")
	# the build tree has src/srptd and src/tools/srptadm
	if [ -z "$srptadm" ] && [ -x "$(dirname "$srptd")/tools/srptadm" ]; then
		srptadm=$(dirname "$srptd")/tools/srptadm
	fi
fi
if [ -n "$srptd_b" ]; then
	[ -x "$srptd_b" ] || { echo "run.sh: --srptd-b $srptd_b: not an executable" >&2; exit 2; }
	srptd_b=$(realpath "$srptd_b")
fi
if [ -n "$srptadm" ]; then
	[ -x "$srptadm" ] || { echo "run.sh: --srptadm $srptadm: not an executable" >&2; exit 2; }
	srptadm=$(realpath "$srptadm")
fi

log() { echo "run.sh: $*" >&2; }
t_start=$(date +%s.%N)
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# -------------------------------------------------------------- deps ----
if [ "$deps" = 1 ]; then
	"$top/scripts/install-deps.sh" --vm >&2
fi
mkdir -p "$cache"

# ------------------------------------------------------------ kernel ----
# Debian's current kernel package, downloaded and unpacked, never installed.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
if [ -z "$kpkg" ]; then
	apt-get update -qq >&2
	kpkg=$(apt-cache depends linux-image-amd64 |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
fi
[ -n "$kpkg" ] || { log "cannot find Debian's kernel package"; exit 1; }
kver=${kpkg#linux-image-}
kpkgver=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
kdir=$cache/kernel/$kver-$kpkgver
if [ ! -s "$kdir/vmlinux" ]; then
	t0=$(date +%s.%N)
	log "fetching $kpkg $kpkgver"
	ktmp=$cache/kernel/.tmp.$$
	rm -rf "$ktmp"
	mkdir -p "$ktmp/dl"
	(cd "$ktmp/dl" && apt-get download -q "$kpkg=$kpkgver" 2>&1 |
		grep -v 'unsandboxed' >&2 || :)
	deb=$(ls "$ktmp"/dl/*.deb)
	dpkg-deb -x "$deb" "$ktmp/root"
	rm -rf "$ktmp/dl"
	depmod -b "$ktmp/root" "$kver"
	"$here/host/extract-vmlinux.sh" "$ktmp/root/boot/vmlinuz-$kver" \
		"$ktmp/vmlinux" >&2
	for old in "$cache"/kernel/*; do # previous kernels
		[ "$old" = "$kdir" ] || rm -rf "$old"
	done
	rm -rf "$kdir"
	mv "$ktmp" "$kdir"
	log "kernel ready in $(secs "$t0") s"
fi

# ------------------------------------------------- base initramfs ----
# Keyed by kernel, the builder scripts and the versions of every package
# whose files it copies.
key=$({
	cat "$here/host/mkinitramfs.sh" "$here/host/lib.sh"
	echo "$kver $kpkgver"
	dpkg-query -W busybox-static dash kmod iproute2 ibverbs-utils \
		ibverbs-providers libibverbs1 librdmacm1 libibumad3 rdmacm-utils fio sg3-utils \
		lsscsi util-linux coreutils libc6 multipath-tools udev dmsetup \
		libdevmapper1.02.1 e2fsprogs libiscsi-bin libiscsi7 libcunit1 \
		2>/dev/null
} | sha256sum | cut -c1-16)
base=$cache/initramfs-$kver-$key.cpio
if [ ! -s "$base" ]; then
	t0=$(date +%s.%N)
	"$here/host/mkinitramfs.sh" "$kdir/root" "$kver" "$base" >&2
	for old in "$cache"/initramfs-*.cpio; do
		[ "$old" = "$base" ] || rm -f "$old"
	done
	log "base initramfs built in $(secs "$t0") s"
fi

# ----------------------------------------------------------- overlay ----
mkdir -p "$cache/runs"
run=$cache/runs/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$run"
echo $$ >"$run/pid"
# Keep the last five runs; never remove one whose run.sh is still alive
# (several people may share this cache).
(cd "$cache/runs" && ls -1d -- */ 2>/dev/null | head -n -5 | while read -r d; do
	p=$(cat "$d/pid" 2>/dev/null || :)
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && continue
	rm -rf "$d"
done)
ov=$run/overlay
merged_root "$ov"
mkdir -p "$ov/vm"
cp "$here/guest/init" "$ov/init"
chmod 755 "$ov/init"
cp "$here"/guest/*.sh "$here"/guest/*.in "$ov/vm/" 2>/dev/null || :
if [ -n "$exec_file" ]; then
	cp "$exec_file" "$ov/vm/exec.sh"
fi
# setpriv (util-linux) is not in the base image: only these runs need it.
[ -n "$srptd_caps" ] && copies+=(/usr/bin/setpriv)
[ "$srptd_strace" = 1 ] || [ "$perf" = 1 ] && copies+=(/usr/bin/strace)
# perf (linux-perf, scripts/install-deps.sh --vm) for the profile and
# wake-up passes
[ "$perf" = 1 ] && [ "$((perfprofile + perfwake))" -gt 0 ] && copies+=(/usr/bin/perf)
for _c in "${copies[@]}"; do
	[ -x "$_c" ] || { echo "run.sh: --copy $_c: not an executable" >&2; exit 2; }
	mkdir -p "$ov/usr/local/bin"
	cp "$_c" "$ov/usr/local/bin/"
	copy_libs "$ov" "$_c"
done
if [ -n "$srptd" ]; then
	mkdir -p "$ov/usr/sbin"
	cp "$srptd" "$ov/usr/sbin/srptd"
	copy_libs "$ov" "$srptd"
	if [ -n "$srptd_b" ]; then
		cp "$srptd_b" "$ov/usr/sbin/srptd-b"
		copy_libs "$ov" "$srptd_b"
	fi
	# libraries srptd needs that the base image lacks end up here too
	mkdir -p "$ov/etc"
	printf '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' >"$ov/etc/ld.so.conf"
fi
if [ -n "$srptadm" ]; then
	# the admin checks drive srptd through srptadm and read its --json
	# output with jq (target-srptd.sh adm)
	mkdir -p "$ov/usr/sbin" "$ov/usr/bin"
	cp "$srptadm" "$ov/usr/sbin/srptadm"
	copy_libs "$ov" "$srptadm"
	cp /usr/bin/jq "$ov/usr/bin/jq"
	copy_libs "$ov" /usr/bin/jq
fi
if [ -n "$gcov" ]; then
	# libgcov adds to an existing .gcda at exit, so the host's files go to
	# the guest's GCOV_PREFIX (/gcov) and come back with the guest's counts.
	mkdir -p "$ov/gcov"
	(cd / && find "${gcov#/}" -name '*.gcda' -print0 |
		tar -c --null -T - -f -) | tar -x -C "$ov/gcov" -f -
fi
mkcpio "$ov" "$run/overlay.cpio"
cat "$base" "$run/overlay.cpio" >"$run/initrd.cpio"
rm -rf "$ov"

# -------------------------------------------------------------- boot ----
# log_buf_len: the guest finds a command's kernel messages by counting
# dmesg lines before it (lib.sh srp_login, suite.sh); once the default
# 256 KiB ring wraps the count stops growing and those messages are lost
# (a lio,srptd run wrapped it 230 s in and missed an "Already connected").
# no_timer_check: on a loaded host TCG can be too slow for the kernel's
# check that the 8254 timer interrupt arrives through the IO-APIC, which
# then panics ("IO-APIC + timer doesn't work!", 6 Dec 2026, load 21).
append="console=ttyS0 panic=-1 mitigations=off no_timer_check log_buf_len=16M"
append="$append vmrig.mode=$mode"
append="$append vmrig.targets=$target vmrig.wd=$wd vmrig.checks=$checks"
append="$append vmrig.repeat=$repeat vmrig.mpsec=$mpsec vmrig.mptmo=$mptmo"
[ -n "$srptd_caps" ] && append="$append vmrig.srptdcaps=$srptd_caps"
[ "$srptd_strace" = 1 ] && append="$append vmrig.srptdstrace=1"
[ -n "$srptd_set" ] && append="$append vmrig.srptdset=$srptd_set"
append="$append vmrig.cftests=$cftests vmrig.cfsec=$cfsec"
append="$append vmrig.perfrounds=$perfrounds vmrig.perfsec=$perfsec"
append="$append vmrig.perfjobs=$perfjobs vmrig.perfstrace=$perfstrace"
append="$append vmrig.perfprofile=$perfprofile vmrig.perfwake=$perfwake"
append="$append vmrig.perfpin=$perfpin"
[ -n "$srptd_b" ] && append="$append vmrig.srptdb=1"
serial3=()
if [ -n "$gcov" ]; then
	append="$append vmrig.gcov=1" # counters come back on ttyS2
	serial3=(-serial "file:$run/gcov.log")
fi
log "booting ($accel, watchdog ${wd} s, target $target, mode $mode, run dir $run)"
t_boot=$(date +%s.%N)
set +e
timeout -k 10 $((wd + 120)) qemu-system-x86_64 -accel "$accel" \
	-m 2048 -smp 2 -nodefaults -nographic -no-reboot -monitor none \
	-kernel "$kdir/vmlinux" -initrd "$run/initrd.cpio" -append "$append" \
	-serial "file:$run/console.log" -serial "file:$run/results.log" \
	"${serial3[@]}" </dev/null >"$run/qemu.log" 2>&1
qrc=$?
set -e
rm -f "$run/initrd.cpio"
log "qemu exited with $qrc after $(secs "$t_boot") s"
if [ -n "$gcov" ]; then
	mkdir -p "$run/gcov"
	if base64 -d <"$run/gcov.log" | tar -x -C "$run/gcov" -f - &&
		[ -d "$run/gcov$gcov" ]; then
		cp -r "$run/gcov$gcov/." "$gcov/"
		log "gcov: $(find "$run/gcov$gcov" -name '*.gcda' | wc -l) .gcda files back in $gcov"
	else
		log "gcov: no counters came back from the guest"
	fi
fi

# ----------------------------------------------------------- results ----
tr -d '\r' <"$run/results.log" >"$run/results.txt" || :
pass=0
failn=0
skipn=0
ended=0
demo_out=0
while IFS= read -r line; do
	case $line in
	PASS\ *) pass=$((pass + 1)); echo "$line" ;;
	FAIL\ *) failn=$((failn + 1)); echo "$line" ;;
	SKIP\ *) skipn=$((skipn + 1)); echo "$line" ;;
	INFO\ *) echo "$line" ;;
	END) ended=1 ;;
	*) [ "$mode" = suite ] || echo "$line" ;;
	esac
done <"$run/results.txt"
if [ "$ended" = 0 ]; then
	echo "FAIL vm: guest did not finish (qemu exit $qrc; crash, hang or watchdog)"
	failn=$((failn + 1))
fi
if [ "$pass" = 0 ] && [ "$failn" = 0 ]; then
	echo "FAIL vm: no check passed or failed (mode $mode)"
	failn=$((failn + 1))
fi
if [ "$skipn" -gt 0 ] && [ "${SRPTD_TEST_NO_SKIP:-0}" = 1 ]; then
	echo "FAIL vm: $skipn check(s) skipped; SRPTD_TEST_NO_SKIP=1 counts a skip as a failure"
	failn=$((failn + 1))
fi
if [ "$failn" -gt 0 ]; then
	echo "----- console log ($run/console.log) -----"
	tr -d '\r' <"$run/console.log" || :
	echo "----- qemu -----"
	cat "$run/qemu.log" || :
	echo "----- end of logs -----"
fi
log "total $(secs "$t_start") s"
echo "$pass passed, $failn failed, $skipn skipped"
if [ "$failn" = 0 ] && [ "$pass" -gt 0 ]; then
	exit 0
fi
exit 1
}

main "$@"

#!/bin/sh
# mkinitramfs.sh KROOT KVER OUT
#
# Build the base initramfs of the VM suite: a busybox userspace with dash as
# /bin/sh, kmod, the RDMA / SRP / LIO modules of kernel KVER (unpacked under
# KROOT) with their dependencies, and the host's RDMA and SCSI tools with
# their libraries.  Everything test-specific goes into the per-run overlay
# (run.sh), so this image only changes with the kernel or the package set and
# is cached by run.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

kroot=$1
kver=$2
out=$3
stage=$(mktemp -d "${TMPDIR:-/tmp}/vmrig-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# Modules the suite loads; modprobe --show-depends adds what they need.
MODULES="rdma_rxe ib_core ib_uverbs rdma_cm rdma_ucm ib_cm iw_cm ib_umad
ib_srp scsi_transport_srp sd_mod sg ib_srpt target_core_mod target_core_file
target_core_iblock veth configfs crc32c_generic crc32c-intel crc32_generic
crc32-pclmul brd
dm_mod dm_multipath dm_service_time dm_round_robin dm_queue_length
scsi_dh_alua scsi_dh_emc scsi_dh_rdac ext4"

# Host binaries copied with their ldd libraries.
BINARIES="/usr/bin/dash /usr/bin/kmod /usr/sbin/ip /usr/bin/rdma
/usr/bin/ibv_devinfo /usr/bin/ibv_devices /usr/bin/ibv_rc_pingpong /usr/bin/rping
/usr/bin/fio
/usr/bin/sg_inq /usr/bin/sg_vpd /usr/bin/sg_readcap /usr/bin/sg_luns
/usr/bin/sg_modes /usr/bin/sg_opcodes /usr/bin/sg_rtpg /usr/bin/sg_reset
/usr/bin/sg_turs /usr/bin/sg_raw /usr/bin/lsscsi /usr/sbin/blockdev
/usr/bin/timeout /usr/bin/stty
/usr/bin/iscsi-test-cu
/usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav34.so
/usr/lib/x86_64-linux-gnu/librdmacm.so.1
/usr/lib/x86_64-linux-gnu/libibumad.so.3"

# The multipath group (guest/multipath.sh): Debian's multipath-tools with
# its dlopen()ed checker and prioritizer plug-ins, device-mapper's dmsetup,
# and udev, which multipathd needs for the uevents of paths coming and
# going and for the WWIDs (scsi_id) it groups paths by; mke2fs for the
# filesystem on the map.
MP_BINARIES="/usr/sbin/multipath /usr/sbin/multipathd /usr/sbin/dmsetup
/usr/bin/udevadm /usr/lib/udev/scsi_id /usr/sbin/mke2fs
$(ls /usr/lib/multipath/*.so)"
# Only the rules that name block devices and device-mapper maps and run
# multipath; the others (RDMA, srp_daemon, drivers, input) would start
# services or load modules behind the suite's back.
MP_RULES="50-udev-default.rules 55-dm.rules 56-dm-mpath.rules 60-block.rules
60-persistent-storage.rules 60-persistent-storage-dm.rules
60-multipath.rules 95-dm-notify.rules"

merged_root "$stage"
mkdir -p "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/run" \
	"$stage/mnt" "$stage/etc/libibverbs.d" "$stage/root"

# shellcheck disable=SC2086
copy_elf "$stage" $BINARIES
cp /etc/libibverbs.d/rxe.driver "$stage/etc/libibverbs.d/"
# shellcheck disable=SC2086
copy_elf "$stage" $MP_BINARIES
# udevadm is systemd-udevd when called by that name
mkdir -p "$stage/usr/lib/systemd"
ln -sf ../../bin/udevadm "$stage/usr/lib/systemd/systemd-udevd"
ln -sf mke2fs "$stage/usr/sbin/mkfs.ext4"
mkdir -p "$stage/usr/lib/udev/rules.d" "$stage/etc/udev"
for r in $MP_RULES; do
	cp "/usr/lib/udev/rules.d/$r" "$stage/usr/lib/udev/rules.d/"
done
ln -sf dash "$stage/usr/bin/sh"
for t in modprobe insmod rmmod lsmod depmod modinfo; do
	ln -sf ../bin/kmod "$stage/usr/sbin/$t"
done

# busybox for everything else; it must not shadow the real tools (its ip
# applet cannot create a veth pair, its sh would replace dash).
cp /usr/bin/busybox "$stage/usr/bin/busybox"
for a in $(/usr/bin/busybox --list); do
	[ -e "$stage/usr/bin/$a" ] || [ -e "$stage/usr/sbin/$a" ] ||
		ln -s busybox "$stage/usr/bin/$a"
done

# Kernel modules and their dependencies.
mdir=lib/modules/$kver
mkdir -p "$stage/usr/$mdir"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -e "$kroot/$mdir/$f" ] && cp "$kroot/$mdir/$f" "$stage/usr/$mdir/"
done
for m in $MODULES; do
	modprobe -d "$kroot" -S "$kver" --show-depends "$m" |
		sed -n 's/^insmod \([^ ]*\).*/\1/p'
done | sort -u | while read -r ko; do
	rel=${ko#"$kroot"/}
	mkdir -p "$(dirname "$stage/usr/$rel")"
	cp "$ko" "$stage/usr/$rel"
done
depmod -b "$stage" "$kver"

printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"
: >"$stage/etc/fstab"
printf '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' >"$stage/etc/ld.so.conf"
ldconfig -r "$stage" 2>/dev/null || :

mkcpio "$stage" "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
echo "mkinitramfs: $(du -sh "$stage" | cut -f1) unpacked, $(du -h "$out" | cut -f1) cpio"

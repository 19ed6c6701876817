#!/bin/sh
# Install everything srptd needs to build, test and run its VM suite on
# Debian 12.  Idempotent; needs root.  Usage: scripts/install-deps.sh [--vm]
#   (no flag)  build + unit tests (with the Ceph mon and OSD that
#              tests/lib/ceph-cluster.sh starts for the rbd engine's tests)
#              + fuzzers + benchmarks + Debian packages
#              (debian/control's Build-Depends, lintian, and mmdebstrap for
#              the chroot tests/install/test_packages_install.sh installs
#              them into)
#   --vm       also what tests/vm needs (qemu, guest userspace, the VM
#              kernel's headers for contrib/srptd-isdm)
set -eu

if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: must run as root (apt-get)" >&2
	exit 1
fi

PKGS="build-essential cmake pkg-config git
clang clang-format libclang-rt-14-dev
libibverbs-dev librdmacm-dev libibumad-dev ibverbs-providers rdma-core
liburing-dev libaio-dev libconfig-dev libcmocka-dev libsystemd-dev
libjson-c-dev libmicrohttpd-dev curl valgrind fio gcovr python3 systemd
dpkg-dev debhelper dh-dkms lintian mmdebstrap
ceph-mon ceph-osd ceph-common librbd-dev"

VM_PKGS="qemu-system-x86 busybox-static dash kmod iproute2 sg3-utils lsscsi
xz-utils zstd cpio fio ibverbs-utils rdmacm-utils rdma-core srptools
multipath-tools udev dmsetup e2fsprogs libiscsi-bin jq linux-perf"

want="$PKGS"
if [ "${1:-}" = "--vm" ]; then
	# contrib/srptd-isdm is built against the headers of the kernel the VM
	# suite boots: linux-image-amd64's dependency (tests/vm/run.sh).
	kimg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
	if [ -z "$kimg" ]; then
		apt-get update -qq
		kimg=$(apt-cache depends linux-image-amd64 |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
	fi
	want="$PKGS $VM_PKGS linux-headers-${kimg#linux-image-}"
fi

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	echo "install-deps.sh: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
else
	echo "install-deps.sh: all dependencies present"
fi

#!/bin/sh
# Build srptd_isdm.ko out of tree against Debian's linux-headers for the
# kernel the VM suite boots (tests/vm/run.sh: linux-image-amd64's
# dependency), for CI and for tests/unit/fabric/dm_vm.sh.
#   contrib/srptd-isdm/build-test.sh OUT_DIR [KERNEL_VERSION]
# Leaves OUT_DIR/srptd_isdm.ko (executable, for run.sh --copy).  Fails
# when the headers are missing: scripts/install-deps.sh --vm installs them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-test.sh OUT_DIR [KERNEL_VERSION]}
kver=${2:-$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' | head -n 1)}
[ -n "$kver" ] || {
	echo "build-test.sh: cannot tell the VM kernel's version" >&2
	exit 1
}
kdir=/usr/src/linux-headers-$kver
[ -d "$kdir" ] || {
	echo "build-test.sh: $kdir missing (scripts/install-deps.sh --vm)" >&2
	exit 1
}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cp "$here/srptd_isdm.c" "$here/Kbuild" "$out/"
make -s -C "$kdir" M="$out" modules
ver=$(modinfo -F vermagic "$out/srptd_isdm.ko" | cut -d' ' -f1)
[ "$ver" = "$kver" ] || {
	echo "build-test.sh: built for '$ver', not $kver" >&2
	exit 1
}
chmod 755 "$out/srptd_isdm.ko"
echo "build-test.sh: $out/srptd_isdm.ko for $kver"

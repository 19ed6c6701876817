#!/bin/bash
# The Debian packages built by scripts/build-packages.sh, unpacked into a
# scratch root (dpkg-deb -x: no maintainer script touches this machine):
# everything test_install.sh checks for `cmake --install`
# (install_checks.sh) at Debian's paths, plus what only a package has --
# conffiles, the unit installed but not enabled, the programs run, the
# DKMS source tree, versions that agree with CMakeLists.txt, Build-Depends
# that agree with scripts/install-deps.sh -- and lintian finds no error.
# Usage: test_packages.sh DEB_DIR
set -u
DEBS=${1:?usage: test_packages.sh DEB_DIR}
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/srptd-pkg-test.XXXXXX")
trap 'rm -rf "$ROOT"' EXIT
here=$(dirname "$0")
top=$(cd "$here/../.." && pwd)
. "$here/../lib/shtest.sh"
. "$here/install_checks.sh"

# debian/control's Build-Depends and scripts/install-deps.sh's build set
# name the same libraries: each -dev package the script installs (but
# the fuzzers' compiler runtime and dpkg-dev itself) is a build
# dependency, and each build dependency is one the script installs.
bdeps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$top/debian/control" |
	sed 's/^Build-Depends://; /^[A-Z]/d' | tr ',' '\n' |
	sed 's/[[(<].*//; s/[[:space:]]//g' | grep -v '^$' | sort -u)
ideps=$(sed -n '/^PKGS="/,/"$/p' "$top/scripts/install-deps.sh" |
	tr -d '"' | sed 's/^PKGS=//' | tr ' ' '\n' | grep -v '^$' | sort -u)
missing=$(comm -23 <(grep -- '-dev$' <<<"$ideps" | grep -vE '^(libclang-rt-.*|dpkg-dev)$') \
	<(echo "$bdeps"))
extra=$(comm -23 <(grep -vE '^(debhelper-compat|dh-sequence-dkms)$' <<<"$bdeps") \
	<(echo "$ideps"))
[ -z "$missing$extra" ] &&
	ok "debian/control Build-Depends agree with scripts/install-deps.sh" ||
	fail "debian/control Build-Depends agree with scripts/install-deps.sh: missing [$missing] not installed by the script [$extra]"

version=$(sed -n 's/^project(srptd VERSION \([^ )]*\).*/\1/p' "$top/CMakeLists.txt")
deb=$DEBS/srptd_${version}_$(dpkg --print-architecture).deb
dkms=$DEBS/srptd-isdm-dkms_${version}_all.deb
check "srptd_${version} package built (debian/changelog = CMakeLists.txt version)" \
	test -f "$deb"
check "srptd-isdm-dkms_${version} package built" test -f "$dkms"
[ -f "$deb" ] && [ -f "$dkms" ] || finish
for d in "$deb" "$dkms"; do
	dpkg-deb -x "$d" "$ROOT" || fail "dpkg-deb -x $d"
done
dpkg-deb -e "$deb" "$ROOT/DEBIAN"

check_installed "$ROOT" /usr /lib/systemd/system/srptd.service
check "srptd --version runs and names the version" \
	grep -qF "$version" <("$ROOT/usr/sbin/srptd" --version 2>&1)
# srptadm itself (install_checks.sh checks it and its man page are there).
check "srptadm --help runs" "$ROOT/usr/sbin/srptadm" --help
# The completion, once the tree has it.
if [ -e "$top/contrib/bash-completion/srptadm" ]; then
	check "bash completion packaged" \
		test -f "$ROOT/usr/share/bash-completion/completions/srptadm"
fi
check "/etc/srptd.conf is a conffile" grep -qx /etc/srptd.conf "$ROOT/DEBIAN/conffiles"
check "/etc/rdma/modules/srptd.conf is a conffile" \
	grep -qx /etc/rdma/modules/srptd.conf "$ROOT/DEBIAN/conffiles"
check "example config also in /usr/share/doc/srptd/examples" \
	cmp "$ROOT/etc/srptd.conf" "$ROOT/usr/share/doc/srptd/examples/srptd.conf"
check "documentation in /usr/share/doc/srptd" \
	test -f "$ROOT/usr/share/doc/srptd/architecture.md.gz"
# debian/rules: installed, not enabled (the example config exports a LUN
# to every initiator).  dh_installsystemd --no-enable guards its enable
# with debian-installed: only a unit an admin enabled is enabled again.
check "postinst does not enable srptd.service on install" \
	grep -q "deb-systemd-helper debian-installed 'srptd.service'" \
	"$ROOT/DEBIAN/postinst"

isdm=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/contrib/srptd-isdm/dkms.conf")
src=$ROOT/usr/src/srptd-isdm-$isdm
check "DKMS source tree in /usr/src/srptd-isdm-$isdm" \
	test -f "$src/srptd_isdm.c" -a -f "$src/Kbuild" -a -f "$src/Makefile"
check "DKMS tree's dkms.conf is contrib/srptd-isdm's" \
	cmp "$src/dkms.conf" "$top/contrib/srptd-isdm/dkms.conf"
# What DKMS runs (dkms.conf's MAKE) on the packaged tree, against the
# headers of the kernel the VM suite boots (scripts/install-deps.sh --vm
# installs them; contrib/srptd-isdm/build-test.sh does the same from the
# source tree).
kver=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' | head -n 1)
if [ -n "$kver" ] && [ -d "/usr/src/linux-headers-$kver" ]; then
	cp -r "$src" "$ROOT/dkms-build"
	kdir=/usr/src/linux-headers-$kver
	check "the DKMS tree builds srptd_isdm.ko for $kver" bash -c \
		"make -s -C '$ROOT/dkms-build' KVER=$kver KDIR=$kdir &&
		 test -f '$ROOT/dkms-build/srptd_isdm.ko'"
else
	fail "the DKMS tree builds: no headers for the VM kernel '$kver' (scripts/install-deps.sh --vm)"
fi
check "srptd-isdm-dkms depends on dkms" \
	grep -qw dkms <(dpkg-deb -f "$dkms" Depends)

if command -v lintian >/dev/null; then
	changes=$(ls "$DEBS"/*.changes 2>/dev/null | head -n 1)
	out=$(lintian --fail-on error ${changes:-"$deb" "$dkms"} 2>&1)
	rc=$?
	out=$(grep -v '^running with root privileges' <<<"$out")
	[ "$rc" = 0 ] && ! grep -q '^E:' <<<"$out" && ok "lintian: no errors" ||
		fail "lintian: no errors (exit $rc)"
	# Warnings and notes are listed, not counted.
	[ -z "$out" ] || sed 's/^/  lintian: /' <<<"$out"
else
	fail "lintian not installed (scripts/install-deps.sh --pkg)"
fi

finish

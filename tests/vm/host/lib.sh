# Helpers shared by the host-side VM scripts (sourced, POSIX sh).

# copy_file ROOT PATH: copy PATH (following symlinks) to ROOT/PATH.
copy_file() {
	[ -e "$1$2" ] && return 0
	mkdir -p "$(dirname "$1$2")"
	cp -L "$2" "$1$2"
}

# copy_libs ROOT FILE: copy every library ldd reports for FILE to ROOT.
copy_libs() {
	for _l in $(ldd "$2" 2>/dev/null |
		sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
		copy_file "$1" "$_l"
	done
}

# copy_elf ROOT PATH...: copy executables or libraries together with every
# library ldd reports (the guest runs the host's Debian userspace).
copy_elf() {
	_root=$1
	shift
	for _f in "$@"; do
		[ -e "$_f" ] || {
			echo "copy_elf: $_f missing" >&2
			return 1
		}
		copy_file "$_root" "$_f"
		copy_libs "$_root" "$_f"
	done
}

# merged_root ROOT: the Debian 12 usr-merged layout (/bin -> usr/bin, ...).
merged_root() {
	mkdir -p "$1/usr/bin" "$1/usr/sbin" "$1/usr/lib" "$1/usr/lib64"
	for _d in bin sbin lib lib64; do
		[ -e "$1/$_d" ] || ln -s "usr/$_d" "$1/$_d"
	done
}

# mkcpio DIR OUT: newc archive of DIR (uncompressed: the guest unpacks it
# faster than it could decompress it under TCG).
mkcpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc --quiet -R 0:0) >"$2"
}

#!/bin/sh
# extract-vmlinux.sh BZIMAGE OUT
#
# Pull the uncompressed ELF kernel out of a bzImage so QEMU can boot it
# through its PVH entry point (-kernel vmlinux), which skips the real-mode
# setup and the in-guest decompression: ~5 s to /init under TCG instead of
# ~14 s through SeaBIOS.
#
# A bzImage is a small setup/decompressor followed by the compressed kernel
# as one stream.  We look for the magic bytes of each compressor Debian's
# kernels may use, try to decompress from every hit, and keep the first
# output that starts with the ELF magic.  Trailing bytes after the stream
# (the decompressor's tail) make some tools exit non-zero, so the exit code
# is ignored and only the ELF header decides.
set -eu

in=$1
out=$2
tmp=$out.tmp
LC_ALL=C
export LC_ALL

# name  grep -P pattern of the stream's magic  decompress command (stdin)
try_all() {
	while read -r name magic cmd; do
		for off in $(grep -obUaP "$magic" "$in" 2>/dev/null |
			cut -d: -f1 | head -n 8); do
			tail -c +"$((off + 1))" "$in" | $cmd >"$tmp" 2>/dev/null || :
			if [ "$(head -c 4 "$tmp" | od -An -tx1 | tr -d ' \n')" = \
				"7f454c46" ]; then
				mv "$tmp" "$out"
				echo "extract-vmlinux: $name stream at offset $off"
				return 0
			fi
		done
	done <<EOF
xz \xfd7zXZ\x00 xz -dc --single-stream
zstd \x28\xb5\x2f\xfd zstd -dc
gzip \x1f\x8b\x08 gzip -dc
lzma \x5d\x00\x00\x00 xz -dc --format=lzma
bzip2 BZh bzip2 -dc
EOF
	return 1
}

if ! try_all; then
	rm -f "$tmp"
	echo "extract-vmlinux: no ELF kernel found in $in" >&2
	exit 1
fi

#!/bin/sh
# Apply (or with --check, verify) .clang-format on every C source we own.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' '*.h.in' | grep -v '^tests/vm/' || true)
[ -n "$files" ] || exit 0
if [ "${1:-}" = "--check" ]; then
	# shellcheck disable=SC2086
	if ! clang-format --dry-run --Werror $files; then
		echo "format check failed: run scripts/format.sh" >&2
		exit 1
	fi
	echo "format check: $(echo "$files" | wc -l) files OK"
else
	# shellcheck disable=SC2086
	clang-format -i $files
fi

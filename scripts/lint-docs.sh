#!/bin/sh
# Keep what the repository says about itself true.  Run by scripts/check.sh;
# exit 1 listing every problem.
#  1. Comments cite this repository's files or public specs, never notes
#     that live outside it (house style; doc/ holds the facts).
#  2. Every doc/*.md a source, header or test cites exists.
#  3. README.md's layout table names exactly the directories under src/,
#     and every path it names exists.
set -u
cd "$(dirname "$0")/.."
bad=0
err() {
	echo "lint-docs: $*" >&2
	bad=1
}

# 1. Private notes: the shared notes folder and the note files' names
#    (a doc/ page of the same name would be ours and is fine).
hits=$(git grep -nE 'shared/docs|srp-facts' -- src include tests)
[ -z "$hits" ] || err "cites notes outside the repository (write the fact in doc/ and cite that):
$hits"
hits=$(git grep -nE '(design|vm-rig|model-codebases|ecosystem)\.md' -- \
	src include tests | grep -vE 'doc/(design|vm-rig|model-codebases|ecosystem)\.md')
[ -z "$hits" ] || err "cites notes outside the repository (write the fact in doc/ and cite that):
$hits"

# 2. Cited doc pages exist.
for f in $(git grep -ohE 'doc/[A-Za-z0-9_.-]+\.md' -- src include tests |
	sort -u); do
	[ -f "$f" ] || err "$f is cited but does not exist: $(git grep -nF "$f" -- src include tests | head -n 3)"
done

# 3. README's layout table: the rows between its header and the next
#    blank line; every `path` in the first column.
table=$(awk '/^\| directory \| layer \|/ { t = 1; next }
	t && !/^\|/ { exit }
	t { print }' README.md)
[ -n "$table" ] || err "README.md: no layout table (| directory | layer |)"
paths=$(printf '%s\n' "$table" | awk -F'|' '{ print $2 }' |
	grep -oE '`[^`]+`' | tr -d '`')
for p in $paths; do
	[ -e "$p" ] || err "README.md layout table names $p, which does not exist"
done
in_table=$(printf '%s\n' $paths | sed -n 's|^src/\([^/]*\)/$|\1|p' | sort -u)
# The directories of src/ that hold tracked files (what ls src shows in a
# clean checkout).
in_tree=$(git ls-files src | awk -F/ 'NF > 2 { print $2 }' | sort -u)
if [ "$in_table" != "$in_tree" ]; then
	err "README.md layout table's src/ rows do not match ls src:
  table: $(echo $in_table)
  tree:  $(echo $in_tree)"
fi

[ "$bad" = 0 ] && echo "lint-docs: OK"
exit "$bad"

#!/bin/sh
# The C sources as .clang-format formats them: lists every tracked .c/.h
# file that clang-format would change and exits 1, or exits 0 when none
# would. --fix reformats those files in place instead.
# run-tests.sh runs it first in tier 1, before the build. clang-format
# versions disagree on details: CI uses the one scripts/install-deps.sh
# installs (Debian 12: clang-format 14); CLANG_FORMAT=... picks another.
# Usage: scripts/check-format.sh [--fix]
set -eu
cd "$(dirname "$0")/.."
cf=${CLANG_FORMAT:-clang-format}
fix=0
[ "${1:-}" = "--fix" ] && fix=1

if ! command -v "$cf" >/dev/null 2>&1; then
	echo "check-format: $cf not found (scripts/install-deps.sh installs clang-format)" >&2
	exit 2
fi
# The files under version control; from a tarball, every C file of the tree.
if git rev-parse --git-dir >/dev/null 2>&1; then
	files=$(git ls-files -- '*.c' '*.h')
else
	files=$(find src tests bench -name '*.[ch]' | sort)
fi

bad=
n=0
for f in $files; do
	n=$((n + 1))
	if ! "$cf" --style=file "$f" | cmp -s - "$f"; then
		bad="$bad $f"
	fi
done
if [ -z "$bad" ]; then
	echo "check-format: $n files as .clang-format says ($("$cf" --version | sed 's/.*version //'))"
	exit 0
fi
if [ $fix = 1 ]; then
	# clang-format 14 needs a second pass on some files (a string
	# continuation moves once more): run until the file is stable.
	for f in $bad; do
		for _pass in 1 2 3; do
			"$cf" --style=file -i "$f"
			"$cf" --style=file "$f" | cmp -s - "$f" && break
		done
		echo "check-format: reformatted $f"
	done
	exit 0
fi
echo "check-format: these files differ from .clang-format (see: $cf --style=file FILE | diff FILE -;"
echo "scripts/check-format.sh --fix reformats them):"
for f in $bad; do
	echo "  $f"
done
exit 1

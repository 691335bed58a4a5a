#!/bin/sh
# The layering rule of STYLE.md and docs/code-map.md: a file in src/LAYER
# includes project headers of the layers it may see and no others. Lists
# every include that breaks it and exits 1; exits 0 when none does.
# run-tests.sh runs it in tier 1, before the build.
set -eu
cd "$(dirname "$0")/.."

# LAYER: the directories its files may include from.
allowed() {
	case $1 in
	util) echo "util" ;;
	scsi) echo "util scsi" ;;
	session) echo "util scsi session" ;;
	bdev) echo "util bdev" ;;
	path) echo "util scsi session bdev path" ;;
	nbd) echo "util bdev nbd" ;; # path only through bdev
	cli) echo "util scsi session bdev path nbd cli" ;;
	*) echo "" ;;
	esac
}

bad=0
for dir in src/*/; do
	layer=$(basename "$dir")
	ok=$(allowed "$layer")
	if [ -z "$ok" ]; then
		echo "check-layers: src/$layer is not in the layer list of scripts/check-layers.sh"
		bad=1
		continue
	fi
	for f in "$dir"*.c "$dir"*.h; do
		[ -f "$f" ] || continue
		for inc in $(sed -n 's|^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z_]*\)/.*|\1|p' "$f" | sort -u); do
			case " $ok " in
			*" $inc "*) ;;
			*)
				echo "check-layers: $f includes from src/$inc (src/$layer may include: $ok)"
				bad=1
				;;
			esac
		done
	done
done
[ $bad = 0 ] && echo "check-layers: every include follows the layer order"
exit $bad

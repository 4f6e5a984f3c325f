#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Instructions per 4K page for map_pages, iova_to_phys, unmap_pages and
# gather_sync, counted by valgrind's callgrind (repeatable on noisy machines),
# over `iopt bench --once` (freed tables are not poisoned, as in every scenario).
# With --single: instructions per call of a single-page map_pages,
# iova_to_phys, iova_to_phys_length and unmap_pages, tables present, and
# gather_sync per page (one sync at the end), over `iopt bench --once --single`.
# Usage: bench/callgrind.sh [--single] [--format NAME] [SIZE]   (default
# 64M, --single 16M; the format's smallest page; needs valgrind)
set -eu
O=${O:-build}
single=
format=arm-lpae-s1-4k
while [ $# -gt 0 ]; do
	case $1 in
	--single) single=--single; shift ;;
	--format) format=$2; shift 2 ;;
	*) break ;;
	esac
done
size=${1:-}
[ -n "$size" ] || { [ -n "$single" ] && size=16M || size=64M; }
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 2; }
[ -x "$O/iopt" ] || make -s O="$O" "$O/iopt"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Pages of the format's smallest size: what the run itself reports.
pages=$("$O/iopt" bench --once $single --size "$size" --format "$format" |
	awk '{ print $(NF - 5) }')
if [ -n "$single" ]; then
	echo "callgrind: $format, $pages single-page calls each, tables present (instructions per call)"
	fns="iopt_map_pages iopt_iova_to_phys iopt_iova_to_phys_length iopt_unmap_pages iopt_gather_sync"
else
	echo "callgrind: $format, $pages pages of its smallest size in one call each (instructions per page)"
	fns="iopt_map_pages iopt_iova_to_phys iopt_unmap_pages iopt_gather_sync"
fi
for fn in $fns; do
	valgrind --tool=callgrind --toggle-collect="$fn" \
		--callgrind-out-file="$tmp/out" "$O/iopt" bench --once $single --size "$size" --format "$format" >/dev/null 2>&1
	awk -v fn="$fn" -v p="$pages" '/^(summary|totals):/ {
		printf "  %-26s %8.2f\n", fn, $2 / p; exit }' "$tmp/out"
done

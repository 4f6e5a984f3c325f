#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Instructions per 4K page for map_pages, iova_to_phys, unmap_pages and
# gather_sync, counted by valgrind's callgrind (repeatable on noisy machines),
# over `iopt bench --once` (freed tables are not poisoned, as in every scenario).
# Usage: bench/callgrind.sh [SIZE]   (default 64M; needs valgrind)
set -eu
O=${O:-build}
size=${1:-64M}
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 2; }
[ -x "$O/iopt" ] || make -s O="$O" "$O/iopt"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pages=$(( $(numfmt --from=iec "$size") / 4096 ))
echo "callgrind: arm-lpae-s1-4k, $pages pages of 4K in one call each (instructions per page)"
for fn in iopt_map_pages iopt_iova_to_phys iopt_unmap_pages iopt_gather_sync; do
	valgrind --tool=callgrind --toggle-collect="$fn" \
		--callgrind-out-file="$tmp/out" "$O/iopt" bench --once --size "$size" >/dev/null 2>&1
	awk -v fn="$fn" -v p="$pages" '/^(summary|totals):/ {
		printf "  %-20s %8.2f\n", fn, $2 / p; exit }' "$tmp/out"
done

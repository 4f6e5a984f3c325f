#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# iopt dump: a small trace replayed into an image per format; the leaves the
# dump prints cover exactly what the trace mapped (IOVA and output ranges
# worked out here from the trace's map lines), --json parses and has the
# same leaves, replay --dump prints the same tree; version 1 images need
# --format, a disagreeing --format is refused, and truncated or corrupt
# images (bad root, a cycle, an entry pointing outside) exit 1 with a
# message. Prints TAP and ends with "N passed, N failed".
O=${O:-build}
IOPT=$O/iopt
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

. "$(dirname "$0")/tap.sh"
show() {
	sed 's/^/#   stdout: /' "$T/out" | head -20
	sed 's/^/#   stderr: /' "$T/err" | head -10
	echo "#   exit status: $rc"
}

need_built "$IOPT"

dump() { "$IOPT" dump "$@" >"$T/out" 2>"$T/err"; rc=$?; }
status_is() { [ "$rc" -eq "$1" ]; }
err_has() { grep -q -- "$1" "$T/err"; }

# merge: lines "IOVA_FIRST IOVA_LAST OUT_FIRST" (decimal, in IOVA order)
# joined where one continues the other in both IOVA and output address.
merge() {
	have=0
	while read -r a b c; do
		if [ "$have" = 1 ] && [ "$a" -eq $((pb + 1)) ] &&
		   [ "$c" -eq $((pc + pb - pa + 1)) ]; then
			pb=$b
			continue
		fi
		[ "$have" = 1 ] && echo "$pa $pb $pc"
		pa=$a; pb=$b; pc=$c; have=1
	done
	[ "$have" = 1 ] && echo "$pa $pb $pc"
}

# The trace's map lines as ranges: "map IOVA PADDR SIZE PROT".
expected() {
	grep '^map ' "$1" | while read -r _ iova pa size _; do
		echo "$((iova)) $((iova + size - 1)) $((pa))"
	done | sort -n | merge
}

# The leaves of a text dump as ranges, unmerged.
leaves() {
	grep ' leaf ' "$1" | sed 's/.* iova=\(0x[0-9a-f]*\)-\(0x[0-9a-f]*\) out=\(0x[0-9a-f]*\)-.*/\1 \2 \3/' |
		while read -r a b c; do echo "$((a)) $((b)) $((c))"; done
}

# The leaves of a JSON dump, as leaves() prints them.
json_leaves() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for e in d["entries"]:
    if e["kind"] == "leaf":
        print(int(e["iova"], 16), int(e["iova_last"], 16), int(e["out"], 16))
' "$1"
}

# Mapped ranges that neither touch nor continue one another, with a 64K run
# (contiguous on ARM with --contig, Svnapot on riscv-sv39:napot), 2M leaves
# and 4K pages.
cat >"$T/small.trace" <<'EOF'
map 0x10000 0x1230000 0x10000 rw
map 0x400000 0x2000000 0x400000 rw
map 0x8000000 0x9010000 0x3000 r
map 0x40201000 0x7000000 0x1000 rw
lookup 0x10000
EOF
expected "$T/small.trace" >"$T/want"

for f in arm-lpae-s1-4k x86-64-4lvl amd-v1 riscv-sv39:napot; do
	"$IOPT" replay --format "$f" --contig --image "$T/$f.img" "$T/small.trace" >/dev/null 2>"$T/err"; rc=$?
	check "$f: replay --image" status_is 0
	dump "$T/$f.img"
	cp "$T/out" "$T/$f.txt"
	leaves "$T/$f.txt" >"$T/got"
	merge <"$T/got" >"$T/gotm"
	check "$f: dump's leaves cover exactly what the trace mapped" \
		eval 'status_is 0 && [ -s "$T/got" ] && cmp -s "$T/want" "$T/gotm" ||
		      { diff "$T/want" "$T/gotm" | sed "s/^/#   /"; false; }'
	check "$f: every live table entry is printed with its next table" \
		eval 'grep -q " table next=0x" "$T/out" &&
		      ! grep -v "^#" "$T/out" | grep -qv " \(table\|leaf\) "'
	dump "$T/$f.img" --json
	cp "$T/out" "$T/$f.json"
	check "$f: --json is accepted by python3 -m json.tool" \
		eval 'status_is 0 && python3 -m json.tool "$T/$f.json" >/dev/null'
	json_leaves "$T/$f.json" >"$T/jgot"
	check "$f: --json has the same leaves" cmp -s "$T/got" "$T/jgot"
	"$IOPT" replay --format "$f" --contig --dump "$T/small.trace" >"$T/out" 2>"$T/err"; rc=$?
	check "$f: replay --dump prints the lookups, then the same dump" \
		eval 'status_is 0 && head -n 1 "$T/out" | grep -q "^0x10000 0x1230000 0x" &&
		      tail -n +2 "$T/out" | cmp -s - "$T/$f.txt"'
done

# Permissions and runs: the 4K read-only pages print r, the 64K run its
# length on ARM (contiguous hint) and RISC-V (Svnapot).
check "permissions: rw and read-only leaves" \
	eval 'grep -q "iova=0x8000000-0x8000fff .* prot=r-" "$T/x86-64-4lvl.txt" &&
	      grep -q "iova=0x10000-0x10fff .* prot=rw" "$T/x86-64-4lvl.txt"'
check "runs: ARM contiguous 64K and Svnapot 64K print run=16" \
	eval 'grep -q "iova=0x10000-0x1ffff .* run=16" "$T/arm-lpae-s1-4k.txt" &&
	      grep -q "iova=0x10000-0x1ffff .* run=16" "$T/riscv-sv39:napot.txt"'

# ---- version 1, --format ----------------------------------------------------
IMG=$T/x86-64-4lvl.img
{ printf 'IOPTIMG1'; dd if="$IMG" bs=1 skip=8 count=24 2>/dev/null; tail -c +65 "$IMG"; } >"$T/v1.img"
dump "$T/v1.img"
check "a version 1 image without --format: exit 2, says --format" \
	eval 'status_is 2 && err_has "version 1" && err_has "--format"'
dump "$T/v1.img" --format x86-64-4lvl
check "a version 1 image with --format: the same dump" \
	eval 'status_is 0 && cmp -s "$T/out" "$T/x86-64-4lvl.txt"'
dump "$IMG" --format x86-64-4lvl
check "a version 2 image with its own --format: the same dump" \
	eval 'status_is 0 && cmp -s "$T/out" "$T/x86-64-4lvl.txt"'
dump "$IMG" --format x86-64-5lvl
check "a version 2 image with another --format: exit 2, says so" \
	eval 'status_is 2 && err_has "disagrees" && [ ! -s "$T/out" ]'
"$IOPT" walk --image "$IMG" 0x10000 >"$T/out" 2>"$T/err"; rc=$?
check "walk takes the format from a version 2 image" \
	eval 'status_is 0 && grep -qx "0x10000 0x1230000 0x1000" "$T/out"'
"$IOPT" walk --image "$T/v1.img" 0x10000 >"$T/out" 2>"$T/err"; rc=$?
check "walk refuses a version 1 image without --format (2)" status_is 2
"$IOPT" walk --format x86-64-4lvl --image "$T/v1.img" 0x10000 >"$T/out" 2>"$T/err"; rc=$?
check "walk reads a version 1 image with --format" \
	eval 'status_is 0 && grep -qx "0x10000 0x1230000 0x1000" "$T/out"'

# ---- hostile images ---------------------------------------------------------
size=$(wc -c <"$IMG")
head -c $((size - 100)) "$IMG" >"$T/trunc.img"
dump "$T/trunc.img"
check "a truncated image: exit 1, says truncated" \
	eval 'status_is 1 && err_has "truncated"'
head -c 40 "$IMG" >"$T/short.img"
dump "$T/short.img"
check "an image cut inside its header: exit 1" \
	eval 'status_is 1 && err_has "truncated"'
printf 'not an image at all, only text\n' >"$T/junk.img"
dump "$T/junk.img"
check "a file that is no image: exit 1" \
	eval 'status_is 1 && err_has "not an iopt image"'
dump "$T/does-not-exist"
check "a missing image: exit 1, named" \
	eval 'status_is 1 && err_has "does-not-exist"'

# patch FILE OFFSET BYTES: overwrite with printf-escaped BYTES.
patch() {
	# shellcheck disable=SC2059
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
cp "$IMG" "$T/root.img"
patch "$T/root.img" 8 '\000\020\000\000\000\000\000\000'
dump "$T/root.img"
check "a root outside the image: exit 1, says root" \
	eval 'status_is 1 && err_has "root table 0x1000"'
# The root is the image's first table (x86-64, 0x40000000): entry 0 pointing
# back at it makes a cycle; at 0x7000000000 it points outside the image.
cp "$IMG" "$T/cycle.img"
patch "$T/cycle.img" 64 '\047\000\000\100\000\000\000\000'
dump "$T/cycle.img"
check "an entry that points back at the root: exit 1, not a tree" \
	eval 'status_is 1 && err_has "not a tree"'
dump "$T/cycle.img" --json
check "the same with --json: exit 1, the JSON still parses" \
	eval 'status_is 1 && python3 -m json.tool "$T/out" >/dev/null'
cp "$IMG" "$T/out.img"
patch "$T/out.img" 64 '\047\000\000\000\160\000\000\000'
dump "$T/out.img"
check "an entry that points outside the image: exit 1, printed as bad" \
	eval 'status_is 1 && err_has "points outside the image" && grep -q " bad " "$T/out"'
cp "$IMG" "$T/name.img"
patch "$T/name.img" 32 'no-such-format'
dump "$T/name.img"
check "an image whose name is no configuration: exit 1" \
	eval 'status_is 1 && err_has "format name"'

# ---- usage ------------------------------------------------------------------
dump
check "no image: usage error (2)" eval 'status_is 2 && err_has "usage"'
dump "$IMG" --bogus
check "an unknown option: 2" status_is 2
dump "$IMG" "$IMG"
check "two images: 2" status_is 2
"$IOPT" replay --format riscv-sv57:napot,oas=40,nocontig_no --image "$T/x.img" "$T/small.trace" >/dev/null 2>"$T/err"; rc=$?
check "replay --image with a name over 31 bytes: 2, says it does not fit" \
	eval 'status_is 2 && err_has "does not fit an image" && [ ! -e "$T/x.img" ]'
finish

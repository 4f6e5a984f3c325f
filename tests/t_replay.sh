#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# End-to-end tests of `iopt replay`: both trace syntaxes, the exact lookup
# output, errors (line numbers, exit status, nothing applied after a bad
# line), the image file, the arena size, formats, stdin and usage.
# Prints TAP and ends with "N passed, N failed". Uses sh, coreutils, grep,
# sed, awk and od only. Expected values are worked out by hand below.
O=${O:-build}
IOPT=$O/iopt
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

. "$(dirname "$0")/tap.sh"

# run ARGS...: replay; stdout in $T/out, stderr in $T/err, status in $rc.
run() {
	"$IOPT" replay "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# show: what check prints when a point fails.
show() {
	sed 's/^/#   stdout: /' "$T/out"
	sed 's/^/#   stderr: /' "$T/err"
	echo "#   exit status: $rc"
}

# out_is TEXT: stdout is exactly TEXT (one lookup result per line).
out_is() {
	[ "$(cat "$T/out")" = "$1" ] && return 0
	printf '%s\n' "$1" | sed 's/^/#   expected: /'
	return 1
}
status_is() { [ "$rc" -eq "$1" ]; }
err_has() { grep -q -- "$1" "$T/err"; }
err_empty() { [ ! -s "$T/err" ]; }
lines_in_err() { [ "$(grep -c '^iopt replay: ' "$T/err")" -eq "$1" ]; }

need_built "$IOPT"

X86=x86-64-4lvl    # page sizes 4K, 2M, 1G

# ---- iopt syntax and the exact output format ------------------------------
cat >"$T/basic.trace" <<'EOF'
# iopt syntax: comments, blank lines, suffixes, PROT
map 0x200000 0x80000000 2M          # one 2M leaf

map 0x1000 0x5000 8K r              # two 4K leaves
map 0x40000000 0x100000000 1G rwx   # one 1G leaf
	map	4M	0x90000000	0x201000	# 2M at 4M, then 4K at 6M
lookup 0x201234
lookup 0x2000
lookup 0x3000
lookup 0x7ffff123
lookup 0x600fff
lookup 0x400000
lookup 0X0000000000ABC000
unmap 0x200000 2M
lookup 0x200000
lookup 0
EOF
run --format "$X86" "$T/basic.trace"
# 0x201234 is 0x1234 into the 2M leaf at 0x200000 -> 0x80000000.
# 0x2000 is the second 4K page of the 8K map at 0x1000 -> 0x5000 + 0x1000.
# 0x7ffff123 is 0x3ffff123 into the 1G leaf at 0x40000000 -> 0x100000000.
# 4M + 0x201000: 2M leaf at 0x400000 (both sides 2M aligned), then a 4K
# leaf at 0x600000 -> 0x90200000; 0x600fff is its last byte.
check "iopt syntax: exact lookup lines" out_is "0x201234 0x80001234 0x200000
0x2000 0x6000 0x1000
0x3000 unmapped
0x7ffff123 0x13ffff123 0x40000000
0x600fff 0x90200fff 0x1000
0x400000 0x90000000 0x200000
0xabc000 unmapped
0x200000 unmapped
0x0 unmapped"
check "iopt syntax: exit status 0, stderr empty" \
	eval 'status_is 0 && err_empty'

# CRLF line ends, as from a Windows editor.
printf 'map 0x1000 0x2000 4K\r\nlookup 0x1fff\r\n# done\r\n' >"$T/crlf.trace"
run --format "$X86" "$T/crlf.trace"
check "CRLF line ends" eval 'status_is 0 && out_is "0x1fff 0x2fff 0x1000"'

# ARM 4K granule with --contig: an aligned 64K map is one contiguous-hint
# run, and the lookup reports the whole run.
printf 'map 0x10000 0x30000 64K\nlookup 0x1f000\nmap 0x200000 0x400000 2M\nlookup 0x3fffff\n' >"$T/arm.trace"
run --contig --format arm-lpae-s1-4k "$T/arm.trace"
check "ARM 4K --contig: 64K contiguous run and 2M block sizes" \
	eval 'status_is 0 && out_is "0x1f000 0x3f000 0x10000
0x3fffff 0x5fffff 0x200000"'
# By default as Linux's io-pgtable-arm maps: 4K pages, no hint.
run --format arm-lpae-s1-4k "$T/arm.trace"
check "ARM 4K default: 64K of 4K pages (no contiguous hint), 2M block" \
	eval 'status_is 0 && out_is "0x1f000 0x3f000 0x1000
0x3fffff 0x5fffff 0x200000"'
# A Linux capture: 768K mapped, then one 4K page inside it unmapped. By
# default it replays; with --contig the page sits in a 64K run and the
# unmap fails (it would split the run).
printf 'map 0x100000 0x200000 786432 rw\nunmap 0x101000 4096\nlookup 0x101000\nlookup 0x102000\n' >"$T/lx.trace"
run --format arm-lpae-s1-4k "$T/lx.trace"
check "ARM 4K default: 4K unmapped inside a 768K map" \
	eval 'status_is 0 && err_empty && out_is "0x101000 unmapped
0x102000 0x202000 0x1000"'
run --contig --format arm-lpae-s1-4k "$T/lx.trace"
check "ARM 4K --contig: the same unmap would split a 64K run (exit 1)" \
	eval 'status_is 1 && err_has "lx.trace:2: .*split"'

# --pgsizes: maps split into the listed sizes only. amd-v1 would map 6M
# at 0x200000 as one 2M leaf and one 4M leaf; with 4K,2M it takes three 2M
# leaves, so unmapping one 2M inside succeeds; with 4K only, every page is
# 4K. The sizes come back from the lookups (iopt_iova_to_phys_length).
printf 'map 0x200000 0x10200000 0x600000 rw\nlookup 0x400000\nunmap 0x600000 0x200000\nlookup 0x600000\nlookup 0x700000\n' >"$T/pg.trace"
run --format amd-v1 "$T/pg.trace"
check "amd-v1 default: 6M at 2M alignment maps a 4M leaf (the 2M unmap inside fails)" \
	eval 'status_is 1 && [ "$(head -n 1 "$T/out")" = "0x400000 0x10400000 0x400000" ]'
run --format amd-v1 --pgsizes 4K,2M "$T/pg.trace"
check "amd-v1 --pgsizes 4K,2M: 2M leaves, one of them unmapped" \
	eval 'status_is 0 && err_empty && out_is "0x400000 0x10400000 0x200000
0x600000 unmapped
0x700000 unmapped"'
printf 'map 0x1000 0x5000 0x203000 rw\nlookup 0x1000\nlookup 0x200000\nlookup 0x203000\n' >"$T/pg4k.trace"
run --format x86-64-4lvl --pgsizes=4K "$T/pg4k.trace"
check "x86-64 --pgsizes=4K: 2M+12K at 4K alignment, every lookup a 4K page" \
	eval 'status_is 0 && out_is "0x1000 0x5000 0x1000
0x200000 0x204000 0x1000
0x203000 0x207000 0x1000"'
run --format x86-64-4lvl "$T/pg4k.trace"
check "x86-64 default: the same map takes a 2M page where both addresses allow it" \
	eval 'status_is 0 && [ "$(sed -n 2p "$T/out")" = "0x200000 0x204000 0x1000" ] &&
	      printf "map 0x1000 0x201000 0x400000 rw\nlookup 0x200000\n" >"$T/al.trace" &&
	      "$IOPT" replay --format x86-64-4lvl "$T/al.trace" | grep -qx "0x200000 0x400000 0x200000"'
run --format arm-lpae-s1-4k --pgsizes 4K,64K "$T/pg4k.trace"
check "--pgsizes: a size the format does not have is a usage error naming the allowed ones" \
	eval 'status_is 2 && err_has "64K is not a page size" && err_has "allowed: 4K,2M,1G"'
run --format arm-lpae-s1-4k --pgsizes 4K,,2M "$T/pg4k.trace"
check "--pgsizes: a malformed list is a usage error" \
	eval 'status_is 2 && err_has "separated by commas"'
# A failing step leaves nothing of its line: the second map overlaps the
# first only in its last 2M, so the 4K pages mapped before it are removed.
printf 'map 0x400000 0x400000 0x200000 rw\nmap 0x3fe000 0x3fe000 0x202000 rw\nlookup 0x3fe000\nlookup 0x400000\n' >"$T/pgfail.trace"
run --format x86-64-4lvl --pgsizes 4K,2M --keep-going "$T/pgfail.trace"
check "--pgsizes: a map that fails part way leaves nothing of itself" \
	eval 'status_is 1 && lines_in_err 1 && out_is "0x3fe000 unmapped
0x400000 0x400000 0x200000"'

# A refused operation says which check failed.
for c in 'map 0x5000 0x8000 0x10000|iova 0x5000 is not aligned to the 16K page size' \
	 'map 0x8000 0x5000 0x10000|paddr 0x5000 is not aligned to the 16K page size' \
	 'map 0x8000 0x8000 0x6000|size 0x6000 is not a multiple of the 16K page size' \
	 'map 0x1000000000000 0 0x4000|iova range 0x1000000000000-0x1000000003fff is outside the 48-bit input space' \
	 'map 0x4000 0xffffffffc000 0x8000|paddr range 0xffffffffc000-0x1000000003fff is beyond the 48-bit output size' \
	 'unmap 0x5000 0x4000|iova 0x5000 is not aligned to the 16K page size'; do
	printf '%s\n' "${c%%|*}" >"$T/why.trace"
	run --format arm-lpae-s1-16k "$T/why.trace"
	check "refused '${c%%|*}': the message says '${c#*|}'" \
		eval 'status_is 1 && err_has "why.trace:1: .*: ${c#*|}\$"'
done
printf 'map 0x800000000000 0 0x1000\n' >"$T/why.trace"
run --format x86-64-4lvl "$T/why.trace"
check "refused non-canonical x86 iova: the message names the input space" \
	eval 'status_is 1 && err_has "outside the 48-bit input space (or not canonical)"'

# trace-cmd report's header lines are skipped and counted.
printf 'cpus=2\nversion = 7\n  cpus=16\nmap 0x1000 0x2000 0x1000 rw\n' >"$T/tc.trace"
run --format x86-64-4lvl --stats --json "$T/tc.trace"
check "trace-cmd header lines (cpus=N, version = V): skipped and counted" \
	eval 'status_is 0 && grep -q "\"headers\": 3}" "$T/err" && grep -q "\"maps\": 1," "$T/err"'
printf 'cpus=two\n' >"$T/tc2.trace"
run --format x86-64-4lvl "$T/tc2.trace"
check "cpus= without a number is still a malformed line" \
	eval 'status_is 1 && err_has "tc2.trace:1: unknown command"'

# ---- Linux ftrace text, all three layouts, mixed with iopt lines ---------
cat >"$T/ftrace.trace" <<'EOF'
# tracer: nop
#
# entries-in-buffer/entries-written: 9/9   #P:8
#
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
  qemu-system-x86-4242  [003] d..1. 12345.678901: map: IOMMU: iova=0x0000000000100000 - 0x0000000000200000 paddr=0x0000000123400000 size=1048576
          <idle>-0       [001] d..2. 12345.700000: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=bash next_pid=1 next_prio=120
  qemu-system-x86-4242  [003] d..1. 12345.800000: map: IOMMU: iova=0x0000000000400000 paddr=0x0000000080000000 size=2097152
  qemu-system-x86-4242  [003] d..1. 12345.900000: map: IOMMU: dev=0000:00:02.0 iova=0x0000000000800000 paddr=0x0000000000a00000 size=4096
lookup 0x100abc
lookup 0x4ff000
lookup 0x800010
  qemu-system-x86-4242  [003] d..1. 12346.000000: unmap: IOMMU: iova=0x0000000000100000 - 0x0000000000200000 size=1048576 unmapped_size=1048576
  qemu-system-x86-4242  [003] d..1. 12346.100000: unmap: IOMMU: iova=0x0000000000400000 size=2097152 unmapped_size=2097152
  qemu-system-x86-4242  [003] d..1. 12346.200000: unmap: IOMMU: dev=0000:00:02.0 iova=0x0000000000800000 size=4096 unmapped_size=0
  qemu-system-x86-4242  [003] d..1. 12346.300000: map: IOMMU: iova=0x0000000000900000 paddr=0x0000000000900000 size=0
lookup 0x100000
lookup 0x400000
lookup 0x800000
lookup 0x900000
EOF
run --format "$X86" "$T/ftrace.trace"
# 0x100000+1M is not 2M aligned: 4K pages. 0x400000 -> 0x80000000 is one 2M
# page. The dev= unmap reports unmapped_size=0: the kernel removed nothing,
# so 0x800000 stays mapped. A map of 0 bytes maps nothing.
check "ftrace: three layouts, other events and headers" \
	eval 'status_is 0 && err_empty && out_is "0x100abc 0x123400abc 0x1000
0x4ff000 0x800ff000 0x200000
0x800010 0xa00010 0x1000
0x100000 unmapped
0x400000 unmapped
0x800000 0xa00000 0x1000
0x900000 unmapped"'

# An ftrace unmap of bytes the replayed table never had is divergence.
printf '%s\n' \
	'  qemu-4242  [003] d..1. 1.0: map: IOMMU: iova=0x0000000000001000 paddr=0x0000000000001000 size=4096' \
	'  qemu-4242  [003] d..1. 2.0: unmap: IOMMU: iova=0x0000000000001000 size=8192 unmapped_size=8192' \
	>"$T/hole.trace"
run --format "$X86" "$T/hole.trace"
check "ftrace: unmap over a hole in the replayed table is an error" \
	eval 'status_is 1 && err_has "hole.trace:2: unmap 0x1000 0x2000: .*holes"'

# An ftrace end address that is not iova + size is malformed.
printf '%s\n' \
	'  qemu-4242  [003] d..1. 1.0: map: IOMMU: iova=0x0000000000001000 - 0x0000000000003000 paddr=0x0000000000001000 size=4096' \
	>"$T/end.trace"
run --format "$X86" "$T/end.trace"
check "ftrace: end address mismatch" \
	eval 'status_is 1 && err_has "end.trace:1: map event: end address 0x3000 is not iova + size = 0x2000"'

# ---- malformed input: line number, exit status, nothing applied after ----
cat >"$T/bad.trace" <<'EOF'
map 0x1000 0x1000 4K
lookup 0x1000
map 0x2000 0x2000 zz
lookup 0x2000
map 0x5000 0x5000 4K
lookup 0x5000
frobnicate
lookup 0x5000
EOF
head -n 2 "$T/bad.trace" >"$T/good2.trace"

run --format "$X86" --image "$T/bad.img" "$T/bad.trace"
check "malformed line: exit 1, FILE:LINE and reason on stderr" \
	eval 'status_is 1 && err_has "^iopt replay: $T/bad.trace:3: map: SIZE .zz. is not a number$"'
check "malformed line: the replay stops there (one error, one lookup)" \
	eval 'lines_in_err 1 && out_is "0x1000 0x1000 0x1000"'
run --format "$X86" --image "$T/good2.img" "$T/good2.trace"
check "malformed line: image equals the trace cut before the bad line" \
	eval '[ "$(cksum <"$T/bad.img")" = "$(cksum <"$T/good2.img")" ]'

run --format "$X86" --keep-going --image "$T/kg.img" "$T/bad.trace"
check "--keep-going: reports each bad line, applies the rest, exit 1" \
	eval 'status_is 1 && lines_in_err 2 && err_has "bad.trace:3: " &&
	      err_has "bad.trace:7: unknown command .frobnicate." &&
	      out_is "0x1000 0x1000 0x1000
0x2000 unmapped
0x5000 0x5000 0x1000
0x5000 0x5000 0x1000"'
check "--keep-going: image differs (later lines were applied)" \
	eval '[ "$(cksum <"$T/kg.img")" != "$(cksum <"$T/good2.img")" ]'

# Failed operations name the operation and the library's reason.
cat >"$T/ops.trace" <<'EOF'
map 0x200000 0x200000 2M
map 0x200000 0x400000 4K
unmap 0x201000 4K
map 0x1001 0x1000 4K
lookup 0x0000800000000000
lookup 0x200000
EOF
run --format "$X86" --keep-going "$T/ops.trace"
check "failed operations: map over a mapping, leaf split, misaligned, bad IOVA" \
	eval 'status_is 1 && lines_in_err 4 &&
	      err_has "ops.trace:2: map 0x200000 0x400000 0x1000: " &&
	      err_has "ops.trace:3: unmap 0x201000 0x1000: " &&
	      err_has "ops.trace:4: map 0x1001 0x1000 0x1000: " &&
	      err_has "ops.trace:5: lookup 0x800000000000: " &&
	      out_is "0x200000 0x200000 0x200000"'

# Binary junk: a NUL byte, and control bytes.
printf 'lookup 0x1000\n\000\001\002junk\nlookup 0x2000\n' >"$T/bin.trace"
run --format "$X86" "$T/bin.trace"
check "binary junk: NUL byte is an error on its line" \
	eval 'status_is 1 && err_has "bin.trace:2: .*NUL" && out_is "0x1000 unmapped"'
printf '\177ELF\002\001\001\n' >"$T/elf.trace"
run --format "$X86" "$T/elf.trace"
check "binary junk: control bytes are quoted, not printed raw" \
	eval 'status_is 1 && err_has "elf.trace:1: unknown command .\\\\x7fELF\\\\x02"'

# ---- --image ---------------------------------------------------------------
printf 'map 0x1000 0x5000 4K rw\n' >"$T/img.trace"
run --format "$X86" --image "$T/one.img" "$T/img.trace"

# le64 FILE OFFSET: the little-endian u64 at OFFSET, as 16 hex digits.
le64() {
	od -An -tx1 -j "$2" -N8 "$1" |
		awk '{ for (i = NF; i >= 1; i--) s = s $i } END { print s }'
}
size=$(wc -c <"$T/one.img")
magic=$(od -An -tx1 -N8 "$T/one.img" | tr -d ' \n')
root=$(le64 "$T/one.img" 8)
first=$(le64 "$T/one.img" 16)
count=$(le64 "$T/one.img" 24)
name=$(dd if="$T/one.img" bs=1 skip=32 count=32 2>/dev/null | tr -d '\000')
check "image: magic IOPTIMG2" eval '[ "$magic" = "494f5054494d4732" ]'
check "image: the format name at offset 32, NUL-padded" eval '[ "$name" = "$X86" ]'
check "image: first byte is at physical 0x40000000" \
	eval '[ "$first" = "0000000040000000" ]'
# x86-64 4-level: root, PDPT, PD and PT, 4K each, from the arena's start.
check "image: byte count is 4 tables of 4K and matches the file size" \
	eval '[ "$count" = "0000000000004000" ] && [ $((size - 64)) -eq 16384 ]'
check "image: root table lies inside the image" \
	eval '[ $((0x$root)) -ge $((0x40000000)) ] &&
	      [ $((0x$root)) -lt $((0x40000000 + 0x$count)) ]'

# Walk the image like another program would: 0x1000 has indices 0, 0, 0, 1.
# Entry address bits are 51..12: hex digits 4 to 13 of the 16.
walk_ok() {
	tab=$((0x$root))
	for idx in 0 0 0; do
		e=$(le64 "$T/one.img" $((64 + tab - 0x40000000 + 8 * idx)))
		case $e in *[13579bdf]) ;; *) echo "# entry $e not present"; return 1;; esac
		tab=$((0x$(echo "$e" | cut -c4-13)000))
	done
	e=$(le64 "$T/one.img" $((64 + tab - 0x40000000 + 8)))
	case $e in *[13579bdf]) ;; *) echo "# leaf $e not present"; return 1;; esac
	[ $((0x$(echo "$e" | cut -c4-13)000)) -eq $((0x5000)) ] ||
		{ echo "# leaf $e does not map 0x5000"; return 1; }
}
check "image: walking it finds 0x1000 -> 0x5000" walk_ok

# Mali: also four 4K tables (4 levels from a full root), tables are type
# 11 with address bits 47..12, the last-level page is type 01: "rw" (no x)
# is XN (bit 54) | 0x5000 | SH=10 (0x200) | write (0x80) | read (0x40) |
# 01 = 0x00400000000052c1.
run --format arm-mali-lpae --image "$T/mali.img" "$T/img.trace"
mali_ok() {
	status_is 0 || return 1
	root=$(le64 "$T/mali.img" 8)
	[ "$(le64 "$T/mali.img" 24)" = "0000000000004000" ] ||
		{ echo "# not four tables"; return 1; }
	tab=$((0x$root))
	for idx in 0 0 0; do
		e=$(le64 "$T/mali.img" $((64 + tab - 0x40000000 + 8 * idx)))
		case $e in *[37bf]) ;; *) echo "# entry $e is no table"; return 1;; esac
		tab=$((0x$(echo "$e" | cut -c5-13)000))
	done
	e=$(le64 "$T/mali.img" $((64 + tab - 0x40000000 + 8)))
	[ "$e" = "00400000000052c1" ] || { echo "# leaf $e"; return 1; }
}
check "image: arm-mali-lpae, walking it finds the ATE for 0x1000 -> 0x5000" mali_ok

# VT-d second stage, 3 levels (ias 39): three 4K tables; no present bit,
# table entries are address | W (bit 1) | R (bit 0) = ...003; the 4K leaf
# at index 1 of the last table is 0x5000 | W | R = 0x0000000000005003
# (no PS at level 0, no SNP without a cacheable prot).
run --format vtd-ss-3lvl --image "$T/vtd.img" "$T/img.trace"
vtd_ok() {
	status_is 0 || return 1
	root=$(le64 "$T/vtd.img" 8)
	[ "$(le64 "$T/vtd.img" 24)" = "0000000000003000" ] ||
		{ echo "# not three tables"; return 1; }
	tab=$((0x$root))
	for idx in 0 0; do
		e=$(le64 "$T/vtd.img" $((64 + tab - 0x40000000 + 8 * idx)))
		case $e in 0000*003) ;; *) echo "# entry $e is not a table"; return 1;; esac
		tab=$((0x$(echo "$e" | cut -c4-13)000))
	done
	e=$(le64 "$T/vtd.img" $((64 + tab - 0x40000000 + 8)))
	[ "$e" = "0000000000005003" ] || { echo "# leaf $e"; return 1; }
}
check "image: vtd-ss-3lvl, walking it finds the R|W leaf for 0x1000 -> 0x5000" vtd_ok

# ---- arena size -------------------------------------------------------------
printf 'lookup 0x1000\nmap 0x1000 0x1000 4K\nlookup 0x1000\n' >"$T/small.trace"
run --format "$X86" --arena-size 8K "$T/small.trace"
check "arena full: clear message suggesting --arena-size, exit 1" \
	eval 'status_is 1 && err_has "small.trace:2: map 0x1000 0x1000 0x1000: .*arena is full.*--arena-size"'
check "arena full: the lookup before ran, the failed map left nothing" \
	eval 'out_is "0x1000 unmapped"'
run --format "$X86" --arena-size 8K --keep-going "$T/small.trace"
check "arena full with --keep-going: the map is all or nothing" \
	eval 'status_is 1 && out_is "0x1000 unmapped
0x1000 unmapped"'
run --format "$X86" --arena-size 1K "$T/small.trace"
check "arena too small for the root: clear message, exit 1" \
	eval 'status_is 1 && err_has "root table.*--arena-size" && out_is ""'
run --format "$X86" --arena-size 1M "$T/small.trace"
check "--arena-size 1M (suffix)" eval 'status_is 0 && out_is "0x1000 unmapped
0x1000 0x1000 0x1000"'
run --format "$X86" --arena-size=0x20000 "$T/small.trace"
check "--arena-size=0x20000" eval 'status_is 0'
run --format "$X86" --arena-size 12Q "$T/small.trace"
check "--arena-size 12Q is a usage error" \
	eval 'status_is 2 && err_has "arena-size"'

# ---- every format: the image walks as the library looked up ----------------
# A trace that fits every named format (granules up to 64K, 32-bit IOVAs
# and PAs), replayed with --image; then `iopt walk`, the simulated IOMMU
# (no engine code), translates the same IOVAs through the image, and the
# lines must equal replay's lookups: address and whole leaf or run length.
cat >"$T/every.trace" <<'EOF_TRACE'
map 0x10000 0x1230000 0x10000 rw
map 0x400000 0x2000000 0x2400000 rw
map 0x8000000 0x9010000 0x30000 r
unmap 0x1000000 0x1000000
EOF_TRACE
VAS="0x10000 0x1ffff 0x400000 0x9ffff0 0x2234567 0x27fffff 0x8000000 0x802ffff"
for v in $VAS; do echo "lookup $v"; done >>"$T/every.trace"
for f in $("$IOPT" formats | awk '{ print $1 }') \
	 arm-v7s:no_perms,mtk_ext,oas=35 arm-lpae-s1-4k:lpa2,ias=52,oas=52 \
	 vtd-ss-4lvl:no1g vtd-ss-5lvl:oas=40 \
	 riscv-sv39:napot riscv-sv57:napot,oas=40; do
	if [ ${#f} -gt 31 ]; then
		# The image's name field holds 31 bytes: longer names are refused.
		run --format "$f" --image "$T/long.img" "$T/every.trace"
		check "image: $f (${#f} bytes) does not fit the name field: exit 2, said" \
			eval 'status_is 2 && err_has "does not fit an image" && [ ! -e "$T/long.img" ]'
		continue
	fi
	run --format "$f" --image "$T/every.img" "$T/every.trace"
	cp "$T/out" "$T/lookups"
	# shellcheck disable=SC2086
	"$IOPT" walk --format "$f" --image "$T/every.img" $VAS >"$T/walked" 2>"$T/err"
	check "image: $f walks (simulated IOMMU) to what replay looked up" \
		eval 'status_is 0 && [ "$(wc -l <"$T/lookups")" -eq 8 ] &&
		      ! grep -q unmapped "$T/lookups" &&
		      diff "$T/lookups" "$T/walked" >/dev/null ||
		      { diff "$T/lookups" "$T/walked" | sed "s/^/#   /"; false; }'
done
"$IOPT" walk --image "$T/every.img" 0x1000000 >"$T/walked"; rc=$?
check "walk: an unmapped IOVA prints a fault and exits 1" \
	eval 'status_is 1 && grep -q "^0x1000000 fault " "$T/walked"'
"$IOPT" walk --format arm-v7s --image "$T/does-not-exist" 0x1000 2>"$T/err"; rc=$?
check "walk: a missing image exits 1 with its name" \
	eval 'status_is 1 && err_has "does-not-exist"'
"$IOPT" walk --format arm-v7s 0x1000 2>"$T/err"; rc=$?
check "walk: no --image is a usage error (2)" status_is 2

# ---- formats, stdin, usage -------------------------------------------------
run --format no-such-format "$T/small.trace"
check "unknown format: exit 2, points at iopt formats" \
	eval 'status_is 2 && err_has "no-such-format" && err_has "iopt formats"'

"$IOPT" replay --format "$X86" - <"$T/basic.trace" >"$T/out" 2>"$T/err"; rc=$?
check "stdin: same output as from the file" \
	eval 'status_is 0 && [ "$(cat "$T/out")" = "$("$IOPT" replay --format "$X86" "$T/basic.trace")" ]'
printf 'lookup 0x1000\nbogus\n' |
	"$IOPT" replay --format "$X86" - >"$T/out" 2>"$T/err"; rc=$?
check "stdin: errors name <stdin> and the line" \
	eval 'status_is 1 && err_has "^iopt replay: <stdin>:2: unknown command .bogus."'

run
check "no arguments: exit 2" eval 'status_is 2 && err_has "usage"'
run --format "$X86"
check "no trace: exit 2" status_is 2
run --format "$X86" --frobnicate "$T/small.trace"
check "unknown option: exit 2" eval 'status_is 2 && err_has "frobnicate"'
run --format "$X86" "$T/small.trace" "$T/small.trace"
check "two traces: exit 2" status_is 2
run --format "$X86" --image "$T/none.img" "$T/does-not-exist"
check "missing trace file: exit 1 with the name, no image" \
	eval 'status_is 1 && err_has "does-not-exist" && [ ! -e "$T/none.img" ]'
run --format "$X86" --image "$T/no-such-dir/x.img" "$T/small.trace"
check "image cannot be created: exit 1 with the name" \
	eval 'status_is 1 && err_has "cannot create image .*no-such-dir/x.img"'
run --format "$X86" --stats "$T/small.trace"
check "--stats: summary on stderr, stdout unchanged" \
	eval 'status_is 0 && err_has "3 lines, 1 maps, 0 unmaps, 2 lookups, 0 failed" &&
	      out_is "0x1000 unmapped
0x1000 0x1000 0x1000"'
run --format "$X86" --stats --json "$T/small.trace"
check "--stats --json: one object on stderr with the counts, stdout unchanged" \
	eval 'status_is 0 && [ "$(wc -l <"$T/err")" -eq 1 ] &&
	      err_has "^{\"lines\": 3, \"maps\": 1, \"unmaps\": 0, \"lookups\": 2, \"failed\": 0, \"walks\": [0-9]*, .*\"arena_bytes\": [0-9]*, \"headers\": 0}\$" &&
	      out_is "0x1000 unmapped
0x1000 0x1000 0x1000"'
run --format "$X86" --json "$T/small.trace"
check "--json without --stats: exit 2" status_is 2
run --help
check "--help: exit 0, usage on stdout" \
	eval 'status_is 0 && grep -q "usage: iopt replay" "$T/out"'

finish

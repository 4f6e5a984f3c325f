#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# Bad input to `iopt replay` and the trace reader behind it (issue 4,
# part 1): malformed and truncated traces, numbers too large or negative,
# binary junk, overlong lines, empty input, and bad options. Each case must
# get its message (naming FILE:LINE for trace content) and its exit status
# (1 for trace content, 2 for usage), and never crash: no signal, and no
# sanitizer report when $O is a SAN=1 build. t_replay.sh has the cases of
# ordinary use; docs/errors.md lists both. Prints TAP, ends with
# "N passed, N failed". Uses sh, coreutils, grep and awk only.
O=${O:-build}
IOPT=$O/iopt
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

. "$(dirname "$0")/tap.sh"

# run ARGS...: the tool; stdout in $T/out, stderr in $T/err, status in $rc.
run() {
	"$IOPT" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
replay() { run replay "$@"; }

# show: what check prints when a point fails.
show() {
	head -c 2000 "$T/out" | sed 's/^/#   stdout: /'
	head -c 2000 "$T/err" | sed 's/^/#   stderr: /'
	echo "#   exit status: $rc"
}

# check DESC COND... (tap.sh's, COND a command): every point here also
# requires that the tool did not crash.
check() {
	d=$1; shift
	tap_check "$d" not_crashed_and "$@"
}
not_crashed_and() { no_crash && "$@"; }
no_crash() {
	[ "$rc" -lt 128 ] &&
	! grep -q -e 'Sanitizer: ' -e 'runtime error:' "$T/err"
}
status_is() { [ "$rc" -eq "$1" ]; }
err_has() { grep -q -- "$1" "$T/err"; }
err_lines() { [ "$(grep -c '^iopt replay: ' "$T/err")" -eq "$1" ]; }
out_is() { [ "$(cat "$T/out")" = "$1" ]; }
out_empty() { [ ! -s "$T/out" ]; }

need_built "$IOPT"

X86=x86-64-4lvl
ARM=arm-lpae-s1-4k

# ---- numbers ---------------------------------------------------------------
printf 'lookup 0\nlookup 18446744073709551616\n' >"$T/big.trace"
replay --format $X86 "$T/big.trace"
check "2^64: does not fit, named with its line" \
	eval 'status_is 1 && err_has "big.trace:2: lookup: IOVA .18446744073709551616. does not fit in 64 bits"'
printf 'map 0x1000 0x%s 4K\n' "$(printf '%040d' 0 | tr 0 f)" >"$T/hex.trace"
replay --format $X86 "$T/hex.trace"
check "a 40-digit hex number: does not fit" \
	eval 'status_is 1 && err_has "hex.trace:1: map: PADDR .0xffff.*does not fit in 64 bits"'
printf 'lookup 0xffffffffffffffff\nlookup 18446744073709551615\n' >"$T/max.trace"
replay --format $X86 "$T/max.trace"
check "2^64-1: read, and canonical on x86 (upper half)" \
	eval 'status_is 0 && out_is "0xffffffffffffffff unmapped
0xffffffffffffffff unmapped"'
replay --format $ARM "$T/max.trace"
check "2^64-1 on ARM: outside the input space, exit 1" \
	eval 'status_is 1 && err_has "max.trace:1: lookup 0xffffffffffffffff: address outside"'
printf 'map 0 0 0xffffffffffffffff\n' >"$T/maxsize.trace"
replay --format $X86 "$T/maxsize.trace"
check "SIZE 2^64-1: not a multiple of the page size" \
	eval 'status_is 1 && err_has "maxsize.trace:1: map 0x0 0x0 0xffffffffffffffff: invalid argument"'
printf 'map 0xfffffffffffff000 0 8K\n' >"$T/wrap.trace"
replay --format $X86 "$T/wrap.trace"
check "a range that wraps past 2^64" \
	eval 'status_is 1 && err_has "wrap.trace:1: .*wraps past the end"'
printf 'map 0x800000000000 0 4K\nmap 0x7ffffffff000 0 8K\n' >"$T/canon.trace"
replay --format $X86 --keep-going "$T/canon.trace"
check "non-canonical x86 IOVAs, and a range into the hole" \
	eval 'status_is 1 && err_lines 2 && err_has "canon.trace:1: .*outside" &&
	      err_has "canon.trace:2: .*outside"'
printf 'map 0x1000 0x10000000000000 4K\n' >"$T/oas.trace"
replay --format $X86 "$T/oas.trace"
check "paddr past the output size (2^52)" \
	eval 'status_is 1 && err_has "oas.trace:1: .*outside"'
printf 'map 0 -4096 4K\nunmap 0x1000 -1\nlookup -0\nmap 0 0 +4K\n' >"$T/neg.trace"
replay --format $X86 --keep-going "$T/neg.trace"
check "negative and signed numbers: not numbers, each line named" \
	eval 'status_is 1 && err_lines 4 &&
	      err_has "neg.trace:1: map: PADDR .-4096. is not a number" &&
	      err_has "neg.trace:2: unmap: SIZE .-1. is not a number" &&
	      err_has "neg.trace:3: lookup: IOVA .-0. is not a number" &&
	      err_has "neg.trace:4: map: SIZE .+4K. is not a number"'
printf 'map: IOMMU: iova=0x1000 paddr=0x10000000000000000 size=4096\n' >"$T/fbig.trace"
replay --format $X86 "$T/fbig.trace"
check "ftrace field past 2^64" \
	eval 'status_is 1 && err_has "fbig.trace:1: map event: paddr= .0x10000000000000000. does not fit"'

# ---- truncated files ---------------------------------------------------------
printf 'map 0x1000 0x2000 4K\nlookup 0x1000' >"$T/nonl.trace"
replay --format $X86 "$T/nonl.trace"
check "no final newline: the last line still counts" \
	eval 'status_is 0 && out_is "0x1000 0x2000 0x1000"'
printf 'lookup 0\nmap 0x1000 0x2' >"$T/cut1.trace"
replay --format $X86 "$T/cut1.trace"
check "cut in mid-line (fields missing)" \
	eval 'status_is 1 && err_has "cut1.trace:2: map: missing SIZE" && out_is "0x0 unmapped"'
printf 'map 0x1000 0x2000 4\n' >"$T/cut2.trace"
replay --format $X86 "$T/cut2.trace"
check "cut in mid-number (4K became 4)" \
	eval 'status_is 1 && err_has "cut2.trace:1: map 0x1000 0x2000 0x4: invalid argument"'
printf 'lookup 0\nloo' >"$T/cut3.trace"
replay --format $X86 "$T/cut3.trace"
check "cut in mid-keyword" \
	eval 'status_is 1 && err_has "cut3.trace:2: unknown command .loo."'
printf '  qemu-4242  [003] d..1. 1.0: map: IOMMU: iova=0x0000000000001000 paddr=0x00000000' >"$T/cut4.trace"
replay --format $X86 "$T/cut4.trace"
check "ftrace line cut in mid-field" \
	eval 'status_is 1 && err_has "cut4.trace:1: map event: missing size="'

# ---- binary junk ---------------------------------------------------------------
printf 'lookup 0\nlookup 0\nlookup 0x1000\000\001\377\n' >"$T/nul.trace"
replay --format $X86 "$T/nul.trace"
check "NUL byte in the middle of line 3" \
	eval 'status_is 1 && err_has "nul.trace:3: line holds a NUL byte" &&
	      out_is "0x0 unmapped
0x0 unmapped"'
printf 'map \303\050 0 4K\n\377\376\375\n' >"$T/utf.trace"
replay --format $X86 --keep-going "$T/utf.trace"
check "invalid UTF-8: quoted as \\xNN, never printed raw" \
	eval 'status_is 1 && err_has "utf.trace:1: map: IOVA .\\\\xc3(. is not a number" &&
	      err_has "utf.trace:2: unknown command .\\\\xff\\\\xfe\\\\xfd." &&
	      ! LC_ALL=C grep -q "$(printf "[\\200-\\377]")" "$T/err"'
# every byte value, 16 times over, in lines of varying length
LC_ALL=C awk 'BEGIN { for (r = 0; r < 16; r++) for (i = 0; i < 256; i++)
	printf "%c", (i * 7 + r * 13) % 256 }' >"$T/junk.trace"
replay --format $X86 "$T/junk.trace"
check "a file of binary junk: stops at the first bad line, exit 1" \
	eval 'status_is 1 && err_lines 1 && err_has "junk.trace:1: "'
replay --format $X86 --keep-going "$T/junk.trace"
check "binary junk with --keep-going: every line reported, no crash" \
	eval 'status_is 1 && [ "$(grep -c "junk.trace:[0-9]*: " "$T/err")" -ge 2 ]'

# ---- line length and count -----------------------------------------------------
LC_ALL=C awk 'BEGIN { printf "lookup 0\nlookup "; for (i = 0; i < 1048600; i++) printf "1";
	printf "\nlookup 0x1000\n" }' >"$T/long.trace"
replay --format $X86 --keep-going "$T/long.trace"
check "a line over 1 MiB: refused by number, the next line still read" \
	eval 'status_is 1 && err_lines 1 &&
	      err_has "long.trace:2: line longer than 1048576 bytes" &&
	      out_is "0x0 unmapped
0x1000 unmapped"'
LC_ALL=C awk 'BEGIN { for (i = 0; i < 70000; i++) print "# filler"; print "bogus" }' >"$T/many.trace"
replay --format $X86 "$T/many.trace"
check "line numbers past 65535" \
	eval 'status_is 1 && err_has "many.trace:70001: unknown command .bogus."'
printf 'lookup 0\rlookup 0x1000\r' >"$T/cr.trace"
replay --format $X86 "$T/cr.trace"
check "old Mac line ends (CR only): one line, and extra fields in it" \
	eval 'status_is 1 && err_has "cr.trace:1: lookup: unexpected .lookup."'
printf 'CPU:2 [LOST 17 EVENTS]\n' >"$T/lost.trace"
replay --format $X86 "$T/lost.trace"
check "ftrace lost-events marker: the trace has a gap" \
	eval 'status_is 1 && err_has "lost.trace:1: ftrace lost events"'

# ---- empty input ---------------------------------------------------------------
: >"$T/empty.trace"
replay --format $X86 "$T/empty.trace"
check "empty file: nothing to do, exit 0, no output" \
	eval 'status_is 0 && out_empty && [ ! -s "$T/err" ]'
printf '\n\n# only comments\n   \n\t\n' >"$T/blank.trace"
replay --format $X86 --stats "$T/blank.trace"
check "only blank lines and comments: exit 0" \
	eval 'status_is 0 && out_empty && err_has "5 lines, 0 maps"'
"$IOPT" replay --format $X86 - </dev/null >"$T/out" 2>"$T/err"; rc=$?
check "empty stdin: exit 0" eval 'status_is 0 && out_empty'
replay --format $X86 "$T"
check "a directory as the trace: read error, exit 1" \
	eval 'status_is 1 && err_has "read error"'

# ---- options ---------------------------------------------------------------------
replay --format
check "--format without a value: exit 2" \
	eval 'status_is 2 && err_has "--format needs a name"'
replay --format $X86 "$T/empty.trace" --image
check "--image without a value: exit 2" \
	eval 'status_is 2 && err_has "--image needs a file name"'
replay --format $X86 --arena-size
check "--arena-size without a value: exit 2" \
	eval 'status_is 2 && err_has "--arena-size needs a size"'
replay --format $X86 --image= "$T/empty.trace"
check "--image= (empty): exit 2" status_is 2
replay -q --format $X86 "$T/empty.trace"
check "unknown short option: exit 2" \
	eval 'status_is 2 && err_has "unknown option .-q."'
replay --keep-going=yes --format $X86 "$T/empty.trace"
check "a value for a flag that takes none: exit 2" \
	eval 'status_is 2 && err_has "unknown option .--keep-going=yes."'
replay --format $X86 -- -dash.trace
check "-- ends the options: a trace named -dash.trace" \
	eval 'status_is 1 && err_has "cannot open -dash.trace"'
for f in "" "x86-64" "X86-64-4LVL" "arm-lpae-s1-4k:ias=4000" \
	 "arm-lpae-s1-4k:bogus" "arm-lpae-s1-4k:ias=40,"; do
	replay --format "$f" "$T/empty.trace"
	check "--format '$f': unknown, exit 2" \
		eval 'status_is 2 && err_has "unknown format" && err_has "iopt formats"'
done
for f in "x86-64-4lvl:ias=40" "arm-lpae-s1-4k:ias=49" \
	 "arm-lpae-s1-16k:oas=52" "arm-lpae-s2-4k:ias=48,oas=40"; do
	replay --format "$f" "$T/empty.trace"
	check "--format '$f': a geometry the format cannot express, exit 2" \
		eval 'status_is 2 && err_has "not supported by the format"'
done
replay --format x86-64-4lvl:nocontig "$T/empty.trace"
check "--format with a quirk the format does not know: exit 2" \
	eval 'status_is 2 && err_has "format .x86-64-4lvl:nocontig.: invalid argument"'
for s in 0 -1 "" 0x 4K4K 1T 18446744073709551616 99999999999999999999999; do
	replay --format $X86 --arena-size "$s" "$T/empty.trace"
	check "--arena-size '$s': exit 2" \
		eval 'status_is 2 && err_has "bad --arena-size"'
done
replay --format $X86 --arena-size 100 "$T/empty.trace"
check "--arena-size below the arena's minimum (128 bytes): exit 2" \
	eval 'status_is 2 && err_has "bad --arena-size 100"'
# Too large to allocate. Under a sanitizer a failed allocation aborts
# unless allocator_may_return_null is set; the tool itself must cope.
for s in 18446744073709551615 0x8000000000000000; do
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1" \
	TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}allocator_may_return_null=1" \
		"$IOPT" replay --format $X86 --arena-size "$s" "$T/empty.trace" \
		>"$T/out" 2>"$T/err"
	rc=$?
	check "--arena-size $s: cannot allocate, exit 1" \
		eval 'status_is 1 && err_has "cannot allocate a .*-byte arena"'
done

# ---- the tool's command line -------------------------------------------------
run
check "iopt without a command: usage, exit 2" \
	eval 'status_is 2 && err_has "usage: iopt COMMAND"'
run frobnicate
check "unknown command: exit 2" \
	eval 'status_is 2 && err_has "unknown command .frobnicate."'

finish

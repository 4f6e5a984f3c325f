#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# `iopt bench` as machines read it: the options, the JSON array (one object
# per measurement with the fields the README promises), and counts that
# follow from first principles for the cheap scenarios. Timing is never
# checked. Prints TAP and ends with "N passed, N failed". Uses sh, grep,
# sed and awk only.
O=${O:-build}
IOPT=$O/iopt
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

. "$(dirname "$0")/tap.sh"
# show: what check prints when a point fails.
show() { sed 's/^/#   /' "$T/out" | head -20; }

need_built "$IOPT"

"$IOPT" bench --help >"$T/out" 2>&1; rc=$?
check "--help exits 0 and lists the scenarios" \
	sh -c '[ '$rc' -eq 0 ] && grep -q "a  unmap-example" "$0" && grep -q "f  table-memory" "$0"' "$T/out"
"$IOPT" bench --scenario nosuch >"$T/out" 2>&1; rc=$?
check "an unknown scenario is a usage error (2)" [ "$rc" -eq 2 ]
"$IOPT" bench --format nosuch >"$T/out" 2>&1; rc=$?
check "an unknown format is a usage error (2)" [ "$rc" -eq 2 ]
"$IOPT" bench --rounds 0 >"$T/out" 2>&1; rc=$?
check "--rounds 0 is a usage error (2)" [ "$rc" -eq 2 ]

# The example scenario and the table-memory baseline, one timed round.
"$IOPT" bench --quick --json --rounds 1 --scenario a --scenario table-memory \
	>"$T/out" 2>"$T/err"; rc=$?
check "bench --json runs (exit 0)" [ "$rc" -eq 0 ]
check "the JSON is one array" \
	sh -c 'head -n 1 "$0" | grep -qx "\[" && tail -n 1 "$0" | grep -qx "\]"' "$T/out"
objs=$(grep -c '^  {' "$T/out")
check "one object per measurement: 2 formats x 2 variants + 2" [ "$objs" -eq 6 ]
missing=0
for key in scenario format variant unit count ns_per_unit calls walks flushes \
	   baseline ratio_to_baseline; do
	c=$(grep '^  {' "$T/out" | grep -c "\"$key\": ")
	[ "$c" -eq "$objs" ] || { echo "# $key in $c of $objs objects"; missing=1; }
done
check "every object has every required field" [ "$missing" -eq 0 ]

# field OBJECT-PATTERN KEY: the value of KEY in the first matching object.
field() {
	grep '^  {' "$T/out" | grep -- "$1" | head -n 1 |
		sed -n "s/.*\"$2\": \\([^,}]*\\).*/\\1/p"
}
pp='"format": "arm-lpae-s1-4k", "variant": "per-page"'
bt='"format": "arm-lpae-s1-4k", "variant": "batched"'
# 256 buffers of two 2M blocks: per page 2 engine calls of one walk each
# per buffer, batched 1 call; one flush per buffer either way.
check "per-page: 2 engine calls per buffer" [ "$(field "$pp" calls)" = 512 ]
check "per-page: 1 walk per call" [ "$(field "$pp" walks)" = 512 ]
check "batched: 1 engine call per buffer" [ "$(field "$bt" calls)" = 256 ]
check "one flush per buffer" \
	[ "$(field "$pp" flushes)" = 256 -a "$(field "$bt" flushes)" = 256 ]
check "batched is compared with per-page" [ "$(field "$bt" baseline)" = '"per-page"' ]
check "per-page has no baseline" [ "$(field "$pp" baseline)" = null ]
r=$(field "$bt" ratio_to_baseline)
check "the ratio is a positive number" \
	sh -c 'echo "$0" | grep -Eq "^[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$" && [ "$0" != 0 ]' "$r"
# 64 GiB cycled: 32768 leaf tables + 64 L2 + 1 L1 + the root, 4 KiB each.
tm='"scenario": "table-memory", "format": "arm-lpae-s1-4k", "variant": "4K every 2M, 64G"'
tr='"scenario": "table-memory", "format": "arm-lpae-s1-4k", "variant": "4K every 2M, 64G, reclaim"'
check "table-memory: final bytes as the geometry says" \
	[ "$(field "$tm" table_bytes_final)" = $(( (32768 + 64 + 1 + 1) * 4096 )) ]
check "table-memory: peak = final (nothing reclaimed)" \
	[ "$(field "$tm" table_bytes_peak)" = "$(field "$tm" table_bytes_final)" ]
check "table-memory: 2 engine calls and 1 flush per cycle" \
	[ "$(field "$tm" calls)" = 65536 -a "$(field "$tm" flushes)" = 32768 ]
# With iopt_reclaim() sweeping each finished 2M, 1G and at the end the
# whole space: only the root is left, the peak is one path of tables, and
# each cycle walks once more (the sweep) for the same flushes.
check "table-memory reclaim: only the root is left" \
	[ "$(field "$tr" table_bytes_final)" = 4096 ]
check "table-memory reclaim: the peak is the root and one path (4 tables)" \
	[ "$(field "$tr" table_bytes_peak)" = $(( 4 * 4096 )) ]
check "table-memory reclaim: one sweep walk per cycle, same calls and flushes" \
	[ "$(field "$tr" walks)" = $(( 65536 + 32768 )) -a "$(field "$tr" calls)" = 65536 -a \
	  "$(field "$tr" flushes)" = 32768 ]
check "table-memory reclaim: compared with keeping the tables" \
	sh -c 'grep "^  {" "$0" | grep -- "$1" | grep -q "\"baseline\": \"4K every 2M, 64G\", "' "$T/out" "$tr"

# Every scenario on the formats whose sizes differ from ARM LPAE's: v7s
# (4 GiB of IOVA and PA, 4-byte entries, replicated 64K and 16M pages) and
# Mali (oas 40), one timed round. Each scenario must run (not skip) and say
# which sizes it ran with.
# nobj SCENARIO: objects of that scenario.
nobj() { grep -c "\"scenario\": \"$1\"" "$T/out"; }
for f in arm-v7s arm-mali-lpae; do
	"$IOPT" bench --quick --rounds 1 --format $f >"$T/human" 2>&1; rc=$?
	check "$f: the quick bench runs (exit 0)" [ "$rc" -eq 0 ]
	check "$f: no scenario is skipped" sh -c '! grep -q skipped "$0"' "$T/human"
	"$IOPT" bench --quick --json --rounds 1 --format $f >"$T/out" 2>"$T/err"; rc=$?
	check "$f: bench --json runs (exit 0)" [ "$rc" -eq 0 ]
	check "$f: every object names the format" \
		[ "$(grep -c "^  {.*\"format\": \"$f\"" "$T/out")" -eq "$(grep -c '^  {' "$T/out")" ]
	check "$f: unmap-example, teardown, lookup, table-memory ran" \
		[ "$(nobj unmap-example)" -eq 2 -a "$(nobj teardown)" -eq 12 \
		  -a "$(nobj lookup)" -eq 6 -a "$(nobj table-memory)" -eq 2 ]
done
# Mali's run (the last): 1 GiB pages repeated over the GiBs that fit its
# 40-bit output. Batched is one call (and one sync) for all the GiBs of a
# repeat, per page one call per GiB.
ml='"format": "arm-mali-lpae", "variant"'
r1g=$(field "$ml: \"1G map batched\"" repeats)
g1g=$(field "$ml: \"1G map batched\"" gibs)
check "arm-mali-lpae: 1G batched: one map call, one unmap call and one sync per repeat" \
	[ "${r1g:-0}" -ge 1 -a "${g1g:-0}" -gt "${r1g:-0}" -a \
	  "$(field "$ml: \"1G map batched\"" calls)" = "$r1g" -a \
	  "$(field "$ml: \"1G unmap batched\"" calls)" = "$r1g" -a \
	  "$(field "$ml: \"1G unmap batched\"" flushes)" = "$r1g" -a \
	  "$(field "$ml: \"1G map per-page\"" calls)" = "$g1g" ]
# v7s (the last run is Mali's: run v7s again).
"$IOPT" bench --quick --json --rounds 1 --format arm-v7s >"$T/out" 2>"$T/err"
check "arm-v7s: map-1g with 4K, 64K, 1M, 16M (6 variants each)" \
	[ "$(nobj map-1g)" -eq 24 -a \
	  "$(grep -c '"page_bytes": 65536' "$T/out")" -ge 6 -a \
	  "$(grep -c '"page_bytes": 16777216' "$T/out")" -ge 6 ]
v7='"format": "arm-v7s", "variant"'
# 1 GiB of 4K pages: 262144 leaves and 1024 first-level entries written,
# one call; per page one call and one walk each.
check "arm-v7s: 4K map batched: 1 call, 262144 + 1024 entries per GiB" \
	[ "$(field "$v7: \"4K map batched\"" calls)" = 1 -a \
	  "$(field "$v7: \"4K map batched\"" entries)" = 263168 ]
check "arm-v7s: 4K map per-page: one call and one walk per page" \
	[ "$(field "$v7: \"4K map per-page\"" calls)" = 262144 -a \
	  "$(field "$v7: \"4K map per-page\"" walks)" = 262144 ]
# 64K: 16 copies of each entry, 16384 pages per GiB (entries are per round
# of "gibs" GiBs: the GiBs that fit, mapped again).
e64=$(field "$v7: \"64K map batched\"" entries)
g64=$(field "$v7: \"64K map batched\"" gibs)
check "arm-v7s: 64K map batched writes 16 copies per page" \
	[ "$((e64 / g64))" = 263168 -a "$((e64 % g64))" = 0 ]
check "arm-v7s: unmap-example with 1M sections, 2 calls vs 1 per buffer" \
	[ "$(field "$v7: \"per-page\"" block_bytes)" = 1048576 -a \
	  "$(field "$v7: \"per-page\"" calls)" = 512 -a \
	  "$(field "$v7: \"batched\"" calls)" = 256 ]
check "arm-v7s: teardown of a 3 GiB guest" \
	[ "$(field '"scenario": "teardown"' guest_bytes)" = $((3 << 30)) ]
check "arm-v7s: lookups over 1 GiB (a quarter of the input space)" \
	[ "$(field '"scenario": "lookup"' iova_bytes)" = $((1 << 30)) ]
# 4 GiB cycled: a 16 KiB first-level table and one 1 KiB table per 2 MiB.
tm7='"scenario": "table-memory", "format": "arm-v7s", "variant": "4K every 2M, 4G"'
tr7='"scenario": "table-memory", "format": "arm-v7s", "variant": "4K every 2M, 4G, reclaim"'
check "arm-v7s: table-memory through 4 GiB, bytes as the geometry says" \
	[ "$(field "$tm7" iova_bytes)" = $((4 << 30)) -a \
	  "$(field "$tm7" table_bytes_final)" = $((16384 + 2048 * 1024)) -a \
	  "$(field "$tm7" calls)" = 4096 -a "$(field "$tm7" flushes)" = 2048 ]
check "arm-v7s: table-memory reclaim leaves the 16 KiB root, peaks at one 1 KiB table more" \
	[ "$(field "$tr7" table_bytes_final)" = 16384 -a \
	  "$(field "$tr7" table_bytes_peak)" = $((16384 + 1024)) ]
# The single-page and one-call modes of bench/callgrind.sh, per format.
for f in arm-v7s arm-mali-lpae apple-dart apple-dart2; do
	"$IOPT" bench --once --single --size 1M --format $f >"$T/out" 2>&1 &&
	"$IOPT" bench --once --size 1M --format $f >>"$T/out" 2>&1; rc=$?
	check "$f: --once and --once --single run and check their lookups" [ "$rc" -eq 0 ]
done

# --compare: a run against itself is 1.000 everywhere; a measurement with
# other counts is flagged; a file that is not bench JSON is refused (2).
"$IOPT" bench --quick --json --rounds 1 --scenario a >"$T/a.json" 2>&1
"$IOPT" bench --compare "$T/a.json" "$T/a.json" >"$T/out" 2>&1; rc=$?
check "--compare of a run with itself: every ratio 1.000" \
	sh -c '[ '$rc' -eq 0 ] && grep -q "4 measurements in both\$" "$0" &&
	       [ $(grep -c " 1.000\$" "$0") -eq 4 ]' "$T/out"
sed '0,/"calls": [0-9]*/s//"calls": 99999/' "$T/a.json" >"$T/b.json"
"$IOPT" bench --compare "$T/a.json" "$T/b.json" >"$T/out" 2>&1; rc=$?
check "--compare flags counts that changed" \
	sh -c '[ '$rc' -eq 0 ] && [ $(grep -c "counts changed: calls .* -> 99999" "$0") -eq 1 ]' "$T/out"
sed '$d' "$T/a.json" >"$T/bad.json"
"$IOPT" bench --compare "$T/a.json" "$T/bad.json" >"$T/out" 2>&1; rc=$?
check "--compare refuses a truncated file (2), naming it" \
	sh -c '[ '$rc' -eq 2 ] && grep -q "bad.json: expected" "$0"' "$T/out"
"$IOPT" bench --compare "$T/a.json" "$T/none.json" >"$T/out" 2>&1; rc=$?
check "--compare of a missing file is 2" [ "$rc" -eq 2 ]
"$IOPT" bench --compare "$T/a.json" >"$T/out" 2>&1; rc=$?
check "--compare needs two files (usage, 2)" [ "$rc" -eq 2 ]

# Scenario g on every named configuration (--format all): six measurements
# each, with the counts a single-page call implies: one engine call and one
# walk per page, batched one call; one flush for each unmap (one sync).
"$IOPT" bench --quick --json --rounds 1 --format all --scenario g \
	>"$T/out" 2>"$T/err"; rc=$?
check "--format all --scenario g runs (exit 0)" [ "$rc" -eq 0 ]
"$IOPT" formats | awk '$1 != "" { print $1 }' >"$T/names"
bad=0; nf=0
while read -r f; do
	nf=$((nf + 1))
	c=$(grep -c "\"scenario\": \"single-page\", \"format\": \"$f\"," "$T/out")
	[ "$c" -eq 6 ] || { echo "# $f: $c measurements"; bad=1; continue; }
	for v in "map single" "unmap single" "iova_to_phys\"" "iova_to_phys_length"; do
		o=$(grep "\"format\": \"$f\", \"variant\": \"[0-9]*[KM] $v" "$T/out" | head -n 1)
		cnt=$(echo "$o" | sed -n 's/.*"count": \([0-9]*\).*/\1/p')
		calls=$(echo "$o" | sed -n 's/.*"calls": \([0-9]*\).*/\1/p')
		walks=$(echo "$o" | sed -n 's/.*"walks": \([0-9]*\).*/\1/p')
		[ -n "$cnt" ] && [ "$calls" = "$cnt" ] && [ "$walks" = "$cnt" ] ||
			{ echo "# $f $v: count $cnt calls $calls walks $walks"; bad=1; }
	done
	for v in "map batched" "unmap batched"; do
		calls=$(grep "\"format\": \"$f\", \"variant\": \"[0-9]*[KM] $v" "$T/out" |
			sed -n 's/.*"calls": \([0-9]*\).*/\1/p')
		[ "$calls" = 1 ] || { echo "# $f $v: $calls calls"; bad=1; }
	done
	fl=$(grep "\"format\": \"$f\", \"variant\": \"[0-9]*[KM] unmap" "$T/out" |
		sed -n 's/.*"flushes": \([0-9]*\).*/\1/p' | sort -u)
	[ "$fl" = 1 ] || { echo "# $f unmap flushes: $fl"; bad=1; }
done <"$T/names"
check "every configuration ($nf) has the six single-page measurements with exact counts" \
	[ "$bad" -eq 0 -a "$nf" -gt 10 ]

# Human-readable output of the same scenario.
"$IOPT" bench --rounds 1 --scenario a --format x86-64-4lvl >"$T/out" 2>&1; rc=$?
check "the human table names the scenario and the format only" \
	sh -c '[ '$rc' -eq 0 ] && grep -q "^a. unmap-example" "$0" &&
	       grep -q "x86-64-4lvl" "$0" && ! grep -q "arm-lpae" "$0"' "$T/out"
finish

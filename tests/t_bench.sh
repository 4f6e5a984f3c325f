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
check "one object per measurement: 2 formats x 2 variants + 1" [ "$objs" -eq 5 ]
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
tm='"scenario": "table-memory"'
check "table-memory: final bytes as the geometry says" \
	[ "$(field "$tm" table_bytes_final)" = $(( (32768 + 64 + 1 + 1) * 4096 )) ]
check "table-memory: peak = final (nothing reclaimed)" \
	[ "$(field "$tm" table_bytes_peak)" = "$(field "$tm" table_bytes_final)" ]
check "table-memory: 2 engine calls and 1 flush per cycle" \
	[ "$(field "$tm" calls)" = 65536 -a "$(field "$tm" flushes)" = 32768 ]

# Human-readable output of the same scenario.
"$IOPT" bench --rounds 1 --scenario a --format x86-64-4lvl >"$T/out" 2>&1; rc=$?
check "the human table names the scenario and the format only" \
	sh -c '[ '$rc' -eq 0 ] && grep -q "^a. unmap-example" "$0" &&
	       grep -q "x86-64-4lvl" "$0" && ! grep -q "arm-lpae" "$0"' "$T/out"
finish

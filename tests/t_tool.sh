#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# The iopt tool's command line: `iopt help [COMMAND]` (the same text as
# COMMAND --help), stray arguments refused with status 2, `iopt formats`
# and its --json (one object per line of the plain listing, same names,
# sizes and page sizes). Prints TAP and ends with "N passed, N failed".
O=${O:-build}
IOPT=$O/iopt
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

. "$(dirname "$0")/tap.sh"
show() { sed 's/^/#   /' "$T/out" | head -20; }

need_built "$IOPT"

"$IOPT" help >"$T/out" 2>&1; rc=$?
check "help: exit 0, lists every command" \
	sh -c '[ '$rc' -eq 0 ] && for c in demo replay formats walk dump bench help; do grep -q "^ *\(iopt \)\?$c" "$0" || exit 1; done' "$T/out"
for c in demo replay formats walk dump bench; do
	"$IOPT" help $c >"$T/out" 2>&1; rc=$?
	"$IOPT" $c --help >"$T/ref" 2>&1; rc2=$?
	check "help $c: exit 0, the text of '$c --help'" \
		sh -c '[ '$rc' -eq 0 ] && [ '$rc2' -eq 0 ] && [ -s "$0" ] && cmp -s "$0" "$1"' "$T/out" "$T/ref"
done
"$IOPT" help nosuch >"$T/out" 2>&1; rc=$?
check "help of an unknown command: 2, named" \
	sh -c '[ '$rc' -eq 2 ] && grep -q "unknown command .nosuch." "$0"' "$T/out"
"$IOPT" help demo replay >"$T/out" 2>&1; rc=$?
check "help of two commands: 2" [ "$rc" -eq 2 ]
"$IOPT" demo extra >"$T/out" 2>&1; rc=$?
check "demo with an argument: 2, nothing run" \
	sh -c '[ '$rc' -eq 2 ] && grep -q "takes no arguments" "$0" && ! grep -q DMA_MAP "$0"' "$T/out"
"$IOPT" formats extra >"$T/out" 2>&1; rc=$?
check "formats with a stray argument: 2" \
	sh -c '[ '$rc' -eq 2 ] && grep -q "unexpected argument .extra." "$0"' "$T/out"
"$IOPT" nosuch >"$T/out" 2>&1; rc=$?
check "an unknown command: 2" [ "$rc" -eq 2 ]

# formats --json against the plain listing, line by line.
"$IOPT" formats >"$T/plain" 2>&1
"$IOPT" formats --json >"$T/out" 2>&1; rc=$?
check "formats --json: exit 0, one array" \
	sh -c '[ '$rc' -eq 0 ] && head -n 1 "$0" | grep -qx "\[" && tail -n 1 "$0" | grep -qx "\]"' "$T/out"
nc=$(wc -l <"$T/plain")
check "formats --json: one object per configuration ($nc)" \
	[ "$(grep -c '^  {"name": ' "$T/out")" -eq "$nc" -a "$nc" -gt 10 ]
# Rebuild the plain lines from the JSON: name, ias, oas, levels, sizes.
sed -n 's/^  {"name": "\([^"]*\)", "ias": \([0-9]*\), "oas": \([0-9]*\), "levels": \([0-9]*\), "pagesizes": \[\([0-9, ]*\)\]}.*/\1 \2 \3 \4 \5/p' "$T/out" |
	awk '{ s = ""; for (i = 5; i <= NF; i++) { v = $i; sub(",", "", v); v += 0;
		u = ""; split("K M G T P E", us, " "); k = 0;
		while (v >= 1024 && v % 1024 == 0 && k < 6) { v /= 1024; k++ }
		s = s (s == "" ? "" : ",") sprintf("%d", v) (k ? us[k] : "") }
	       printf "%-20s ias=%-2u oas=%-2u levels=%u pagesizes=%s\n", $1, $2, $3, $4, s }' >"$T/rebuilt"
check "formats --json says what the plain listing says" cmp -s "$T/plain" "$T/rebuilt"

# docs/formats.md describes every configuration the tool lists.
missing=$("$IOPT" formats | awk '{ print $1 }' | while read -r f; do
	grep -q "\`$f\`" "$(dirname "$0")/../docs/formats.md" || echo "$f"; done)
check "docs/formats.md names every configuration of iopt formats${missing:+ (missing: $missing)}" \
	[ -z "$missing" ]

# bench: --opt=value and --opt value alike; refusals say what was wrong.
"$IOPT" bench --quick --rounds=1 --scenario=a --format=x86-64-4lvl >"$T/out" 2>"$T/err"; rc=$?
"$IOPT" bench --quick --rounds 1 --scenario a --format x86-64-4lvl >"$T/ref" 2>>"$T/err"; rc2=$?
check "bench: --opt=value runs what --opt value runs (same rows)" \
	sh -c '[ '$rc' -eq 0 ] && [ '$rc2' -eq 0 ] && grep -q "x86-64-4lvl  *batched" "$0" &&
	       [ "$(awk "{print \$1, \$2}" "$0")" = "$(awk "{print \$1, \$2}" "$1")" ]' "$T/out" "$T/ref"
check "bench: piped, no progress lines on stderr" [ ! -s "$T/err" ]
for c in '--rounds=0|--rounds .0.: a number from 1 to 1000' '--scenario=z|unknown scenario .z.' \
	 '--scenario|--scenario needs a letter or name' '--bogus|unknown option or argument .--bogus.'; do
	# shellcheck disable=SC2086
	"$IOPT" bench ${c%%|*} >"$T/out" 2>&1; rc=$?
	check "bench ${c%%|*}: 2, says '${c#*|}'" \
		sh -c '[ '$rc' -eq 2 ] && grep -q "^iopt bench: $1" "$0"' "$T/out" "${c#*|}"
done
# On a terminal (script(1) gives one) bench shows which scenario runs.
if command -v script >/dev/null 2>&1; then
	script -qc "$IOPT bench --quick --rounds=1 --scenario=a --format=x86-64-4lvl" /dev/null >"$T/out" 2>&1
	check "bench on a terminal: a progress line names the scenario" \
		grep -q "running a (unmap-example) on x86-64-4lvl" "$T/out"
else
	ok "# SKIP script(1) not installed"
fi
finish

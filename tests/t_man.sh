#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# The header comments pass the kernel-doc check (tools/kdoc.awk), the man
# pages come out one per declared function (the same list tests/t_symbols.sh
# checks against the library's exports) plus iopt.3 and iopt.1, and render
# without a warning when groff is installed. A broken comment fails the
# check. Prints TAP and ends with "N passed, N failed".
O=${O:-build}
IOPT=$O/iopt
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

. "$(dirname "$0")/tap.sh"
show() { sed 's/^/#   /' "$T/out" | head -20; }

need_built "$IOPT"

awk -v mode=check -f tools/kdoc.awk include/iopt/*.h >"$T/out" 2>&1; rc=$?
check "kernel-doc check of include/iopt/*.h: no problem" \
	sh -c '[ '$rc' -eq 0 ] && grep -q "^kdoc: [0-9]* functions, 0 problems$" "$0"' "$T/out"
nf=$(sed -n 's/^kdoc: \([0-9]*\) functions.*/\1/p' "$T/out")

# A comment that misses a parameter, one that names a wrong one, a missing
# Return: and a function without a comment are all found.
cat >"$T/bad.h" <<'H'
/**
 * f() - one
 * @a: the first.
 * @c: not a parameter.
 */
int f(int a, int b);
void g(int x);
/**
 * h() - no return section
 * @x: x.
 */
int h(int x);
H
awk -v mode=check -f tools/kdoc.awk "$T/bad.h" >"$T/out" 2>&1; rc=$?
check "the check finds a missing and a wrong @param, no Return:, no comment" \
	sh -c '[ '$rc' -eq 1 ] && grep -q "f(): parameter @b is not described" "$0" &&
	       grep -q "f(): @c is not a parameter" "$0" && grep -q "h(): no Return: section" "$0" &&
	       grep -q "g() has no kernel-doc comment" "$0" && grep -q "f(): no Return: section" "$0" && grep -q "5 problems" "$0"' "$T/out"

sh tools/mkman.sh "$T/man" test "$IOPT" include/iopt/*.h >"$T/out" 2>&1; rc=$?
check "tools/mkman.sh writes the pages (exit 0)" [ "$rc" -eq 0 ]
n3=$(ls "$T/man/man3" | grep -c '^iopt_.*\.3$')
check "one man3 page per documented function ($nf)" [ "$n3" -eq "$nf" -a "$nf" -gt 70 ]
check "iopt.3 links every function page" \
	sh -c 'for p in "$0"/man3/iopt_*.3; do f=$(basename "$p" .3); grep -qx ".BR $f (3)" "$0/man3/iopt.3" || exit 1; done' "$T/man"
check "iopt.1 has every command's help" \
	sh -c 'for c in DEMO REPLAY FORMATS WALK DUMP BENCH; do grep -qx ".SH $c" "$0" || exit 1; done && grep -q "usage: iopt replay" "$0"' "$T/man/man1/iopt.1"
check "iopt_map_pages.3: synopsis, every argument, the return value" \
	sh -c 'grep -q "^int iopt_map_pages(struct iopt_table \*t," "$0" &&
	       [ $(grep -c "^\.I " "$0") -eq 8 ] && grep -q "^\.SH RETURN VALUE" "$0"' "$T/man/man3/iopt_map_pages.3"
if command -v groff >/dev/null 2>&1; then
	groff -man -Tutf8 -ww -z "$T"/man/man3/*.3 "$T/man/man1/iopt.1" >"$T/out" 2>&1; rc=$?
	check "groff renders every page without a warning" \
		sh -c '[ '$rc' -eq 0 ] && [ ! -s "$0" ]' "$T/out"
else
	ok "# SKIP groff is not installed"
fi
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# The man pages, generated so they cannot drift from what they describe:
#   OUT/man3/NAME.3  one per function, from its kernel-doc comment in the
#                    installed headers (tools/kdoc.awk);
#   OUT/man3/iopt.3  the overview: every function by header, with its summary;
#   OUT/man1/iopt.1  the tool, from `iopt help` and each command's --help.
# Usage: tools/mkman.sh OUT VERSION IOPT HEADER...   (fails when a header
# comment fails the kernel-doc check).
set -eu
out=$1 version=$2 iopt=$3
shift 3
here=$(dirname "$0")
rm -rf "$out/man1" "$out/man3"
mkdir -p "$out/man1" "$out/man3"
awk -v mode=check -f "$here/kdoc.awk" "$@" >"$out/kdoc.log" ||
	{ cat "$out/kdoc.log" >&2; exit 1; }
awk -v mode=man -v out="$out/man3" -v version="$version" -f "$here/kdoc.awk" "$@"

# roff-safe text of a help screen, as it is printed.
verbatim() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

{
	printf '.TH IOPT 3 "" "iopt %s" "iopt manual"\n' "$version"
	printf '.SH NAME\niopt \\- IOMMU page tables in the hardware formats, as a library\n'
	printf '.SH SYNOPSIS\n.nf\n'
	for h in "$@"; do printf '.B #include <iopt/%s>\n' "$(basename "$h")"; done
	printf '.fi\n.PP\nLink with \\fB\\-liopt\\fR (pkg-config: \\fBiopt\\fR).\n'
	printf '.SH DESCRIPTION\n'
	printf 'iopt builds, changes and walks IOMMU page tables bit-exact in the formats the\n'
	printf 'hardware reads (ARM LPAE and v7s, Mali, Apple DART, x86-64, AMD v1, Intel VT-d\n'
	printf 'second stage and more; \\fBiopt formats\\fR lists them). A table lives in memory a\n'
	printf 'backend hands out (an arena, the heap, or the caller'"'"'s own); unmaps collect what\n'
	printf 'to invalidate and free in a gather, which frees table memory only after the flush.\n'
	printf 'Every function returns 0 or a negative errno value and changes nothing on bad input.\n'
	printf '.SH FUNCTIONS\n'
	for h in "$@"; do
		b=$(basename "$h")
		printf '.SS <iopt/%s>\n' "$b"
		awk -F '\t' -v h="iopt/$b" '$3 == h { printf ".TP\n.BR %s (3)\n%s\n", $1, $2 }' \
			"$out/man3/list"
	done
	printf '.SH SEE ALSO\n.BR iopt (1)\n'
} >"$out/man3/iopt.3"
rm -f "$out/man3/list"

{
	printf '.TH IOPT 1 "" "iopt %s" "iopt manual"\n' "$version"
	printf '.SH NAME\niopt \\- build, replay, walk and benchmark IOMMU page tables\n'
	printf '.SH SYNOPSIS\n.nf\n'
	"$iopt" help | verbatim
	printf '.fi\n'
	for c in demo replay formats walk dump bench; do
		printf '.SH %s\n.nf\n' "$(echo "$c" | tr a-z A-Z)"
		"$iopt" "$c" --help | verbatim
		printf '.fi\n'
	done
	printf '.SH EXIT STATUS\n0 on success, 1 when a command failed (a check, a trace line, a file), 2 for\nusage errors.\n'
	printf '.SH SEE ALSO\n.BR iopt (3)\n'
} >"$out/man1/iopt.1"

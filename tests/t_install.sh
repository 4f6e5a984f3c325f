#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# make install into a temporary DESTDIR with two PREFIX values (the second
# also with its own LIBDIR), as a distribution's package build does: each
# iopt.pc names its own prefix and libdir (never the previous install's),
# the installed headers, library and pkg-config file build and run a
# program, and make uninstall of each leaves no file behind. Uses the build
# in $O (make check built it). Prints TAP, ends with "N passed, N failed".
. "$(dirname "$0")/tap.sh"

O=${O:-build}
CC=${CC:-cc}
MAKE=${MAKE:-make}
D=$(mktemp -d) || exit 1
trap 'rm -rf "$D"' EXIT
log=$D/log
show() { sed 's/^/#   /' "$log" | tail -n 20; }
# mk ARGS...: a quiet make of this build's install targets, output in $log.
mk() {
	"$MAKE" -s --no-print-directory O="$O" CC="$CC" DESTDIR="$D/root" "$@" >"$log" 2>&1
}

# make check builds the library first; a runner whose $O holds no library
# (make check-be's qemu wrappers, a foreign build) installs nothing.
if [ ! -f "$O/libiopt.so" ] || [ ! -f "$O/libiopt.a" ]; then
	ok "# SKIP no $O/libiopt.so in this build"
	finish
fi
need_built "$O/iopt"
# A sanitizer build's library needs its runtime loaded first: build the
# program with the same sanitizer (make SAN=1 check, make tsan).
san=
case $(readelf -d "$O/libiopt.so" 2>/dev/null) in
*libasan*) san=-fsanitize=address,undefined ;;
*libtsan*) san=-fsanitize=thread ;;
esac

# pcvar FILE NAME: the value of NAME=... in a .pc file, ${prefix} expanded.
pcvar() {
	awk -F= -v n="$2" '$1 == "prefix" { p = $2 }
		$1 == n { v = $2; sub(/\$\{prefix\}/, p, v); print v; exit }' "$1"
}

# one PREFIX LIBDIR: install, check iopt.pc and a program built against it.
one() {
	p=$1; l=$2
	check "make install PREFIX=$p LIBDIR=$l" mk PREFIX="$p" LIBDIR="$l" install
	pc=$D/root$l/pkgconfig/iopt.pc
	if [ -f "$pc" ] && [ "$(pcvar "$pc" prefix)" = "$p" ] &&
	   [ "$(pcvar "$pc" libdir)" = "$l" ] &&
	   [ "$(pcvar "$pc" includedir)" = "$p/include" ]; then
		ok "iopt.pc: prefix=$p libdir=$l includedir=$p/include"
	else
		notok "iopt.pc: prefix=$p libdir=$l includedir=$p/include"
		[ -f "$pc" ] && sed 's/^/#   /' "$pc"
	fi
	if command -v pkg-config >/dev/null 2>&1; then
		got=$(PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$D/root$l/pkgconfig" \
			pkg-config --variable=libdir iopt 2>&1)
		if [ "$got" = "$l" ]; then
			ok "pkg-config --variable=libdir iopt is $l"
		else
			notok "pkg-config --variable=libdir iopt is $l (got '$got')"
		fi
	fi
	printf '%s\n' '#include <stdio.h>' '#include <string.h>' \
		'#include <iopt/iopt.h>' \
		'int main(void) { puts(iopt_version()); return strcmp(iopt_version(), "") == 0; }' \
		>"$D/v.c"
	if "$CC" $san -I"$D/root$p/include" -o "$D/v" "$D/v.c" -L"$D/root$l" -liopt >"$log" 2>&1 &&
	   LD_LIBRARY_PATH="$D/root$l" "$D/v" >"$log" 2>&1 &&
	   [ "$(cat "$log")" = "$("$O/iopt" --version | sed 's/^iopt //')" ]; then
		ok "a program built with the installed header and libiopt.so runs ($(cat "$log"))"
	else
		notok "a program built with the installed header and libiopt.so runs"
		show
	fi
}

one /usr/a /usr/a/lib
one /opt/b /opt/b/lib64
# The first install's iopt.pc was not touched by the second.
pc=$D/root/usr/a/lib/pkgconfig/iopt.pc
check "the first iopt.pc still names /usr/a" [ "$(pcvar "$pc" prefix)" = /usr/a ]

for pl in "/usr/a /usr/a/lib" "/opt/b /opt/b/lib64"; do
	set -- $pl
	check "make uninstall PREFIX=$1 LIBDIR=$2" mk PREFIX="$1" LIBDIR="$2" uninstall
done
find "$D/root" ! -type d >"$log"
if [ -s "$log" ]; then
	notok "nothing is left after make uninstall"; show
else
	ok "nothing is left after make uninstall"
fi
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# meson.build builds what the Makefile builds: its library and tool sources
# are the Makefile's (make list-srcs, which includes mk/*.mk's additions),
# tests/meson.build lists every tests/test_*.c and every tests/t_*.sh but
# t_install.sh (make install is the Makefile's), meson.build installs every
# include/iopt/*.h, links the shared library with src/libiopt.map and has
# iopt.h's version. Prints TAP, ends with "N passed, N failed".
. "$(dirname "$0")/tap.sh"

MAKE=${MAKE:-make}
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
show() { :; }

for f in meson.build tests/meson.build; do
	if [ ! -f "$f" ]; then
		notok "$f exists"
		finish
	fi
done

# strings FILE START: the quoted strings from the line matching START to the
# first line that closes it (")" or "]" alone), one per line, sorted.
strings() {
	awk -v start="$2" '
		$0 ~ start { on = 1; next }
		on && /^[ \t]*[])][ \t]*$/ { exit }
		on { while (match($0, /\047[^\047]*\047/)) {
			print substr($0, RSTART + 1, RLENGTH - 2)
			$0 = substr($0, RSTART + RLENGTH) } }' "$1" | sort
}

# same DESC WANT GOT: ok when the two sorted lists are equal, else each
# difference as "- only in the Makefile's list" or "+ only in meson's".
same() {
	if cmp -s "$2" "$3"; then
		ok "$1 ($(wc -l <"$2" | tr -d ' '))"
	else
		notok "$1"
		comm -23 "$2" "$3" | sed 's/^/#   - /'
		comm -13 "$2" "$3" | sed 's/^/#   + /'
	fi
}

if command -v "$MAKE" >/dev/null 2>&1 &&
   "$MAKE" -s --no-print-directory list-srcs >"$T/make" 2>"$T/err"; then
	for l in lib tool; do
		sed -n "s/^$l //p" "$T/make" | tr ' ' '\n' | grep . | sort >"$T/$l.make"
		strings meson.build "^${l}_srcs = files\\(" >"$T/$l.meson"
		same "meson.build's ${l}_srcs are the Makefile's" "$T/$l.make" "$T/$l.meson"
	done
else
	ok "# SKIP the Makefile's source lists: $MAKE list-srcs failed ($(head -n 1 "$T/err"))"
fi

ls tests/test_*.c | sed 's,^tests/,,; s,\.c$,,' | sort >"$T/c.want"
strings tests/meson.build '^c_tests = \[' >"$T/c.meson"
same "tests/meson.build's c_tests are tests/test_*.c" "$T/c.want" "$T/c.meson"
ls tests/t_*.sh | sed 's,^tests/,,; s,\.sh$,,' | grep -v -x t_install | sort >"$T/sh.want"
strings tests/meson.build '^sh_tests = \[' >"$T/sh.meson"
same "tests/meson.build's sh_tests are tests/t_*.sh but t_install" "$T/sh.want" "$T/sh.meson"

ls include/iopt/*.h | sort >"$T/h.want"
strings meson.build '^install_headers\(' | grep '\.h$' | sort >"$T/h.meson"
same "meson.build installs include/iopt/*.h" "$T/h.want" "$T/h.meson"

check "meson.build links the shared library with src/libiopt.map" \
	grep -q "src/libiopt.map" meson.build

hv=$(awk '/^#define IOPT_VERSION_(MAJOR|MINOR|PATCH) / { v = v s $3; s = "." } END { print v }' \
	include/iopt/iopt.h)
mv=$(sed -n "s/^[ \t]*version : '\([^']*\)',*$/\1/p" meson.build | head -n 1)
if [ -n "$hv" ] && [ "$mv" = "$hv" ]; then
	ok "meson.build's version is iopt.h's ($hv)"
else
	notok "meson.build's version '$mv' is iopt.h's '$hv'"
fi
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# The shared library exports exactly the installed API: every defined
# dynamic symbol of $O/libiopt.so (nm -D --defined-only) is declared in an
# installed header (include/iopt/*.h), every function or object those
# headers declare is exported, src/libiopt.map lists the same names, every
# export carries a version node of the map, and the versions agree (header
# macros, iopt --version, the soname). Prints TAP, ends with
# "N passed, N failed". LIBIOPT_SO overrides the library (meson's build).
. "$(dirname "$0")/tap.sh"

O=${O:-build}
SO=${LIBIOPT_SO:-$O/libiopt.so}
MAP=src/libiopt.map
NM=${NM:-nm}
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

# make check builds the library first; a runner whose $O holds no library
# (make check-be's qemu wrappers) has nothing to check here.
if [ ! -f "$SO" ]; then
	ok "# SKIP no $SO in this build"
	finish
fi

# decls HEADER...: "func NAME" or "data NAME" per external declaration.
# Comments and preprocessor lines are dropped (so are C++-only blocks), the
# text outside braces is split at ';', typedefs and static or inline
# functions are skipped; the first identifier before a '(' names a function
# (unless it is a "(*member)"), an extern without one names an object.
decls() {
	awk '
	function emit(   s, m) {
		s = stmt; stmt = ""
		gsub(/[ \t]+/, " ", s)
		if (s ~ /^ *typedef / || s ~ /(^| )(static|inline)( |$)/)
			return
		if (match(s, /[A-Za-z_][A-Za-z0-9_]* *\(/)) {
			if (substr(s, RSTART - 1, 1) == "(")
				return
			m = substr(s, RSTART, RLENGTH); sub(/ *\($/, "", m)
			print "func " m
		} else if (s ~ /^ *extern /) {
			sub(/ *(\[[^]]*\])? *(=.*)?$/, "", s)
			if (match(s, /[A-Za-z_][A-Za-z0-9_]*$/))
				print "data " substr(s, RSTART, RLENGTH)
		}
	}
	{
		line = $0; out = ""
		while (length(line) > 0) {
			if (incomment) {
				i = index(line, "*/")
				if (i == 0) { line = ""; break }
				line = substr(line, i + 2); incomment = 0
				continue
			}
			i = index(line, "/*"); j = index(line, "//")
			if (j > 0 && (i == 0 || j < i)) {
				out = out substr(line, 1, j - 1); break
			}
			if (i == 0) { out = out line; break }
			out = out substr(line, 1, i - 1) " "
			line = substr(line, i + 2); incomment = 1
		}
		line = out
		if (cont) { cont = (line ~ /\\$/); next }
		if (line ~ /^[ \t]*#/) {
			cont = (line ~ /\\$/)
			if (line ~ /^[ \t]*#[ \t]*if(def)?[ \t]+(defined[ (]*)?__cplusplus/)
				cpp = 1
			else if (cpp && line ~ /^[ \t]*#[ \t]*endif/)
				cpp = 0
			next
		}
		if (cpp)
			next
		n = length(line)
		for (k = 1; k <= n; k++) {
			c = substr(line, k, 1)
			if (c == "{") {
				if (depth == 0) stmt = stmt " {"
				depth++; continue
			}
			if (c == "}") {
				depth--
				if (depth == 0) {
					stmt = stmt "} "
					if (stmt ~ /\)[ \t]*\{[ \t]*\}/) emit()
				}
				continue
			}
			if (depth > 0) continue
			if (c == ";") { emit(); continue }
			stmt = stmt c
		}
		stmt = stmt " "
	}' "$@"
}

decls include/iopt/*.h | sort -u >"$T/decl"
awk '{ print $2 }' "$T/decl" | sort -u >"$T/hdr"
# Defined dynamic symbols with their versions; the version nodes themselves
# are absolute symbols named after the node (type A, no address use).
"$NM" -D --defined-only "$SO" >"$T/nm" 2>"$T/nm.err"
awk '$2 != "A" { print $3 }' "$T/nm" | sed 's/@.*//' | sort -u >"$T/exp"
awk '$2 != "A" { v = $3; if (sub(/^[^@]*@@?/, "", v) == 0) v = "-"; print $3 " " v }' \
	"$T/nm" >"$T/ver"
# The map's names: "name;" lines, not "local: *;" and not comments.
sed -e 's,/\*.*\*/,,' -e '/\/\*/,/\*\//d' "$MAP" |
	sed -n 's/^[ \t]*\([A-Za-z_][A-Za-z0-9_]*\)[ \t]*;.*/\1/p' | sort -u >"$T/map"
sed -e '/\/\*/,/\*\//d' "$MAP" |
	sed -n 's/^\(IOPT_[0-9][0-9.]*\)[ \t]*{.*/\1/p' >"$T/nodes"

show() { :; }
listed() { # DESC FILE: ok when FILE is empty, else notok and its lines
	if [ -s "$2" ]; then
		notok "$1 ($(wc -l <"$2" | tr -d ' '))"
		sed 's/^/#   /' "$2"
	else
		ok "$1"
	fi
}

nh=$(wc -l <"$T/hdr" | tr -d ' ')
if [ "$nh" -ge 50 ] && grep -qx 'func iopt_init' "$T/decl" &&
   grep -qx 'func iopt_version' "$T/decl"; then
	ok "the headers declare $nh functions and objects (iopt_init and iopt_version among them)"
else
	notok "the header parse found $nh declarations (iopt_init, iopt_version expected)"
fi
ne=$(wc -l <"$T/exp" | tr -d ' ')
if [ "$ne" -ge 1 ]; then
	ok "$SO exports $ne symbols"
else
	notok "$SO exports symbols (nm -D: $(cat "$T/nm.err"))"
fi

comm -23 "$T/exp" "$T/hdr" >"$T/d"
listed "every symbol $SO exports is declared in include/iopt/*.h" "$T/d"
comm -13 "$T/exp" "$T/hdr" >"$T/d"
listed "every function and object include/iopt/*.h declare is exported" "$T/d"
comm -23 "$T/map" "$T/hdr" >"$T/d"
listed "every name in $MAP is declared in include/iopt/*.h" "$T/d"
comm -13 "$T/map" "$T/hdr" >"$T/d"
listed "every declaration of include/iopt/*.h is in $MAP" "$T/d"

if [ -s "$T/nodes" ]; then
	ok "$MAP has version nodes: $(tr '\n' ' ' <"$T/nodes")"
else
	notok "$MAP has version nodes (IOPT_X.Y { ... })"
fi
awk 'NR == FNR { node[$1] = 1; next } !($2 in node)' "$T/nodes" "$T/ver" >"$T/d"
listed "every export carries a version node of $MAP" "$T/d"

hv=$(awk '/^#define IOPT_VERSION_(MAJOR|MINOR|PATCH) / { v = v s $3; s = "." } END { print v }' \
	include/iopt/iopt.h)
case $hv in
[0-9]*.[0-9]*.[0-9]*) ok "iopt.h defines version $hv" ;;
*) notok "iopt.h defines IOPT_VERSION_MAJOR/MINOR/PATCH (got '$hv')" ;;
esac
if [ -x "$O/iopt" ]; then
	tv=$("$O/iopt" --version 2>&1)
	if [ "$tv" = "iopt $hv" ]; then
		ok "iopt --version prints 'iopt $hv'"
	else
		notok "iopt --version prints 'iopt $hv' (got '$tv')"
	fi
fi
if command -v readelf >/dev/null 2>&1; then
	sn=$(readelf -d "$SO" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	if [ "$sn" = "libiopt.so.${hv%%.*}" ]; then
		ok "the soname is $sn"
	else
		notok "the soname is libiopt.so.${hv%%.*} (got '$sn')"
	fi
fi
finish

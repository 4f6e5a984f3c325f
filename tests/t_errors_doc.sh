#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# docs/errors.md promises that a test checks every row. This holds it to
# that: each table row names at least one test as `FILE:NAME`, FILE exists
# under tests/, and NAME is a TEST()/TEST_CFG() of a C file or part of a
# check "..." description of a shell script. Every test of test_badinput.c
# and test_allocfail.c appears in the table. Prints TAP, ends with
# "N passed, N failed".
DOC=docs/errors.md
. "$(dirname "$0")/tap.sh"

if [ ! -f "$DOC" ]; then
	notok "$DOC exists"
	finish
fi

# Table rows: lines starting with '|', not the header or the separator.
rows=$(grep '^| ' "$DOC" | grep -v '^| Function or input |' | grep -v '^| Input |')
T=$(mktemp) || exit 1
trap 'rm -f "$T"' EXIT

bad_rows=0
printf '%s\n' "$rows" | while IFS= read -r row; do
	last=$(printf '%s\n' "$row" | awk -F'|' '{ print $(NF - 1) }')
	refs=$(printf '%s\n' "$last" | grep -o '`[^`]*`' | tr -d '`')
	if [ -z "$refs" ]; then
		echo "# no test named in: $row"
		echo x >>"$T"
		continue
	fi
	printf '%s\n' "$refs" | while IFS= read -r ref; do
		file=${ref%%:*}; name=${ref#*:}
		case $file in
		test_*.c)
			grep -q -e "^TEST($name)" -e "^TEST_CFG($name)" \
				"tests/$file" 2>/dev/null && continue ;;
		t_*.sh)
			grep 'check "' "tests/$file" 2>/dev/null |
				grep -q -F -- "$name" && continue ;;
		esac
		echo "# no such test: $ref"
		echo x >>"$T"
	done
done
bad=$(wc -l <"$T")
if [ "$bad" -eq 0 ]; then
	ok "every row of $DOC names tests that exist ($(printf '%s\n' "$rows" | wc -l) rows)"
else
	notok "every row of $DOC names tests that exist ($bad bad references)"
fi

for f in tests/test_badinput.c tests/test_allocfail.c; do
	missing=""
	for t in $(sed -n 's/^TEST\(_CFG\)\{0,1\}(\([a-z0-9_]*\)).*/\2/p' "$f"); do
		grep -q "\`$(basename "$f"):$t\`" "$DOC" || missing="$missing $t"
	done
	if [ -z "$missing" ]; then
		ok "every test of $f is in $DOC"
	else
		notok "every test of $f is in $DOC (missing:$missing)"
	fi
done

finish

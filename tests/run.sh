#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Runs every test program given as an argument, then every tests/t_*.sh
# script, shows their TAP output, and prints the totals as the last line:
# "N passed, N failed". Exits non-zero when anything failed.
# RUN_SCRIPTS=0 leaves the scripts out (make tsan: they are single-threaded).
O=${O:-build}
export O
passed=0; failed=0; broken=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT
[ "${RUN_SCRIPTS:-1}" = 0 ] || set -- "$@" tests/t_*.sh
for t in "$@"; do
	[ -e "$t" ] || continue
	echo "# === $t"
	case "$t" in
	*.sh) sh "$t" >"$log" 2>&1; rc=$? ;;
	*)    "$t" >"$log" 2>&1; rc=$? ;;
	esac
	cat "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "# $t printed no result line (exit $rc)"
		failed=$((failed + 1)); broken="$broken $t"; continue
	fi
	p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# $t exited $rc"; failed=$((failed + 1)); broken="$broken $t"
	fi
	[ "$f" -ne 0 ] && broken="$broken $t"
done
[ -n "$broken" ] && echo "# failing:$broken"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

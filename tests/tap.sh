# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# The TAP harness of the shell tests, sourced (not run: the name is outside
# tests/run.sh's t_*.sh) by each tests/t_*.sh as
#   . "$(dirname "$0")/tap.sh"
# POSIX sh only, so it works under dash as run.sh invokes the scripts.
#
# ok DESC, notok DESC: one test point, numbered in order.
# check DESC CMD...: one test point, passed when CMD succeeds; on failure it
#   calls show, which the sourcing script defines (what to print then). A
#   script that adds a condition to every point redefines check on top of
#   tap_check, which is the same.
# need_built FILE: a missing or non-executable FILE is one failed point and
#   the end of the script.
# finish: the plan line, then "N passed, N failed"; exits non-zero when any
#   point failed.
n=0; pass=0; fail=0
ok()    { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
tap_check() {
	d=$1; shift
	if "$@"; then ok "$d"; else notok "$d"; show; fi
}
check() { tap_check "$@"; }
need_built() {
	if [ ! -x "$1" ]; then
		notok "$1 is built"
		finish
	fi
}
finish() {
	echo "1..$n"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

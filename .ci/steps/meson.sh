#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# CI step: the meson build (meson.build beside the Makefile).
#  1. iopt on its own with gcc, warnings as errors: meson setup, compile,
#     meson test (every test program and shell test make check runs but
#     t_install.sh; the suites' own operation counts, as dist.sh says).
#  2. tests/meson-parent as a parent project, with this tree as its
#     subprojects/iopt (a symlink, in a temporary copy): dependency('iopt')
#     must find the subproject (--force-fallback-for=iopt, so an installed
#     iopt cannot stand in), and its program must run, linked with the shared
#     library and then with the static one.
# Installs meson and ninja-build with apt-get when missing. About 40 s
# beyond the builds on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

install() {
	echo "== meson: installing $*"
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
	else
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
	fi
}
need=""
command -v meson >/dev/null 2>&1 || need="meson"
command -v ninja >/dev/null 2>&1 || need="$need ninja-build"
# shellcheck disable=SC2086 # the package list is meant to split
[ -z "$need" ] || install $need

jobs=$(nproc 2>/dev/null || echo 2)
start=$SECONDS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CC=${CC:-gcc}

echo "== meson: iopt ($CC, meson $(meson --version))"
rm -rf build-meson
meson setup build-meson --werror >"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log"; exit 1; }
meson compile -C build-meson -j "$jobs"
meson test -C build-meson --num-processes "$jobs" --print-errorlogs

for lib in shared static; do
	echo "== meson: tests/meson-parent with iopt as a subproject ($lib)"
	p=$tmp/parent-$lib
	cp -r tests/meson-parent "$p"
	mkdir "$p/subprojects"
	ln -s "$repo" "$p/subprojects/iopt"
	(
		cd "$p"
		meson setup b --werror --force-fallback-for=iopt -Ddefault_library="$lib" \
			>"$tmp/parent.log" 2>&1 || { cat "$tmp/parent.log"; exit 1; }
		grep -q 'Dependency iopt found: YES .*(overridden)' "$tmp/parent.log" || {
			cat "$tmp/parent.log"
			echo "meson: dependency('iopt') was not the subproject's override"; exit 1; }
		meson compile -C b -j "$jobs"
		out=$(b/iopt-parent)
		echo "$out"
		case $out in
		"iopt-parent: iopt "*" as a subproject: "*) ;;
		*) echo "meson: iopt-parent printed something else"; exit 1 ;;
		esac
		if [ "$lib" = static ]; then
			if readelf -d b/iopt-parent | grep -q 'libiopt\.so'; then
				echo "meson: the static build links libiopt.so"; exit 1
			fi
		else
			readelf -d b/iopt-parent | grep -q 'libiopt\.so\.0' || {
				echo "meson: the shared build does not link libiopt.so.0"; exit 1; }
		fi
	)
done

echo "== meson done in $((SECONDS - start)) s"

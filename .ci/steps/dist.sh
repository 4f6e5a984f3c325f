#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# CI step: the release tarball stands on its own. `make dist` (git archive of
# HEAD), the tarball's files are exactly the tracked files, and unpacked in
# a temporary directory, away from the repository, it builds with gcc and
# passes make check, with the suites' own operation counts (an IOPT_TEST_OPS
# in the environment is passed on; below about 20000, test_diff's
# all-or-nothing runs may see no -ENOMEM and fail, so none is set here).
# Installs nothing beyond what .ci/run needs (gcc, make, git). About 40 s
# on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

jobs=$(nproc 2>/dev/null || echo 2)
start=$SECONDS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== dist: make dist"
make -s O="$tmp/out" dist
tarball=$(ls "$tmp"/out/iopt-*.tar.gz)
name=$(basename "$tarball" .tar.gz)

echo "== dist: $name.tar.gz holds the tracked files of HEAD"
tar -tzf "$tarball" | sed -n "s,^$name/,,p" | grep -v '/$' | grep -v '^$' | sort >"$tmp/tar.list"
git ls-tree -r --name-only HEAD | sort >"$tmp/git.list"
if ! diff -u "$tmp/git.list" "$tmp/tar.list"; then
	echo "dist: the tarball's files differ from git ls-tree HEAD"
	exit 1
fi

echo "== dist: unpacked, make && make check (gcc)"
mkdir "$tmp/src"
tar -xzf "$tarball" -C "$tmp/src"
cd "$tmp/src/$name"
[ ! -e .git ] || { echo "dist: the tarball holds .git"; exit 1; }
make -j"$jobs" CC=gcc
make -j"$jobs" CC=gcc check | tee "$tmp/check.log" | tail -n 3
tail -n 1 "$tmp/check.log" | grep -Eq '^[0-9]+ passed, 0 failed$' || {
	echo "dist: make check in the unpacked tarball failed"; exit 1; }

echo "== dist done in $((SECONDS - start)) s"

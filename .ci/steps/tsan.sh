#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# ThreadSanitizer over the concurrency contract (include/iopt/iopt.h): `make
# tsan` with gcc, then with clang when it is installed. Each builds the
# library, the tool and every test program with -fsanitize=thread and runs
# tests/test_concurrency under it; any data race fails the step.
# Installs nothing: gcc and clang ship their ThreadSanitizer runtimes on
# Debian. About a minute on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

jobs=$(nproc 2>/dev/null || echo 2)
start=$SECONDS

echo "== tsan: gcc"
make -j"$jobs" CC=gcc O=build tsan

if command -v clang >/dev/null 2>&1; then
	# Fewer rounds: the same contract through the other compiler's
	# instrumentation; gcc's run above is the long one.
	echo "== tsan: clang"
	make -j"$jobs" CC=clang O=build-clang TSAN_ROUNDS=300 tsan
else
	echo "== tsan: clang not installed, skipped"
fi

echo "== tsan done in $((SECONDS - start)) s"

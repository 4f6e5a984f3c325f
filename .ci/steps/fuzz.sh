#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# CI step: libFuzzer on every fuzz target (tests/fuzz/, mk/fuzz.mk), each for
# FUZZ_SECONDS (default 30, to keep CI under 15 minutes; campaigns run
# longer by hand) from its committed corpus; fails on any crash,
# leak, sanitizer report, failed check or timeout. The committed corpora
# also run in plain `make check` (tests/test_fuzz_corpus.c); this step looks
# for new inputs. A failing input is left in build-fuzz/artifacts/; to
# replay it without libFuzzer: make fuzz-replay && build/fuzz-replay/fuzz_<target> FILE.
#
# Installs clang, and the libFuzzer runtime (Debian: libclang-rt-<N>-dev,
# N = clang's major version) when clang cannot link -fsanitize=fuzzer.
#
# All four targets run, including fuzz_tables (hostile table memory): the
# engine bounds table addresses to the backend's region since commit
# 4d30b16 ("never dereference a table address outside the backend's bound"),
# and fuzz_write (the write paths on hostile tables, over a strict labelled
# backend), whose inputs get a 10-second -timeout each (FUZZ_TIMEOUT_write in
# mk/fuzz.mk): an exponential walk is a finding. Set FUZZ_TARGETS to run
# fewer.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${FUZZ_SECONDS:-30}
targets=${FUZZ_TARGETS:-ops tables trace write}

install() {
	echo "== fuzz: installing $*"
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
	else
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
	fi
}

command -v clang >/dev/null 2>&1 || install clang

# Can clang link a fuzzer? (The runtime is a separate package on Debian.)
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
	>"$probe/t.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/t.c" -o "$probe/t" 2>/dev/null; then
	major=$(clang -dumpversion | cut -d. -f1)
	install "libclang-rt-$major-dev" || install "libfuzzer-$major-dev"
	clang -fsanitize=fuzzer,address,undefined "$probe/t.c" -o "$probe/t" || {
		echo "fuzz: clang $major cannot link -fsanitize=fuzzer even after installing its runtime"
		exit 1
	}
fi

make -j"$(nproc 2>/dev/null || echo 2)" O=build FUZZ_TARGETS="$targets" fuzz-build
make O=build FUZZ_SECONDS="$seconds" FUZZ_TARGETS="$targets" fuzz

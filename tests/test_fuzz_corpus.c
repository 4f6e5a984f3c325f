// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The committed fuzz corpora (tests/fuzz/corpus/<target>/) replayed as an
 * ordinary test program, so `make check` runs every saved input - seeds,
 * coverage finds and every input that ever found a bug - without libFuzzer,
 * under whatever compiler and sanitizers the check uses.
 *
 * The four targets are compiled into this one program: each is #included
 * with its LLVMFuzzerTestOneInput renamed, and tests/fuzz/replay_main.c
 * (without its main) runs each input in a child process and prints one TAP
 * line per input, then "N passed, N failed".
 *
 *   build/tests/test_fuzz_corpus            all corpora, from the repository root
 *   build/tests/test_fuzz_corpus tables     only the targets whose name contains "tables"
 *   IOPT_FUZZ_CORPUS=DIR                    corpora under DIR instead of tests/fuzz/corpus
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int fuzz_ops_input(const uint8_t *data, size_t size);
int fuzz_tables_input(const uint8_t *data, size_t size);
int fuzz_trace_input(const uint8_t *data, size_t size);
int fuzz_write_input(const uint8_t *data, size_t size);

#define LLVMFuzzerTestOneInput fuzz_ops_input
#include "fuzz/fuzz_ops.c"
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput fuzz_tables_input
#include "fuzz/fuzz_tables.c"
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput fuzz_trace_input
#include "fuzz/fuzz_trace.c"
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput fuzz_write_input
#include "fuzz/fuzz_write.c"
#undef LLVMFuzzerTestOneInput

#define FUZZ_REPLAY_NO_MAIN
#include "fuzz/replay_main.c"

int main(int argc, char **argv)
{
	static const struct fuzz_replay_target all[] = {
		{ "ops", fuzz_ops_input, "ops" },
		{ "tables", fuzz_tables_input, "tables" },
		{ "trace", fuzz_trace_input, "trace" },
		{ "write", fuzz_write_input, "write" },
	};
	struct fuzz_replay_target pick[4];
	size_t n = 0;

	for (size_t i = 0; i < 4; i++)
		if (argc < 2 || strstr(all[i].name, argv[1]))
			pick[n++] = all[i];
	return fuzz_replay(pick, n, 0, NULL);
}

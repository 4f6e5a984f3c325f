// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/* iopt: the command-line tool. Dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include <iopt/iopt.h>
#include <iopt/mem.h>
#include "cmds.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iopt COMMAND [ARGS]\n"
		"       iopt --version          the library's version\n"
		"  demo                     a 16 GiB guest through VFIO, torn down four ways, judged\n"
		"                           by a simulated IOMMU (exits 1 if a check fails)\n"
		"  replay --format NAME [--image FILE] [--arena-size SIZE] [--keep-going] [--stats] TRACE|-\n"
		"                           apply a trace of map/unmap/lookup lines or Linux iommu ftrace text\n"
		"  formats                  list the configuration names and their page sizes\n"
		"  walk --format NAME --image FILE IOVA...\n"
		"                           translate through an image with the simulated IOMMU\n"
		"  bench [--quick] [--json] [--scenario X] [--format NAME]\n"
		"                           the benchmark scenarios (iopt bench --help)\n");
}

static void print_size(uint64_t sz)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (sz >= 1024 && (sz % 1024) == 0 && u < 5) {
		sz /= 1024;
		u++;
	}
	if (u < 0)
		printf("%llu", (unsigned long long)sz);
	else
		printf("%llu%c", (unsigned long long)sz, units[u]);
}

int iopt_cmd_formats(int argc, char **argv)
{
	struct iopt_config cfg;
	const char *name;

	(void)argc;
	(void)argv;
	for (unsigned int i = 0; (name = iopt_config_name(i, &cfg)); i++) {
		struct iopt_table t;
		struct iopt_arena a;
		struct iopt_mem mem;
		uint64_t bm;

		/*
		 * Page sizes depend on the geometry: build an empty table to
		 * ask, in an arena at 1 GiB, which every output size can
		 * address (the heap's addresses can lie beyond a 40-bit one).
		 */
		printf("%-20s ias=%-2u oas=%-2u levels=", name, cfg.ias, cfg.oas);
		if (iopt_arena_create(&a, 1u << 20, 1ULL << 30)) {
			printf("?\n");
			continue;
		}
		iopt_arena_mem(&a, &mem);
		if (iopt_init(&t, &cfg, &mem, NULL, NULL)) {
			iopt_arena_destroy(&a);
			printf("?\n");
			continue;
		}
		printf("%u pagesizes=", iopt_levels(&t));
		bm = iopt_pgsize_bitmap(&t);
		for (int b = 0, first = 1; b < 64; b++) {
			if (!(bm & (1ULL << b)))
				continue;
			if (!first)
				printf(",");
			print_size(1ULL << b);
			first = 0;
		}
		printf("\n");
		iopt_fini(&t);
		iopt_arena_destroy(&a);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "demo", iopt_cmd_demo },
		{ "replay", iopt_cmd_replay },
		{ "formats", iopt_cmd_formats },
		{ "walk", iopt_cmd_walk },
		{ "bench", iopt_cmd_bench },
	};

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		if (argc > 2) {
			fprintf(stderr, "iopt: --version takes no arguments\n");
			return 2;
		}
		printf("iopt %s\n", iopt_version());
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "iopt: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/* iopt: the command-line tool. Dispatches to one subcommand per file. */
#include <stdbool.h>
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
		"       iopt help [COMMAND]     this text, or COMMAND's own (COMMAND --help)\n"
		"  demo                     a 16 GiB guest through VFIO, torn down four ways, judged\n"
		"                           by a simulated IOMMU (exits 1 if a check fails)\n"
		"  replay --format NAME [--image FILE] [--arena-size SIZE] [--keep-going] [--contig] [--dump] [--stats [--json]] TRACE|-\n"
		"                           apply a trace of map/unmap/lookup lines or Linux iommu ftrace text\n"
		"  formats [--json]         list the configuration names and their page sizes\n"
		"  walk [--format NAME] --image FILE IOVA...\n"
		"                           translate through an image with the simulated IOMMU\n"
		"  dump IMAGE [--format NAME] [--json]\n"
		"                           print an image's tree: every live entry, decoded\n"
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

/* The page sizes of @cfg's tables, or 0 when one cannot be built. Page
 * sizes depend on the geometry: build an empty table to ask, in an arena
 * at 1 GiB, which every output size can address (the heap's addresses can
 * lie beyond a 40-bit one). */
static uint64_t format_pgsizes(const struct iopt_config *cfg,
			       unsigned int *levels)
{
	struct iopt_table t;
	struct iopt_arena a;
	struct iopt_mem mem;
	uint64_t bm;

	if (iopt_arena_create(&a, 1u << 20, 1ULL << 30))
		return 0;
	iopt_arena_mem(&a, &mem);
	if (iopt_init(&t, cfg, &mem, NULL, NULL)) {
		iopt_arena_destroy(&a);
		return 0;
	}
	*levels = iopt_levels(&t);
	bm = iopt_pgsize_bitmap(&t);
	iopt_fini(&t);
	iopt_arena_destroy(&a);
	return bm;
}

int iopt_cmd_formats(int argc, char **argv)
{
	struct iopt_config cfg;
	const char *name;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: iopt formats [--json]\n"
			       "  one line per named configuration: name, ias, oas, levels and\n"
			       "  page sizes; --json: an array of objects with the same fields\n"
			       "  (page sizes in bytes)\n");
			return 0;
		} else {
			fprintf(stderr, "iopt formats: unexpected argument '%s' (usage: iopt formats [--json])\n",
				argv[i]);
			return 2;
		}
	}
	if (json)
		printf("[\n");
	for (unsigned int i = 0; (name = iopt_config_name(i, &cfg)); i++) {
		unsigned int levels = 0;
		uint64_t bm = format_pgsizes(&cfg, &levels);
		bool first = true;

		if (json) {
			printf("%s  {\"name\": \"%s\", \"ias\": %u, \"oas\": %u, \"levels\": %u, \"pagesizes\": [",
			       i ? ",\n" : "", name, cfg.ias, cfg.oas, levels);
			for (int b = 0; b < 64; b++)
				if (bm & (1ULL << b)) {
					printf("%s%llu", first ? "" : ", ",
					       (unsigned long long)(1ULL << b));
					first = false;
				}
			printf("]}");
			continue;
		}
		printf("%-20s ias=%-2u oas=%-2u levels=", name, cfg.ias, cfg.oas);
		if (!bm) {
			printf("?\n");
			continue;
		}
		printf("%u pagesizes=", levels);
		for (int b = 0; b < 64; b++) {
			if (!(bm & (1ULL << b)))
				continue;
			if (!first)
				printf(",");
			print_size(1ULL << b);
			first = false;
		}
		printf("\n");
	}
	if (json)
		printf("\n]\n");
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
		{ "dump", iopt_cmd_dump },
		{ "bench", iopt_cmd_bench },
	};

	/* Results appear line by line also when piped (long runs, tee); but
	 * not replay's lookup stream, which may be millions of lines. */
	if (argc < 2 || strcmp(argv[1], "replay"))
		setvbuf(stdout, NULL, _IOLBF, 0);
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
	if (!strcmp(argv[1], "help")) {
		static char help[] = "--help";
		char *sub[3] = { NULL, help, NULL };

		if (argc == 2) {
			usage(stdout);
			return 0;
		}
		if (argc > 3) {
			fprintf(stderr, "iopt help: one command at most\n");
			return 2;
		}
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (!strcmp(argv[2], cmds[i].name)) {
				sub[0] = argv[2];
				return cmds[i].fn(2, sub);
			}
		fprintf(stderr, "iopt help: unknown command '%s'\n", argv[2]);
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "iopt: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

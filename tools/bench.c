// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * iopt bench: the command line. Parses the options, runs the scenarios
 * (one file each under bench/) in order and reports their results. See
 * bench/bench.h for how every scenario measures.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bench/bench.h"
#include "cmds.h"

static const struct {
	const char *id;
	const char *name;
	int (*run)(const struct bench_opts *o);
	const char *what;
} scenarios[] = {
	{ "a", "unmap-example", bench_unmap_example,
	  "4 MiB of 2M blocks unmapped per block vs batched (both formats)" },
	{ "b", "map-1g", bench_map_1g,
	  "map and unmap 1 GiB with 4K, 2M, 1G pages, per page vs batched (both formats)" },
	{ "c", "teardown", bench_teardown,
	  "VFIO teardown of a 64 GiB guest, four DMA_UNMAP strategies" },
	{ "d", "pfns", bench_pfns,
	  "iommufd PFN collection of 1 GiB, per page vs by length vs extents" },
	{ "e", "lookup", bench_lookup,
	  "random lookups over a populated 16 GiB table" },
	{ "f", "table-memory", bench_table_memory,
	  "table memory while cycling 4K maps through 1 TiB of IOVA" },
	{ "g", "single-page", bench_single,
	  "one-page map, unmap and lookups beside the batched calls (both formats)" },
};
/* What `--format all` runs when no --scenario is given. */
static const char *const all_formats_default[] = { "b", "e", "g" };
#define NR_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	if (end == s)
		return -1;
	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	case 0: break;
	default: return -1;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iopt bench [--quick] [--json] [--scenario X]... [--format NAME]\n"
		"                  [--rounds N]\n"
		"       iopt bench --once [--single] [--size SIZE] [--format NAME]\n"
		"       iopt bench --compare OLD.json NEW.json\n"
		"  --quick        smaller sizes and fewer rounds (under 30 s)\n"
		"  --json         a JSON array, one object per measurement\n"
		"  --scenario X   run only scenario X (a letter or a name; repeatable)\n"
		"  --format NAME  run every scenario on this configuration only, with\n"
		"                 its page sizes and sizes that fit its address spaces\n"
		"                 (default: arm-lpae-s1-4k, and x86-64-4lvl for a, b, g);\n"
		"                 'all': every named configuration in turn (by default\n"
		"                 scenarios b, e and g)\n"
		"  --rounds N     timed rounds after the counting round (default 5,\n"
		"                 --quick 3; table-memory uses at most 2)\n"
		"  --once         map SIZE (default 1G) of 4K pages in one call, look\n"
		"                 every page up, unmap and sync; no timing (for\n"
		"                 bench/callgrind.sh)\n"
		"  --single       with --once: SIZE / 4K single-page maps, lookups\n"
		"                 and unmaps, tables present\n"
		"  --compare      NEW / OLD ns per unit of every measurement in both\n"
		"                 files (written by --json), counts that changed\n"
		"scenarios:\n");
	for (unsigned int i = 0; i < NR_SCENARIOS; i++)
		fprintf(f, "  %s  %-14s %s\n", scenarios[i].id, scenarios[i].name,
			scenarios[i].what);
}

static int find_scenario(const char *s)
{
	for (unsigned int i = 0; i < NR_SCENARIOS; i++)
		if (!strcmp(s, scenarios[i].id) || !strcmp(s, scenarios[i].name))
			return (int)i;
	return -1;
}

/*
 * One scenario, with a progress line on stderr while it runs when stderr
 * is a terminal (erased afterwards, so a terminal shows only the results
 * and a pipe or file never sees it).
 */
static int run_scenario(unsigned int i, const struct bench_opts *o)
{
	bool tty = isatty(STDERR_FILENO);
	int ret;

	if (tty) {
		fprintf(stderr, "iopt bench: running %s (%s) on %s...",
			scenarios[i].id, scenarios[i].name,
			o->format ? o->format : "the default formats");
		fflush(stderr);
	}
	fflush(stdout);
	ret = scenarios[i].run(o);
	if (tty)
		fprintf(stderr, "\r\033[K");
	return ret;
}

/* `--format all`: the picked scenarios (or b, e, g) on every named
 * configuration, one configuration after the other. */
static int run_all_formats(struct bench_opts *o, bool *picked, bool any_picked)
{
	struct iopt_config cfg;
	const char *name;
	int ret = 0;

	if (!any_picked)
		for (size_t k = 0; k < sizeof(all_formats_default) / sizeof(all_formats_default[0]); k++)
			picked[find_scenario(all_formats_default[k])] = true;
	for (unsigned int f = 0; (name = iopt_config_name(f, &cfg)); f++) {
		o->format = name;
		for (unsigned int i = 0; i < NR_SCENARIOS; i++)
			if (picked[i] && run_scenario(i, o))
				ret = 1;
	}
	return ret;
}

#define bench_usage_error(...) tool_usage_error("bench", usage, __VA_ARGS__)

int iopt_cmd_bench(int argc, char **argv)
{
	struct bench_opts o = { .quick = false, .rounds = 0, .format = NULL };
	bool json = false, once = false, single = false, picked[NR_SCENARIOS] = { false };
	bool any_picked = false;
	uint64_t once_size = 1ULL << 30;
	int ret = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val;

		if (!strcmp(a, "--quick")) {
			o.quick = true;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--once")) {
			once = true;
		} else if (!strcmp(a, "--single")) {
			single = true;
		} else if (tool_opt_value(argc, argv, &i, "--scenario", &val)) {
			int k = val ? find_scenario(val) : -1;

			if (k < 0)
				return bench_usage_error(val ? "unknown scenario '%s'" :
							 "%s needs a letter or name", val ? val : a);
			picked[k] = any_picked = true;
		} else if (tool_opt_value(argc, argv, &i, "--format", &val)) {
			struct iopt_config cfg;

			if (!val)
				return bench_usage_error("%s needs a name", a);
			o.format = val;
			if (strcmp(o.format, "all") &&
			    iopt_config_from_name(o.format, &cfg)) {
				fprintf(stderr, "iopt bench: unknown format '%s': run 'iopt formats' for the names\n",
					o.format);
				return 2;
			}
		} else if (tool_opt_value(argc, argv, &i, "--rounds", &val)) {
			char *end;
			unsigned long v = val ? strtoul(val, &end, 0) : 0;

			if (!val || *end || !v || v > 1000)
				return bench_usage_error("--rounds '%s': a number from 1 to 1000",
							 val ? val : "");
			o.rounds = (unsigned int)v;
		} else if (tool_opt_value(argc, argv, &i, "--size", &val)) {
			if (!val || parse_size(val, &once_size) || once_size < 4096 ||
			    (once_size & 4095))
				return bench_usage_error("--size '%s': a multiple of 4K such as 64M",
							 val ? val : "");
		} else if (!strcmp(a, "--compare") && i + 2 < argc && argc == 4) {
			return bench_compare(argv[i + 1], argv[i + 2]) ? 2 : 0;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else {
			return bench_usage_error("unknown option or argument '%s'", a);
		}
	}
	if (once)
		return bench_once(once_size, single, o.format) ? 1 : 0;
	if (!o.rounds)
		o.rounds = o.quick ? 3 : 5;

	bench_report_begin(json);
	if (!json)
		printf("iopt bench%s: best of %u timed rounds after a counting round;"
		       " ratios from this run\n", o.quick ? " --quick" : "", o.rounds);
	if (o.format && !strcmp(o.format, "all")) {
		ret = run_all_formats(&o, picked, any_picked);
	} else {
		for (unsigned int i = 0; i < NR_SCENARIOS; i++) {
			if (any_picked && !picked[i])
				continue;
			if (run_scenario(i, &o))
				ret = 1;
		}
	}
	bench_report_end();
	return ret;
}

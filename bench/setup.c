// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * What the scenarios measure on: a table over an arena of its own with a
 * batched and a per-page domain over it, counter differences, and the
 * formats and page sizes a scenario runs with.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* Where table memory appears to be (any 1 MiB-aligned address will do). */
#define BENCH_ARENA_PHYS 0x80000000ULL

static void noflush_all(void *cookie)
{
	(void)cookie;
}

static void noflush_range(void *cookie, uint64_t iova, uint64_t size,
			  unsigned int granule_lg2, bool leaf_only)
{
	(void)cookie;
	(void)iova;
	(void)size;
	(void)granule_lg2;
	(void)leaf_only;
}

const struct iopt_flush_ops bench_noflush = {
	.flush_all = noflush_all,
	.flush_range = noflush_range,
};

int bench_tab_arena(struct bench_tab *b, size_t bytes)
{
	/* usable = size * 512 / 553: the arena keeps 41 bytes of every 553. */
	size_t region = bytes / 512 * 553 + (bytes % 512) * 553 / 512 + 4096;

	memset(b, 0, sizeof(*b));
	if (region < bytes || iopt_arena_create(&b->arena, region, BENCH_ARENA_PHYS))
		return -1;
	b->have_arena = true;
	/* Freed tables go back as a kernel's would: without being poisoned
	 * (the arena's debugging aid, a memset per free). */
	b->arena.poison = false;
	iopt_arena_mem(&b->arena, &b->mem);
	return 0;
}

int bench_tab_init(struct bench_tab *b, const char *format, bool stats)
{
	int ret;

	if (b->up)
		bench_tab_fini(b);
	if (iopt_config_from_name(format, &b->cfg))
		return -1;
	if (stats)
		b->cfg.flags |= IOPT_CFG_STATS;
	ret = iopt_init(&b->t, &b->cfg, &b->mem, &bench_noflush, NULL);
	if (ret)
		return ret;
	b->up = true;
	if (iopt_domain_init(&b->batched, &b->t, IOPT_DOMAIN_BATCHED) ||
	    iopt_domain_init(&b->per_page, &b->t, IOPT_DOMAIN_PER_PAGE)) {
		bench_tab_fini(b);
		return -1;
	}
	return 0;
}

int bench_tab_populate(struct bench_tab *b, const char *scenario,
		       const char *format, bool stats, uint64_t iova,
		       uint64_t paddr, uint64_t size, uint64_t pgsize,
		       unsigned int prot)
{
	int ret;

	if (bench_tab_init(b, format, stats))
		return bench_fail(scenario, "cannot build a %s table", format);
	ret = iopt_domain_map(&b->batched, iova, paddr, size, prot);
	if (ret || iopt_iova_to_pgsize(&b->t, iova) != pgsize)
		return bench_fail(scenario, "map: %s", iopt_strerror(ret));
	return 0;
}

void bench_tab_fini(struct bench_tab *b)
{
	if (b->up)
		iopt_fini(&b->t);
	b->up = false;
}

void bench_tab_close(struct bench_tab *b)
{
	bench_tab_fini(b);
	if (b->have_arena)
		iopt_arena_destroy(&b->arena);
	b->have_arena = false;
}

struct iopt_domain *bench_tab_domain(struct bench_tab *b,
				     enum iopt_domain_mode mode)
{
	return mode == IOPT_DOMAIN_PER_PAGE ? &b->per_page : &b->batched;
}

struct iopt_domain_counters bench_counters(const struct iopt_domain *d)
{
	struct iopt_domain_counters c;

	memset(&c, 0, sizeof(c));
	iopt_domain_get_counters(d, &c);
	return c;
}

struct bench_delta bench_delta(const struct iopt_domain_counters *a,
			       const struct iopt_domain_counters *b)
{
	return (struct bench_delta){
		.engine_calls = b->engine_calls - a->engine_calls,
		.walks = b->walks - a->walks,
		.flushes = (b->flush_range_calls + b->flush_all_calls) -
			   (a->flush_range_calls + a->flush_all_calls),
		.entries_written = b->entries_written - a->entries_written,
		.entries_cleared = b->entries_cleared - a->entries_cleared,
	};
}

int bench_geom(const char *format, struct bench_geom *geo)
{
	struct iopt_config cfg;
	struct iopt_arena a;
	struct iopt_table t;
	struct iopt_mem mem;
	unsigned int g;

	memset(geo, 0, sizeof(*geo));
	if (iopt_config_from_name(format, &cfg))
		return -1;
	g = cfg.granule_lg2 ? cfg.granule_lg2 :
	    (cfg.format == IOPT_FMT_APPLE_DART2 ? 14 : 12);
	geo->page_lg2 = g;
	/* Each level resolves granule_lg2 - 3 bits (8-byte entries), or 8
	 * for v7s (1 KB tables of 32-bit entries). */
	geo->entry_bytes = cfg.format == IOPT_FMT_ARM_V7S ? 4 : 8;
	geo->bits = cfg.format == IOPT_FMT_ARM_V7S ? 8 : g - 3;
	geo->lpae = cfg.format == IOPT_FMT_ARM_LPAE_S1 ||
		    cfg.format == IOPT_FMT_ARM_LPAE_S2;
	/* An arena at 1 GiB: every format's tables can lie there (v7s needs
	 * them below 4 GiB, heap addresses can exceed a small oas). */
	if (iopt_arena_create(&a, 1u << 20, 1ULL << 30))
		return -1;
	iopt_arena_mem(&a, &mem);
	if (iopt_init(&t, &cfg, &mem, NULL, NULL)) {
		iopt_arena_destroy(&a);
		return -1;
	}
	geo->pgsize_bitmap = iopt_pgsize_bitmap(&t);
	geo->levels = iopt_levels(&t);
	iopt_fini(&t);
	iopt_arena_destroy(&a);
	return 0;
}

/* Whether @s is the leaf size of a level of @geo (not a run of them). */
static bool geom_level_size(const struct bench_geom *geo, uint64_t s)
{
	for (unsigned int lvl = 0; lvl < geo->levels; lvl++) {
		unsigned int lg2 = geo->page_lg2 + lvl * geo->bits;

		if (lg2 < 64 && s == 1ULL << lg2)
			return true;
	}
	return false;
}

uint64_t bench_entries_per_page(const char *format, uint64_t pgsize)
{
	struct bench_geom geo;
	uint64_t level = 0;

	if (bench_geom(format, &geo))
		return 1;
	for (unsigned int lvl = 0; lvl < geo.levels; lvl++) {
		unsigned int lg2 = geo.page_lg2 + lvl * geo.bits;

		if (lg2 < 64 && (1ULL << lg2) <= pgsize)
			level = 1ULL << lg2;
	}
	return level ? pgsize / level : 1;
}

unsigned int bench_leaf_sizes(const char *format, uint64_t max,
			      uint64_t sizes[3])
{
	struct bench_geom geo;
	unsigned int n = 0;

	if (bench_geom(format, &geo))
		return 0;
	for (unsigned int lvl = 0; lvl < 3; lvl++) {
		uint64_t s = 1ULL << (geo.page_lg2 + lvl * geo.bits);

		if (s > max)
			break;
		/* Only sizes the table offers as leaves (not contiguous runs). */
		if (geo.pgsize_bitmap & s)
			sizes[n++] = s;
	}
	return n;
}

unsigned int bench_page_sizes(const char *format, uint64_t max,
			      uint64_t sizes[BENCH_MAX_SIZES])
{
	struct bench_geom geo;
	unsigned int n = 0;

	if (bench_geom(format, &geo))
		return 0;
	for (unsigned int b = 0; b < 64 && n < BENCH_MAX_SIZES; b++) {
		uint64_t s = 1ULL << b;

		if (s > max)
			break;
		if (!(geo.pgsize_bitmap & s))
			continue;
		/* ARM LPAE's contiguous hint is an optional hint over a run of
		 * pages, not a size of its own (Linux does not offer it): left
		 * out, so these figures stay those of earlier runs. */
		if (geo.lpae && !geom_level_size(&geo, s))
			continue;
		sizes[n++] = s;
	}
	return n;
}

unsigned int bench_formats(const struct bench_opts *o, bool with_x86,
			   const char *out[2])
{
	if (o->format) {
		out[0] = o->format;
		return 1;
	}
	out[0] = BENCH_DEFAULT_FORMAT;
	out[1] = "x86-64-4lvl";
	return with_x86 ? 2 : 1;
}

uint64_t bench_iova_limit(const char *format)
{
	struct iopt_config cfg;
	unsigned int bits;

	if (iopt_config_from_name(format, &cfg))
		return 0;
	bits = cfg.format == IOPT_FMT_X86_64 || cfg.format == IOPT_FMT_RISCV ?
	       cfg.ias - 1 : cfg.ias;
	return bits >= 64 ? UINT64_MAX : 1ULL << bits;
}

uint64_t bench_pa_limit(const char *format)
{
	struct iopt_config cfg;

	if (iopt_config_from_name(format, &cfg))
		return 0;
	return cfg.oas >= 64 ? UINT64_MAX : 1ULL << cfg.oas;
}

bool bench_fits(const char *scenario, const char *format, uint64_t iova_end,
		uint64_t pa_end)
{
	if (iova_end <= bench_iova_limit(format) && pa_end <= bench_pa_limit(format))
		return true;
	bench_report_note("%s skipped on %s: it needs IOVAs up to 0x%llx and "
			  "physical addresses up to 0x%llx", scenario, format,
			  (unsigned long long)iova_end, (unsigned long long)pa_end);
	return false;
}

const char *bench_size_name(uint64_t size, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (size >= 1024 && !(size % 1024) && u < 5) {
		size /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)size);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)size, units[u]);
	return buf;
}

const char *bench_bytes_text(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	unsigned int u = 0;

	while (size >= 1024 && !(size % 1024) && u < 6) {
		size /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)size, units[u]);
	return buf;
}

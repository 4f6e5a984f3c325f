/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The scenarios of `iopt bench` and what they share: options, a table (with
 * its arena and a domain) to measure on, the clock, and the results.
 *
 * How every scenario measures, so that its numbers can be compared:
 *  - Counting round first: the work is done once on a table created with
 *    IOPT_CFG_STATS, and calls, walks and flushes are the differences of
 *    the counters around it (iopt_domain_get_counters(), the VFIO model's
 *    counters). This round is also the warm-up.
 *  - Timed rounds then repeat the same work on a table without
 *    IOPT_CFG_STATS (its atomic counter updates would be timed too); the
 *    time reported is the best round. Counts that are kept without
 *    IOPT_CFG_STATS (engine calls, flushes) are checked to be the same in
 *    every round.
 *  - Variants that are compared are measured in the same run, their rounds
 *    interleaved where that is cheap, so a ratio never mixes two runs.
 *  - Every scenario checks its own results (bytes mapped and unmapped,
 *    lookups, pins) and fails the run when they are wrong.
 */
#ifndef IOPT_BENCH_BENCH_H
#define IOPT_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <iopt/domain.h>
#include <iopt/iopt.h>
#include <iopt/mem.h>

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)
#define TiB ((uint64_t)1 << 40)

#define BENCH_DEFAULT_FORMAT "arm-lpae-s1-4k"

/* What the command line asked for. */
struct bench_opts {
	bool quick;             /* smaller sizes and fewer rounds: < 30 s */
	unsigned int rounds;    /* timed rounds after the counting round */
	const char *format;     /* NULL: each scenario's own formats */
};

/* ------------------------------------------------------------ results */

#define BENCH_MAX_EXTRA 16

/*
 * One measurement: @count units of work (@unit) done per round, the best
 * round's time per unit, and the counts of the counting round for all
 * @count units together.
 */
struct bench_result {
	const char *scenario;         /* the scenario's name */
	char format[48];
	char variant[48];
	const char *unit;
	uint64_t count;
	double ns_per_unit;
	uint64_t calls;               /* the scenario says what it counts */
	uint64_t walks;               /* table walks (IOPT_CFG_STATS) */
	uint64_t flushes;             /* flush_range + flush_all callbacks */
	uint64_t per;                 /* human table: counts divided by this */
	bool no_counts;               /* a bound: calls, walks, flushes do not apply */
	char baseline[48];            /* variant this one is compared with; "" none */
	double ratio_to_baseline;     /* ns_per_unit / the baseline's */
	char bound[48];               /* a lower bound it is compared with; "" none */
	double ratio_to_bound;
	unsigned int nr_extra;
	struct {
		const char *key;
		double value;
	} extra[BENCH_MAX_EXTRA];
};

/* A column of the human-readable table taken from the extras. */
struct bench_column {
	const char *key;              /* extra key */
	const char *title;
	const char *fmt;              /* printf format for a double, e.g. "%.0f" */
	bool per_unit;                /* divided by the result's @per too */
};

/*
 * How a scenario's table looks: with @per_name, calls/walks/flushes (and
 * extras marked per_unit) are divided by each result's @per in the human
 * table (e.g. per buffer); @calls_title heads the calls column; @columns
 * adds extras.
 */
struct bench_table_style {
	const char *calls_title;
	const char *per_name;         /* NULL: totals per round */
	const struct bench_column *columns;
	unsigned int nr_columns;
	const char *time_title;       /* NULL: "ns/<unit>" */
	double time_div;              /* ns_per_unit is divided by this (0: 1) */
};

/* Start a result for @scenario: zeroed, NaN ratios. */
void bench_result_init(struct bench_result *r, const char *scenario,
		       const char *format, const char *variant,
		       const char *unit, uint64_t count);
void bench_result_extra(struct bench_result *r, const char *key, double v);
/* The extra named @key, or NaN. */
double bench_result_get(const struct bench_result *r, const char *key);
/* Set baseline (and the ratio) from another result of the same run. */
void bench_result_vs(struct bench_result *r, const struct bench_result *base);
void bench_result_vs_bound(struct bench_result *r,
			   const struct bench_result *bound);

/* Output: human tables (default) or a JSON array, one object per result. */
void bench_report_begin(bool json);
/* A scenario's heading and description (human output only). */
void bench_report_heading(const char *id, const char *name, const char *text);
/* Print @n results of one scenario. */
void bench_report_results(const struct bench_result *r, unsigned int n,
			  const struct bench_table_style *style);
/* A note under a scenario's table (human output only). */
void bench_report_note(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void bench_report_end(void);

/* A scenario's failure: printed on stderr; returns -1. */
int bench_fail(const char *scenario, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* -------------------------------------------------------------- clock */

double bench_now_ns(void);

/* Keep the compiler from dropping stores whose results nobody reads. */
static inline void bench_clobber(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* Fold @t into the best time so far (*best starts at 0: none). */
static inline void bench_best(double *best, double t)
{
	if (*best == 0 || t < *best)
		*best = t;
}

/* ------------------------------------------------------------- tables */

/*
 * A table over an arena of its own, and two domains over it (batched and
 * per page). The flush callbacks do nothing but exist, so the table
 * counts them.
 */
struct bench_tab {
	struct iopt_arena arena;
	bool have_arena;
	struct iopt_mem mem;
	struct iopt_config cfg;
	struct iopt_table t;
	struct iopt_domain batched;
	struct iopt_domain per_page;
	bool up;
};

/* The arena, with room for @bytes of tables: its metadata (41/553 of the
 * region, see iopt_arena_init()) comes on top. Memory is touched only as
 * used. */
int bench_tab_arena(struct bench_tab *b, size_t bytes);
/* A fresh table for @format on the arena; @stats: IOPT_CFG_STATS. */
int bench_tab_init(struct bench_tab *b, const char *format, bool stats);
/*
 * A fresh table (bench_tab_init()) with [iova, iova + size) mapped to
 * @paddr by the batched domain, checked to use pages of @pgsize: 0, or -1
 * after bench_fail() for @scenario.
 */
int bench_tab_populate(struct bench_tab *b, const char *scenario,
		       const char *format, bool stats, uint64_t iova,
		       uint64_t paddr, uint64_t size, uint64_t pgsize,
		       unsigned int prot);
/* Destroy the table; the arena stays for the next one. */
void bench_tab_fini(struct bench_tab *b);
/* Destroy the table and free the arena. */
void bench_tab_close(struct bench_tab *b);
struct iopt_domain *bench_tab_domain(struct bench_tab *b,
				     enum iopt_domain_mode mode);

/* The counters of @d now. */
struct iopt_domain_counters bench_counters(const struct iopt_domain *d);

/* Calls, walks and flushes between two copies of the counters. */
struct bench_delta {
	uint64_t engine_calls;
	uint64_t walks;
	uint64_t flushes;
	uint64_t entries_written;
	uint64_t entries_cleared;
};
struct bench_delta bench_delta(const struct iopt_domain_counters *a,
			       const struct iopt_domain_counters *b);

/* Flush callbacks that do nothing (the table counts the calls). */
extern const struct iopt_flush_ops bench_noflush;

/* How @format's tables are laid out, from its name and a probe table. */
struct bench_geom {
	unsigned int page_lg2;     /* the smallest page */
	unsigned int bits;         /* index bits of a table below the root */
	unsigned int entry_bytes;  /* 8, or 4 (v7s) */
	unsigned int levels;
	bool lpae;                 /* ARM LPAE (its runs are a hint) */
	uint64_t pgsize_bitmap;
};
int bench_geom(const char *format, struct bench_geom *geo);

/* How many entries one page of @pgsize takes in @format: 1 for a level's
 * own size, the run's length for a replicated size (AMD v1 8K: 2). */
uint64_t bench_entries_per_page(const char *format, uint64_t pgsize);

/* Leaf sizes of @format's levels 0, 1, 2 that are at most @max (a page,
 * a block, a larger block: 4K, 2M, 1G for 4K granules); returns how many. */
unsigned int bench_leaf_sizes(const char *format, uint64_t max,
			      uint64_t sizes[3]);

/*
 * Every page size of iopt_pgsize_bitmap() up to @max, smallest first: the
 * levels' leaves and the sizes a format replicates entries for (v7s 64K
 * and 16M), but not ARM LPAE's contiguous-hint runs (an optional hint, so
 * ARM LPAE keeps the sizes of earlier runs). Returns how many.
 */
#define BENCH_MAX_SIZES 8
unsigned int bench_page_sizes(const char *format, uint64_t max,
			      uint64_t sizes[BENCH_MAX_SIZES]);

/* The formats a scenario runs on: --format if given, else the default and,
 * when @with_x86, x86-64-4lvl too. Returns how many (1 or 2). */
unsigned int bench_formats(const struct bench_opts *o, bool with_x86,
			   const char *out[2]);

/* Bytes of IOVA from 0 that @format can map (the lower half on x86-64),
 * and 2^oas; 0 for an unknown format. */
uint64_t bench_iova_limit(const char *format);
uint64_t bench_pa_limit(const char *format);

/* Whether IOVAs below @iova_end and physical addresses below @pa_end fit
 * @format; if not, a note says the scenario is skipped there. */
bool bench_fits(const char *scenario, const char *format, uint64_t iova_end,
		uint64_t pa_end);

/* "4K", "2M", "1G", "16K", ... into @buf. */
const char *bench_size_name(uint64_t size, char *buf, size_t len);
/* "4 MiB", "16 GiB", "1 TiB", ... into @buf. */
const char *bench_bytes_text(uint64_t size, char *buf, size_t len);

/* ---------------------------------------------------------- scenarios */

/* Each runs one scenario and reports its results; 0, or -1 on failure. */
int bench_unmap_example(const struct bench_opts *o);   /* a */
int bench_map_1g(const struct bench_opts *o);          /* b */
int bench_teardown(const struct bench_opts *o);        /* c */
int bench_pfns(const struct bench_opts *o);            /* d */
int bench_lookup(const struct bench_opts *o);          /* e */
int bench_table_memory(const struct bench_opts *o);    /* f */
int bench_single(const struct bench_opts *o);          /* g */

/* For bench/callgrind.sh: map @size of 4K pages in one call, look every
 * page up, unmap and sync; no timing. */
int bench_once(uint64_t size, bool single, const char *format);
/*
 * iopt bench --compare: print NEW / OLD of every measurement (scenario,
 * format, variant) in both JSON files. 0, or a negative errno after a
 * message on stderr (unreadable or malformed file).
 */
int bench_compare(const char *old_path, const char *new_path);

#endif /* IOPT_BENCH_BENCH_H */

// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * iopt replay: apply a trace (iopt lines or Linux iommu ftrace text, see
 * iopt/trace.h) to a table in an arena, print one line per lookup, and
 * optionally write the arena out as an image another program can walk.
 *
 * Behaviour that scripts rely on:
 *  - stdout carries only lookup results (and, with --dump, the dump of
 *    the table after them, as `iopt dump` prints it), one line each:
 *    "0xIOVA 0xPHYS 0xSIZE" (SIZE as iopt_iova_to_phys_length() reports
 *    it) or "0xIOVA unmapped"; lower-case hex, no leading zeros.
 *  - A malformed line or a failed operation is reported on stderr as
 *    "iopt replay: FILE:LINE: REASON". Each line is all or nothing: a map
 *    that runs out of memory leaves nothing behind. Without --keep-going
 *    the replay stops there; with it, it goes on. Either way the exit
 *    status is 1. Usage errors exit with 2.
 *  - --image is written once the trace could be opened, also after a
 *    stopped replay, so the state that led to the failure can be examined
 *    (it holds every line before the failing one); the exit status still
 *    says the replay failed.
 *  - ftrace unmaps replay unmapped_size, the bytes the kernel removed (0 is
 *    nothing to do) and must find all of them mapped: a hole means the
 *    replayed table has diverged from the kernel's. iopt unmaps skip holes.
 *  - A lookup outside the format's input space is a failed operation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iopt/iopt.h>
#include <iopt/mem.h>
#include <iopt/trace.h>
#include "cmds.h"
#include "image.h"

#define REPLAY_PHYS_BASE 0x40000000ULL
#define REPLAY_ARENA_SIZE (64ULL << 20)
#define REPLAY_LINE_MAX (1u << 20)   /* longer lines are malformed */

struct replay {
	const char *file;            /* name used in messages */
	unsigned long long lineno;
	bool keep_going;
	size_t arena_size;
	void *region;
	struct iopt_arena arena;
	struct iopt_table table;
	struct iopt_gather gather;
	uint64_t pgsizes;            /* --pgsizes; 0: iopt_map_range() */
	unsigned long long maps, unmaps, lookups, failures, headers;
};

static void replay_usage(FILE *f)
{
	fprintf(f,
		"usage: iopt replay --format NAME [--image FILE] [--arena-size SIZE]\n"
		"                   [--keep-going] [--contig] [--pgsizes LIST] [--dump]\n"
		"                   [--stats [--json]] TRACE|-\n"
		"  --format NAME      table configuration ('iopt formats' lists them;\n"
		"                     NAME:ias=N,oas=N overrides the address sizes)\n"
		"  --image FILE       write the table memory to FILE at the end (an\n"
		"                     IOPTIMG2 image that records NAME, at most 31 bytes)\n"
		"  --arena-size SIZE  table memory, e.g. 256M (default 64M)\n"
		"  --keep-going       report failed lines and carry on\n"
		"  --contig           ARM LPAE: map contiguous-hint runs (64K, 32M, ...);\n"
		"                     by default not, as Linux's io-pgtable-arm, so that\n"
		"                     a captured trace may unmap 4K inside 64K\n"
		"  --pgsizes LIST     split each map into these page sizes only, as a\n"
		"                     driver offering them would (e.g. 4K,2M)\n"
		"  --dump             print the table at the end, as 'iopt dump' prints an\n"
		"                     image, after the lookup lines\n"
		"  --stats            print a summary on stderr at the end\n"
		"  --json             with --stats: the summary as one JSON object\n"
		"TRACE lines: 'map IOVA PADDR SIZE [PROT]', 'unmap IOVA SIZE',\n"
		"'lookup IOVA', '#' comments, or Linux iommu:map/unmap ftrace text.\n");
}

__attribute__((format(printf, 2, 3)))
static void line_error(struct replay *r, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iopt replay: %s:%llu: ", r->file, r->lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	r->failures++;
}

/* "64M" for round sizes, else bytes: for messages only. */
static const char *size_str(char *buf, size_t len, unsigned long long v)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (v >= 1024 && !(v % 1024) && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu bytes", v);
	else
		snprintf(buf, len, "%llu%c", v, units[u]);
	return buf;
}

/*
 * --pgsizes: the map split as Linux's iommu_map() splits it, each step the
 * largest allowed page that the IOVA and the address are aligned to and
 * that fits, as many of it as fit before a larger one could start. A
 * failure unmaps what the line had mapped, so the line is all or nothing.
 */
static int map_split(struct replay *r, const struct iopt_trace_op *op)
{
	uint64_t iova = op->iova, paddr = op->paddr, left = op->size, done = 0;
	int err = 0;

	while (left && !err) {
		uint64_t addr = iova | paddr, sizes = r->pgsizes, mapped = 0;
		unsigned int hb = 63 - (unsigned int)__builtin_clzll(left);
		uint64_t pgsize, count, larger;

		if (addr)	/* both addresses aligned to it */
			sizes &= (addr & -addr) | ((addr & -addr) - 1);
		if (hb < 63)	/* no larger than what is left */
			sizes &= (2ULL << hb) - 1;
		if (!sizes)
			return -EINVAL;
		pgsize = 1ULL << (63 - __builtin_clzll(sizes));
		count = left / pgsize;
		/* Stop where the next larger allowed size could begin. */
		larger = r->pgsizes & ~((pgsize << 1) - 1);
		if (larger) {
			uint64_t next = larger & -larger;
			uint64_t to = next - (iova & (next - 1));

			if (!((iova ^ paddr) & (next - 1)) && to / pgsize < count)
				count = to / pgsize;
		}
		err = iopt_map_pages(&r->table, iova, paddr, pgsize, count,
				     op->prot, IOPT_MAP_ALL_OR_NOTHING, &mapped);
		done += mapped;
		iova += mapped;
		paddr += mapped;
		left -= mapped;
	}
	if (err && done) {
		uint64_t unmapped;

		iopt_unmap_range(&r->table, op->iova, done, 0, &r->gather,
				 &unmapped);
		iopt_gather_sync(&r->gather);
	}
	return err;
}

/*
 * Which check a refused operation failed (@err), for its message; "" when
 * none of these explains it. @paddr is ignored for unmaps (@is_map false).
 */
static const char *refusal(const struct replay *r, char *buf, size_t len,
			   const struct iopt_trace_op *op, bool is_map, int err)
{
	uint64_t sizes = r->pgsizes ? r->pgsizes : iopt_pgsize_bitmap(&r->table);
	uint64_t gran = sizes & -sizes, last = op->iova + op->size - 1;
	uint64_t plast = op->paddr + op->size - 1;
	unsigned int oas = r->table.cfg.oas;
	char sz[32];

	buf[0] = '\0';
	if (err == -EINVAL && (op->iova & (gran - 1)))
		snprintf(buf, len, ": iova 0x%llx is not aligned to the %s page size",
			 (unsigned long long)op->iova, size_str(sz, sizeof(sz), gran));
	else if (err == -EINVAL && is_map && (op->paddr & (gran - 1)))
		snprintf(buf, len, ": paddr 0x%llx is not aligned to the %s page size",
			 (unsigned long long)op->paddr, size_str(sz, sizeof(sz), gran));
	else if (err == -EINVAL && (op->size & (gran - 1)))
		snprintf(buf, len, ": size 0x%llx is not a multiple of the %s page size",
			 (unsigned long long)op->size, size_str(sz, sizeof(sz), gran));
	else if (err == -EOVERFLOW || (err == -ERANGE && last < op->iova))
		snprintf(buf, len, ": iova + size wraps past 2^64");
	else if (err == -ERANGE && is_map && oas < 64 &&
		 (plast < op->paddr || (plast >> oas)))
		snprintf(buf, len, ": paddr range 0x%llx-0x%llx is beyond the %u-bit output size",
			 (unsigned long long)op->paddr, (unsigned long long)plast,
			 oas);
	else if (err == -ERANGE)
		snprintf(buf, len, ": iova range 0x%llx-0x%llx is outside the %u-bit input space%s",
			 (unsigned long long)op->iova, (unsigned long long)last,
			 r->table.cfg.ias,
			 r->table.sign_extend ?
			 " (or not canonical)" : "");
	return buf;
}

static void do_map(struct replay *r, const struct iopt_trace_op *op)
{
	uint64_t mapped = 0;
	char sz[32], why[160];
	int err;

	r->maps++;
	if (!op->size)
		return; /* a kernel map of 0 bytes (iopt lines cannot say 0) */
	/* All or nothing, so a failed line never leaves part of itself. */
	if (r->pgsizes)
		err = map_split(r, op);
	else
		err = iopt_map_range(&r->table, op->iova, op->paddr, op->size,
				     op->prot, IOPT_MAP_ALL_OR_NOTHING, &mapped);
	if (err == -ENOMEM)
		line_error(r, "map 0x%llx 0x%llx 0x%llx: %s: the %s arena is full; use a larger --arena-size",
			   (unsigned long long)op->iova,
			   (unsigned long long)op->paddr,
			   (unsigned long long)op->size, iopt_strerror(err),
			   size_str(sz, sizeof(sz), r->arena_size));
	else if (err)
		line_error(r, "map 0x%llx 0x%llx 0x%llx: %s%s",
			   (unsigned long long)op->iova,
			   (unsigned long long)op->paddr,
			   (unsigned long long)op->size, iopt_strerror(err),
			   refusal(r, why, sizeof(why), op, true, err));
}

static void do_unmap(struct replay *r, const struct iopt_trace_op *op)
{
	unsigned int flags = 0;
	uint64_t unmapped = 0;
	char why[160];
	int err, err2;

	r->unmaps++;
	if (!op->size)
		return; /* the kernel removed nothing */
	/* The kernel says these bytes were mapped: a hole means divergence. */
	if (op->ftrace)
		flags |= IOPT_UNMAP_NO_HOLES;
	err = iopt_unmap_range(&r->table, op->iova, op->size, flags,
			       &r->gather, &unmapped);
	err2 = iopt_gather_sync(&r->gather);
	if (err == -ENOENT && op->ftrace)
		line_error(r, "unmap 0x%llx 0x%llx: %s: the kernel unmapped all of it, but the replayed table has holes there",
			   (unsigned long long)op->iova,
			   (unsigned long long)op->size, iopt_strerror(err));
	else if (err)
		line_error(r, "unmap 0x%llx 0x%llx: %s%s",
			   (unsigned long long)op->iova,
			   (unsigned long long)op->size, iopt_strerror(err),
			   refusal(r, why, sizeof(why), op, false, err));
	else if (err2)
		line_error(r, "unmap 0x%llx 0x%llx: gather sync: %s",
			   (unsigned long long)op->iova,
			   (unsigned long long)op->size, iopt_strerror(err2));
}

static void do_lookup(struct replay *r, const struct iopt_trace_op *op)
{
	uint64_t phys, len;
	int err;

	r->lookups++;
	err = iopt_iova_to_phys_length(&r->table, op->iova, &phys, &len, NULL);
	if (!err)
		printf("0x%llx 0x%llx 0x%llx\n", (unsigned long long)op->iova,
		       (unsigned long long)phys, (unsigned long long)len);
	else if (err == -ENOENT)
		printf("0x%llx unmapped\n", (unsigned long long)op->iova);
	else
		line_error(r, "lookup 0x%llx: %s",
			   (unsigned long long)op->iova, iopt_strerror(err));
}

/*
 * Read one line into *@buf (grown as needed), without its newline.
 * Returns 1 for a line, 0 at the end, -1 on a read error. *@len is the
 * stored length (NUL bytes included); *@too_long is set when the line was
 * cut at REPLAY_LINE_MAX.
 */
static int read_line(FILE *f, char **buf, size_t *cap, size_t *len,
		     bool *too_long)
{
	size_t n = 0;
	int ch;

	*too_long = false;
	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (n >= REPLAY_LINE_MAX) {
			*too_long = true;
			continue;
		}
		if (n + 1 >= *cap) {
			size_t ncap = *cap ? *cap * 2 : 256;
			char *nb = realloc(*buf, ncap);

			if (!nb)
				return -1;
			*buf = nb;
			*cap = ncap;
		}
		(*buf)[n++] = (char)ch;
	}
	if (ferror(f))
		return -1;
	if (ch == EOF && !n && !*too_long)
		return 0;
	if (!*buf) {
		*buf = malloc(1);
		if (!*buf)
			return -1;
		*cap = 1;
	}
	(*buf)[n] = '\0';
	*len = n;
	return 1;
}

/* Replay @f. Returns 0, or 1 once anything failed. */
static int replay_stream(struct replay *r, FILE *f)
{
	char *buf = NULL, why[256];
	size_t cap = 0, len = 0;
	bool too_long;
	int got;

	while ((got = read_line(f, &buf, &cap, &len, &too_long)) > 0) {
		struct iopt_trace_op op;
		bool bad = false;

		r->lineno++;
		if (too_long) {
			line_error(r, "line longer than %u bytes",
				   REPLAY_LINE_MAX);
			bad = true;
		} else if (strlen(buf) != len) {
			line_error(r, "line holds a NUL byte (binary data?)");
			bad = true;
		} else if (iopt_trace_parse_line(buf, &op, why, sizeof(why))) {
			line_error(r, "%s", why);
			bad = true;
		} else {
			unsigned long long before = r->failures;

			switch (op.kind) {
			case IOPT_TRACE_MAP:
				do_map(r, &op);
				break;
			case IOPT_TRACE_UNMAP:
				do_unmap(r, &op);
				break;
			case IOPT_TRACE_LOOKUP:
				do_lookup(r, &op);
				break;
			case IOPT_TRACE_NONE:
				r->headers += op.header;
				break;
			}
			bad = r->failures != before;
		}
		if (bad && !r->keep_going)
			break;
	}
	if (got < 0) {
		fprintf(stderr, "iopt replay: %s: read error after line %llu\n",
			r->file, r->lineno);
		r->failures++;
	}
	free(buf);
	return r->failures ? 1 : 0;
}

/*
 * The image (image.h): "IOPTIMG2", then little-endian u64s: root table
 * physical address, physical address of the first byte that follows,
 * number of bytes that follow; the configuration name (@name, as given to
 * --format) NUL-padded to 32 bytes; then the arena from its start to its
 * bump pointer (every byte a table ever used).
 */
static int write_image(struct replay *r, const char *path, const char *name)
{
	return iopt_image_write("replay", path, name, iopt_root_phys(&r->table),
				r->arena.phys_base, r->arena.base, r->arena.bump);
}

/* `iopt dump` of the table as built, on stdout after the lookups. */
static int dump_table(struct replay *r, const char *name)
{
	struct iopt_config cfg;

	if (fflush(stdout) || iopt_config_from_name(name, &cfg))
		return 1;
	return iopt_dump_image(stdout, name, &cfg, iopt_root_phys(&r->table),
			       r->arena.phys_base, r->arena.base,
			       r->arena.bump, false) != 0;
}

/* The summary; @json: one JSON object on one line (the keys below). */
static void print_stats(struct replay *r, bool json)
{
	struct iopt_stats s;

	iopt_get_stats(&r->table, &s);
	if (json) {
		fprintf(stderr, "{\"lines\": %llu, \"maps\": %llu, \"unmaps\": %llu, "
			"\"lookups\": %llu, \"failed\": %llu, \"walks\": %llu, "
			"\"entries_written\": %llu, \"entries_cleared\": %llu, "
			"\"table_bytes\": %llu, \"table_bytes_peak\": %llu, "
			"\"arena_touched\": %llu, \"arena_bytes\": %llu, "
			"\"headers\": %llu}\n",
			r->lineno, r->maps, r->unmaps, r->lookups, r->failures,
			(unsigned long long)s.walks,
			(unsigned long long)s.entries_written,
			(unsigned long long)s.entries_cleared,
			(unsigned long long)s.table_bytes,
			(unsigned long long)s.table_bytes_peak,
			(unsigned long long)r->arena.bump,
			(unsigned long long)r->arena_size, r->headers);
		return;
	}
	fprintf(stderr, "iopt replay: %s: %llu lines, %llu maps, %llu unmaps, %llu lookups, %llu failed; ",
		r->file, r->lineno, r->maps, r->unmaps, r->lookups,
		r->failures);
	fprintf(stderr, "%llu walks, %llu entries written, %llu cleared; ",
		(unsigned long long)s.walks,
		(unsigned long long)s.entries_written,
		(unsigned long long)s.entries_cleared);
	fprintf(stderr, "table memory %llu bytes (peak %llu); arena %llu of %llu bytes touched; %llu trace-cmd header lines skipped\n",
		(unsigned long long)s.table_bytes,
		(unsigned long long)s.table_bytes_peak,
		(unsigned long long)r->arena.bump,
		(unsigned long long)r->arena_size, r->headers);
}

#define usage_error(...) tool_usage_error("replay", replay_usage, __VA_ARGS__)

/* "4K,2M": each a page size of the table (usage error 2 otherwise). */
static int parse_pgsizes(struct replay *r, const char *list)
{
	uint64_t allowed = iopt_pgsize_bitmap(&r->table);
	const char *p = list;

	r->pgsizes = 0;
	for (;;) {
		const char *end;
		uint64_t v;

		if (iopt_trace_parse_u64(p, &end, &v) || (*end && *end != ',')) {
			fprintf(stderr, "iopt replay: --pgsizes '%s': expected sizes separated by commas, e.g. 4K,2M\n",
				list);
			return 2;
		}
		if (!v || (v & (v - 1)) || !(allowed & v)) {
			char sz[32];

			fprintf(stderr, "iopt replay: --pgsizes: %s is not a page size of this format; allowed:",
				size_str(sz, sizeof(sz), v));
			for (uint64_t m = allowed; m; m &= m - 1)
				fprintf(stderr, "%s%s", m == allowed ? " " : ",",
					size_str(sz, sizeof(sz), m & -m));
			fputc('\n', stderr);
			return 2;
		}
		r->pgsizes |= v;
		if (!*end)
			return 0;
		p = end + 1;
	}
}

/**
 * iopt_cmd_replay() - the "iopt replay" subcommand
 * @argc: number of arguments, counting argv[0].
 * @argv: argv[0] is "replay"; then the options and the trace file name
 *        ("-" for stdin).
 *
 * Builds a table of the named format over a malloc'd arena, applies the
 * trace line by line, prints one stdout line per lookup, and writes the
 * image if asked. See the comment at the top of this file.
 *
 * Return: the exit status: 0 when every line applied; 1 when a line was
 * malformed or an operation failed (the replay stopped there unless
 * --keep-going), or for I/O errors and an arena too small for the root
 * table; 2 for usage errors (unknown option, missing argument, bad size,
 * unknown format or a geometry the format cannot express).
 */
int iopt_cmd_replay(int argc, char **argv)
{
	const char *format = NULL, *image = NULL, *trace = NULL, *val;
	const char *pgsizes = NULL;
	struct replay r = { .arena_size = REPLAY_ARENA_SIZE };
	bool stats = false, opts_done = false, contig = false, json = false;
	bool dump = false;
	struct iopt_config cfg;
	struct iopt_mem mem;
	uint64_t v;
	FILE *f;
	int rc, err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-' || !a[1]) {
			if (trace)
				return usage_error("more than one trace: '%s'", a);
			trace = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			replay_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--keep-going")) {
			r.keep_going = true;
		} else if (!strcmp(a, "--stats")) {
			stats = true;
		} else if (!strcmp(a, "--contig")) {
			contig = true;
		} else if (!strcmp(a, "--dump")) {
			dump = true;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (tool_opt_value(argc, argv, &i, "--format", &val)) {
			if (!val)
				return usage_error("%s needs a name", a);
			format = val;
		} else if (tool_opt_value(argc, argv, &i, "--image", &val)) {
			if (!val || !*val)
				return usage_error("%s needs a file name", a);
			if (!strcmp(val, "-"))
				return usage_error("%s: stdout is for lookup lines; give a file name", a);
			image = val;
		} else if (tool_opt_value(argc, argv, &i, "--pgsizes", &val)) {
			if (!val || !*val)
				return usage_error("%s needs a list of page sizes, e.g. 4K,2M", a);
			pgsizes = val;
		} else if (tool_opt_value(argc, argv, &i, "--arena-size", &val)) {
			if (!val)
				return usage_error("%s needs a size", a);
			err = iopt_trace_parse_u64(val, NULL, &v);
			if (err || !v || v > SIZE_MAX)
				return usage_error("bad --arena-size '%s' (a byte count such as 1048576, 0x100000 or 256M)", val);
			r.arena_size = (size_t)v;
		} else {
			return usage_error("unknown option '%s'", a);
		}
	}
	if (!format)
		return usage_error("%s", "--format NAME is required ('iopt formats' lists the names)");
	if (json && !stats)
		return usage_error("%s", "--json goes with --stats");
	if (image && strlen(format) >= IOPT_IMAGE_NAME_MAX)
		return usage_error("format name '%s' does not fit an image (%d bytes at most)",
				   format, IOPT_IMAGE_NAME_MAX - 1);
	if (!trace)
		return usage_error("%s", "no trace file (use - for stdin)");
	if (iopt_config_from_name(format, &cfg)) {
		fprintf(stderr, "iopt replay: unknown format '%s': run 'iopt formats' for the names (NAME:ias=N,oas=N overrides the address sizes)\n",
			format);
		return 2;
	}
	if (stats)
		cfg.flags |= IOPT_CFG_STATS;
	/* Linux's ARM driver never writes the contiguous hint: a trace it
	 * recorded maps 4K pages where iopt would write a 64K run, then may
	 * unmap one of them. Replay as it mapped, unless asked. */
	if (!contig && (cfg.format == IOPT_FMT_ARM_LPAE_S1 ||
			cfg.format == IOPT_FMT_ARM_LPAE_S2))
		cfg.quirks |= IOPT_QUIRK_NO_CONTIG;

	/* calloc: pages the tables never touch stay unbacked. */
	r.region = calloc(1, r.arena_size);
	if (!r.region) {
		fprintf(stderr, "iopt replay: cannot allocate a %llu-byte arena\n",
			(unsigned long long)r.arena_size);
		return 1;
	}
	err = iopt_arena_init(&r.arena, r.region, r.arena_size,
			      REPLAY_PHYS_BASE);
	if (err) {
		fprintf(stderr, "iopt replay: bad --arena-size %llu: %s\n",
			(unsigned long long)r.arena_size, iopt_strerror(err));
		free(r.region);
		return 2;
	}
	iopt_arena_mem(&r.arena, &mem);
	err = iopt_init(&r.table, &cfg, &mem, NULL, NULL);
	if (err) {
		char sz[32];

		if (err == -ENOMEM)
			fprintf(stderr, "iopt replay: %s: the %s arena cannot hold the root table; use a larger --arena-size\n",
				iopt_strerror(err),
				size_str(sz, sizeof(sz), r.arena_size));
		else
			fprintf(stderr, "iopt replay: format '%s': %s\n",
				format, iopt_strerror(err));
		free(r.region);
		return err == -ENOMEM ? 1 : 2;
	}
	iopt_gather_init(&r.gather);
	if (pgsizes) {
		rc = parse_pgsizes(&r, pgsizes);
		if (rc) {
			iopt_fini(&r.table);
			free(r.region);
			return rc;
		}
	}

	if (!strcmp(trace, "-")) {
		r.file = "<stdin>";
		f = stdin;
	} else {
		r.file = trace;
		f = fopen(trace, "r");
	}
	if (!f) {
		fprintf(stderr, "iopt replay: cannot open %s: %s\n", trace,
			strerror(errno));
		rc = 1;
	} else {
		rc = replay_stream(&r, f);
		if (f != stdin)
			fclose(f);
		/* Before iopt_fini(), which frees (and poisons) the tables. */
		if (image && write_image(&r, image, format))
			rc = 1;
		if (dump && dump_table(&r, format))
			rc = 1;
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "iopt replay: cannot write lookup results\n");
		rc = 1;
	}
	if (stats)
		print_stats(&r, json);
	iopt_fini(&r.table);
	free(r.region);
	return rc;
}

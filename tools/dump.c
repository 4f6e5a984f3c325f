// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * iopt dump: print the tree of a table image (from `iopt replay --image`),
 * one line per live entry: its level, index, the raw entry, and what it
 * means (table and the next table's address; leaf with its IOVA and output
 * ranges, permissions and run length; or an entry the IOMMU refuses).
 *
 * The decoding is the simulated IOMMU's (iopt_hwsim_walk(), as `iopt walk`
 * uses it), which shares no code with the engine that wrote the table: the
 * IOVA space is walked from the bottom, one walk per leaf or empty entry,
 * each walk skipping the span of the entry it ended at, and a read
 * callback records the entries each walk reads on its way down. The image
 * is not trusted: every read is checked against it, a table reached from
 * two entries (a cycle, or tables shared) ends the dump, and so does a
 * root outside the image; the number of walks is bounded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iopt/hwsim.h>
#include <iopt/iopt.h>
#include "cmds.h"
#include "image.h"

#define DUMP_MAX_DEPTH 8
#define ROOT_PARENT UINT64_MAX /* parent mark of the root's entries */

struct dump {
	FILE *out;
	bool json;
	const unsigned char *bytes;
	uint64_t base;
	size_t count;
	struct iopt_hwsim_geom g;
	/* The entries the current walk read, root first. */
	unsigned int nread;
	uint64_t rphys[DUMP_MAX_DEPTH];
	uint64_t rval[DUMP_MAX_DEPTH];
	/* Per 4-byte unit of the image: 1 + the address of the entry that
	 * led to the entry there (ROOT_PARENT for the root's); 0 unseen. */
	uint64_t *parent;
	/* The table entries printed last, per depth. */
	uint64_t shown[DUMP_MAX_DEPTH];
	bool any;          /* JSON: an entry was printed */
	unsigned long tables, leaves, invalid;
	int status;
};

static void dump_usage(FILE *f)
{
	fprintf(f,
		"usage: iopt dump IMAGE [--format NAME] [--json]\n"
		"  IMAGE          an image from 'iopt replay --image'\n"
		"  --format NAME  the configuration it was built with: required for a\n"
		"                 version 1 image; a version 2 image names its own (a\n"
		"                 --format that disagrees is an error)\n"
		"  --json         one JSON object: the image's header and an array of\n"
		"                 entries (addresses as hex strings)\n"
		"One line per live entry, indented by depth: level, index, the entry,\n"
		"then 'table next=ADDR', 'leaf iova=FIRST-LAST out=FIRST-LAST size=N\n"
		"prot=rwx [priv] [run=N]' or 'invalid'/'bad (FAULT)'. Decoded by the\n"
		"simulated IOMMU. Exit status: 0; 1 when the image cannot be read or\n"
		"holds an entry the IOMMU refuses, a table reached twice or a root\n"
		"outside it; 2 on a usage error.\n");
}

/* hwsim read callback: the image, every read checked, each one recorded. */
static int dump_read(void *ctx, uint64_t phys, void *buf, size_t len)
{
	struct dump *d = ctx;
	uint64_t off, v = 0;
	const unsigned char *p;

	if (phys < d->base || len > d->count ||
	    phys - d->base > d->count - len)
		return -EFAULT;
	off = phys - d->base;
	p = d->bytes + off;
	memcpy(buf, p, len);
	for (size_t i = len; i-- > 0;)
		v = v << 8 | p[i];
	if (d->nread < DUMP_MAX_DEPTH) {
		d->rphys[d->nread] = phys;
		d->rval[d->nread] = v;
	}
	d->nread++;
	return 0;
}

static unsigned int span_lg2(const struct dump *d, unsigned int level)
{
	unsigned int s = d->g.granule_lg2 + level * d->g.level_bits;

	return s > 64 ? 64 : s;
}

/* The index of the entry at @level (@depth from the root) for @addr. */
static unsigned int entry_index(const struct dump *d, uint64_t addr,
				unsigned int level, unsigned int depth)
{
	unsigned int bits = depth ? d->g.level_bits : d->g.top_bits;
	unsigned int s = span_lg2(d, level);

	if (s >= 64)
		return 0;
	return (unsigned int)((addr >> s) & ((1ULL << bits) - 1));
}

static const char *pte_fmt(const struct dump *d)
{
	return d->g.pte_lg2 == 2 ? "0x%08" PRIx64 : "0x%016" PRIx64;
}

/* The start of one entry's line (text) or object (JSON). */
static void entry_head(struct dump *d, unsigned int depth, unsigned int level,
		       unsigned int index, uint64_t phys, uint64_t pte,
		       const char *kind)
{
	if (d->json) {
		fprintf(d->out, "%s\n    {\"depth\": %u, \"level\": %u, \"index\": %u, "
			"\"addr\": \"0x%" PRIx64 "\", \"pte\": \"0x%" PRIx64 "\", \"kind\": \"%s\"",
			d->any ? "," : "", depth, level, index, phys, pte, kind);
		d->any = true;
		return;
	}
	fprintf(d->out, "%*sL%u [%u] ", (int)(2 * depth), "", level, index);
	fprintf(d->out, pte_fmt(d), pte);
	fprintf(d->out, " %s", kind);
}

static void entry_end(struct dump *d)
{
	fprintf(d->out, d->json ? "}" : "\n");
}

static void print_leaf(struct dump *d, unsigned int depth, uint64_t iova,
		       const struct iopt_hwsim_result *r, unsigned int index)
{
	uint64_t size = r->size_lg2 >= 64 ? 0 : 1ULL << r->size_lg2;
	uint64_t last = iova + size - 1, out = r->phys;
	unsigned int p = r->perm;
	bool rd = p & (IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_PR);
	bool wr = p & (IOPT_HWSIM_PERM_UW | IOPT_HWSIM_PERM_PW);
	bool ex = p & (IOPT_HWSIM_PERM_UX | IOPT_HWSIM_PERM_PX);
	bool user = p & (IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_UW |
			 IOPT_HWSIM_PERM_UX);
	bool priv = p && !user;
	unsigned int run = r->contig && r->size_lg2 > r->leaf_lg2 &&
			   r->size_lg2 - r->leaf_lg2 < 32 ?
			   1u << (r->size_lg2 - r->leaf_lg2) : 1;

	d->leaves++;
	entry_head(d, depth, r->level, index, r->pte_phys, r->pte, "leaf");
	if (d->json) {
		fprintf(d->out, ", \"iova\": \"0x%" PRIx64 "\", \"iova_last\": \"0x%" PRIx64
			"\", \"out\": \"0x%" PRIx64 "\", \"out_last\": \"0x%" PRIx64
			"\", \"size\": \"0x%" PRIx64 "\", \"read\": %s, \"write\": %s, "
			"\"exec\": %s, \"priv\": %s, \"run\": %u",
			iova, last, out, out + size - 1, size, rd ? "true" : "false",
			wr ? "true" : "false", ex ? "true" : "false",
			priv ? "true" : "false", run);
	} else {
		fprintf(d->out, " iova=0x%" PRIx64 "-0x%" PRIx64 " out=0x%" PRIx64
			"-0x%" PRIx64 " size=0x%" PRIx64 " prot=%c%c%c%s",
			iova, last, out, out + size - 1, size, rd ? 'r' : '-',
			wr ? 'w' : '-', ex ? 'x' : '-', priv ? " priv" : "");
		if (run > 1)
			fprintf(d->out, " run=%u", run);
	}
	entry_end(d);
}

__attribute__((format(printf, 2, 3)))
static void dump_error(struct dump *d, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iopt dump: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	d->status = 1;
}

/*
 * Check that each entry the walk read is reached from the entry above it
 * only, and print the table entries not printed yet. Return false when
 * the tree is not one (the dump stops).
 */
static bool walk_path(struct dump *d, uint64_t addr, unsigned int depth_n)
{
	unsigned int top = d->g.levels - 1;

	for (unsigned int k = 0; k < depth_n; k++) {
		uint64_t unit = (d->rphys[k] - d->base) >> 2;
		uint64_t want = k ? d->rphys[k - 1] + 1 : ROOT_PARENT;

		if (!d->parent[unit]) {
			d->parent[unit] = want;
		} else if (d->parent[unit] != want) {
			dump_error(d, "the entry at 0x%" PRIx64 " is reached from two entries (a cycle or shared tables): not a tree",
				   d->rphys[k]);
			return false;
		}
	}
	for (unsigned int k = 0; k + 1 < depth_n; k++) {
		unsigned int level = top >= k ? top - k : 0;
		unsigned int idx = entry_index(d, addr, level, k);

		if (d->shown[k] == d->rphys[k] + 1)
			continue;
		d->shown[k] = d->rphys[k] + 1;
		for (unsigned int j = k + 1; j < DUMP_MAX_DEPTH; j++)
			d->shown[j] = 0;
		d->tables++;
		entry_head(d, k, level, idx, d->rphys[k], d->rval[k], "table");
		{
			unsigned int cl = level ? level - 1 : 0;
			uint64_t next = d->rphys[k + 1] -
				((uint64_t)entry_index(d, addr, cl, k + 1) << d->g.pte_lg2);

			if (d->json)
				fprintf(d->out, ", \"next\": \"0x%" PRIx64 "\"", next);
			else
				fprintf(d->out, " next=0x%" PRIx64, next);
		}
		entry_end(d);
	}
	return true;
}

/* The input address of position @addr of the index space. */
static uint64_t to_iova(const struct dump *d, uint64_t addr)
{
	unsigned int ias = d->g.ias;

	if (ias >= 64)
		return addr;
	if (d->g.ttbr1)
		return addr | ~((1ULL << ias) - 1);
	if (d->g.sign_extend && (addr >> (ias - 1)) & 1)
		return addr | ~((1ULL << ias) - 1);
	return addr;
}

int iopt_dump_image(FILE *out, const char *name, const struct iopt_config *cfg,
		    uint64_t root, uint64_t base, const void *bytes,
		    size_t count, bool json)
{
	struct dump d = { .out = out, .json = json, .bytes = bytes,
			  .base = base, .count = count };
	struct iopt_hwsim_mem m;
	unsigned int top, total_lg2;
	uint64_t addr = 0, walks = 0, max_walks;
	int ret;

	ret = iopt_hwsim_geometry(cfg, &d.g);
	if (ret) {
		fprintf(stderr, "iopt dump: %s: the simulated IOMMU cannot walk it (%s)\n",
			name, iopt_strerror(ret));
		return 2;
	}
	if (d.g.levels == 0 || d.g.levels > DUMP_MAX_DEPTH) {
		fprintf(stderr, "iopt dump: %s: %u levels\n", name, d.g.levels);
		return 2;
	}
	d.parent = calloc(count / 4 + 1, sizeof(*d.parent));
	if (!d.parent) {
		fprintf(stderr, "iopt dump: out of memory\n");
		return 1;
	}
	memset(&m, 0, sizeof(m));
	m.read = dump_read;
	m.ctx = &d;
	top = d.g.levels - 1;
	total_lg2 = span_lg2(&d, top) + d.g.top_bits;
	if (total_lg2 > 64)
		total_lg2 = 64;
	/* Each walk ends at a distinct entry of a tree: at most one per
	 * entry the image holds, plus the empty ones a skipped level adds. */
	max_walks = 4 * (uint64_t)(count >> d.g.pte_lg2) + 4096;

	if (json)
		fprintf(out, "{\"format\": \"%s\", \"root\": \"0x%" PRIx64 "\", \"base\": \"0x%" PRIx64
			"\", \"bytes\": %zu, \"levels\": %u, \"entries\": [",
			name, root, base, count, d.g.levels);
	else
		fprintf(out, "# %s: root 0x%" PRIx64 ", %zu bytes at 0x%" PRIx64 ", %u levels\n",
			name, root, count, base, d.g.levels);
	for (;;) {
		struct iopt_hwsim_result r;
		uint64_t iova = to_iova(&d, addr);
		unsigned int depth_n, skip_level, lvl;
		bool leaf;

		if (++walks > max_walks) {
			dump_error(&d, "more than %" PRIu64 " walks: the image is not a tree", max_walks);
			break;
		}
		memset(&r, 0, sizeof(r));
		d.nread = 0;
		ret = iopt_hwsim_walk(&d.g, &m, root, iova, 0, &r);
		if (ret && ret != -EFAULT) {
			fprintf(stderr, "iopt dump: walk: %s\n", iopt_strerror(ret));
			d.status = 1;
			break;
		}
		depth_n = d.nread < DUMP_MAX_DEPTH ? d.nread : DUMP_MAX_DEPTH;
		if (ret && depth_n == 0 &&
		    !(r.fault == IOPT_HWSIM_FAULT_ADDR_SIZE && r.input)) {
			dump_error(&d, "the root table 0x%" PRIx64 " is not inside the image (%s)",
				   root, iopt_hwsim_fault_name(r.fault));
			break;
		}
		leaf = ret == 0 || r.fault == IOPT_HWSIM_FAULT_PERMISSION;
		if (r.fault == IOPT_HWSIM_FAULT_ADDR_SIZE && r.input) {
			/* Outside the input space: skip a start-table entry. */
			skip_level = top;
			depth_n = 0;
		} else if (r.fault == IOPT_HWSIM_FAULT_WALK_ABORT) {
			/* The last entry read points outside the image. */
			if (!walk_path(&d, addr, depth_n))
				break;
			lvl = top >= depth_n - 1 ? top - (depth_n - 1) : 0;
			entry_head(&d, depth_n - 1, lvl,
				   entry_index(&d, addr, lvl, depth_n - 1),
				   d.rphys[depth_n - 1], d.rval[depth_n - 1],
				   "bad");
			if (d.json)
				fprintf(out, ", \"fault\": \"points outside the image\"");
			else
				fprintf(out, " (points outside the image)");
			entry_end(&d);
			dump_error(&d, "the entry at 0x%" PRIx64 " points outside the image",
				   d.rphys[depth_n - 1]);
			skip_level = lvl;
		} else {
			if (!walk_path(&d, addr, depth_n))
				break;
			skip_level = r.level;
			if (leaf) {
				print_leaf(&d, depth_n ? depth_n - 1 : 0, iova, &r,
					   entry_index(&d, addr, r.level,
						       depth_n ? depth_n - 1 : 0));
				if (r.size_lg2 > span_lg2(&d, r.level))
					skip_level = 64; /* by the run, below */
			} else if (r.pte && depth_n) {
				bool plain = r.fault == IOPT_HWSIM_FAULT_TRANSLATION;

				d.invalid++;
				entry_head(&d, depth_n - 1, r.level,
					   entry_index(&d, addr, r.level, depth_n - 1),
					   d.rphys[depth_n - 1], r.pte,
					   plain ? "invalid" : "bad");
				if (!plain) {
					if (d.json)
						fprintf(out, ", \"fault\": \"%s\"",
							iopt_hwsim_fault_name(r.fault));
					else
						fprintf(out, " (%s)",
							iopt_hwsim_fault_name(r.fault));
					dump_error(&d, "the entry at 0x%" PRIx64 " is refused by the IOMMU",
						   d.rphys[depth_n - 1]);
				}
				entry_end(&d);
			}
		}
		{
			unsigned int s = skip_level == 64 ? r.size_lg2 :
					 span_lg2(&d, skip_level);
			uint64_t mask;

			if (s >= total_lg2)
				break;
			mask = (1ULL << s) - 1;
			addr = (addr | mask) + 1;
			if (!addr || (total_lg2 < 64 && addr >> total_lg2))
				break;
		}
	}
	if (json)
		fprintf(out, "%s  ],\n  \"tables\": %lu, \"leaves\": %lu, \"invalid\": %lu, \"ok\": %s}\n",
			d.any ? "\n" : "", d.tables, d.leaves, d.invalid,
			d.status ? "false" : "true");
	else
		fprintf(out, "# %lu table entries, %lu leaves, %lu invalid entries%s\n",
			d.tables, d.leaves, d.invalid,
			d.status ? "; the image is damaged" : "");
	free(d.parent);
	return d.status;
}

int iopt_cmd_dump(int argc, char **argv)
{
	const char *format = NULL, *path = NULL;
	struct iopt_image im;
	bool json = false;
	int ret;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			dump_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--format") && i + 1 < argc) {
			format = argv[++i];
		} else if (!strncmp(a, "--format=", 9)) {
			format = a + 9;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "iopt dump: unknown option %s\n", a);
			dump_usage(stderr);
			return 2;
		} else if (path) {
			fprintf(stderr, "iopt dump: one image only ('%s')\n", a);
			return 2;
		} else {
			path = a;
		}
	}
	if (!path) {
		fprintf(stderr, "iopt dump: no image given\n");
		dump_usage(stderr);
		return 2;
	}
	ret = iopt_image_read("dump", path, format, &im);
	if (ret)
		return ret;
	ret = iopt_dump_image(stdout, im.name, &im.cfg, im.root, im.base,
			      im.bytes, im.count, json);
	free(im.file);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "iopt dump: cannot write the dump\n");
		ret = 1;
	}
	return ret;
}

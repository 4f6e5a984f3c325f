// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The public entry points: argument checks that do not depend on the
 * format, then one indirect call into the format's engine instance.
 * Every check happens before anything is written, so a refused call
 * changes nothing.
 */
#include "pt/pt_internal.h"

/* ---------------------------------------------------------- configurations */

static const struct {
	const char *name;
	struct iopt_config cfg;
} named[] = {
	{ "arm-lpae-s1-4k",  { IOPT_FMT_ARM_LPAE_S1, 12, 48, 48, 0, 0 } },
	{ "arm-lpae-s1-16k", { IOPT_FMT_ARM_LPAE_S1, 14, 48, 48, 0, 0 } },
	{ "arm-lpae-s1-64k", { IOPT_FMT_ARM_LPAE_S1, 16, 48, 48, 0, 0 } },
	{ "arm-lpae-s2-4k",  { IOPT_FMT_ARM_LPAE_S2, 12, 48, 48, 0, 0 } },
	{ "arm-lpae-s2-16k", { IOPT_FMT_ARM_LPAE_S2, 14, 48, 48, 0, 0 } },
	{ "arm-lpae-s2-64k", { IOPT_FMT_ARM_LPAE_S2, 16, 48, 48, 0, 0 } },
	{ "x86-64-4lvl",     { IOPT_FMT_X86_64, 12, 48, 52, 0, 0 } },
	{ "x86-64-5lvl",     { IOPT_FMT_X86_64, 12, 57, 52, 0, 0 } },
	{ "arm-v7s",         { IOPT_FMT_ARM_V7S, 12, 32, 32, 0, 0 } },
	{ "arm-mali-lpae",   { IOPT_FMT_ARM_MALI_LPAE, 12, 48, 40, 0, 0 } },
	{ "apple-dart",      { IOPT_FMT_APPLE_DART, 12, 32, 36, 0, 0 } },
	{ "apple-dart2",     { IOPT_FMT_APPLE_DART2, 14, 36, 42, 0, 0 } },
	{ "amd-v1",          { IOPT_FMT_AMD_V1, 12, 48, 52, 0, 0 } },
	{ "vtd-ss-3lvl",     { IOPT_FMT_VTD_SS, 12, 39, 52, 0, 0 } },
	{ "vtd-ss-4lvl",     { IOPT_FMT_VTD_SS, 12, 48, 52, 0, 0 } },
	{ "vtd-ss-5lvl",     { IOPT_FMT_VTD_SS, 12, 57, 52, 0, 0 } },
	{ "riscv-sv39",      { IOPT_FMT_RISCV, 12, 39, 56, 0, 0 } },
	{ "riscv-sv48",      { IOPT_FMT_RISCV, 12, 48, 56, 0, 0 } },
	{ "riscv-sv57",      { IOPT_FMT_RISCV, 12, 57, 56, 0, 0 } },
};

const char *iopt_config_name(unsigned int i, struct iopt_config *cfg)
{
	if (i >= sizeof(named) / sizeof(named[0]))
		return NULL;
	if (cfg)
		*cfg = named[i].cfg;
	return named[i].name;
}

/* Matches @word (length @n) against @s; true if equal. */
static bool word_is(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!word[i] || word[i] != s[i])
			return false;
	return !word[i];
}

static bool parse_uint(const char *s, size_t n, unsigned int *out)
{
	unsigned int v = 0;

	if (!n || n > 3)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	*out = v;
	return true;
}

int iopt_config_from_name(const char *name, struct iopt_config *out)
{
	struct iopt_config cfg;
	const char *p;
	size_t n = 0;
	unsigned int i;

	if (!name || !out)
		return -EINVAL;
	while (name[n] && name[n] != ':')
		n++;
	for (i = 0; iopt_config_name(i, &cfg); i++)
		if (word_is(name, n, named[i].name))
			break;
	if (!iopt_config_name(i, NULL))
		return -EINVAL;
	/* Overrides: ":key=value,key=value" or flags "nocontig", "ns", "s2fwb",
	 * "ttbr1", "lpa2", "no_perms", "mtk_ext", "no1g", "napot". */
	for (p = name + n; *p;) {
		const char *key = ++p, *eq = NULL;
		unsigned int v;

		while (*p && *p != ',') {
			if (*p == '=' && !eq)
				eq = p;
			p++;
		}
		if (!eq) {
			size_t kn = (size_t)(p - key);

			if (word_is(key, kn, "nocontig"))
				cfg.quirks |= IOPT_QUIRK_NO_CONTIG;
			else if (word_is(key, kn, "ns"))
				cfg.quirks |= IOPT_QUIRK_ARM_NS;
			else if (word_is(key, kn, "s2fwb"))
				cfg.quirks |= IOPT_QUIRK_ARM_S2FWB;
			else if (word_is(key, kn, "no_perms"))
				cfg.quirks |= IOPT_QUIRK_V7S_NO_PERMS;
			else if (word_is(key, kn, "mtk_ext"))
				cfg.quirks |= IOPT_QUIRK_V7S_MTK_EXT;
			else if (word_is(key, kn, "ttbr1"))
				cfg.quirks |= IOPT_QUIRK_ARM_TTBR1;
			else if (word_is(key, kn, "lpa2"))
				cfg.quirks |= IOPT_QUIRK_ARM_LPA2;
			else if (word_is(key, kn, "no1g"))
				cfg.quirks |= IOPT_QUIRK_VTD_NO_1G;
			else if (word_is(key, kn, "napot"))
				cfg.quirks |= IOPT_QUIRK_RISCV_NAPOT;
			else
				return -EINVAL;
			continue;
		}
		if (!parse_uint(eq + 1, (size_t)(p - eq - 1), &v))
			return -EINVAL;
		if (word_is(key, (size_t)(eq - key), "ias"))
			cfg.ias = v;
		else if (word_is(key, (size_t)(eq - key), "oas"))
			cfg.oas = v;
		else if (word_is(key, (size_t)(eq - key), "levels") &&
			 cfg.format == IOPT_FMT_AMD_V1 && v >= 1 && v <= 6)
			cfg.ias = v == 6 ? 64 : 12 + 9 * v; /* the DTE's Mode */
		else
			return -EINVAL;
	}
	*out = cfg;
	return 0;
}

/* ------------------------------------------------------------ table memory */

/*
 * Can a table of @size bytes live at @phys: aligned to its size and inside
 * the output address space, so that an entry can point at it? iopt_init()
 * checked a bounded backend's bound once; this catches unbounded ones (the
 * heap) and backends that break their own alignment promise.
 */
static bool table_addr_ok(const struct iopt_table *t, uint64_t phys,
			  size_t size)
{
	uint64_t last = phys + (size - 1);

	if ((phys & (size - 1)) || last < phys)
		return false;
	return t->tbl_addr_bits >= 64 || !(last >> t->tbl_addr_bits);
}

void iopt_table_label_(struct iopt_table *t, uint64_t phys, size_t size,
		       unsigned int lvl)
{
	if (t->label_base)
		t->mem.ops->set_label(t->mem.ctx, phys, size, pt_label(t, lvl));
}

/* As iopt_table_alloc_(); *@err says why it failed: -ENOMEM, or -ERANGE
 * for memory that no entry could point at (given back at once). */
static void *table_alloc(struct iopt_table *t, size_t size, uint64_t *phys,
			 unsigned int flags, unsigned int lvl, int *err)
{
	void *v = t->mem.ops->alloc(t->mem.ctx, size, phys,
				    flags | t->alloc_flags);
	uint64_t now, peak;

	*err = -ENOMEM;
	if (!v)
		return NULL;
	if (!table_addr_ok(t, *phys, size)) {
		t->mem.ops->free(t->mem.ctx, v, *phys, size);
		*err = -ERANGE;
		return NULL;
	}
	if (lvl != PT_NO_LABEL)
		iopt_table_label_(t, *phys, size, lvl);
	pt_stat_add(&t->stats.tables_allocated, 1);
	now = __atomic_add_fetch(&t->stats.table_bytes, size, __ATOMIC_RELAXED);
	peak = __atomic_load_n(&t->stats.table_bytes_peak, __ATOMIC_RELAXED);
	while (now > peak &&
	       !__atomic_compare_exchange_n(&t->stats.table_bytes_peak, &peak,
					    now, true, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
	return v;
}

void *iopt_table_alloc_(struct iopt_table *t, size_t size, uint64_t *phys,
			unsigned int flags, unsigned int lvl)
{
	int err;

	return table_alloc(t, size, phys, flags, lvl, &err);
}

void iopt_table_free_(struct iopt_table *t, void *virt, uint64_t phys,
		      size_t size)
{
	t->mem.ops->free(t->mem.ctx, virt, phys, size);
	/* Release: a reader that sees this free also sees the table's
	 * allocation counted (iopt_get_stats() reads freed first). */
	__atomic_add_fetch(&t->stats.tables_freed, 1, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&t->stats.table_bytes, size, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- lifetime */

/* A live table's key: its own address mixed with a constant, so neither
 * uninitialised memory nor a copy of a live table passes for one. */
#define LIVE_MAGIC 0x696f70745f6c6976ULL
static uint64_t live_key(const struct iopt_table *t)
{
	return (uint64_t)(uintptr_t)t ^ LIVE_MAGIC;
}

static bool table_live(const struct iopt_table *t)
{
	return t->ops && t->live_key == live_key(t);
}

/* Generations, so that a gather can tell a table from its successor in
 * the same struct; and labels for backends whose bound cannot name roots. */
static uint64_t next_gen;

/*
 * The label of a new tree (level bits clear, never 0), from its
 * generation: unique among the last 2^29 - 1 tables created in the
 * process. Not from the root's address: tables a destroyed table leaked
 * (a gather never synced) keep their label, and a successor whose root
 * landed at the same place must not take them for its own.
 */
static uint32_t tree_label(const struct iopt_table *t)
{
	return (uint32_t)((t->gen % ((1u << 29) - 1)) + 1) << 3;
}

int iopt_init(struct iopt_table *t, const struct iopt_config *cfg,
	      const struct iopt_mem *mem, const struct iopt_flush_ops *flush,
	      void *cookie)
{
	int ret;

	if (!t)
		return -EINVAL;
	if (table_live(t))
		return -EBUSY; /* its memory would leak: iopt_fini() it first */
	/* Cleared first, so iopt_fini() after any failure does nothing. */
	iopt_memset(t, 0, sizeof(*t));
	if (!cfg || !mem || !mem->ops || !mem->ops->alloc ||
	    !mem->ops->free || (!mem->linear && !mem->ops->phys_to_virt) ||
	    (cfg->flags & ~IOPT_CFG_STATS) ||
	    !mem->ops->set_label != !mem->ops->label_of)
		return -EINVAL;
	t->cfg = *cfg;
	t->mem = *mem;
	t->flush = flush;
	t->cookie = cookie;
	switch (cfg->format) {
	case IOPT_FMT_ARM_LPAE_S1:
	case IOPT_FMT_ARM_LPAE_S2:
		ret = iopt_arm_lpae_init(t);
		break;
	case IOPT_FMT_X86_64:
		ret = iopt_x86_64_init(t);
		break;
	case IOPT_FMT_ARM_V7S:
		ret = iopt_arm_v7s_init(t);
		break;
	case IOPT_FMT_ARM_MALI_LPAE:
		ret = iopt_arm_mali_init(t);
		break;
	case IOPT_FMT_APPLE_DART:
	case IOPT_FMT_APPLE_DART2:
		ret = iopt_apple_dart_init(t);
		break;
	case IOPT_FMT_AMD_V1:
		ret = iopt_amd_v1_init(t);
		break;
	case IOPT_FMT_VTD_SS:
		ret = iopt_vtd_ss_init(t);
		break;
	case IOPT_FMT_RISCV:
		ret = iopt_riscv_init(t);
		break;
	default:
		ret = -EINVAL;
	}
	if (!ret) {
		unsigned int bits = t->sign_extend ? cfg->ias - 1 : cfg->ias;

		if (!t->tbl_addr_bits)
			t->tbl_addr_bits = cfg->oas; /* a format may narrow it */
		if (!t->root_tables)
			t->root_tables = 1;

		uint64_t gsz = 1ULL << cfg->granule_lg2;

		/* Where a granule-sized table may start (see pt_table()). */
		t->tbl_lo = mem->bound_size ? mem->bound_lo : 0;
		t->tbl_span = !mem->bound_size ? UINT64_MAX :
			      mem->bound_size >= gsz ? mem->bound_size - gsz : 0;
		if (mem->bound_size && mem->bound_size < gsz)
			t->tbl_lo = 1; /* nothing fits: every address is refused */
		/* One test per half in in_space(): the lower half [0, 2^bits)
		 * unless the format keeps only the upper one; the upper half
		 * [2^64 - 2^bits, 2^64) with sign extension or va_upper. */
		t->va_full = bits >= 64; /* AMD v1 with 6 levels */
		t->va_lo_end = t->va_upper ? 0 :
			       t->va_full ? UINT64_MAX : 1ULL << bits;
		t->va_hi_before = t->va_full ? UINT64_MAX :
				  t->sign_extend || t->va_upper ?
				  (uint64_t)0 - (1ULL << bits) - 1 : UINT64_MAX;
		/* Every table address of a bounded backend must fit an entry. */
		if (mem->bound_size &&
		    (mem->bound_lo + (mem->bound_size - 1) < mem->bound_lo ||
		     (t->tbl_addr_bits < 64 &&
		      ((mem->bound_lo + (mem->bound_size - 1)) >> t->tbl_addr_bits))))
			ret = -ERANGE;
	}
	if (!ret) {
		t->gen = __atomic_add_fetch(&next_gen, 1, __ATOMIC_RELAXED);
		t->root = table_alloc(t, t->root_size, &t->root_phys, 0,
				      PT_NO_LABEL, &ret);
		if (t->root) {
			ret = 0;
			if (mem->ops->set_label) {
				t->label_base = tree_label(t);
				if (mem->linear && mem->bound_size)
					t->labels = mem->labels;
				iopt_table_label_(t, t->root_phys, t->root_size,
						  t->top_level);
			}
			pt_sync(t, t->root, t->root_phys, t->root_size);
			t->live_key = live_key(t);
		}
	}
	if (ret)
		t->ops = NULL;
	return ret;
}

void iopt_fini(struct iopt_table *t)
{
	if (!t || !t->ops)
		return;
	/* No walk cache may point at memory once it is freed. */
	if (t->flush && t->flush->flush_all) {
		t->flush->flush_all(t->cookie);
		pt_stat_add(&t->stats.flush_all_calls, 1);
	}
	t->ops->destroy(t);
	t->ops = NULL;
	t->root = NULL;
	t->live_key = 0;
}

uint64_t iopt_root_phys(const struct iopt_table *t)
{
	return t && t->ops ? t->root_phys : 0;
}

uint64_t iopt_pgsize_bitmap(const struct iopt_table *t)
{
	return t && t->ops ? t->pgsize_bitmap : 0;
}

unsigned int iopt_levels(const struct iopt_table *t)
{
	return t && t->ops ? t->top_level + 1 : 0;
}

unsigned int iopt_root_tables(const struct iopt_table *t)
{
	return t && t->ops ? t->root_tables : 0;
}

/* ------------------------------------------------------------------ checks */

static inline uint64_t granule(const struct iopt_table *t)
{
	return 1ULL << t->cfg.granule_lg2;
}

/* Does [iova, last] (iova <= last) lie inside the input space, inside one
 * of its halves? */
static inline bool in_space(const struct iopt_table *t, uint64_t iova,
			    uint64_t last)
{
	return last < t->va_lo_end || iova > t->va_hi_before || t->va_full;
}

/* Size, wrap and space checks of an IOVA range. */
static int check_iova(const struct iopt_table *t, uint64_t iova,
		      uint64_t size, uint64_t *last)
{
	if (!size)
		return -EINVAL;
	*last = iova + (size - 1);
	if (*last < iova)
		return -EOVERFLOW;
	return in_space(t, iova, *last) ? 0 : -ERANGE;
}

static int check_paddr(const struct iopt_table *t, uint64_t paddr,
		       uint64_t size)
{
	uint64_t last = paddr + (size - 1);

	if (last < paddr || (t->cfg.oas < 64 && (last >> t->cfg.oas)))
		return -ERANGE;
	return 0;
}

static int check_prot(unsigned int prot)
{
	return pt_prot_valid(prot) ? 0 : -EINVAL;
}

int iopt_iova_args_(const struct iopt_table *t, uint64_t iova, uint64_t size)
{
	uint64_t last;

	if (!t || !t->ops)
		return -EINVAL;
	return check_iova(t, iova, size, &last);
}

int iopt_paddr_args_(const struct iopt_table *t, uint64_t paddr, uint64_t size)
{
	if (!t || !t->ops || !size)
		return -EINVAL;
	return check_paddr(t, paddr, size);
}

static bool is_pgsize(const struct iopt_table *t, uint64_t pgsize)
{
	return pgsize && !(pgsize & (pgsize - 1)) && (t->pgsize_bitmap & pgsize);
}

static int do_map(struct iopt_table *t, uint64_t iova, uint64_t paddr,
		  uint64_t size, uint64_t sizes, unsigned int prot,
		  unsigned int flags, uint64_t *mapped)
{
	struct pt_map_req req = {
		.iova = iova, .paddr = paddr, .sizes = sizes, .prot = prot,
		.flags = flags,
	};
	int ret = check_iova(t, iova, size, &req.last);

	if (!ret)
		ret = check_paddr(t, paddr, size);
	if (ret)
		return ret;
	ret = t->ops->map(t, &req);
	*mapped = req.mapped;
	return ret;
}

/* ---------------------------------------------------------------- map/unmap */

int iopt_map_pages(struct iopt_table *t, uint64_t iova, uint64_t paddr,
		   uint64_t pgsize, uint64_t pgcount, unsigned int prot,
		   unsigned int flags, uint64_t *mapped)
{
	if (!mapped)
		return -EINVAL;
	*mapped = 0;
	if (!t || !t->ops || (flags & ~IOPT_MAP_ALL_OR_NOTHING) ||
	    check_prot(prot) || !is_pgsize(t, pgsize) || !pgcount ||
	    ((iova | paddr) & (pgsize - 1)))
		return -EINVAL;
	if (pgcount > UINT64_MAX / pgsize)
		return -EOVERFLOW;
	return do_map(t, iova, paddr, pgsize * pgcount, pgsize, prot, flags,
		      mapped);
}

int iopt_map_range(struct iopt_table *t, uint64_t iova, uint64_t paddr,
		   uint64_t size, unsigned int prot, unsigned int flags,
		   uint64_t *mapped)
{
	if (!mapped)
		return -EINVAL;
	*mapped = 0;
	if (!t || !t->ops || (flags & ~IOPT_MAP_ALL_OR_NOTHING) ||
	    check_prot(prot) || ((iova | paddr | size) & (granule(t) - 1)))
		return -EINVAL;
	return do_map(t, iova, paddr, size, t->pgsize_bitmap, prot, flags,
		      mapped);
}

int iopt_reclaim(struct iopt_table *t, uint64_t iova, uint64_t size,
		 struct iopt_gather *gather, uint64_t *freed)
{
	struct iopt_table *prev;
	uint64_t last, prev_gen;
	int ret;

	if (!freed)
		return -EINVAL;
	*freed = 0;
	if (!t || !t->ops || !gather || ((iova | size) & (granule(t) - 1)) ||
	    iopt_gather_busy_(gather, t))
		return -EINVAL;
	ret = check_iova(t, iova, size, &last);
	if (ret)
		return ret;
	prev = gather->table;
	prev_gen = gather->gen;
	pt_gather_own(gather, t);
	ret = t->ops->reclaim(t, iova, last, gather, freed);
	/* Nothing unhooked: @gather stays as it was. */
	if (!gather->nr_ranges && !gather->nr_tables) {
		gather->table = prev;
		gather->gen = prev_gen;
	}
	return ret;
}

int iopt_unmap_range(struct iopt_table *t, uint64_t iova, uint64_t size,
		     unsigned int flags, struct iopt_gather *gather,
		     uint64_t *unmapped)
{
	struct pt_unmap_req req = { .iova = iova, .flags = flags,
				    .gather = gather };
	struct iopt_table *prev;
	uint64_t prev_gen;
	int ret;

	if (!unmapped)
		return -EINVAL;
	*unmapped = 0;
	if (!t || !t->ops || !gather || (flags & ~IOPT_UNMAP_NO_HOLES) ||
	    ((iova | size) & (granule(t) - 1)) || iopt_gather_busy_(gather, t))
		return -EINVAL;
	ret = check_iova(t, iova, size, &req.last);
	if (ret)
		return ret;
	prev = gather->table;
	prev_gen = gather->gen;
	pt_gather_own(gather, t); /* not busy: checked above */
	ret = t->ops->unmap(t, &req);
	/* A refusal (found before anything changed) leaves @gather as it was. */
	if (ret && !gather->nr_ranges && !gather->nr_tables) {
		gather->table = prev;
		gather->gen = prev_gen;
	}
	*unmapped = req.unmapped;
	return ret;
}

int iopt_unmap_pages(struct iopt_table *t, uint64_t iova, uint64_t pgsize,
		     uint64_t pgcount, unsigned int flags,
		     struct iopt_gather *gather, uint64_t *unmapped)
{
	if (!unmapped)
		return -EINVAL;
	*unmapped = 0;
	if (!t || !t->ops || !is_pgsize(t, pgsize) || !pgcount ||
	    (iova & (pgsize - 1)))
		return -EINVAL;
	if (pgcount > UINT64_MAX / pgsize)
		return -EOVERFLOW;
	return iopt_unmap_range(t, iova, pgsize * pgcount, flags, gather,
				unmapped);
}

/* ----------------------------------------------------------------- lookups */

int iopt_iova_to_phys_length(struct iopt_table *t, uint64_t iova,
			     uint64_t *phys, uint64_t *length,
			     unsigned int *prot)
{
	struct pt_leaf leaf = { .want_prot = prot != NULL };
	int ret;

	if (!t || !t->ops || !phys || !length)
		return -EINVAL;
	if (!in_space(t, iova, iova))
		return -ERANGE;
	ret = t->ops->lookup(t, iova, &leaf);
	if (ret)
		return ret;
	*phys = leaf.phys;
	*length = 1ULL << leaf.size_lg2;
	if (prot)
		*prot = leaf.prot;
	return 0;
}

uint64_t iopt_iova_to_phys(struct iopt_table *t, uint64_t iova)
{
	struct pt_leaf leaf = { .want_prot = false };

	if (!t || !t->ops || !in_space(t, iova, iova) ||
	    t->ops->lookup(t, iova, &leaf))
		return IOPT_PHYS_NONE;
	return leaf.phys;
}

uint64_t iopt_iova_to_pgsize(struct iopt_table *t, uint64_t iova)
{
	uint64_t phys, len;

	if (iopt_iova_to_phys_length(t, iova, &phys, &len, NULL))
		return 0;
	return len;
}

int iopt_for_each_extent(struct iopt_table *t, uint64_t iova, uint64_t size,
			 iopt_extent_fn fn, void *arg)
{
	uint64_t last;
	int ret;

	if (!t || !t->ops || !fn)
		return -EINVAL;
	ret = check_iova(t, iova, size, &last);
	if (ret)
		return ret;
	return t->ops->iterate(t, iova, last, fn, arg);
}

int iopt_walk_path(struct iopt_table *t, uint64_t iova, struct iopt_path *path)
{
	if (!t || !t->ops || !path)
		return -EINVAL;
	if (!in_space(t, iova, iova))
		return -ERANGE;
	return t->ops->walk_path(t, iova, path);
}

unsigned int iopt_prot_effective(const struct iopt_table *t, unsigned int prot)
{
	if (!t || !t->ops)
		return 0;
	return t->ops->prot_effective(t, prot & IOPT_PROT_ALL);
}

void iopt_get_stats(const struct iopt_table *t, struct iopt_stats *out)
{
	if (!t || !out)
		return;
	/* Concurrent calls add to the counters atomically: read them so too. */
#define LOAD_STAT(f) (out->f = __atomic_load_n(&t->stats.f, __ATOMIC_RELAXED))
	/* Freed before allocated, so that a concurrent reader never sees more
	 * tables freed than allocated. */
	out->tables_freed = __atomic_load_n(&t->stats.tables_freed,
					    __ATOMIC_ACQUIRE);
	LOAD_STAT(tables_allocated);
	LOAD_STAT(table_bytes);
	LOAD_STAT(table_bytes_peak);
	LOAD_STAT(walks);
	LOAD_STAT(entries_written);
	LOAD_STAT(entries_cleared);
	LOAD_STAT(flush_all_calls);
	LOAD_STAT(flush_range_calls);
	LOAD_STAT(cache_syncs);
#undef LOAD_STAT
}

const char *iopt_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -EINVAL:
		return "invalid argument (alignment, size, page size, protection, flags or NULL)";
	case -ERANGE:
		return "address outside the table's input or output address space";
	case -EOVERFLOW:
		return "range wraps past the end of the 64-bit address space";
	case -EEXIST:
		return "already mapped";
	case -ENOMEM:
		return "out of table memory";
	case -EXDEV:
		return "range would split a larger mapping";
	case -ENOENT:
		return "not mapped";
	case -ENOTSUP:
		return "configuration not supported by the format";
	case -EFAULT:
		return "an entry points at memory that is not a table of this table tree";
	case -EBUSY:
		return "the table is live: iopt_fini() it first";
	default:
		return "unknown error";
	}
}

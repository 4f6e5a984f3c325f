// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The simulated IOMMU's table walkers: ARM VMSAv8-64 long descriptors
 * (stage 1 and stage 2, 4K/16K/64K granules), x86-64 (4 and 5 levels),
 * the Armv7 short descriptor (v7s: 32-bit entries, 16 KB L1 and 1 KB L2
 * tables, replicated large pages and supersections), Arm Mali's LPAE
 * variant and Apple DART v1/v2; Intel VT-d second stage has its step in
 * vtd_ss.c.
 *
 * They are written from the descriptor formats (the Arm ARM, the Intel
 * SDM / VT-d facts, the Mali and DART bit layouts in formats.md; the model's
 * choices are listed in hwsim.h), independently of iopt's engine, to be a
 * second opinion on what the engine writes. They also read tables that
 * nobody trusts: a walk reads at most one entry per level and stops at
 * level 0 whatever the entries say, every address is checked against the
 * memory it was given before it is read, and the start table's index is
 * masked to the start table's size, so no entry can make a walk loop or
 * read outside that memory.
 */
#include <errno.h>
#include <string.h>

#include <iopt/hwsim.h>
#include "hwsim_internal.h"

/* Bits [hi:lo] of a 64-bit word, as a mask. */
static inline uint64_t field(unsigned int hi, unsigned int lo)
{
	return (~0ULL >> (63 - hi)) & (~0ULL << lo);
}

static inline uint64_t bit(uint64_t v, unsigned int n)
{
	return (v >> n) & 1;
}

/* Table memory holds little-endian words whatever the host. */
static uint64_t le64_bytes(const unsigned char *b)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

static inline uint64_t le64_word(uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(w);
#else
	return w;
#endif
}

static inline uint32_t le32_word(uint32_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(w);
#else
	return w;
#endif
}

/* ------------------------------------------------------------- geometry */

static bool is_arm(const struct iopt_hwsim_geom *g)
{
	return g->format == IOPT_FMT_ARM_LPAE_S1 ||
	       g->format == IOPT_FMT_ARM_LPAE_S2;
}

static int arm_geometry(const struct iopt_config *cfg,
			struct iopt_hwsim_geom *g)
{
	unsigned int gl = cfg->granule_lg2 ? cfg->granule_lg2 : 12;
	bool ds = cfg->quirks & IOPT_QUIRK_ARM_LPA2;
	unsigned int bpl, max_bits;
	int start;
	bool concat;

	if (gl != 12 && gl != 14 && gl != 16)
		return -ENOTSUP;
	/* Stage 2 has one base register, VTTBR_EL2: no upper region. */
	if ((cfg->quirks & IOPT_QUIRK_ARM_TTBR1) &&
	    cfg->format != IOPT_FMT_ARM_LPAE_S1)
		return -EINVAL;
	/* TCR.DS is RES0 with the 64K granule. */
	if (ds && gl == 16)
		return -ENOTSUP;
	/*
	 * The smallest TxSZ is 16 (48 bits) unless 52-bit inputs exist:
	 * FEAT_LVA for the 64K granule, FEAT_LPA2 with DS = 1 for 4K and
	 * 16K. PS = 0b110 (52 bits) likewise needs FEAT_LPA (64K) or DS = 1;
	 * without them the output size is at most 48 bits.
	 */
	max_bits = gl == 16 || ds ? 52 : 48;
	if (cfg->ias < 32 || cfg->ias > max_bits)
		return -ENOTSUP;
	switch (cfg->oas) {
	case 32: case 36: case 40: case 42: case 44: case 48:
		break;
	case 52:
		if (max_bits == 52)
			break;
		return -ENOTSUP;
	default:
		return -ENOTSUP;
	}
	bpl = gl - 3;
	g->granule_lg2 = gl;
	g->level_bits = bpl;
	g->pte_lg2 = 3;
	g->ias = cfg->ias;
	g->oas = cfg->oas;
	g->stage2 = cfg->format == IOPT_FMT_ARM_LPAE_S2;
	g->sign_extend = false;
	g->ttbr1 = cfg->quirks & IOPT_QUIRK_ARM_TTBR1;
	g->ds = ds;
	/* Enough levels of bpl index bits above the page offset to cover ias
	 * (5 for 4K above 48 bits: the walk starts at level -1). */
	g->levels = (cfg->ias - gl + bpl - 1) / bpl;
	g->top_bits = cfg->ias - (gl + (g->levels - 1) * bpl);
	g->concat = 1;
	if (!g->stage2)
		return 0;
	/*
	 * Stage 2 cannot always start where stage 1 would: the start level a
	 * VTCR_EL2.SL0 value selects is invalid (the Arm ARM's S2InvalidSL)
	 * for the 4K granule at level 0 with a PA size below 44 bits, for the
	 * 16K granule at level 0 unless DS = 1 (SL0 = 3 needs it) and at
	 * level 1 below 42 bits, and for the 64K granule at level 1 below 44
	 * bits. The PA size there is the implemented one; this model
	 * implements oas bits. The 4K granule's level -1 (SL2 = 1 with
	 * DS = 1) has no such limit. The walk then starts one level lower at
	 * up to 16 concatenated tables, whose index takes the remaining input
	 * bits.
	 */
	start = 4 - (int)g->levels;
	concat = (gl == 12 && start == 0 && cfg->oas < 44) ||
		 (gl == 14 && start == 0 && !ds) ||
		 (gl == 14 && start == 1 && cfg->oas < 42) ||
		 (gl == 16 && start == 1 && cfg->oas < 44);
	if (!concat)
		return 0;
	if (g->top_bits > 4)
		return -ENOTSUP;
	g->concat = 1u << g->top_bits;
	g->levels--;
	g->top_bits += bpl;
	return 0;
}

/*
 * Armv7 short descriptor: TTBCR.N = 0, so a 4096-entry L1 table indexed by
 * VA[31:20] and 256-entry L2 tables by VA[19:12]; 32-bit entries.
 */
static int v7s_geometry(const struct iopt_config *cfg,
			struct iopt_hwsim_geom *g)
{
	uint32_t q = cfg->quirks & (IOPT_QUIRK_V7S_NO_PERMS |
				    IOPT_QUIRK_V7S_MTK_EXT);

	if ((q & IOPT_QUIRK_V7S_MTK_EXT) && !(q & IOPT_QUIRK_V7S_NO_PERMS))
		return -EINVAL;	/* PA[34:32] would overlap AP and XN */
	if (cfg->granule_lg2 && cfg->granule_lg2 != 12)
		return -ENOTSUP;
	if (cfg->ias != 32)
		return -ENOTSUP;
	if (cfg->oas < 32 || cfg->oas > (q & IOPT_QUIRK_V7S_MTK_EXT ? 35u : 32u))
		return -ENOTSUP;
	g->granule_lg2 = 12;
	g->level_bits = 8;
	g->pte_lg2 = 2;
	g->ias = 32;
	g->oas = cfg->oas;
	g->levels = 2;
	g->top_bits = 12;
	g->concat = 1;
	g->quirks = q;
	return 0;
}

/* Mali LPAE: 4 levels from a full 512-entry table, whatever ias. */
static int mali_geometry(const struct iopt_config *cfg,
			 struct iopt_hwsim_geom *g)
{
	if (cfg->granule_lg2 && cfg->granule_lg2 != 12)
		return -ENOTSUP;
	if (cfg->ias < 32 || cfg->ias > 48 || cfg->oas < 32 || cfg->oas > 40)
		return -ENOTSUP;
	g->granule_lg2 = 12;
	g->level_bits = 9;
	g->pte_lg2 = 3;
	g->ias = cfg->ias;
	g->oas = cfg->oas;
	g->levels = 4;
	g->top_bits = 9;
	g->concat = 1;
	return 0;
}

/*
 * DART v1: two levels below up to four TTBR tables (VA[31:30]), walked as
 * one concatenated start table. DART v2: one TTBR, two or three levels.
 */
static int dart_geometry(const struct iopt_config *cfg,
			 struct iopt_hwsim_geom *g)
{
	bool v2 = cfg->format == IOPT_FMT_APPLE_DART2;
	unsigned int gl = v2 ? 14 : 12, bpl = gl - 3;

	if (cfg->granule_lg2 && cfg->granule_lg2 != gl)
		return -ENOTSUP;
	if (cfg->oas != (v2 ? 42u : 36u))
		return -ENOTSUP;
	if (v2 ? cfg->ias < 32 || cfg->ias > 42 : cfg->ias < 30 || cfg->ias > 32)
		return -ENOTSUP;
	g->granule_lg2 = gl;
	g->level_bits = bpl;
	g->pte_lg2 = 3;
	g->ias = cfg->ias;
	g->oas = cfg->oas;
	g->levels = v2 && cfg->ias > gl + 2 * bpl ? 3 : 2;
	g->top_bits = cfg->ias - gl - (g->levels - 1) * bpl;
	/* v1: 2^(top_bits - 9) TTBR tables of one page each. */
	g->concat = !v2 && g->top_bits > bpl ? 1u << (g->top_bits - bpl) : 1;
	return 0;
}

int iopt_hwsim_geometry(const struct iopt_config *cfg,
			struct iopt_hwsim_geom *g)
{
	struct iopt_hwsim_geom tmp;
	int ret;

	if (!cfg || !g)
		return -EINVAL;
	memset(&tmp, 0, sizeof(tmp));
	tmp.format = cfg->format;
	switch (cfg->format) {
	case IOPT_FMT_ARM_LPAE_S1:
	case IOPT_FMT_ARM_LPAE_S2:
		ret = arm_geometry(cfg, &tmp);
		break;
	case IOPT_FMT_X86_64:
		if (cfg->granule_lg2 && cfg->granule_lg2 != 12)
			return -ENOTSUP;
		if (cfg->ias != 48 && cfg->ias != 57)
			return -ENOTSUP;
		if (cfg->oas < 32 || cfg->oas > 52)
			return -ENOTSUP;
		tmp.granule_lg2 = 12;
		tmp.level_bits = 9;
		tmp.pte_lg2 = 3;
		tmp.ias = cfg->ias;
		tmp.oas = cfg->oas;
		tmp.levels = cfg->ias == 57 ? 5 : 4;
		tmp.top_bits = 9;
		tmp.concat = 1;
		tmp.sign_extend = true;
		ret = 0;
		break;
	case IOPT_FMT_ARM_V7S:
		ret = v7s_geometry(cfg, &tmp);
		break;
	case IOPT_FMT_ARM_MALI_LPAE:
		ret = mali_geometry(cfg, &tmp);
		break;
	case IOPT_FMT_APPLE_DART:
	case IOPT_FMT_APPLE_DART2:
		ret = dart_geometry(cfg, &tmp);
		break;
	case IOPT_FMT_AMD_V1:
		ret = hwsim_amd_geometry_(cfg, &tmp);
		break;
	case IOPT_FMT_VTD_SS:
		ret = hwsim_vtd_geometry_(cfg, &tmp);
		break;
	case IOPT_FMT_RISCV:
		ret = hwsim_riscv_geometry_(cfg, &tmp);
		break;
	default:
		return -EINVAL;
	}
	if (ret)
		return ret;
	*g = tmp;
	return 0;
}

/* A geometry from outside may be anything: check it before walking. */
bool hwsim_geom_valid_(const struct iopt_hwsim_geom *g)
{
	unsigned int bpl, walked;

	if (!g)
		return false;
	bpl = g->granule_lg2 - 3;
	switch (g->format) {
	case IOPT_FMT_ARM_LPAE_S1:
	case IOPT_FMT_ARM_LPAE_S2:
		if (g->granule_lg2 != 12 && g->granule_lg2 != 14 &&
		    g->granule_lg2 != 16)
			return false;
		/* Level -1 exists for the 4K granule with DS = 1 only; DS
		 * itself for 4K and 16K; TTBR1 for stage 1. */
		if (g->levels < 1 ||
		    g->levels > (g->ds && g->granule_lg2 == 12 ? 5u : 4u))
			return false;
		if ((g->ds && g->granule_lg2 == 16) ||
		    (g->ttbr1 && g->format != IOPT_FMT_ARM_LPAE_S1))
			return false;
		break;
	case IOPT_FMT_X86_64:
		if (g->granule_lg2 != 12 || g->levels < 1 ||
		    g->levels > IOPT_HWSIM_MAX_LEVELS)
			return false;
		break;
	case IOPT_FMT_ARM_V7S:
		/* Only the one shape the hardware has. */
		if (g->granule_lg2 != 12 || g->levels != 2 || g->top_bits != 12 ||
		    g->level_bits != 8 || g->pte_lg2 != 2 || g->ias != 32 ||
		    g->oas < 32 || g->oas > (g->quirks & IOPT_QUIRK_V7S_MTK_EXT ?
					     35u : 32u))
			return false;
		return true;
	case IOPT_FMT_ARM_MALI_LPAE:
		if (g->granule_lg2 != 12 || g->levels != 4 || g->top_bits != 9 ||
		    g->level_bits != 9 || g->pte_lg2 != 3 || g->ias < 32 ||
		    g->ias > 48 || g->oas < 32 || g->oas > 40)
			return false;
		return true;
	case IOPT_FMT_APPLE_DART:
	case IOPT_FMT_APPLE_DART2:
		if (g->granule_lg2 != (g->format == IOPT_FMT_APPLE_DART ? 12u : 14u) ||
		    g->levels < 2 || g->levels > 3)
			return false;
		break;
	case IOPT_FMT_AMD_V1:
		return hwsim_amd_geom_valid_(g);
	case IOPT_FMT_VTD_SS:
		return hwsim_vtd_geom_valid_(g);
	case IOPT_FMT_RISCV:
		return hwsim_riscv_geom_valid_(g);
	default:
		return false;
	}
	if (!is_arm(g) && (g->ttbr1 || g->ds))
		return false;
	if (g->level_bits != bpl || g->pte_lg2 != 3)
		return false;
	if (g->top_bits < 1 || g->top_bits > bpl + 4)
		return false;
	if (g->oas < 1 || g->oas > 52 || g->ias < 1 || g->ias > 64)
		return false;
	/* The start table must index the input's top bits exactly. */
	walked = g->granule_lg2 + (g->levels - 1) * bpl + g->top_bits;
	return walked == g->ias;
}

/* log2 of the bytes one entry at @level maps. */
unsigned int hwsim_shift_(const struct iopt_hwsim_geom *g, unsigned int level)
{
	return g->granule_lg2 + level * g->level_bits;
}

bool hwsim_input_ok_(const struct iopt_hwsim_geom *g, uint64_t iova)
{
	uint64_t top;

	if (g->sign_extend) {
		/* Canonical: bits [63:ias-1] all equal. */
		top = iova >> (g->ias - 1);
		return top == 0 || top == ~0ULL >> (g->ias - 1);
	}
	if (g->ias >= 64)
		return true;
	/* ARM TTBR1: the T1SZ region, bits [63:ias] all ones. */
	if (g->ttbr1)
		return iova >> g->ias == ~0ULL >> g->ias;
	return !(iova >> g->ias);
}

/*
 * The base register holds the start table's address; bits below the
 * table's alignment are ignored (ARM: the RES0 BADDR bits below the table's
 * size, and at least 64 bytes, the smallest alignment the architecture
 * allows for a start table; x86: the low 12 bits of a root pointer).
 */
uint64_t hwsim_root_base_(const struct iopt_hwsim_geom *g, uint64_t root)
{
	uint64_t align;

	switch (g->format) {
	case IOPT_FMT_ARM_V7S:		/* TTBR0 [31:14] with TTBCR.N = 0 */
		return root & ~0x3fffULL;
	case IOPT_FMT_APPLE_DART:	/* the TTBRs hold page numbers */
	case IOPT_FMT_APPLE_DART2:
		return root & ~((1ULL << g->granule_lg2) - 1);
	case IOPT_FMT_ARM_MALI_LPAE:	/* TRANSTAB [47:12]; [11:0] are modes */
	case IOPT_FMT_X86_64:
	case IOPT_FMT_AMD_V1:		/* DTE Page Table Root Pointer [51:12] */
	case IOPT_FMT_RISCV:		/* iosatp.PPN: a 4K-aligned root */
		return root & ~0xfffULL;
	default:
		break;
	}
	align = 8ULL << g->top_bits;
	if (align < 64)
		align = 64;
	return root & ~(align - 1);
}

/* ARM with the 64K granule and a 52-bit PA (FEAT_LPA): descriptor bits
 * [15:12] are address bits [51:48], and level-1 blocks exist. */
static bool arm_lpa(const struct iopt_hwsim_geom *g)
{
	return g->granule_lg2 == 16 && g->oas == 52;
}

/* ARM: may a block or page descriptor sit at @level? (The Arm ARM's
 * AArch64.BlockDescSupported().) */
static bool arm_leaf_level(const struct iopt_hwsim_geom *g, unsigned int level)
{
	if (level == 0)
		return true;
	switch (g->granule_lg2) {
	case 12:		/* level 2 (2M) and 1 (1G); level 0 (512G) with DS */
		return level == 1 || level == 2 || (level == 3 && g->ds);
	case 14:		/* level 2 (32M); level 1 (64G) with DS */
		return level == 1 || (level == 2 && g->ds);
	default:		/* 64K: level 2 (512M); level 1 (4T) with FEAT_LPA */
		return level == 1 || (level == 2 && arm_lpa(g));
	}
}

/* ARM: log2 of the entries in a contiguous run at @level, 0 if none. */
static unsigned int arm_contig_lg2(const struct iopt_hwsim_geom *g,
				   unsigned int level)
{
	switch (g->granule_lg2) {
	case 12:
		return level <= 2 ? 4 : 0;	/* 16 entries */
	case 14:
		return level == 0 ? 7 : level == 1 ? 5 : 0; /* 128, 32 */
	default:
		return level <= 1 ? 5 : 0;	/* 32 */
	}
}

static void add_size(unsigned int *out, unsigned int *n, unsigned int max,
		     unsigned int lg2)
{
	for (unsigned int i = 0; i < *n; i++)
		if (out[i] == lg2)
			return;
	if (*n < max)
		out[(*n)++] = lg2;
}

/* Every size a translation can have (leaf sizes and contiguous runs),
 * smallest first. */
unsigned int hwsim_sizes_(const struct iopt_hwsim_geom *g, unsigned int *out,
			  unsigned int max)
{
	unsigned int n = 0;

	if (g->format == IOPT_FMT_AMD_V1)
		return hwsim_amd_sizes_(g, out, max);
	for (unsigned int l = 0; l < g->levels; l++) {
		unsigned int s = hwsim_shift_(g, l);

		if (g->format == IOPT_FMT_ARM_V7S) {
			/* 4K and 64K at L2, 1M and 16M at L1 */
			add_size(out, &n, max, s);
			add_size(out, &n, max, s + 4);
		} else if (g->format == IOPT_FMT_ARM_MALI_LPAE) {
			if (l <= 2)
				add_size(out, &n, max, s);
		} else if (g->format == IOPT_FMT_APPLE_DART ||
			   g->format == IOPT_FMT_APPLE_DART2) {
			if (l == 0)
				add_size(out, &n, max, s);
		} else if (g->format == IOPT_FMT_RISCV) {
			/* a leaf at every level; Svnapot's 64K at level 0 */
			add_size(out, &n, max, s);
			if (!l && (g->quirks & IOPT_QUIRK_RISCV_NAPOT))
				add_size(out, &n, max, 16);
		} else if (is_arm(g)) {
			if (!arm_leaf_level(g, l))
				continue;
			add_size(out, &n, max, s);
			if (arm_contig_lg2(g, l))
				add_size(out, &n, max, s + arm_contig_lg2(g, l));
		} else if (l <= 2) {
			add_size(out, &n, max, s);
		}
	}
	/* Insertion sort: the IOTLB probes small sizes first. */
	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i; j && out[j - 1] > out[j]; j--) {
			unsigned int t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

/* ----------------------------------------------------------- the walks */

void hwsim_result_init_(struct iopt_hwsim_result *r)
{
	memset(r, 0, sizeof(*r));
	r->phys = IOPT_PHYS_NONE;
}

int hwsim_fault_(struct iopt_hwsim_result *r, enum iopt_hwsim_fault f,
		 unsigned int level)
{
	r->fault = f;
	r->level = level;
	r->phys = IOPT_PHYS_NONE;
	return -EFAULT;
}

/* Read the entry of @level at @addr; false when the memory cannot be read
 * there. */
static bool read_entry(struct hwsim_walk *w, unsigned int level, uint64_t addr,
		       uint64_t *pte, struct iopt_hwsim_result *r)
{
	const struct iopt_hwsim_mem *m = w->m;
	size_t len = (size_t)1 << w->g->pte_lg2;	/* 8, or 4 for v7s */
	unsigned char b[8] = { 0 };

	w->reads++;
	if (m->arena && !r->freed_read &&
	    iopt_arena_is_free(m->arena, addr, len)) {
		r->freed_read = true;
		r->freed_phys = addr;
		w->freed_level = level;
	}
	if (m->read) {
		if (m->read(m->ctx, addr, b, len))
			return false;
		*pte = le64_bytes(b);	/* b[4..7] stay 0 for 4 bytes */
		return true;
	}
	if (m->arena) {
		const struct iopt_arena *a = m->arena;
		uint64_t off = addr - a->phys_base;
		const void *p;

		if (addr < a->phys_base || a->size < len || off > a->size - len ||
		    (off & (len - 1)))
			return false;
		/* An aligned word: load it whole, as the hardware would, so a
		 * concurrent (atomic) store is seen entirely or not at all. */
		p = a->base + off;
		if (len == 4)
			*pte = le32_word(__atomic_load_n((const uint32_t *)p,
							 __ATOMIC_RELAXED));
		else
			*pte = le64_word(__atomic_load_n((const uint64_t *)p,
							 __ATOMIC_RELAXED));
		return true;
	}
	if (m->image) {
		uint64_t off = addr - m->image_phys;

		if (addr < m->image_phys || m->image_size < len ||
		    off > m->image_size - len)
			return false;
		memcpy(b, (const unsigned char *)m->image + off, len);
		*pte = le64_bytes(b);
		return true;
	}
	return false;
}

/* What an ARM leaf allows, given the restrictions of the tables above. */
static unsigned int arm_perm(const struct iopt_hwsim_geom *g, uint64_t pte,
			     uint32_t attrs)
{
	unsigned int p = 0;
	bool user, wr;

	if (g->stage2) {
		/* S2AP[0] read, S2AP[1] write, XN (bit 54); no privilege. */
		if (bit(pte, 6))
			p |= IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_PR;
		if (bit(pte, 7))
			p |= IOPT_HWSIM_PERM_UW | IOPT_HWSIM_PERM_PW;
		if (!bit(pte, 54))
			p |= IOPT_HWSIM_PERM_UX | IOPT_HWSIM_PERM_PX;
		return p;
	}
	/* AP[1] (bit 6): unprivileged access; AP[2] (bit 7): read-only. */
	user = bit(pte, 6) && !(attrs & HWSIM_A_NO_USER);
	wr = !bit(pte, 7) && !(attrs & HWSIM_A_NO_WRITE);
	p |= IOPT_HWSIM_PERM_PR;
	if (wr)
		p |= IOPT_HWSIM_PERM_PW;
	if (user)
		p |= IOPT_HWSIM_PERM_UR;
	if (user && wr)
		p |= IOPT_HWSIM_PERM_UW;
	/* Unprivileged fetches obey UXN alone (AP does not gate them). */
	if (!bit(pte, 54) && !(attrs & HWSIM_A_UXN))
		p |= IOPT_HWSIM_PERM_UX;
	/* Privileged fetches obey PXN, and never from memory that
	 * unprivileged accesses may write (EL1&0 regime). */
	if (!bit(pte, 53) && !(attrs & HWSIM_A_PXN) && !(p & IOPT_HWSIM_PERM_UW))
		p |= IOPT_HWSIM_PERM_PX;
	return p;
}

/*
 * ARM output address bits of a descriptor whose address is aligned to
 * 1 << @lo. With FEAT_LPA bits [15:12] hold PA[51:48]; otherwise they are
 * RES0, and the walker, like the pseudocode, does not look at them. With
 * DS = 1 the field reaches bit 49 and bits [9:8] (SH without DS) hold
 * PA[51:50].
 */
static uint64_t arm_addr(const struct iopt_hwsim_geom *g, uint64_t pte,
			 unsigned int lo)
{
	uint64_t a;

	if (g->ds)
		return (pte & field(49, lo)) | (((pte >> 8) & 3) << 50);
	a = pte & field(47, lo);

	if (arm_lpa(g))
		a |= ((pte >> 12) & 0xf) << 48;
	return a;
}

static bool beyond_oas(const struct iopt_hwsim_geom *g, uint64_t a)
{
	return g->oas < 64 && (a >> g->oas);
}

/*
 * One ARM descriptor at @level. Return: 1 to descend (*@next, *@attrs
 * updated), 0 for a leaf (r filled), -EFAULT for a fault.
 */
static int arm_step(struct hwsim_walk *w, unsigned int level, uint64_t pte,
		    uint64_t iova, uint64_t *next, uint32_t *attrs,
		    struct iopt_hwsim_result *r)
{
	const struct iopt_hwsim_geom *g = w->g;
	unsigned int shift = hwsim_shift_(g, level), c;
	uint64_t oa;

	if (!bit(pte, 0))
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
	if (level > 0 && bit(pte, 1)) {
		*next = arm_addr(g, pte, g->granule_lg2);
		if (beyond_oas(g, *next))
			return hwsim_fault_(r, IOPT_HWSIM_FAULT_ADDR_SIZE, level);
		if (!g->stage2) {
			/* PXNTable, UXNTable, APTable[0] (no EL0), APTable[1]
			 * (no write); stage 2 tables carry none of these. */
			if (bit(pte, 59))
				*attrs |= HWSIM_A_PXN;
			if (bit(pte, 60))
				*attrs |= HWSIM_A_UXN;
			if (bit(pte, 61))
				*attrs |= HWSIM_A_NO_USER;
			if (bit(pte, 62))
				*attrs |= HWSIM_A_NO_WRITE;
		}
		return 1;
	}
	/* Level 0 with [1:0] = 01 is reserved; blocks only where allowed. */
	if (level == 0 ? !bit(pte, 1) : !arm_leaf_level(g, level))
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
	oa = arm_addr(g, pte, shift);
	if (beyond_oas(g, oa))
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_ADDR_SIZE, level);
	if (!bit(pte, 10))
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_ACCESS_FLAG, level);
	r->level = level;
	r->leaf_lg2 = shift;
	r->size_lg2 = shift;
	/* A run never spans more entries than the table holding it has (a
	 * start table may be smaller than a run): the hint is ignored then. */
	c = arm_contig_lg2(g, level);
	if (c > (level == g->levels - 1 ? g->top_bits : g->granule_lg2 - 3))
		c = 0;
	if (bit(pte, 52) && c) {
		r->contig = true;
		r->size_lg2 = shift + c;
	}
	r->phys = oa + (iova & field(shift - 1, 0));
	r->perm = arm_perm(g, pte, *attrs);
	return 0;
}

static unsigned int x86_perm(uint32_t attrs)
{
	unsigned int p = IOPT_HWSIM_PERM_PR;
	bool wr = !(attrs & HWSIM_A_NO_WRITE), x = !(attrs & HWSIM_A_UXN);

	if (wr)
		p |= IOPT_HWSIM_PERM_PW;
	if (x)
		p |= IOPT_HWSIM_PERM_PX;
	if (!(attrs & HWSIM_A_NO_USER)) {
		p |= IOPT_HWSIM_PERM_UR;
		if (wr)
			p |= IOPT_HWSIM_PERM_UW;
		if (x)
			p |= IOPT_HWSIM_PERM_UX;
	}
	return p;
}

/* One x86-64 entry at @level; returns as arm_step(). */
static int x86_step(struct hwsim_walk *w, unsigned int level, uint64_t pte,
		    uint64_t iova, uint64_t *next, uint32_t *attrs,
		    struct iopt_hwsim_result *r)
{
	const struct iopt_hwsim_geom *g = w->g;
	unsigned int shift = hwsim_shift_(g, level);
	bool ps = level > 0 && bit(pte, 7); /* bit 7 is PAT in a PTE */
	uint64_t oa;

	if (!bit(pte, 0))
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
	if (ps && level > 2)	/* no leaves in the PML4 or PML5 */
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_RESERVED, level);
	/* R/W, U/S and XD restrict everything below, the leaf included. */
	if (!bit(pte, 1))
		*attrs |= HWSIM_A_NO_WRITE;
	if (!bit(pte, 2))
		*attrs |= HWSIM_A_NO_USER;
	if (bit(pte, 63))
		*attrs |= HWSIM_A_UXN | HWSIM_A_PXN;
	/* Address bits at or above MAXPHYADDR are reserved bits on x86. */
	if (beyond_oas(g, pte & field(51, 12)))
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_RESERVED, level);
	if (level > 0 && !ps) {
		*next = pte & field(51, 12);
		return 1;
	}
	/* 2M and 1G leaves: bit 12 is PAT, bits [shift-1:13] are reserved. */
	if (level > 0 && (pte & field(shift - 1, 13)))
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_RESERVED, level);
	oa = pte & field(51, shift);
	r->level = level;
	r->leaf_lg2 = shift;
	r->size_lg2 = shift;
	r->phys = oa + (iova & field(shift - 1, 0));
	r->perm = x86_perm(*attrs);
	return 0;
}

#define PERM_ALL (IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_UW | IOPT_HWSIM_PERM_UX | \
		  IOPT_HWSIM_PERM_PR | IOPT_HWSIM_PERM_PW | IOPT_HWSIM_PERM_PX)

/* v7s with MTK_EXT: PA[32] in bit 9, PA[33] in bit 4, PA[34] in bit 5. */
static uint64_t v7s_mtk_pa(uint64_t pte)
{
	return (bit(pte, 9) << 32) | (bit(pte, 4) << 33) | (bit(pte, 5) << 34);
}

/*
 * v7s simplified access permissions (AP[0] is the access flag): AP[2]
 * read-only, AP[1] unprivileged access; a fetch needs read permission at
 * its privilege and no XN, a privileged one also no PXN.
 */
static unsigned int v7s_perm(const struct iopt_hwsim_geom *g, bool ap1,
			     bool ap2, bool xn, bool pxn)
{
	unsigned int p = IOPT_HWSIM_PERM_PR;

	if (g->quirks & IOPT_QUIRK_V7S_NO_PERMS)
		return PERM_ALL;
	if (!ap2)
		p |= IOPT_HWSIM_PERM_PW;
	if (ap1) {
		p |= IOPT_HWSIM_PERM_UR;
		if (!ap2)
			p |= IOPT_HWSIM_PERM_UW;
	}
	if (!xn) {
		if (ap1)
			p |= IOPT_HWSIM_PERM_UX;
		if (!pxn)
			p |= IOPT_HWSIM_PERM_PX;
	}
	return p;
}

/*
 * One v7s descriptor (32 bits) at @level (1: ARM's L1, 0: L2); returns as
 * arm_step(). Large pages and supersections are taken from the one copy
 * read: @size_lg2 is the run of 16, @leaf_lg2 what a copy covers.
 */
static int v7s_step(struct hwsim_walk *w, unsigned int level, uint64_t pte,
		    uint64_t iova, uint64_t *next, uint32_t *attrs,
		    struct iopt_hwsim_result *r)
{
	const struct iopt_hwsim_geom *g = w->g;
	bool noperm = g->quirks & IOPT_QUIRK_V7S_NO_PERMS;
	bool mtk = g->quirks & IOPT_QUIRK_V7S_MTK_EXT;
	bool af, ap1, ap2, xn, pxn = *attrs & HWSIM_A_PXN;
	unsigned int type = (unsigned int)(pte & 3), shift;
	uint64_t oa;

	if (type == 0)
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
	if (level > 0) {
		if (type == 1) {
			/* Page table: [31:10]; bit 2 PXN, bit 3 NS. */
			*next = pte & field(31, 10);
			if (bit(pte, 2))
				*attrs |= HWSIM_A_PXN;
			return 1;
		}
		/* Section or supersection; bit 0 is PXN. */
		pxn = pxn || bit(pte, 0);
		xn = bit(pte, 4);
		af = bit(pte, 10);
		ap1 = bit(pte, 11);
		ap2 = bit(pte, 15);
		if (bit(pte, 18)) {
			shift = 24;
			oa = pte & field(31, 24);
			if (mtk) {
				if (pte & (field(23, 20) | field(8, 6)))
					return hwsim_fault_(r, IOPT_HWSIM_FAULT_RESERVED,
						     level);
				oa |= v7s_mtk_pa(pte);
			} else {
				/* Extended base address PA[35:32], PA[39:36]. */
				oa |= ((pte >> 20) & 0xf) << 32;
				oa |= ((pte >> 5) & 0xf) << 36;
			}
		} else {
			shift = 20;
			oa = pte & field(31, 20);
			if (mtk)
				oa |= v7s_mtk_pa(pte);
		}
	} else {
		af = bit(pte, 4);
		ap1 = bit(pte, 5);
		ap2 = bit(pte, 9);
		if (type & 2) {		/* small page; bit 0 is XN */
			shift = 12;
			xn = bit(pte, 0);
			oa = pte & field(31, 12);
		} else {		/* large page: XN moved to bit 15 */
			shift = 16;
			xn = bit(pte, 15);
			oa = pte & field(31, 16);
		}
		if (mtk)
			oa |= v7s_mtk_pa(pte);
	}
	if (beyond_oas(g, oa))
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_ADDR_SIZE, level);
	if (!noperm && !af)
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_ACCESS_FLAG, level);
	r->level = level;
	r->leaf_lg2 = hwsim_shift_(g, level);
	r->size_lg2 = shift;
	r->contig = shift != r->leaf_lg2;
	r->phys = oa + (iova & field(shift - 1, 0));
	r->perm = v7s_perm(g, ap1, ap2, xn, pxn);
	return 0;
}

/* One Mali LPAE descriptor; returns as arm_step(). */
static int mali_step(struct hwsim_walk *w, unsigned int level, uint64_t pte,
		     uint64_t iova, uint64_t *next, struct iopt_hwsim_result *r)
{
	const struct iopt_hwsim_geom *g = w->g;
	unsigned int shift = hwsim_shift_(g, level), type = pte & 3;
	uint64_t oa;

	if (type == 3 && level > 0) {
		*next = pte & field(47, 12);
		if (beyond_oas(g, *next))
			return hwsim_fault_(r, IOPT_HWSIM_FAULT_ADDR_SIZE, level);
		return 1;
	}
	/* 01 is the leaf ("ATE") at levels 0..2; nothing else translates. */
	if (type != 1 || level > 2)
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
	oa = pte & field(47, shift);
	if (beyond_oas(g, oa))
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_ADDR_SIZE, level);
	r->level = level;
	r->leaf_lg2 = shift;
	r->size_lg2 = shift;
	r->phys = oa + (iova & field(shift - 1, 0));
	r->perm = 0;
	if (bit(pte, 6))
		r->perm |= IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_PR;
	if (bit(pte, 7))
		r->perm |= IOPT_HWSIM_PERM_UW | IOPT_HWSIM_PERM_PW;
	if (!bit(pte, 54))
		r->perm |= IOPT_HWSIM_PERM_UX | IOPT_HWSIM_PERM_PX;
	return 0;
}

/* DART output (and next-table) address: v1 PA[35:12] in place; v2 PTE
 * bits [37:10] hold PA[41:14]. */
static uint64_t dart_oa(const struct iopt_hwsim_geom *g, uint64_t pte)
{
	if (g->format == IOPT_FMT_APPLE_DART2)
		return (pte & field(37, 10)) << 4;
	return pte & field(35, 12);
}

/* One DART entry; returns as arm_step(). */
static int dart_step(struct hwsim_walk *w, unsigned int level, uint64_t pte,
		     uint64_t iova, uint64_t *next, struct iopt_hwsim_result *r)
{
	const struct iopt_hwsim_geom *g = w->g;
	bool v2 = g->format == IOPT_FMT_APPLE_DART2;
	unsigned int gl = g->granule_lg2;

	if (!bit(pte, 0))
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
	if (level > 0) {
		*next = dart_oa(g, pte);
		return 1;
	}
	r->level = 0;
	r->leaf_lg2 = gl;
	r->size_lg2 = gl;
	r->phys = dart_oa(g, pte) + (iova & field(gl - 1, 0));
	r->perm = 0;
	if (!bit(pte, v2 ? 3 : 8))	/* NO_READ; a fetch is a read */
		r->perm |= IOPT_HWSIM_PERM_UR | IOPT_HWSIM_PERM_PR |
			   IOPT_HWSIM_PERM_UX | IOPT_HWSIM_PERM_PX;
	if (!bit(pte, v2 ? 2 : 7))	/* NO_WRITE */
		r->perm |= IOPT_HWSIM_PERM_UW | IOPT_HWSIM_PERM_PW;
	/* Sub-page protection, unless v1's SP_DIS turns it off. */
	if (v2 || !bit(pte, 1)) {
		uint32_t start = (uint32_t)(pte >> 52) & 0xfff;
		uint32_t end = (uint32_t)(pte >> 40) & 0xfff;
		unsigned int unit = gl - 12;

		if (start != 0 || end != 0xfff) {
			r->subpage = true;
			r->sub_first = start << unit;
			r->sub_last = ((end + 1) << unit) - 1;
		}
	}
	return 0;
}

/*
 * Walk from the table at @table, which holds entries of @level, with the
 * restrictions @attrs of the descriptors above it. The input must be in
 * range (hwsim_input_ok_()). Return: 0 translated (no access check),
 * HWSIM_WALK_STOPPED when w->table_fn ended the walk, -EFAULT with r->fault
 * set.
 */
int hwsim_walk_from_(struct hwsim_walk *w, uint64_t table, unsigned int level,
		     uint32_t attrs, uint64_t iova, struct iopt_hwsim_result *r)
{
	const struct iopt_hwsim_geom *g = w->g;
	unsigned int top = g->levels - 1;

	/* AMD v1 table pointers may skip levels: its own loop. */
	if (g->format == IOPT_FMT_AMD_V1)
		return hwsim_amd_walk_from_(w, table, level, attrs, iova, r);
	/* Each round reads one entry and either stops or goes one level
	 * down; level 0 never descends. So at most g->levels rounds. */
	for (unsigned int round = 0; round < IOPT_HWSIM_MAX_LEVELS; round++) {
		unsigned int shift = hwsim_shift_(g, level);
		unsigned int bits = level == top ? g->top_bits : g->level_bits;
		uint64_t idx = (iova >> shift) & field(bits - 1, 0);
		uint64_t addr = table + (idx << g->pte_lg2), pte, next = 0;
		int ret;

		if (!read_entry(w, level, addr, &pte, r))
			return hwsim_fault_(r, IOPT_HWSIM_FAULT_WALK_ABORT, level);
		r->pte = pte;
		r->pte_phys = addr;
		switch (g->format) {
		case IOPT_FMT_X86_64:
			ret = x86_step(w, level, pte, iova, &next, &attrs, r);
			break;
		case IOPT_FMT_ARM_V7S:
			ret = v7s_step(w, level, pte, iova, &next, &attrs, r);
			break;
		case IOPT_FMT_ARM_MALI_LPAE:
			ret = mali_step(w, level, pte, iova, &next, r);
			break;
		case IOPT_FMT_APPLE_DART:
		case IOPT_FMT_APPLE_DART2:
			ret = dart_step(w, level, pte, iova, &next, r);
			break;
		case IOPT_FMT_VTD_SS:
			ret = hwsim_vtd_step_(g, level, pte, iova, &next, &attrs, r);
			break;
		case IOPT_FMT_RISCV:
			ret = hwsim_riscv_step_(w, level, pte, iova, &next, r);
			break;
		default:
			ret = arm_step(w, level, pte, iova, &next, &attrs, r);
			break;
		}
		if (ret <= 0)
			return ret;
		if (level == 0)	/* the steps never descend from level 0 */
			break;
		if (w->table_fn && w->table_fn(w->arg, level,
					       iova & ~field(shift - 1, 0),
					       next, attrs))
			return HWSIM_WALK_STOPPED;
		table = next;
		level--;
	}
	return hwsim_fault_(r, IOPT_HWSIM_FAULT_TRANSLATION, level);
}

int hwsim_walk_root_(struct hwsim_walk *w, uint64_t root, uint64_t iova,
		     struct iopt_hwsim_result *r)
{
	const struct iopt_hwsim_geom *g = w->g;
	uint64_t base = hwsim_root_base_(g, root);

	if (!hwsim_input_ok_(g, iova)) {
		r->input = true;
		return hwsim_fault_(r, IOPT_HWSIM_FAULT_ADDR_SIZE, g->levels - 1);
	}
	/* A v7s TTBR has 32 bits whatever the (MTK) output size. */
	if (g->format == IOPT_FMT_ARM_V7S ? base >> 32 != 0 :
	    beyond_oas(g, base))
		return hwsim_fault_(r, g->format == IOPT_FMT_X86_64 ||
			     g->format == IOPT_FMT_AMD_V1 ||
			     g->format == IOPT_FMT_VTD_SS ?
			     IOPT_HWSIM_FAULT_RESERVED :
			     IOPT_HWSIM_FAULT_ADDR_SIZE, g->levels - 1);
	return hwsim_walk_from_(w, base, g->levels - 1, 0, iova, r);
}

bool hwsim_read_entry_(struct hwsim_walk *w, unsigned int level, uint64_t addr,
		       uint64_t *pte, struct iopt_hwsim_result *r)
{
	return read_entry(w, level, addr, pte, r);
}

/* Permission check of a translation; turns @r into a permission fault. */
int hwsim_check_access_(struct iopt_hwsim_result *r, unsigned int access)
{
	bool priv = access & IOPT_HWSIM_PRIV;
	unsigned int need = 0;

	if (access & IOPT_HWSIM_READ)
		need |= priv ? IOPT_HWSIM_PERM_PR : IOPT_HWSIM_PERM_UR;
	if (access & IOPT_HWSIM_WRITE)
		need |= priv ? IOPT_HWSIM_PERM_PW : IOPT_HWSIM_PERM_UW;
	if (access & IOPT_HWSIM_EXEC)
		need |= priv ? IOPT_HWSIM_PERM_PX : IOPT_HWSIM_PERM_UX;
	if (need && r->subpage) {
		/* DART sub-page protection: the offset in the page counts. */
		uint64_t off = r->phys & field(r->leaf_lg2 - 1, 0);

		if (off < r->sub_first || off > r->sub_last)
			need = ~0u;
	}
	if ((r->perm & need) == need)
		return 0;
	r->fault = IOPT_HWSIM_FAULT_PERMISSION;
	return -EFAULT;
}

int iopt_hwsim_walk(const struct iopt_hwsim_geom *g,
		    const struct iopt_hwsim_mem *m, uint64_t root_phys,
		    uint64_t iova, unsigned int access,
		    struct iopt_hwsim_result *r)
{
	struct hwsim_walk w = { .g = g, .m = m };
	int ret;

	if (!r || !m || !hwsim_geom_valid_(g))
		return -EINVAL;
	hwsim_result_init_(r);
	ret = hwsim_walk_root_(&w, root_phys, iova, r);
	if (ret)
		return ret;
	return hwsim_check_access_(r, access);
}

void iopt_hwsim_mem_arena(struct iopt_hwsim_mem *m, const struct iopt_arena *a)
{
	if (!m)
		return;
	memset(m, 0, sizeof(*m));
	m->arena = a;
}

void iopt_hwsim_mem_image(struct iopt_hwsim_mem *m, const void *image,
			  size_t size, uint64_t phys)
{
	if (!m)
		return;
	memset(m, 0, sizeof(*m));
	m->image = image;
	m->image_size = size;
	m->image_phys = phys;
}

const char *iopt_hwsim_fault_name(enum iopt_hwsim_fault f)
{
	switch (f) {
	case IOPT_HWSIM_FAULT_NONE:
		return "none";
	case IOPT_HWSIM_FAULT_TRANSLATION:
		return "translation";
	case IOPT_HWSIM_FAULT_PERMISSION:
		return "permission";
	case IOPT_HWSIM_FAULT_ADDR_SIZE:
		return "address size";
	case IOPT_HWSIM_FAULT_ACCESS_FLAG:
		return "access flag";
	case IOPT_HWSIM_FAULT_RESERVED:
		return "reserved bit";
	case IOPT_HWSIM_FAULT_WALK_ABORT:
		return "walk abort";
	}
	return "?";
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * iopt: IOMMU page tables in the hardware's own in-memory formats.
 *
 * A table (struct iopt_table) is created for one configuration (format,
 * granule, input and output address sizes, quirks) over a memory backend
 * (struct iopt_mem). Map and unmap change it in batches; lookups walk it;
 * a gather (struct iopt_gather) collects what an unmap requires the caller to
 * invalidate and the table memory it may free only after that invalidation.
 *
 * Conventions used by every function below:
 *  - Errors are negative errno values; each value has one meaning, listed
 *    under "Return:" per function and named by iopt_strerror(). A function
 *    that fails with an argument error (-EINVAL, -ERANGE, -EOVERFLOW, -EEXIST,
 *    -EXDEV, -ENOENT from a strict unmap) has changed nothing.
 *  - Byte counts are returned through out-parameters, never mixed with errors.
 *  - Sizes and page sizes are powers of two where the text says "page size".
 *  - Concurrency: the library takes no locks. Map and unmap calls on disjoint
 *    IOVA ranges may run concurrently on one table, also when the ranges share
 *    interior tables (new tables are published with compare-and-swap).
 *    Lookups may run concurrently with map and unmap on ranges that nobody is
 *    changing. Overlapping concurrent changes are the caller's bug. Each
 *    function's "Context:" line restates this. The memory backend must
 *    allow the same (the arena does).
 *  - Table memory is not trusted. Whatever it contains (written by a bug,
 *    a guest, a device), no call reads outside the backend's bound (struct
 *    iopt_mem), and with a backend that keeps labels (the arena does) the
 *    write paths (map, unmap, gather_sync, fini) write only into, and free
 *    only, tables this table allocated, each once, in time linear in the
 *    tables and entries they visit. An entry that points at anything else
 *    makes a map fail with -EFAULT before it changes anything, is dropped
 *    by an unmap that covers it, and is skipped by iopt_fini() (what it
 *    pointed at is neither walked nor freed; tables only it reached leak).
 *    Lookups and the extent iterator check only the bound: a corrupt entry
 *    can make them report a wrong translation or -EFAULT.
 */
#ifndef IOPT_IOPT_H
#define IOPT_IOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Version of these headers, MAJOR.MINOR.PATCH. Within one MAJOR (and, while
 * MAJOR is 0, within one MINOR) a program built against older headers runs
 * with a newer library: symbols are versioned per release (src/libiopt.map)
 * and none is removed. IOPT_VERSION_NUMBER orders versions for #if tests.
 */
#define IOPT_VERSION_MAJOR 0
#define IOPT_VERSION_MINOR 1
#define IOPT_VERSION_PATCH 0
#define IOPT_VERSION_NUMBER (IOPT_VERSION_MAJOR * 10000 + \
			     IOPT_VERSION_MINOR * 100 + IOPT_VERSION_PATCH)

/**
 * iopt_version() - the version of the library that is running
 *
 * The library actually linked may be newer than the headers a program was
 * built with (IOPT_VERSION_*); compare the two when it matters.
 * Return: "MAJOR.MINOR.PATCH" in decimal, no suffix: a static string, never
 * NULL, the same on every call. Context: any; no allocation, no locks.
 */
const char *iopt_version(void);

/* Protection flags (the "prot" argument). READ or WRITE is required. */
#define IOPT_READ   (1u << 0) /* device may read */
#define IOPT_WRITE  (1u << 1) /* device may write */
#define IOPT_NOEXEC (1u << 2) /* instruction fetches are not allowed */
#define IOPT_CACHE  (1u << 3) /* normal write-back cacheable, coherent */
#define IOPT_MMIO   (1u << 4) /* device (MMIO) memory; wins over CACHE */
#define IOPT_PRIV   (1u << 5) /* privileged accesses only */
#define IOPT_PROT_ALL (IOPT_READ | IOPT_WRITE | IOPT_NOEXEC | IOPT_CACHE | \
		       IOPT_MMIO | IOPT_PRIV)

/* iopt_iova_to_phys() result when nothing is mapped (0 is a valid address). */
#define IOPT_PHYS_NONE UINT64_MAX

enum iopt_format {
	IOPT_FMT_ARM_LPAE_S1 = 1, /* VMSAv8-64 stage 1 */
	IOPT_FMT_ARM_LPAE_S2 = 2, /* VMSAv8-64 stage 2 */
	IOPT_FMT_X86_64 = 3,      /* Intel VT-d first stage / AMD v2 */
	IOPT_FMT_ARM_V7S = 4,       /* Armv7 short descriptor, 32-bit entries */
	IOPT_FMT_ARM_MALI_LPAE = 5, /* Arm Mali GPU LPAE variant */
	IOPT_FMT_APPLE_DART = 6,    /* Apple DART v1 (4K, oas 36) */
	IOPT_FMT_APPLE_DART2 = 7,   /* Apple DART v2 (16K, oas 42) */
	IOPT_FMT_AMD_V1 = 8,        /* AMD IOMMU v1 host tables */
	IOPT_FMT_VTD_SS = 9,        /* Intel VT-d second stage */
	IOPT_FMT_RISCV = 10,        /* RISC-V IOMMU first stage, Sv39/48/57 */
};

/* Quirks (struct iopt_config.quirks). A quirk a format does not know is -EINVAL. */
#define IOPT_QUIRK_ARM_NS        (1u << 0) /* S1: NS on leaves, NSTable on tables */
#define IOPT_QUIRK_ARM_S2FWB     (1u << 1) /* S2: FEAT_S2FWB MemAttr for CACHE */
#define IOPT_QUIRK_NO_CONTIG     (1u << 2) /* ARM, v7s, AMD v1: no contiguous / size-encoded runs */
#define IOPT_QUIRK_V7S_NO_PERMS  (1u << 3) /* v7s: no AP/AF/XN bits in leaves */
#define IOPT_QUIRK_V7S_MTK_EXT   (1u << 4) /* v7s: MediaTek PA[34:32] in leaves (needs NO_PERMS) */
#define IOPT_QUIRK_ARM_TTBR1     (1u << 5) /* S1: a TTBR1 table, IOVAs in the upper half */
#define IOPT_QUIRK_ARM_LPA2      (1u << 6) /* 4K/16K: FEAT_LPA2 descriptors (TCR.DS = 1) */
#define IOPT_QUIRK_VTD_NO_1G     (1u << 7) /* VT-d SS: no 1G superpages (CAP.SLLPS bit 1 clear) */
#define IOPT_QUIRK_RISCV_NAPOT   (1u << 8) /* RISC-V: Svnapot 64K leaves (16 identical entries) */

/* Options (struct iopt_config.flags). */
#define IOPT_CFG_STATS (1u << 0) /* count walks and entries (see struct iopt_stats) */

/**
 * struct iopt_config - what table to build
 * @format:      one of enum iopt_format.
 * @granule_lg2: log2 of the translation granule: 12, 14 or 16 for ARM LPAE;
 *               12 for x86-64, Mali, v7s, Apple DART v1 and VT-d second
 *               stage, 14 for DART v2. 0 selects the format's default
 *               (12; DART v2: 14).
 * @ias:         input (IOVA) address bits. ARM: 32..48, or up to 52 with
 *               the 64K granule (FEAT_LVA) or IOPT_QUIRK_ARM_LPA2 (the start
 *               level follows, 4K with ias > 48 adding the level above
 *               level 0; stage 2 concatenates start tables where the
 *               architecture requires it). With IOPT_QUIRK_ARM_TTBR1 the
 *               IOVAs are the upper 2^ias bytes, [2^64 - 2^ias, 2^64 - 1].
 *               x86-64: 48 (4 levels) or 57 (5 levels); IOVAs are
 *               canonical (sign-extended from bit ias-1). Mali: 32..48,
 *               always 4 levels from a full 512-entry root (IOVAs at or
 *               above 2^ias are refused). v7s: 32. DART v1: 30..32 (one,
 *               two or four TTBR tables, laid out one after another from
 *               the root, see iopt_root_tables()). DART v2: 32..42 (two
 *               levels up to 36, three above). AMD v1: 39, 48, 57 or 64
 *               (3, 4, 5 or 6 levels: the DTE's Mode). VT-d second
 *               stage: 39, 48 or 57 (3, 4 or 5 levels, the AGAWs); IOVAs
 *               are not sign-extended, those at or above 2^ias are
 *               refused. RISC-V: 39 (Sv39), 48 (Sv48) or 57 (Sv57),
 *               sign-extended like x86-64.
 * @oas:         output (physical) address bits. ARM: 32, 36, 40, 42, 44, 48,
 *               or 52 with the 64K granule (FEAT_LPA) or with
 *               IOPT_QUIRK_ARM_LPA2. x86-64: 32..52. Mali: 32..40. v7s:
 *               32, or 33..35 with IOPT_QUIRK_V7S_MTK_EXT. DART v1: 36;
 *               DART v2: 42. AMD v1: 32..52. VT-d second stage: 32..52
 *               (the host address width; the named configurations use
 *               52). RISC-V: 32..56 (PPN is 44 bits).
 * @quirks:      IOPT_QUIRK_* bits. ARM_TTBR1 is stage 1 only (-EINVAL on
 *               stage 2, which has no TTBR1). ARM_LPA2 (4K and 16K only,
 *               -ENOTSUP with 64K) writes the TCR.DS = 1 layout: OA[51:50]
 *               in bits [9:8] of every descriptor, no shareability in the
 *               leaves (TCR.SH0 gives it), and blocks at ARM level 0 (4K:
 *               512G) or level 1 (16K: 64G); it is never implied, so ias
 *               or oas above 48 with 4K or 16K needs it. VTD_NO_1G is
 *               the only quirk of VT-d second stage (others: -EINVAL)
 *               and is VT-d only: 4K and 2M leaves, no PS in a PDPE.
 * @flags:       IOPT_CFG_* bits. Unknown bits are -EINVAL.
 */
struct iopt_config {
	enum iopt_format format;
	unsigned int granule_lg2;
	unsigned int ias;
	unsigned int oas;
	uint32_t quirks;
	uint32_t flags;
};

/**
 * iopt_config_from_name() - parse a configuration name
 * @name: a name listed by iopt_config_name(), optionally followed by a
 *        colon and comma-separated overrides, e.g.
 *        "arm-lpae-s2-4k:ias=40,oas=40", "arm-lpae-s1-4k:lpa2,ias=52,oas=52"
 *        or "arm-v7s:no_perms,mtk_ext,oas=34": "ias=N", "oas=N" (input and
 *        output address bits), and the flags "nocontig"
 *        (IOPT_QUIRK_NO_CONTIG), "ns" (ARM_NS), "s2fwb" (ARM_S2FWB),
 *        "ttbr1" (ARM_TTBR1), "lpa2" (ARM_LPA2), "no_perms"
 *        (V7S_NO_PERMS), "mtk_ext" (V7S_MTK_EXT), "no1g" (VTD_NO_1G:
 *        VT-d second stage without 1G superpages, for hardware whose
 *        CAP.SLLPS bit 1 is clear), "napot" (RISCV_NAPOT: RISC-V
 *        Svnapot, 64K leaves as 16 identical level-0 entries, for an
 *        IOMMU whose capabilities include Svnapot). What each format
 *        accepts: see struct iopt_config; arm-v7s: ias 32, oas 32 (up to
 *        35 with mtk_ext, which needs no_perms); arm-mali-lpae and
 *        apple-dart*: no flags ("apple-dart2:ias=42": DART v2 with three
 *        levels; "apple-dart:ias=31": v1 with two TTBRs); vtd-ss-3lvl,
 *        vtd-ss-4lvl, vtd-ss-5lvl (ias 39, 48, 57; oas 52, or 32..52
 *        with "oas=N"): only "no1g" ("vtd-ss-4lvl:no1g"; the ias that
 *        fits another level count is refused by iopt_init(), e.g.
 *        "vtd-ss-3lvl:ias=40");
 *        riscv-sv39, riscv-sv48, riscv-sv57 (ias 39, 48, 57: iosatp
 *        MODE Sv39/48/57; oas 56, or 32..56 with "oas=N"): only "napot"
 *        ("riscv-sv39:napot" adds the 64K page size; another ias, e.g.
 *        "riscv-sv39:ias=40", or "oas=57" is refused by iopt_init()
 *        with -ENOTSUP, another flag such as "riscv-sv48:nocontig", or
 *        "napot" on another format, with -EINVAL);
 *        nocontig and ns on ARM LPAE and v7s, s2fwb on stage 2. 52-bit
 *        sizes with 4K or 16K are not implied: "arm-lpae-s1-16k:ias=52"
 *        without "lpa2" parses, and iopt_init() refuses it (-ENOTSUP).
 *        amd-v1 (4 levels, ias 48, oas 52) takes "levels=N" (1..6; sets
 *        ias to 12 + 9N, 64 for 6; iopt_init() accepts 3..6) and
 *        "nocontig" (only the levels' own sizes: no NextLevel-7 runs).
 *        Its pages are every power of two from 4K to 2^51 that its levels
 *        hold, but 512G (left out for an AMD erratum, as Linux does).
 * @cfg:  filled on success.
 *
 * Return: 0, or -EINVAL for an unknown name or malformed override (@cfg is
 * then unchanged). The configuration itself is checked by iopt_init().
 * Context: any.
 */
int iopt_config_from_name(const char *name, struct iopt_config *cfg);

/**
 * iopt_config_name() - the i-th named configuration
 * @i:   index from 0.
 * @cfg: if not NULL, filled with the configuration.
 *
 * Return: its name, or NULL when @i is past the last one.
 * Context: any.
 */
const char *iopt_config_name(unsigned int i, struct iopt_config *cfg);

/*
 * Memory backend. Table memory is allocated in power-of-two sizes aligned to
 * their size (physically), zeroed. The engine translates a physical address
 * found in an entry back to a pointer either linearly (virt = phys +
 * virt_offset, when @linear is true) or through phys_to_virt().
 */
#define IOPT_MEM_NOZERO (1u << 0) /* alloc: the caller writes every byte */
/* alloc: the block must lie below 4 GiB physically (formats whose table
 * pointers are 32-bit, such as ARM v7s); a backend that cannot give such
 * memory returns NULL. */
#define IOPT_MEM_DMA32  (1u << 1)

struct iopt_mem_ops {
	/* Return memory of @size bytes, physically aligned to @size, and its
	 * physical address in *@phys; NULL when out of memory. The memory is
	 * zeroed unless @flags has IOPT_MEM_NOZERO (a backend may zero it
	 * anyway). */
	void *(*alloc)(void *ctx, size_t size, uint64_t *phys,
		       unsigned int flags);
	/* Give back memory from alloc(). */
	void (*free)(void *ctx, void *virt, uint64_t phys, size_t size);
	/* Pointer for a physical address inside an allocated table; only used
	 * when @linear is false. NULL means the address is not table memory. */
	void *(*phys_to_virt)(void *ctx, uint64_t phys);
	/* Cache maintenance for walkers that are not cache-coherent: make
	 * [virt, virt+size) visible to the IOMMU. NULL for coherent walkers.
	 * Called once per span of entries written in one table. */
	void (*sync)(void *ctx, void *virt, uint64_t phys, size_t size);
	/*
	 * Labels (optional: both or neither). The engine labels every table
	 * it allocates with a non-zero value that names its table tree and
	 * the table's level (and so its size), and follows an entry on a
	 * write path (map, unmap, gather_sync, fini) only into a live
	 * allocation with the label it expects. A backend with labels thus
	 * guarantees that, whatever the tables contain, the engine writes
	 * only into, and frees only, tables its own table allocated, and
	 * visits each at most once per subtree. A backend without them trusts
	 * its tables (see IOPT_MEM_LABEL_UNIT_LG2 for what that means).
	 *
	 * set_label(): label the live allocation of @size bytes at @phys,
	 * just returned by alloc(). Concurrent calls for different blocks
	 * must be safe.
	 * label_of(): the label of the live allocation of exactly @size bytes
	 * that starts at @phys; 0 when there is none (never allocated, freed,
	 * of another size, @phys inside a block) or it has no label. free()
	 * removes the label. Any @phys must be answered without faulting.
	 */
	void (*set_label)(void *ctx, uint64_t phys, size_t size, uint32_t label);
	uint32_t (*label_of)(void *ctx, uint64_t phys, size_t size);
};

struct iopt_mem {
	const struct iopt_mem_ops *ops;
	void *ctx;
	bool linear;          /* virt = (char *)(uintptr_t)(phys + virt_offset) */
	uint64_t virt_offset; /* modulo 2^64 */
	/*
	 * Linear backends: where table memory can be. A table address found in
	 * an entry outside [bound_lo, bound_lo + bound_size) is never
	 * dereferenced (the walk fails with -EFAULT), so corrupt or hostile
	 * tables cannot make the engine read elsewhere. bound_size 0: no bound.
	 */
	uint64_t bound_lo;
	uint64_t bound_size;
	/*
	 * Optional, for linear bounded backends with labels: the labels as an
	 * array the engine reads inline instead of calling label_of().
	 * labels[(phys - bound_lo) >> IOPT_MEM_LABEL_UNIT_LG2] must equal the
	 * label of a live labelled allocation that starts at @phys, and be 0
	 * for every unit where no live labelled allocation starts. It has
	 * bound_size >> IOPT_MEM_LABEL_UNIT_LG2 elements, read with relaxed
	 * atomic loads. Ignored unless set_label and label_of are set.
	 */
	const uint32_t *labels;
};

/*
 * Labels are kept per 64-byte unit (the smallest table). Without labels
 * (set_label/label_of NULL, as for the heap backend), the engine trusts
 * the tables: with a bound it still never reads or writes outside it, but
 * a corrupt entry can make it write into or free another table of the
 * same backend, and a table that refers to itself can make an unmap or
 * iopt_fini() take time exponential in the number of levels.
 */
#define IOPT_MEM_LABEL_UNIT_LG2 6

/*
 * IOTLB flush callbacks, called from iopt_gather_sync(), by map when it
 * replaces empty tables, and by iopt_fini().
 * Either may be NULL. When flush_range is NULL, flush_all is used instead.
 */
struct iopt_flush_ops {
	/* Invalidate every cached translation and walk of the table. */
	void (*flush_all)(void *cookie);
	/* Invalidate [iova, iova + size). @granule_lg2 is the smallest leaf
	 * size unmapped in the range; @leaf_only is true when no table was
	 * removed, so walk caches need not be invalidated. */
	void (*flush_range)(void *cookie, uint64_t iova, uint64_t size,
			    unsigned int granule_lg2, bool leaf_only);
};

/*
 * Counters kept per table; read with iopt_get_stats(). The table memory and
 * flush counters are always kept; walks and entries only with IOPT_CFG_STATS
 * (they cost an atomic add per call, which a lookup-heavy caller notices).
 */
struct iopt_stats {
	uint64_t tables_allocated;  /* table allocations (root included) */
	uint64_t tables_freed;      /* tables handed back to the backend */
	uint64_t table_bytes;       /* table memory held now */
	uint64_t table_bytes_peak;  /* most table memory ever held */
	uint64_t walks;             /* descents started from the root */
	uint64_t entries_written;   /* leaf and table entries stored */
	uint64_t entries_cleared;   /* entries set to empty */
	uint64_t flush_all_calls;
	uint64_t flush_range_calls;
	uint64_t cache_syncs;       /* mem sync() calls */
};

/*
 * struct iopt_table - one page table. Callers allocate it (statically, on
 * the stack or with malloc) and treat the fields as private: they may change
 * between versions. Use the functions below.
 */
struct iopt_fmt_ops;
struct iopt_table {
	struct iopt_config cfg;
	const struct iopt_fmt_ops *ops;
	struct iopt_mem mem;
	const struct iopt_flush_ops *flush;
	void *cookie;
	void *root;
	uint64_t root_phys;
	size_t root_size;
	uint64_t pgsize_bitmap;
	uint64_t fmt_priv[2];     /* format private */
	unsigned int top_level;   /* levels are numbered up from 0 = smallest leaf */
	unsigned int top_index_bits;
	bool sign_extend;
	unsigned int tbl_addr_bits; /* table addresses lie below 2^this */
	unsigned int alloc_flags;   /* IOPT_MEM_* the format's tables need */
	unsigned int root_tables;   /* physically contiguous start tables */
	uint64_t tbl_lo;          /* tables must lie in [tbl_lo, tbl_lo + tbl_span] */
	uint64_t tbl_span;        /* (start addresses), from the mem bound */
	bool va_upper;            /* the input space is the upper 2^ias bytes only
				   * (ARM TTBR1); set by the format */
	uint64_t va_lo_end;       /* IOVAs below it are in the lower input
				   * space; 0: there is none (va_upper) */
	uint64_t va_hi_before;    /* IOVAs above it are in the upper input
				   * space; UINT64_MAX: there is none */
	bool va_full;             /* every IOVA is in the input space (ias 64) */
	const uint32_t *labels;   /* mem.labels when the backend labels tables */
	uint32_t label_base;      /* this tree's label, level 0; 0: no labels */
	uint64_t gen;             /* unique per iopt_init(), for gathers */
	uint64_t live_key;        /* marks an initialised table (iopt_init) */
	struct iopt_stats stats;
};

/**
 * iopt_init() - create an empty table
 * @t:      storage for the table.
 * @cfg:    configuration; copied.
 * @mem:    memory backend; copied. It must outlive the table.
 * @flush:  flush callbacks (may be NULL: nothing to invalidate); not copied.
 * @cookie: passed to the flush callbacks.
 *
 * Allocates the root table.
 * Return: 0; -EINVAL for a NULL pointer (also in @mem: ops, alloc, free,
 * phys_to_virt of a non-linear backend; only one of set_label and
 * label_of), unknown format, quirk or flag; -ENOTSUP for a geometry the
 * format cannot express (granule, ias, oas); -ERANGE when table memory
 * would lie where entries cannot point: the backend's bound reaches past
 * 2^oas, or an unbounded backend gave a root beyond it (given back);
 * -ENOMEM when the root cannot be allocated; -EBUSY when @t is a live
 * table (initialised and not destroyed: iopt_fini() it first; @t is then
 * unchanged). Otherwise @t (unless NULL) is cleared first: on error it
 * holds no memory, nothing was allocated or kept, and iopt_fini(@t) does
 * nothing.
 * Context: any; @t is not shared yet.
 */
int iopt_init(struct iopt_table *t, const struct iopt_config *cfg,
	      const struct iopt_mem *mem, const struct iopt_flush_ops *flush,
	      void *cookie);

/**
 * iopt_fini() - destroy a table and free all its memory
 * @t: a table from iopt_init(); NULL, a table whose iopt_init() failed, and
 *     one already destroyed are ignored.
 *
 * Calls flush_all (if set) first, so no walk cache points at freed memory,
 * then frees every table (with a labelled backend: every table of this tree
 * that an entry leads to, each once; see the header comment). The IOMMU
 * must no longer use the table. A gather still holding work for it is
 * refused by every later table, also one initialised in the same struct.
 * Context: no other call on @t may run.
 */
void iopt_fini(struct iopt_table *t);

/**
 * iopt_root_phys() - the root table's physical address
 * @t: the table.
 * For programming the IOMMU (TTBR, DTE, context entry).
 * Return: the address; 0 for a NULL or destroyed table. Context: any.
 */
uint64_t iopt_root_phys(const struct iopt_table *t);

/**
 * iopt_pgsize_bitmap() - the page sizes the table can map
 * @t: the table.
 * Return: bit n set when 2^n-byte pages can be mapped; 0 for a NULL or
 * destroyed table. Context: any.
 */
uint64_t iopt_pgsize_bitmap(const struct iopt_table *t);

/**
 * iopt_levels() - the number of levels a walk goes through
 * @t: the table.
 * Return: the number; 0 for a NULL or destroyed table. Context: any.
 */
unsigned int iopt_levels(const struct iopt_table *t);

/**
 * iopt_root_tables() - the start tables laid out one after another
 * @t: the table.
 * ARM stage-2 concatenation; Apple DART's TTBRs (TTBR n at root + n times
 * the table size).
 * Return: their number, 1 for the other formats; 0 for a NULL or destroyed
 * table. Context: any.
 */
unsigned int iopt_root_tables(const struct iopt_table *t);

/* Map flags */
#define IOPT_MAP_ALL_OR_NOTHING (1u << 0) /* on -ENOMEM the table is unchanged */

/* Unmap flags */
#define IOPT_UNMAP_NO_HOLES (1u << 0) /* -ENOENT (nothing changed) if any part is unmapped */

struct iopt_gather;

/**
 * iopt_map_pages() - map @pgcount pages of one size
 * @t:       the table.
 * @iova:    first IOVA; aligned to @pgsize.
 * @paddr:   first physical address; aligned to @pgsize.
 * @pgsize:  a page size in iopt_pgsize_bitmap(). Contiguous-hint sizes
 *           (e.g. 64K with the ARM 4K granule) write runs of entries with
 *           the contiguous bit; smaller sizes never set it.
 * @pgcount: number of pages, at least 1.
 * @prot:    IOPT_* protection flags; READ or WRITE required.
 * @flags:   IOPT_MAP_* flags.
 * @mapped:  set to the bytes mapped (also on error).
 *
 * Walks the range once, crossing table boundaries without returning to the
 * root (plus one read-only check walk before it). Mapping over any existing
 * leaf, or over a table that has a live entry below it, fails and changes
 * nothing. Empty tables where a leaf goes (left by earlier partial unmaps)
 * are replaced: break-before-make, so the call detaches them, calls the
 * flush callbacks (flush_range, leaf_only false) and frees them before it
 * writes the leaf.
 *
 * Return: 0 with *@mapped == @pgsize * @pgcount; -EINVAL (bad pgsize,
 * misalignment, pgcount 0, prot without READ/WRITE, unknown flags, NULL);
 * -EOVERFLOW (the range wraps past 2^64); -ERANGE (iova outside the input
 * space or not canonical, paddr beyond the output size); -EEXIST (something
 * is mapped there; nothing changed); -ENOMEM (a table could not be
 * allocated, or the backend gave memory entries cannot point at: the
 * table maps exactly [iova, iova + *mapped), and may keep empty tables;
 * with IOPT_MAP_ALL_OR_NOTHING nothing changed and *mapped is 0); -EFAULT
 * (an entry in the range points at memory that is not a table of this
 * tree, found by the check walk before anything was written: nothing
 * changed, *mapped is 0).
 * Context: see the header comment: disjoint ranges may be changed concurrently.
 */
int iopt_map_pages(struct iopt_table *t, uint64_t iova, uint64_t paddr,
		   uint64_t pgsize, uint64_t pgcount, unsigned int prot,
		   unsigned int flags, uint64_t *mapped);

/**
 * iopt_map_range() - map [iova, iova + size) to paddr with the largest pages
 * @t:      the table.
 * @iova:   first IOVA.
 * @paddr:  first physical address.
 * @size:   bytes to map.
 * @prot:   IOPT_* protection flags; READ or WRITE required.
 * @flags:  IOPT_MAP_* flags.
 * @mapped: set to the bytes mapped (also on error).
 *
 * As iopt_map_pages(), but the page sizes are chosen per position: the
 * largest size in the bitmap that the alignment of iova and paddr and the
 * remaining length allow (contiguous-hint sizes included). @iova, @paddr
 * and @size must be aligned to the smallest page size. One walk.
 * Return: as iopt_map_pages().
 * Context: as iopt_map_pages().
 */
int iopt_map_range(struct iopt_table *t, uint64_t iova, uint64_t paddr,
		   uint64_t size, unsigned int prot, unsigned int flags,
		   uint64_t *mapped);

/**
 * iopt_unmap_range() - unmap [iova, iova + size)
 * @t:        the table.
 * @iova:     start; aligned to the smallest page size.
 * @size:     length; a multiple of the smallest page size, not 0.
 * @flags:    IOPT_UNMAP_* flags.
 * @gather:   required: collects the ranges to invalidate and the tables to
 *            free; the caller must call iopt_gather_sync() before reusing
 *            the IOVA range for anything that relies on the invalidation.
 * @unmapped: set to the bytes that were mapped and are now unmapped.
 *
 * Clears whole runs of entries per table and queues every table the range
 * covers entirely. Holes (unmapped parts of the range) are skipped: they
 * are not an error and not counted, so *@unmapped < @size tells the caller
 * there were holes; IOPT_UNMAP_NO_HOLES makes any hole an error instead.
 * A leaf (or contiguous run) that starts before @iova or ends after the
 * range is never split: the call fails and changes nothing. Tables that only
 * partly overlap the range stay linked, even when they become empty; a later
 * unmap or map that covers them, or iopt_reclaim(), frees them. An entry in the range that
 * points at memory that is not a table of this tree (corrupt memory) is
 * cleared and its whole span invalidated; it counts no bytes, and nothing
 * below it is walked or freed. So an unmap never fails with -EFAULT.
 *
 * Return: 0; -EINVAL (misalignment, size 0, NULL, unknown flags, @gather
 * holds work for another table, or for a destroyed one that lived in
 * @t's struct); -EOVERFLOW;
 * -ERANGE (outside the input space, not canonical); -EXDEV (the range
 * would split a leaf; nothing changed); -ENOENT (IOPT_UNMAP_NO_HOLES and a
 * hole; nothing changed).
 * Context: as iopt_map_pages(). Never allocates.
 */
int iopt_unmap_range(struct iopt_table *t, uint64_t iova, uint64_t size,
		     unsigned int flags, struct iopt_gather *gather,
		     uint64_t *unmapped);

/**
 * iopt_unmap_pages() - unmap @pgcount pages of @pgsize at @iova
 * @t:        the table.
 * @iova:     start; aligned to @pgsize.
 * @pgsize:   a page size in iopt_pgsize_bitmap().
 * @pgcount:  number of pages, at least 1.
 * @flags:    IOPT_UNMAP_* flags.
 * @gather:   as for iopt_unmap_range().
 * @unmapped: set to the bytes unmapped.
 *
 * iopt_unmap_range(t, iova, pgsize * pgcount, ...) after checking that
 * @pgsize is in the bitmap and @iova is aligned to it. The size of what is
 * mapped there need not be @pgsize (a range mapped with 4K pages can be
 * unmapped as one 2M page), but no leaf may cross the range's ends.
 * Return: as iopt_unmap_range(), plus -EINVAL for a bad pgsize or pgcount 0.
 * Context: as iopt_unmap_range().
 */
int iopt_unmap_pages(struct iopt_table *t, uint64_t iova, uint64_t pgsize,
		     uint64_t pgcount, unsigned int flags,
		     struct iopt_gather *gather, uint64_t *unmapped);

/**
 * iopt_reclaim() - free the empty tables inside [iova, iova + size)
 * @t:      the table.
 * @iova:   start; aligned to the smallest page size.
 * @size:   length; a multiple of the smallest page size, not 0.
 * @gather: required, as for iopt_unmap_range(): collects the invalidation
 *          (a non-leaf range over each unhooked table's span) and the
 *          tables, which iopt_gather_sync() frees after the flush.
 * @freed:  set to the bytes of table memory unhooked, freed by the sync
 *          (corrupt memory that points two entries at one table counts it
 *          twice; the sync frees it once).
 *
 * An explicit sweep for the tables that partial unmaps leave empty (an
 * unmap frees only the tables it covers entirely). Every table whose whole
 * span lies inside the range and that maps nothing is unhooked: its parent
 * entry is cleared, and so up the tree while parents inside the range
 * empty too. The root is never freed. Leaves, holes and tables that still
 * map something are left as they are, so no translation changes; an entry
 * that is not a table of this tree is left too (an unmap drops it). Each
 * table is read once, and no more tables than the tree holds.
 * Concurrency: the caller owns the range, as for an unmap of it: no map or
 * unmap inside it may run concurrently. Map and unmap of ranges disjoint
 * from it may, also when they share a table with it: only tables wholly
 * inside the range are freed, and no other operation may reach those.
 * Return: 0 (also when nothing was empty: *@freed is 0 and @gather is left
 * as it was); -EINVAL (misalignment, size 0, NULL, @gather holds work for
 * another table, or for a destroyed one that lived in @t's struct);
 * -EOVERFLOW; -ERANGE (outside the input space, not canonical).
 * Context: as iopt_unmap_range(). Never allocates.
 */
int iopt_reclaim(struct iopt_table *t, uint64_t iova, uint64_t size,
		 struct iopt_gather *gather, uint64_t *freed);

/**
 * iopt_iova_to_phys() - translate one address
 * @t:    the table.
 * @iova: the address.
 * Return: the physical address of @iova (page offset included), or
 * IOPT_PHYS_NONE when nothing maps it (or @iova is outside the table, or
 * @t is NULL or destroyed).
 * Context: concurrent with changes to other ranges. Never allocates.
 */
uint64_t iopt_iova_to_phys(struct iopt_table *t, uint64_t iova);

/**
 * iopt_iova_to_phys_length() - translate and report the leaf size
 * @t:    the table.
 * @iova: the address.
 * @phys:   the physical address of @iova.
 * @length: the size of the leaf that maps @iova: a whole contiguous-hint run
 *          when the hint is set. The leaf starts at iova & ~(length - 1).
 * @prot:   if not NULL, the leaf's protection as the format encodes it.
 * One walk.
 * Return: 0; -ENOENT (not mapped); -ERANGE (outside the input
 * space or not canonical); -EINVAL (NULL pointer); -EFAULT (an entry on
 * the walk points outside the backend's bound). Outputs are written only
 * on success. Context: as iopt_iova_to_phys().
 */
int iopt_iova_to_phys_length(struct iopt_table *t, uint64_t iova,
			     uint64_t *phys, uint64_t *length,
			     unsigned int *prot);

/**
 * iopt_iova_to_pgsize() - size of the leaf that maps @iova
 * @t:    the table.
 * @iova: the address.
 * Return: the size (as iopt_iova_to_phys_length() reports it), or 0 when
 * nothing maps @iova (or @iova is outside the table, or @t is NULL).
 * Context: as iopt_iova_to_phys().
 */
uint64_t iopt_iova_to_pgsize(struct iopt_table *t, uint64_t iova);

/**
 * typedef iopt_extent_fn - extent iterator callback
 * Called once per maximal run of mapped addresses in which the physical
 * address increases with the IOVA and the protection is the same. The run
 * is clipped to the iterated range. Return 0 to go on, anything else to stop
 * (iopt_for_each_extent() returns that value).
 */
typedef int (*iopt_extent_fn)(void *arg, uint64_t iova, uint64_t phys,
			      uint64_t length, unsigned int prot);

/**
 * iopt_for_each_extent() - report the mapped runs of [iova, iova + size)
 * @t:    the table.
 * @iova: start of the range.
 * @size: its length in bytes, not 0.
 * @fn:   called once per run.
 * @arg:  passed to @fn.
 * One descent over the range, in increasing IOVA order. On an argument
 * error the callback is never called.
 * Return: 0 after the last run; the callback's non-zero value if it stopped;
 * -EINVAL (size 0, NULL table or fn); -EOVERFLOW (the range wraps);
 * -ERANGE (outside the input space or not canonical); -EFAULT (an entry
 * points outside the backend's bound: the callback has been called for
 * every run before that entry's span, and for none after it).
 * Context: as iopt_iova_to_phys(); the callback must not change @t.
 */
int iopt_for_each_extent(struct iopt_table *t, uint64_t iova, uint64_t size,
			 iopt_extent_fn fn, void *arg);

/* One step of a walk, for dumps and tests: see iopt_walk_path(). */
struct iopt_path {
	unsigned int depth;        /* entries filled in */
	unsigned int level[8];     /* 0 = smallest-leaf level */
	unsigned int index[8];     /* index in its table */
	uint64_t table_phys[8];    /* table holding the entry */
	uint64_t pte[8];           /* raw entry value (host order) */
};

/**
 * iopt_walk_path() - the raw entries a walk of @iova reads
 * @t:    the table.
 * @iova: the address.
 * @path: filled with the entries read.
 * Fills @path from the root down to the first entry that is empty or a leaf.
 * Return: 0; -ERANGE (outside the input space or not canonical); -EINVAL
 * (NULL): @path is not written; -EFAULT (an entry points outside the
 * backend's bound): @path holds the entries read, the last being the one
 * that points outside, as a dump would want them.
 * Context: as iopt_iova_to_phys().
 */
int iopt_walk_path(struct iopt_table *t, uint64_t iova, struct iopt_path *path);

/*
 * Gather. Initialise with iopt_gather_init(); pass to unmaps of
 * ONE table; call iopt_gather_sync() to flush and release table memory.
 * Fields are private. A range that touches or overlaps the most recent one
 * is merged into it; when the range list is full a new range is merged into
 * the most recent one anyway (the flush then covers the gap between them).
 * When the table list is full, an unmap syncs the gather on the way (the
 * flush callbacks run early; nothing is ever freed before the flush that
 * covers it).
 *
 * Lifetime rules (misuse is refused, never half done):
 *  - A gather belongs to the table of the first unmap that uses it until
 *    iopt_gather_sync(). Further unmaps of that table may add to it.
 *  - While it holds work (ranges or tables) for one table, an unmap of
 *    another table given it fails with -EINVAL and changes neither table
 *    nor the gather ("reuse before sync").
 *  - After iopt_gather_sync() it is empty and unbound: it may be used for
 *    any table. A gather whose unmaps collected nothing is unbound too.
 *  - Sync it before iopt_fini() of its table: a gather still holding work
 *    for a destroyed table is emptied by iopt_gather_sync(), which calls no
 *    callback, frees nothing (that memory is lost to the backend) and
 *    returns -EINVAL. This holds also when the struct iopt_table was
 *    initialised again since (tables carry a generation; unmaps of the new
 *    table refuse the gather with -EINVAL until it is synced). The struct
 *    iopt_table itself must still exist.
 */
#define IOPT_GATHER_RANGES 8
#define IOPT_GATHER_TABLES 256
struct iopt_gather {
	struct iopt_table *table;
	uint64_t gen;           /* table->gen when bound */
	unsigned int nr_ranges;
	unsigned int nr_tables;
	struct iopt_gather_range {
		uint64_t iova;
		uint64_t last;          /* inclusive */
		unsigned int granule_lg2;
		bool leaf_only;
	} ranges[IOPT_GATHER_RANGES];
	/* Detached subtrees: table physical address | level (tables are at
	 * least 64-byte aligned, so the level fits in the low bits). */
	uint64_t tables[IOPT_GATHER_TABLES];
};

/**
 * iopt_gather_init() - make a gather empty and unbound
 * @g: the gather; NULL is ignored.
 * Context: any.
 */
void iopt_gather_init(struct iopt_gather *g);

/**
 * iopt_gather_sync() - flush what @g collected, then free its tables
 * @g: the gather.
 * Calls flush_range once per collected range (or flush_all once when
 * flush_range is NULL), and only then frees the queued tables. An empty
 * gather calls nothing and returns 0. @g is empty and unbound afterwards,
 * also on error.
 * Return: 0; -EINVAL for NULL, or when @g held work for a table that
 * iopt_fini() has destroyed, also if its struct holds a new table now
 * (nothing is called or freed; see above).
 * Context: the caller's; never allocates.
 */
int iopt_gather_sync(struct iopt_gather *g);

/**
 * iopt_prot_effective() - the protection a leaf mapped with @prot reports
 * @t:    the table.
 * @prot: IOPT_* flags as a map would be given them.
 * Formats cannot express every combination (ARM stage 1 cannot make a page
 * writable but not readable, so WRITE alone reads back as READ|WRITE; PRIV
 * means nothing in stage 2 or on Mali, whose GPU makes no privilege
 * distinction; VT-d second stage keeps READ, WRITE and CACHE (the SNP
 * bit, not set with MMIO) only: it has no privilege levels and, as
 * Linux uses it, no execute permission or memory types). This returns what iopt_iova_to_phys_length()
 * and the extent iterator will report for such a leaf.
 * Unknown bits of @prot are ignored.
 * Return: IOPT_* flags; 0 for a NULL or destroyed table. Context: any.
 */
unsigned int iopt_prot_effective(const struct iopt_table *t, unsigned int prot);

/**
 * iopt_get_stats() - the counters of a table
 * @t:   the table (also a destroyed one).
 * @out: filled with the counters; nothing is done if either is NULL.
 * Context: any (values are approximate under concurrency).
 */
void iopt_get_stats(const struct iopt_table *t, struct iopt_stats *out);

/**
 * iopt_strerror() - a short description of an error
 * @err: a negative errno value returned by iopt.
 * Return: a static string; "unknown error" for any other value.
 * Context: any.
 */
const char *iopt_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif /* IOPT_IOPT_H */

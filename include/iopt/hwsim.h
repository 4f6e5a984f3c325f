/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * hwsim: a simulated IOMMU that reads page tables as the hardware would.
 *
 * Three parts, usable separately:
 *
 *  - Walkers (iopt_hwsim_walk()): translate (iova, access) to a physical
 *    address or a fault by reading table memory, one per format, written
 *    from the architecture's descriptor formats rather than from iopt's
 *    engine, so that they are a second opinion on what the engine builds.
 *    Table memory is read through struct iopt_hwsim_mem: a caller's read
 *    callback, an arena, or a plain image. Entries are little-endian words
 *    whatever the host: 64-bit, or 32-bit for the Armv7 short descriptor. The walkers treat table memory as untrusted:
 *    at most one read per level, every read checked against the memory's
 *    bounds (or left to the callback, which may fail), no loops.
 *
 *  - A simulated IOMMU (struct iopt_hwsim): the walker plus an IOTLB of leaf
 *    translations (set associative; a contiguous-hint run or a replicated
 *    v7s large page / supersection is one entry) and
 *    a walk cache of table descriptors per level, with the invalidation
 *    commands a driver issues (all; by range with a granule and a leaf-only
 *    flag) and counters for both. In strict mode it also caches "no
 *    translation" results, as VT-d caching mode allows, so a map that is not
 *    followed by an invalidation leaves a stale entry.
 *
 *  - Oracles for tests: iopt_hwsim_check_coherent() compares every cached
 *    entry with a fresh walk of table memory and reports each one that
 *    disagrees (stale); a walk that reads table memory the arena has freed,
 *    in particular through a cached table pointer, is reported as a
 *    use-after-free event.
 *
 * iopt_hwsim_flush_ops() wires a simulated IOMMU to a table: pass the ops
 * and cookie to iopt_init(), then iopt_hwsim_set_root(), and every
 * iopt_gather_sync() becomes invalidation commands of the simulated IOMMU.
 *
 * Architecture choices of the model (where the hardware has options):
 *  - ARM: the implemented PA size is oas (the Arm ARM's PAMax), and it is
 *    also the programmed one (TCR.IPS / VTCR.PS). The access flag is not
 *    managed by hardware (AF = 0 is an access flag fault). 52-bit addresses
 *    with the 64K granule follow FEAT_LPA: with oas 52, descriptor bits
 *    [15:12] hold address bits [51:48] and level-1 (4T) blocks are valid;
 *    with a smaller oas those bits are RES0 and ignored, and a level-1
 *    block is a translation fault. No FEAT_LPA2 (4K level-0 and 16K level-1
 *    blocks are invalid). No FEAT_XNX (stage 2 bit 54 is XN, bit 53 is
 *    ignored). Stage 1 is the EL1&0 regime, so a page writable by
 *    unprivileged accesses is privileged-execute-never; unprivileged
 *    execute depends on UXN alone (execute-only pages exist). A contiguous
 *    hint on more entries than the table holding them has is ignored.
 *    Stage 2 starts a level lower, at concatenated tables, where the start
 *    level is invalid for the PA size (S2InvalidSL: 4K at level 0 with oas
 *    below 44; 16K at level 0; 16K at level 1 with oas below 42; 64K at
 *    level 1 with oas below 44). With ias <= oas that is exactly iopt's
 *    rule; with ias > oas iopt may start a level higher than this model,
 *    a table for an IOMMU that implements more than oas bits.
 *  - x86-64: present, R/W, U/S and XD combine over all levels (XD honoured;
 *    supervisor writes honour R/W; no supervisor-execute protection); the
 *    accessed and dirty bits are neither required nor written. Reserved
 *    bits are reserved-bit faults: PS in a PML4 or PML5 entry, bits
 *    [shift-1:13] of a 2M or 1G leaf, and address bits at or above oas
 *    (MAXPHYADDR) in any entry or in the root.
 *  - An input address out of range (ARM: at or above 2^ias; x86: not
 *    canonical) is reported as an address-size fault with @input set, for
 *    every format (the hardware's names differ: a level-0 translation fault
 *    on ARM, a non-canonical fault in VT-d).
 *  - Armv7 short descriptor (v7s): TTBCR.N = 0, so the L1 table is 16 KB
 *    aligned (root bits [13:0] are ignored; a root at or above 2^32 cannot
 *    be programmed and is an address-size fault); SCTLR.AFE = 1 (the
 *    simplified access model: AP[0] is the access flag, AP[0] = 0 is an
 *    access flag fault, no hardware AF management), TEX remap, no
 *    UWXN/WXN; domains are all "client" (the domain field is ignored).
 *    AP[2:1] give PR always, PW unless AP[2], UR with AP[1], UW with AP[1]
 *    and not AP[2]; fetches need read permission at their privilege and
 *    no XN; privileged fetches also no PXN (section bit 0; bit 2 of a
 *    page-table descriptor for everything below it). [1:0] = 11 in L1 is a
 *    section with PXN. NS bits (table bit 3, section bit 19) select the
 *    output address space, which the model does not model: they change no
 *    translation. SBZ and implementation-defined bits are ignored, except:
 *    the supersection's extended base address (bits [23:20] = PA[35:32],
 *    [8:5] = PA[39:36]) is decoded, and an address at or above 2^oas is an
 *    address-size fault. V7S_NO_PERMS: the hardware implements no
 *    permissions: AP, AF and XN bits are ignored, everything is allowed.
 *    V7S_MTK_EXT (oas up to 35; requires NO_PERMS, -EINVAL otherwise):
 *    leaves hold PA[32] in bit 9, PA[33] in bit 4, PA[34] in bit 5, also in
 *    supersections, whose bits [23:20] and [8:6] are then reserved (a
 *    reserved-bit fault when set). Large pages (64K) and supersections
 *    (16M) are 16 identical copies: a walk reads one copy and takes it as
 *    authoritative (hardware behaviour with copies that disagree is
 *    UNPREDICTABLE); @size_lg2 is the run, @leaf_lg2 what one copy covers
 *    (4K, 1M), @contig is set, and the IOTLB keeps the run as one entry
 *    whose word iopt_hwsim_check_coherent() compares with every copy, so a
 *    damaged copy (any bit) is a stale event.
 *  - Mali LPAE: always 4 levels from a full 512-entry table indexed by
 *    VA[47:39], whatever ias (inputs at or above 2^ias are address-size
 *    faults); the TRANSTAB's low 12 bits (ADRMODE, READ_INNER,
 *    SHARE_OUTER) are ignored and ADRMODE is taken to be "table". Type
 *    [1:0]: 11 is a table at levels 3..1 (ARM L0..L2), 01 a block at
 *    levels 2 and 1 (1G, 2M) and the page at level 0 ("ATE"); 01 at the
 *    top (L0) and 11 at level 0 are translation faults, as are 00 and 10.
 *    Permissions: bit 6 read, bit 7 write, bit 54 execute-never, for every
 *    privilege (bit 53 ignored); no access flag (AF = 0 translates: the
 *    GPU neither checks nor sets it), no contiguous hint, no hierarchical
 *    table attributes. Table and output addresses at or above 2^oas (oas
 *    32..40) are address-size faults.
 *  - Apple DART: one page size, no blocks. v1 (4K, oas 36): the start
 *    level is up to four TTBR tables (one per VA[31:30] value, ias 30..32)
 *    laid out physically contiguous, TTBR n at root + n * 4096; the model
 *    walks them as one start table of 2^(ias - 21) entries (@concat = the
 *    number of TTBRs). v2 (16K, oas 42): one TTBR; 2 levels up to ias 36,
 *    3 above it (ias 42: a top table of 64 entries). Entries: valid is
 *    bit 0, the level alone tells a table from a leaf, a table entry's
 *    address is encoded as a leaf's (v1: PA[35:12] in place; v2: bits
 *    [37:10] = PA[41:14]); other bits of a table entry are ignored.
 *    Permissions are negative: v1 NO_READ bit 8, NO_WRITE bit 7; v2
 *    NO_READ bit 3, NO_WRITE bit 2 (bit 1 NO_CACHE is a memory type). No
 *    execute permission exists: a fetch is allowed where a read is.
 *    Sub-page protection: START [63:52] and END [51:40] in units of
 *    1/4096 of the page (1 byte with 4K pages, 4 bytes with 16K; the unit
 *    is the model's reading, public sources do not give it): an access is
 *    allowed only at page offsets in [START, END] units (START > END
 *    allows nothing); 0 and 0xfff is the whole page. v1 with SP_DIS
 *    (bit 1) set ignores them; v2 has no SP_DIS and always honours them.
 *    The hardware's only invalidation is per stream: with
 *    IOPT_HWSIM_STREAM_INV every range command on a DART invalidates
 *    everything, as the driver's iotlb_sync does; without it the model
 *    keeps the range semantics below, so the coherence oracle still
 *    catches a gather that misses a range.
 *  - AMD IOMMU v1 (host page tables, pub. 48882 section 2.2.3): DTE.Mode
 *    is @levels (1..6, ias 12 + 9 * Mode, 64 for 6: a top table of 128
 *    entries), the root is the DTE's [51:12]; the DTE itself grants IR and
 *    IW and is valid (TV = 1). Generic level l is AMD level l + 1. PR is
 *    bit 0; bits [58:52] are reserved (a reserved-bit fault, the
 *    IO_PAGE_FAULT's RZ), as are address bits at or above oas in a table
 *    pointer, the root, or any byte a leaf maps. NextLevel [11:9] of an
 *    entry at AMD level L: 1..L-1 points to a table of that level, levels
 *    between are skipped and the input bits that would index them must be
 *    zero (a translation fault otherwise); 0 is a leaf of the level's size
 *    (address bits below it ignored); 7 a leaf whose size is 2^(z + 1)
 *    for the first zero bit z of [51:12] (the ones and that zero are not
 *    address), valid only when larger than the level's size and at most
 *    256 entries of it (2^52 at most); other values, and leaves at AMD
 *    level 6 (the spec's page table level parameters allow PTEs at levels
 *    1..5, any of which may be the top of a walk), are translation faults.
 *    A NextLevel 7 run is copied into every entry it covers: as for v7s,
 *    the walk takes the copy it reads, @size_lg2 is the run, @leaf_lg2 the
 *    level's size, @contig is set, and the IOTLB keeps it as one entry
 *    whose word every copy must equal. IR (61) and IW (62) are ANDed down
 *    the walk, table entries included. There is no execute permission and
 *    no privilege level: a fetch needs IR like a read, PRIV changes
 *    nothing. FC (60), U (59, ATS only), A and D change no translation
 *    and are neither required nor written.
 *  - AMD INVALIDATE_IOMMU_PAGES (iopt_hwsim_amd_inv_pages()): with S = 0
 *    one 4K page, with S = 1 the aligned 2^(z + 1) bytes for the first
 *    zero bit z of the address at or above bit 12, the whole domain when
 *    z >= 51 (as QEMU reads the spec's encoding table; 0x7FFF_FFFF_FFFF_F000
 *    is the driver's). Address bits above the block are taken as given
 *    (no sign extension from bit 51). It drops every IOTLB entry that
 *    overlaps the range, whatever its size, and with PDE every walk-cache
 *    entry whose region overlaps it. iopt_hwsim_flush_ops() on an AMD
 *    table issues only this command, as Linux's amd driver does
 *    (drivers/iommu/amd/iommu.c): a range becomes one command for the
 *    smallest aligned block that holds it (iopt_hwsim_amd_inv_address()),
 *    always with PDE, whether tables were freed or not; flush_all and a
 *    range the encoding cannot name become the whole domain with PDE.
 *    The generic iopt_hwsim_inv_all() / inv_range() still work on it.
 *  - Intel VT-d second stage (IOPT_FMT_VTD_SS, 3/4/5 levels for ias
 *    39/48/57; inputs at or above 2^ias are address-size faults with
 *    @input): an entry is present when R (bit 0) or W (bit 1) is set;
 *    R and W are AND-ed over every level, the leaf included. The model
 *    implements ECAP.SC (SNP, bit 11, allowed in leaves; reserved in
 *    non-leaf entries), no device TLB (TM, bit 62, reserved everywhere),
 *    no ECAP.SLEE (bit 2 ignored; a fetch needs read permission, and
 *    there are no privilege levels), CAP.SLLPS bit 0 (2M) always and bit
 *    1 (1G) unless IOPT_QUIRK_VTD_NO_1G. Reserved-bit faults: address
 *    bits [51:oas] of any entry or of the root, PS (bit 7) in a PML4E or
 *    PML5E or, without 1G, in a PDPE, address bits [20:12] of a 2M and
 *    [29:12] of a 1G leaf; bits 3..6, 8..10, 52..61 and 63 are ignored.
 *    These are the masks QEMU's model checks, with its snoop-control
 *    and without its device TLB. Invalidation: iopt_hwsim_vtd_psi()
 *    (page-selective within domain) and iopt_hwsim_inv_all()
 *    (domain-selective); CAP.MAMV is IOPT_HWSIM_VTD_MAMV_DEFAULT (18,
 *    as QEMU reports) unless iopt_hwsim_vtd_set_mamv() changes it.
 *    iopt_hwsim_flush_ops() issues them as Linux's intel driver does:
 *    see iopt_hwsim_vtd_psi().
 *  - An IOTLB range invalidation acts at every granule step from @iova, as
 *    per-page TLBI commands do: an entry smaller than the granule between
 *    two steps survives it (so a gather that claims a larger granule than
 *    the leaves it removed is caught). Walk-cache entries are dropped when
 *    their region overlaps the range.
 *
 *  - RISC-V (IOMMU spec v1.0, first stage from the device context's
 *    iosatp; Sv39/48/57 of the privileged spec): inputs must be
 *    sign-extended from bit ias - 1 (else an address-size fault with
 *    @input). The root is iosatp.PPN (a 4K-aligned address; bits [11:0]
 *    of @root_phys are ignored). Every page fault of the walk is a
 *    translation fault: V = 0, W without R, reserved bits [60:54], PBMT
 *    not 0 (the model implements no Svpbmt, so PBMT is reserved), a
 *    pointer (R = W = X = 0) at level 0 or with A, D, U or N set (reserved
 *    in non-leaf entries), a misaligned superpage (PPN bits below the
 *    leaf's size set), N without IOPT_QUIRK_RISCV_NAPOT, N above level 0,
 *    or a NAPOT encoding other than PPN[3:0] = 1000 (64K). A table or
 *    output address at or above 2^oas (the hardware's access fault) is
 *    an address-size fault. A valid leaf's refusals are permission
 *    faults: no hardware A/D update, so A = 0 allows nothing and D = 0
 *    no write; U = 1 pages allow unprivileged requests only, U = 0 pages
 *    privileged (IOPT_HWSIM_PRIV) ones only (SUM = 0, there is no process
 *    context to set it); X = 1 with R = 0 is execute-only; G is ignored
 *    (one context). A Svnapot 64K run is 16 identical copies, handled as
 *    v7s runs (@contig, @size_lg2 16, @leaf_lg2 12, one IOTLB entry whose
 *    word is compared with every copy).
 * Levels are numbered as in struct iopt_path: 0 is the level of the
 * smallest leaf (ARM level 3, the x86 PT, v7s L2, the DART leaf table).
 */
#ifndef IOPT_HWSIM_H
#define IOPT_HWSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "iopt.h"
#include "mem.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IOPT_HWSIM_MAX_LEVELS 6	/* AMD v1 walks up to 6 */

/* Access kinds of a translation request (combine; PRIV qualifies the rest). */
#define IOPT_HWSIM_READ  (1u << 0)
#define IOPT_HWSIM_WRITE (1u << 1)
#define IOPT_HWSIM_EXEC  (1u << 2) /* instruction fetch */
#define IOPT_HWSIM_PRIV  (1u << 3) /* privileged (supervisor) request */

/* What a translation allows (struct iopt_hwsim_result.perm). */
#define IOPT_HWSIM_PERM_UR (1u << 0) /* unprivileged read */
#define IOPT_HWSIM_PERM_UW (1u << 1) /* unprivileged write */
#define IOPT_HWSIM_PERM_UX (1u << 2) /* unprivileged execute */
#define IOPT_HWSIM_PERM_PR (1u << 3) /* privileged read */
#define IOPT_HWSIM_PERM_PW (1u << 4) /* privileged write */
#define IOPT_HWSIM_PERM_PX (1u << 5) /* privileged execute */

enum iopt_hwsim_fault {
	IOPT_HWSIM_FAULT_NONE = 0,
	IOPT_HWSIM_FAULT_TRANSLATION, /* an entry on the way is not present / invalid */
	IOPT_HWSIM_FAULT_PERMISSION,  /* translated, but the access is not allowed */
	IOPT_HWSIM_FAULT_ADDR_SIZE,   /* input out of range or not canonical (input
				       * is true); ARM: the root, a table or an
				       * output address at or above 2^oas */
	IOPT_HWSIM_FAULT_ACCESS_FLAG, /* ARM, v7s: leaf with AF = 0 */
	IOPT_HWSIM_FAULT_RESERVED,    /* x86, VT-d: a reserved bit is set (address
				       * bits at or above oas included);
				       * v7s MTK_EXT: a supersection's
				       * extended-address bits */
	IOPT_HWSIM_FAULT_WALK_ABORT,  /* table memory could not be read */
};

/**
 * struct iopt_hwsim_geom - what the walker needs to know of a table
 * @format:      enum iopt_format.
 * @granule_lg2: 12, 14 or 16 (the smallest page).
 * @ias:         input address bits (x86-64: 48 or 57, sign-extended).
 * @oas:         output address bits.
 * @levels:      levels walked, from the start table to level 0.
 * @top_bits:    index bits of the start table (concatenation included).
 * @concat:      start tables concatenated (1: none; DART v1: the TTBRs).
 * @stage2:      ARM stage 2 descriptors.
 * @sign_extend: inputs must be canonical (x86-64).
 * @ttbr1:       ARM stage 1: the table is TTBR1's (TCR.T1SZ = 64 - @ias):
 *               inputs must have bits [63:@ias] all ones, and index the
 *               tables by their bits below @ias, as TTBR0's do.
 * @ds:          ARM 4K and 16K with FEAT_LPA2 and TCR.DS = 1: descriptors
 *               hold OA[49:G] and OA[51:50] in bits [9:8] (no SH field),
 *               @ias and @oas may be 52, the 4K granule may start one
 *               level above level 0 (16 entries for ias 52), and blocks
 *               exist at level 0 (4K, 512G) and level 1 (16K, 64G).
 * @level_bits:  index bits of every table below the start table
 *               (@granule_lg2 - 3, except v7s: 8, its 1 KB L2 tables).
 * @pte_lg2:     log2 of the entry size: 3, or 2 for v7s.
 * @quirks:      the IOPT_QUIRK_* that change how the hardware reads
 *               entries (v7s: V7S_NO_PERMS, V7S_MTK_EXT; RISC-V:
 *               RISCV_NAPOT); 0 otherwise.
 *
 * Filled by iopt_hwsim_geometry() as the hardware's registers (T0SZ, SL0,
 * TG, PS; or the paging mode and MAXPHYADDR) would be programmed. Level
 * l maps 2^(@granule_lg2 + l * @level_bits) bytes per entry; Mali LPAE
 * walks a 48-bit index (@granule_lg2 + (@levels - 1) * @level_bits +
 * @top_bits is 48) whatever its ias.
 */
struct iopt_hwsim_geom {
	enum iopt_format format;
	unsigned int granule_lg2;
	unsigned int ias;
	unsigned int oas;
	unsigned int levels;
	unsigned int top_bits;
	unsigned int concat;
	bool stage2;
	bool sign_extend;
	bool ttbr1;
	bool ds;
	unsigned int level_bits;
	unsigned int pte_lg2;
	uint32_t quirks;
};

/**
 * struct iopt_hwsim_mem - how the walker reads table memory
 * @read:       if set: read @len bytes at physical address @phys into @buf
 *              (memory order, i.e. little-endian entries); return 0, or a
 *              negative errno when the address is not readable (the walk
 *              then ends with IOPT_HWSIM_FAULT_WALK_ABORT). Called with
 *              @len == 8 and @phys 8-byte aligned, or, for 32-bit entries
 *              (v7s), @len == 4 and @phys 4-byte aligned.
 * @ctx:        passed to @read.
 * @arena:      if set: read from it directly when @read is NULL (addresses
 *              outside the arena abort the walk), and check every read
 *              against iopt_arena_is_free() to report use after free. That
 *              check reads the arena's bitmap, which its alloc and free
 *              change: walking while another thread allocates or frees
 *              table memory needs a @read callback (and no @arena) instead.
 * @image:      when neither @read nor @arena is set: a plain byte image of
 *              physical memory [@image_phys, @image_phys + @image_size).
 * @image_phys: physical address of @image.
 * @image_size: its size in bytes.
 *
 * A walk reads each entry once, a whole word (8 bytes, or 4 for 32-bit
 * entries; an arena or image read is checked to lie wholly inside, at the
 * word's alignment from the arena's base): atomically from an arena (and
 * from a callback that loads atomically), so other threads may write
 * other entries of the same tables meanwhile, as devices walk tables that
 * CPUs change beside them.
 */
struct iopt_hwsim_mem {
	int (*read)(void *ctx, uint64_t phys, void *buf, size_t len);
	void *ctx;
	const struct iopt_arena *arena;
	const void *image;
	uint64_t image_phys;
	size_t image_size;
};

/**
 * struct iopt_hwsim_result - outcome of one translation
 * @fault:      IOPT_HWSIM_FAULT_NONE when translated.
 * @input:      ADDR_SIZE fault caused by the input address.
 * @cached:     answered from the IOTLB (simulated IOMMU only).
 * @contig:     the leaf is one of a run (ARM: the contiguous hint; v7s: a
 *              large page or supersection, 16 identical copies);
 *              @size_lg2 is the run.
 * @subpage:    DART: the leaf's sub-page protection range does not cover
 *              the whole page; accesses outside [@sub_first, @sub_last]
 *              are permission faults (@perm is the page's).
 * @sub_first, @sub_last: with @subpage, the page offsets (bytes) the
 *              range allows; @sub_first > @sub_last allows none.
 * @level:      level of the entry that ended the walk (the leaf, or the
 *              entry that faulted).
 * @phys:       the physical address of the input (also on a permission
 *              fault); IOPT_PHYS_NONE when not translated.
 * @size_lg2:   log2 of the translation's size: the leaf, or the whole run
 *              when the contiguous hint is set.
 * @leaf_lg2:   log2 of the size one leaf entry maps.
 * @perm:       IOPT_HWSIM_PERM_* the translation allows.
 * @pte:        the last entry read (host order); 0 if none was read.
 * @pte_phys:   its physical address.
 * @freed_read: some table memory read was free in the arena (the first such
 *              address is @freed_phys).
 * @freed_phys: see @freed_read.
 */
struct iopt_hwsim_result {
	enum iopt_hwsim_fault fault;
	bool input;
	bool cached;
	bool contig;
	unsigned int level;
	uint64_t phys;
	unsigned int size_lg2;
	unsigned int leaf_lg2;
	unsigned int perm;
	uint64_t pte;
	uint64_t pte_phys;
	bool freed_read;
	uint64_t freed_phys;
	bool subpage;
	uint32_t sub_first;
	uint32_t sub_last;
};

/**
 * iopt_hwsim_geometry() - derive the walk geometry of a configuration
 * @cfg: a configuration as given to iopt_init().
 * @g:   filled on success; unchanged on error.
 *
 * Computed from the architecture's rules (docs/formats.md), not asked of the
 * engine: compare @g->levels with iopt_levels() to check the engine.
 * Accepted: ARM and x86 as iopt_init() takes them (ARM: IOPT_QUIRK_ARM_TTBR1
 * sets @g->ttbr1, IOPT_QUIRK_ARM_LPA2 @g->ds); arm-v7s granule 12,
 * ias 32, oas 32 (33..35 with V7S_MTK_EXT); arm-mali-lpae granule 12, ias
 * 32..48, oas 32..40; apple-dart granule 12, ias 30..32 (1, 2 or 4
 * TTBRs), oas 36; apple-dart2 granule 14, ias 32..42, oas 42; amd-v1
 * granule 12, ias 12 + 9 * levels (21, 30, 39, 48, 57) or 64 (6 levels),
 * oas 32..52; VT-d second stage granule 12, ias 39, 48 or 57, oas 32..52,
 * quirk VTD_NO_1G only (another: -EINVAL); riscv granule 12, ias 39, 48 or
 * 57, oas 32..56, quirk RISCV_NAPOT only (the IOMMU's Svnapot, kept in
 * @g->quirks; another: -EINVAL). A granule of 0 means the format's own.
 * Return: 0; -EINVAL for a NULL pointer or unknown format, V7S_MTK_EXT
 * without V7S_NO_PERMS, or ARM_TTBR1 on stage 2; -ENOTSUP for a geometry the hardware cannot walk
 * (granule, ias, oas, more than 16 concatenated start tables).
 * Context: any.
 */
int iopt_hwsim_geometry(const struct iopt_config *cfg,
			struct iopt_hwsim_geom *g);

/**
 * iopt_hwsim_mem_arena() - read table memory straight from an arena
 * @m: filled; NULL is ignored.
 * @a: the arena; also used for the use-after-free checks. NULL gives a
 *     memory every read of which fails (walks abort).
 * Context: any.
 */
void iopt_hwsim_mem_arena(struct iopt_hwsim_mem *m, const struct iopt_arena *a);

/**
 * iopt_hwsim_mem_image() - read table memory from a byte image
 * @m:     filled; NULL is ignored.
 * @image: the bytes of physical memory [@phys, @phys + @size).
 * @size:  their number.
 * @phys:  physical address of the first byte.
 * Context: any.
 */
void iopt_hwsim_mem_image(struct iopt_hwsim_mem *m, const void *image,
			  size_t size, uint64_t phys);

/**
 * iopt_hwsim_walk() - translate one address with a fresh walk, no caches
 * @g:         geometry from iopt_hwsim_geometry().
 * @m:         table memory.
 * @root_phys: the start table (the base register's value; address bits
 *             below the start table's alignment are ignored).
 * @iova:      the input address.
 * @access:    IOPT_HWSIM_* access kinds to check; 0 checks none.
 * @r:         the outcome.
 *
 * At most @g->levels entries are read, each at an address checked against
 * the memory first (a callback checks its own), so corrupt or hostile
 * tables end the walk with a fault, never a loop or a read elsewhere.
 * Return: 0 when translated and allowed; -EFAULT when the walk faulted
 * (@r->fault says how; on a permission fault @r->phys is still set);
 * -EINVAL for a NULL pointer or a geometry whose fields do not add up
 * (@r is not written then).
 * Context: any; reads table memory, writes nothing but @r.
 */
int iopt_hwsim_walk(const struct iopt_hwsim_geom *g,
		    const struct iopt_hwsim_mem *m, uint64_t root_phys,
		    uint64_t iova, unsigned int access,
		    struct iopt_hwsim_result *r);

/* Simulated IOMMU options (struct iopt_hwsim_params.flags). */
#define IOPT_HWSIM_STRICT       (1u << 0) /* cache "no translation" results too */
#define IOPT_HWSIM_VERIFY_HITS  (1u << 1) /* compare each IOTLB hit with memory */
#define IOPT_HWSIM_STREAM_INV   (1u << 2) /* DART: a range command invalidates
					   * the whole stream, as the
					   * hardware does */

/**
 * struct iopt_hwsim_params - cache shapes of a simulated IOMMU
 * @tlb_entries:  IOTLB entries; 0 disables the IOTLB.
 * @tlb_ways:     IOTLB associativity; 0 means fully associative. Must
 *                divide @tlb_entries.
 * @walk_entries: walk-cache entries per level; 0 disables the walk cache.
 * @walk_ways:    walk-cache associativity; 0 means fully associative.
 * @flags:        IOPT_HWSIM_STRICT, IOPT_HWSIM_VERIFY_HITS,
 *                IOPT_HWSIM_STREAM_INV.
 */
struct iopt_hwsim_params {
	unsigned int tlb_entries;
	unsigned int tlb_ways;
	unsigned int walk_entries;
	unsigned int walk_ways;
	unsigned int flags;
};

/* Counters of a simulated IOMMU (iopt_hwsim_get_counters()). */
struct iopt_hwsim_counters {
	uint64_t translations;   /* iopt_hwsim_translate() calls */
	uint64_t faults;         /* of which ended in a fault */
	uint64_t tlb_hits;       /* IOTLB hits on translations */
	uint64_t tlb_neg_hits;   /* IOTLB hits on cached "no translation" */
	uint64_t tlb_misses;
	uint64_t tlb_fills;
	uint64_t tlb_evictions;
	uint64_t walks;          /* table walks started (after a miss) */
	uint64_t walk_hits[IOPT_HWSIM_MAX_LEVELS]; /* walks resumed below a
						    * cached descriptor of
						    * that level */
	uint64_t walk_misses;    /* walks that started from the root */
	uint64_t walk_fills;
	uint64_t walk_evictions;
	uint64_t entry_reads;    /* table entries read by walks */
	uint64_t inv_all;        /* invalidate-all commands */
	uint64_t inv_range;      /* range commands (leaf-only included) */
	uint64_t inv_range_leaf; /* of which leaf-only */
	uint64_t tlb_dropped;    /* IOTLB entries invalidated */
	uint64_t walk_dropped;   /* walk-cache entries invalidated */
	uint64_t stale;          /* stale entries found (events) */
	uint64_t use_after_free; /* walks that read freed table memory */
	uint64_t amd_inv_pages;  /* AMD INVALIDATE_IOMMU_PAGES commands */
	uint64_t amd_inv_pages_pde; /* of which with PDE set */
	uint64_t vtd_psi;        /* VT-d page-selective invalidations */
	uint64_t vtd_psi_ih;     /* of which with IH (paging-structure caches kept) */
	uint64_t vtd_psi_wide;   /* flush ranges whose AM exceeded MAMV, sent
				  * domain-selective (counted in inv_all too) */
	uint64_t riscv_iotinval_vma;    /* RISC-V IOTINVAL.VMA commands */
	uint64_t riscv_iotinval_vma_av; /* of which with AV = 1 (one address) */
	uint64_t riscv_iofence_c;       /* RISC-V IOFENCE.C commands */
};

enum iopt_hwsim_event_kind {
	IOPT_HWSIM_EV_STALE_TLB = 1,    /* an IOTLB entry disagrees with memory */
	IOPT_HWSIM_EV_STALE_WALK,       /* a walk-cache entry disagrees */
	IOPT_HWSIM_EV_USE_AFTER_FREE,   /* a walk read freed table memory */
};

/**
 * struct iopt_hwsim_event - a stale entry or a use after free
 * @kind:        enum iopt_hwsim_event_kind.
 * @iova:        STALE_TLB: the address whose cached translation differs
 *               (the first such in the entry); STALE_WALK: the first
 *               address the cached descriptor covers; USE_AFTER_FREE: the
 *               address being translated.
 * @level:       level of the cached entry, or of the freed table read.
 * @cached:      STALE_TLB: cached physical address of @iova (IOPT_PHYS_NONE
 *               for a cached "no translation"); STALE_WALK: the cached
 *               next-table address; USE_AFTER_FREE: the freed address read.
 * @fresh:       STALE_TLB: the physical address a fresh walk gives
 *               (IOPT_PHYS_NONE if it faults); STALE_WALK: the next-table
 *               address in memory (IOPT_PHYS_NONE if there is none);
 *               USE_AFTER_FREE: the value read there.
 * @cached_size_lg2, @fresh_size_lg2: STALE_TLB: the translation sizes.
 * @cached_perm, @fresh_perm: STALE_TLB: IOPT_HWSIM_PERM_*; STALE_WALK:
 *               the accumulated table restrictions (internal bits).
 * @fresh_fault: STALE_*: how the fresh walk ended.
 * @via_cache:   USE_AFTER_FREE: the walk started from a cached table
 *               pointer (the walk cache kept a pointer to a freed table).
 */
struct iopt_hwsim_event {
	enum iopt_hwsim_event_kind kind;
	uint64_t iova;
	unsigned int level;
	uint64_t cached;
	uint64_t fresh;
	unsigned int cached_size_lg2;
	unsigned int fresh_size_lg2;
	unsigned int cached_perm;
	unsigned int fresh_perm;
	enum iopt_hwsim_fault fresh_fault;
	bool via_cache;
};

/* Event callback: called for every event as it happens. */
typedef void (*iopt_hwsim_event_fn)(void *arg,
				    const struct iopt_hwsim_event *ev);

struct iopt_hwsim_tlbe;
struct iopt_hwsim_wce;

/*
 * struct iopt_hwsim - a simulated IOMMU for one table. Callers allocate it;
 * the fields are private.
 */
struct iopt_hwsim {
	struct iopt_hwsim_geom geom;
	struct iopt_hwsim_mem mem;
	struct iopt_hwsim_params params;
	uint64_t root_phys;
	bool has_root;
	struct iopt_hwsim_tlbe *tlb;     /* tlb_sets * tlb_ways */
	unsigned int tlb_sets;
	unsigned int tlb_ways;
	struct iopt_hwsim_wce *wc;       /* per level 1..levels-1: wc_sets * wc_ways */
	unsigned int wc_sets;
	unsigned int wc_ways;
	unsigned int sizes_lg2[64];      /* translation sizes the IOTLB probes */
	unsigned int nr_sizes;
	uint64_t clock;                  /* LRU time */
	struct iopt_hwsim_counters cnt;
	iopt_hwsim_event_fn event_fn;
	void *event_arg;
	struct iopt_hwsim_event last_event;
	unsigned int vtd_mamv;           /* VT-d CAP.MAMV */
};

/**
 * iopt_hwsim_init() - create a simulated IOMMU
 * @sim:    storage.
 * @cfg:    the configuration of the tables it will walk.
 * @mem:    how it reads table memory; copied (the arena, image or callback
 *          context must outlive @sim).
 * @params: cache shapes; NULL for no caches at all.
 *
 * No root is programmed yet: see iopt_hwsim_set_root().
 * Return: 0; -EINVAL (NULL @sim, @cfg or @mem; ways more than or not
 * dividing the entries; more than 2^20 entries; unknown flags; an unknown
 * format); -ENOTSUP (as iopt_hwsim_geometry()); -ENOMEM. On error @sim
 * holds no memory (it is zeroed, when not NULL) and iopt_hwsim_fini() on
 * it is harmless.
 * Context: process (allocates with malloc).
 */
int iopt_hwsim_init(struct iopt_hwsim *sim, const struct iopt_config *cfg,
		    const struct iopt_hwsim_mem *mem,
		    const struct iopt_hwsim_params *params);

/**
 * iopt_hwsim_fini() - release a simulated IOMMU's memory
 * @sim: from iopt_hwsim_init(); NULL is ignored.
 * Context: process.
 */
void iopt_hwsim_fini(struct iopt_hwsim *sim);

/**
 * iopt_hwsim_set_root() - program the start table address
 * @sim:       the simulated IOMMU.
 * @root_phys: e.g. iopt_root_phys() of the table.
 *
 * Like rewriting the base register of a context: every cached entry is
 * dropped (not counted as an invalidation command).
 * Return: 0; -EINVAL for NULL. Context: as iopt_hwsim_translate().
 */
int iopt_hwsim_set_root(struct iopt_hwsim *sim, uint64_t root_phys);

/**
 * iopt_hwsim_translate() - a device access through the simulated IOMMU
 * @sim:    the simulated IOMMU.
 * @iova:   the input address.
 * @access: IOPT_HWSIM_* access kinds; 0 translates without a check.
 * @r:      the outcome; @r->cached says whether the IOTLB answered.
 *
 * Looks the address up in the IOTLB; on a miss resumes the walk below the
 * deepest cached table descriptor, or starts it at the root, filling both
 * caches (translations that fault for permission are cached; in strict
 * mode "not present" is cached as a granule-sized negative entry). A walk
 * that reads freed arena memory raises a use-after-free event.
 * Return: 0 when translated and allowed; -EFAULT on a fault (@r->fault);
 * -EINVAL for NULL or when no root is programmed (nothing counted).
 * Context: one caller at a time per @sim (the caches and counters are not
 * shared-safe); table memory as struct iopt_hwsim_mem says.
 */
int iopt_hwsim_translate(struct iopt_hwsim *sim, uint64_t iova,
			 unsigned int access, struct iopt_hwsim_result *r);

/**
 * iopt_hwsim_inv_all() - the invalidate-all command
 * @sim: the simulated IOMMU.
 * Drops every IOTLB and walk-cache entry.
 * Return: 0; -EINVAL for NULL. Context: as iopt_hwsim_translate().
 */
int iopt_hwsim_inv_all(struct iopt_hwsim *sim);

/**
 * iopt_hwsim_inv_range() - the invalidate-by-range command
 * @sim:         the simulated IOMMU.
 * @iova:        first address.
 * @size:        bytes; @iova + @size may be exactly 2^64.
 * @granule_lg2: the step: IOTLB entries containing @iova + k * 2^granule
 *               (inside the range) are dropped.
 * @leaf_only:   keep the walk cache; otherwise walk-cache entries whose
 *               region overlaps the range are dropped too.
 *
 * With IOPT_HWSIM_STREAM_INV on a DART, a valid command drops every entry
 * (still counted as a range command).
 * Return: 0; -EINVAL for NULL, size 0, a range that wraps past 2^64, or a
 * granule of 64 or more. Context: as iopt_hwsim_translate().
 */
int iopt_hwsim_inv_range(struct iopt_hwsim *sim, uint64_t iova, uint64_t size,
			 unsigned int granule_lg2, bool leaf_only);

/* VT-d CAP.MAMV of a new simulated IOMMU, and the largest the model takes. */
#define IOPT_HWSIM_VTD_MAMV_DEFAULT 18
#define IOPT_HWSIM_VTD_MAMV_MAX     51

/**
 * iopt_hwsim_vtd_psi() - VT-d page-selective-within-domain IOTLB invalidation
 * @sim:  a simulated IOMMU of an IOPT_FMT_VTD_SS configuration.
 * @addr: ADDR; its low 12 + @am bits are ignored, as the hardware does.
 * @am:   address mask: the region is 2^@am 4K pages, naturally aligned;
 *        at most the MAMV (IOPT_HWSIM_VTD_MAMV_DEFAULT unless set).
 * @ih:   invalidation hint: only leaves changed, so the paging-structure
 *        (walk) caches are kept.
 *
 * Drops every IOTLB entry that overlaps the region (a superpage that
 * reaches into it included, and cached "no translation" entries), and,
 * unless @ih, every walk-cache entry whose region overlaps it. Counted in
 * vtd_psi (and vtd_psi_ih), not in inv_range.
 * Return: 0; -EINVAL for NULL, a simulated IOMMU of another format, or
 * @am above the MAMV (nothing dropped or counted).
 * Context: as iopt_hwsim_translate().
 */
int iopt_hwsim_vtd_psi(struct iopt_hwsim *sim, uint64_t addr, unsigned int am,
		       bool ih);

/**
 * iopt_hwsim_vtd_set_mamv() - set the model's CAP.MAMV
 * @sim:  a simulated IOMMU of an IOPT_FMT_VTD_SS configuration.
 * @mamv: the largest AM iopt_hwsim_vtd_psi() accepts, 0..51.
 * Return: 0; -EINVAL for NULL, another format or @mamv above 51 (nothing
 * changed). Context: as iopt_hwsim_translate().
 */
int iopt_hwsim_vtd_set_mamv(struct iopt_hwsim *sim, unsigned int mamv);

/**
 * iopt_hwsim_riscv_iotinval_vma() - the RISC-V IOMMU's IOTINVAL.VMA
 * @sim:  a simulated IOMMU of an IOPT_FMT_RISCV configuration.
 * @av:   the AV (address valid) flag.
 * @addr: with @av, the IOVA (the command's ADDR holds IOVA[63:12]: bits
 *        below 12 are ignored); ignored without @av.
 *
 * First stage, GV = 0, one process context (PSCV makes no difference).
 * AV = 0 drops every IOTLB and walk-cache entry. AV = 1 drops the IOTLB
 * entries that translate @addr's page (a 4K page, a superpage or a
 * Svnapot run that contains it) and no walk-cache entry: in v1.0 only
 * AV = 0 invalidates cached non-leaf entries. Counted in
 * riscv_iotinval_vma (and riscv_iotinval_vma_av), tlb_dropped and
 * walk_dropped.
 * Return: 0; -EINVAL for NULL or a simulated IOMMU of another format
 * (nothing dropped or counted). Context: as iopt_hwsim_translate().
 */
int iopt_hwsim_riscv_iotinval_vma(struct iopt_hwsim *sim, bool av,
				  uint64_t addr);

/**
 * iopt_hwsim_riscv_iofence_c() - the RISC-V IOMMU's IOFENCE.C
 * @sim: a simulated IOMMU of an IOPT_FMT_RISCV configuration.
 *
 * Commands complete as they are issued in the model, so the fence only
 * counts (riscv_iofence_c): a driver's command sequence can be checked.
 * Return: 0; -EINVAL for NULL or another format. Context: as
 * iopt_hwsim_translate().
 */
int iopt_hwsim_riscv_iofence_c(struct iopt_hwsim *sim);

/**
 * iopt_hwsim_flush_ops() - flush callbacks that drive a simulated IOMMU
 * @sim:    the simulated IOMMU.
 * @cookie: if not NULL, set to the cookie to pass with them (@sim).
 *
 * flush_all becomes iopt_hwsim_inv_all(), flush_range becomes
 * iopt_hwsim_inv_range() with the range's granule and leaf-only flag; a
 * range that command refuses (size 0, wrapping) becomes invalidate-all
 * rather than being lost. On an AMD v1 table both become
 * iopt_hwsim_amd_inv_pages() instead (see the AMD item above). On VT-d
 * second stage a range becomes one iopt_hwsim_vtd_psi() as Linux's intel
 * driver sends it: the range's 4K pages rounded up to a power of two, AM
 * its log2, widened until one naturally aligned region holds the first and
 * last page; IH is the leaf-only flag; an AM above the MAMV is a
 * domain-selective flush (iopt_hwsim_inv_all()) instead. On a RISC-V
 * simulated IOMMU they issue the commands Linux's RISC-V driver does:
 * IOTINVAL.VMA with AV = 1 for every 4K page of a leaf-only range below
 * 2 MB, one with AV = 0 for a larger range, one that freed tables
 * (non-leaf entries) and for flush_all; then IOFENCE.C. With a NULL cookie
 * the callbacks do nothing.
 * Return: the ops (static, shared by all simulated IOMMUs).
 * Context: any.
 */
const struct iopt_flush_ops *iopt_hwsim_flush_ops(struct iopt_hwsim *sim,
						  void **cookie);

/**
 * iopt_hwsim_amd_inv_pages() - AMD v1 INVALIDATE_IOMMU_PAGES
 * @sim:     the simulated IOMMU, of an AMD v1 table.
 * @address: the command's address field, bits [63:12] (bits [11:0] must
 *           be 0: in the command they hold the flags).
 * @s:       S: false for the one 4K page at @address; true for the
 *           naturally aligned 2^(z + 1) bytes, z the first zero bit of
 *           @address at or above bit 12 (z >= 51, e.g.
 *           0x7FFF_FFFF_FFFF_F000: the whole domain).
 * @pde:     PDE: also drop cached page directory entries (walk cache)
 *           overlapping the range; without it only leaf translations.
 *
 * Drops every IOTLB entry (negative ones included) that overlaps the
 * range, whatever its size. Counted in amd_inv_pages (and
 * amd_inv_pages_pde), tlb_dropped and walk_dropped.
 * Return: 0; -EINVAL (nothing dropped or counted) for NULL, a simulated
 * IOMMU of another format, or @address with bits [11:0] set.
 * Context: as iopt_hwsim_translate().
 */
int iopt_hwsim_amd_inv_pages(struct iopt_hwsim *sim, uint64_t address, bool s,
			     bool pde);

/**
 * iopt_hwsim_amd_inv_address() - the command Linux's amd driver sends
 * @iova: first address of the range.
 * @size: its bytes; 0 or a range past 2^64 means everything.
 * @s:    if not NULL, set to the command's S bit.
 *
 * A range inside one 4K page is that page (S = 0); otherwise the smallest
 * naturally aligned power-of-two block holding [@iova, @iova + @size - 1],
 * from the highest bit in which the two ends differ: the address is @iova
 * with every bit below that one set (bits [11:0] clear) and S = 1; when
 * that bit is above 51, the whole domain (0x7FFF_FFFF_FFFF_F000, S = 1).
 * Return: the address field for iopt_hwsim_amd_inv_pages().
 * Context: any.
 */
uint64_t iopt_hwsim_amd_inv_address(uint64_t iova, uint64_t size, bool *s);

/**
 * iopt_hwsim_check_coherent() - compare every cached entry with memory
 * @sim: the simulated IOMMU.
 * @fn:  if not NULL, called with each stale entry found.
 * @arg: passed to @fn.
 *
 * The oracle for invalidation: after the caller's invalidations (a gather
 * sync), no IOTLB entry (each leaf of a cached contiguous run included,
 * negative entries included) and no walk-cache entry may disagree with a
 * fresh walk of table memory (for a walk-cache entry, a walk down to that
 * descriptor only). Each one that does is a stale event (also counted and
 * passed to the event callback). Nothing is dropped.
 * Return: the number of stale entries (0: coherent); -EINVAL for NULL or
 * no root. Context: as iopt_hwsim_translate().
 */
int iopt_hwsim_check_coherent(struct iopt_hwsim *sim, iopt_hwsim_event_fn fn,
			      void *arg);

/**
 * iopt_hwsim_set_event_fn() - be told about every event
 * @sim: the simulated IOMMU.
 * @fn:  called for each stale or use-after-free event; NULL for none.
 * @arg: passed to @fn.
 * Context: as iopt_hwsim_translate().
 */
void iopt_hwsim_set_event_fn(struct iopt_hwsim *sim, iopt_hwsim_event_fn fn,
			     void *arg);

/**
 * iopt_hwsim_get_counters() - read the counters
 * @sim: the simulated IOMMU.
 * @out: filled (zeroed when @sim is NULL).
 * Context: as iopt_hwsim_translate().
 */
void iopt_hwsim_get_counters(const struct iopt_hwsim *sim,
			     struct iopt_hwsim_counters *out);

/**
 * iopt_hwsim_reset_counters() - zero the counters
 * @sim: the simulated IOMMU; NULL is ignored.
 * Context: as iopt_hwsim_translate().
 */
void iopt_hwsim_reset_counters(struct iopt_hwsim *sim);

/**
 * iopt_hwsim_fault_name() - a short name of a fault kind
 * @f: the fault.
 * Return: a static string ("none", "translation", ...; "?" if unknown).
 * Context: any.
 */
const char *iopt_hwsim_fault_name(enum iopt_hwsim_fault f);

#ifdef __cplusplus
}
#endif
#endif /* IOPT_HWSIM_H */

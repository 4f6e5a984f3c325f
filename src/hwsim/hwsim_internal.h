/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Shared between the parts of the simulated IOMMU: the walkers (walk.c),
 * the caches (iotlb.c) and the device-facing API (hwsim.c).
 */
#ifndef IOPT_HWSIM_INTERNAL_H
#define IOPT_HWSIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <iopt/hwsim.h>

/*
 * Restrictions that table descriptors pass down to everything below them
 * (ARM stage 1 APTable/XNTable bits; x86 R/W, U/S and XD of upper levels).
 */
#define HWSIM_A_NO_WRITE (1u << 0)
#define HWSIM_A_NO_USER  (1u << 1)
#define HWSIM_A_UXN      (1u << 2)
#define HWSIM_A_PXN      (1u << 3)
#define HWSIM_A_NO_READ  (1u << 4)	/* AMD v1: IR = 0 on the way */
#define HWSIM_A_NO_READ  (1u << 4)  /* VT-d second stage: R clear above */

/* Called for each valid table descriptor a walk reads. @iova is the first
 * address the descriptor covers; @attrs includes the descriptor's own.
 * Return true to end the walk there (hwsim_walk_from_() then returns
 * HWSIM_WALK_STOPPED), false to go on. */
typedef bool (*hwsim_table_fn)(void *arg, unsigned int level, uint64_t iova,
			       uint64_t next, uint32_t attrs);

#define HWSIM_WALK_STOPPED 1

struct hwsim_walk {
	const struct iopt_hwsim_geom *g;
	const struct iopt_hwsim_mem *m;
	hwsim_table_fn table_fn;	/* may be NULL */
	void *arg;
	unsigned int reads;		/* entries read by this walk */
	unsigned int freed_level;	/* level of the first freed read */
};

/* An IOTLB entry; stamp 0 means invalid. */
struct iopt_hwsim_tlbe {
	uint64_t iova;		/* aligned to 1 << size_lg2 */
	uint64_t phys;		/* physical address of @iova */
	uint64_t stamp;
	uint8_t size_lg2;
	uint8_t leaf_lg2;
	uint8_t level;
	uint8_t perm;
	bool neg;		/* cached "no translation" */
	bool contig;
	bool replicated;	/* v7s run: every copy must equal @pte */
	bool subpage;		/* DART sub-page range (byte offsets) */
	uint32_t sub_first;
	uint32_t sub_last;
	uint64_t pte;		/* the leaf entry (replicated runs) */
};

/* A walk-cache entry: one table descriptor; stamp 0 means invalid. */
struct iopt_hwsim_wce {
	uint64_t iova;		/* first address the descriptor covers */
	uint64_t next;		/* the table it points to */
	uint64_t stamp;
	uint32_t attrs;		/* accumulated restrictions, this one included */
	uint8_t level;
};

/* walk.c */
bool hwsim_geom_valid_(const struct iopt_hwsim_geom *g);
unsigned int hwsim_shift_(const struct iopt_hwsim_geom *g, unsigned int level);
bool hwsim_input_ok_(const struct iopt_hwsim_geom *g, uint64_t iova);
uint64_t hwsim_root_base_(const struct iopt_hwsim_geom *g, uint64_t root);
unsigned int hwsim_sizes_(const struct iopt_hwsim_geom *g, unsigned int *out,
			  unsigned int max);
void hwsim_result_init_(struct iopt_hwsim_result *r);
/* End a walk with fault @f at @level (no translation): -EFAULT. */
int hwsim_fault_(struct iopt_hwsim_result *r, enum iopt_hwsim_fault f,
		 unsigned int level);
int hwsim_walk_from_(struct hwsim_walk *w, uint64_t table, unsigned int level,
		     uint32_t attrs, uint64_t iova, struct iopt_hwsim_result *r);
int hwsim_walk_root_(struct hwsim_walk *w, uint64_t root, uint64_t iova,
		     struct iopt_hwsim_result *r);
int hwsim_check_access_(struct iopt_hwsim_result *r, unsigned int access);
bool hwsim_read_entry_(struct hwsim_walk *w, unsigned int level, uint64_t addr,
		       uint64_t *pte, struct iopt_hwsim_result *r);

/* iotlb.c */
int hwsim_caches_alloc_(struct iopt_hwsim *sim);
void hwsim_caches_free_(struct iopt_hwsim *sim);
void hwsim_caches_clear_(struct iopt_hwsim *sim);
struct iopt_hwsim_tlbe *hwsim_tlb_lookup_(struct iopt_hwsim *sim,
					  uint64_t iova);
void hwsim_tlb_fill_(struct iopt_hwsim *sim,
		     const struct iopt_hwsim_tlbe *e);
uint64_t hwsim_tlb_inv_(struct iopt_hwsim *sim, uint64_t first, uint64_t last,
			unsigned int granule_lg2);
const struct iopt_hwsim_wce *hwsim_wc_lookup_(struct iopt_hwsim *sim,
					      unsigned int level, uint64_t iova);
void hwsim_wc_fill_(struct iopt_hwsim *sim, unsigned int level, uint64_t iova,
		    uint64_t next, uint32_t attrs);
uint64_t hwsim_wc_inv_(struct iopt_hwsim *sim, uint64_t first, uint64_t last);
unsigned int hwsim_tlb_slots_(const struct iopt_hwsim *sim);
unsigned int hwsim_wc_slots_(const struct iopt_hwsim *sim);

/* amd_v1.c: the AMD IOMMU v1 walker and INVALIDATE_IOMMU_PAGES */
int hwsim_amd_geometry_(const struct iopt_config *cfg,
			struct iopt_hwsim_geom *g);
bool hwsim_amd_geom_valid_(const struct iopt_hwsim_geom *g);
unsigned int hwsim_amd_sizes_(const struct iopt_hwsim_geom *g,
			      unsigned int *out, unsigned int max);
int hwsim_amd_walk_from_(struct hwsim_walk *w, uint64_t table,
			 unsigned int level, uint32_t attrs, uint64_t iova,
			 struct iopt_hwsim_result *r);
void hwsim_amd_flush_all_(struct iopt_hwsim *sim);
void hwsim_amd_flush_range_(struct iopt_hwsim *sim, uint64_t iova,
			    uint64_t size);
/* vtd_ss.c: Intel VT-d second stage */
int hwsim_vtd_geometry_(const struct iopt_config *cfg,
			struct iopt_hwsim_geom *g);
bool hwsim_vtd_geom_valid_(const struct iopt_hwsim_geom *g);
int hwsim_vtd_step_(const struct iopt_hwsim_geom *g, unsigned int level,
		    uint64_t pte, uint64_t iova, uint64_t *next,
		    uint32_t *attrs, struct iopt_hwsim_result *r);
void hwsim_vtd_init_(struct iopt_hwsim *sim);
void hwsim_vtd_flush_range_(struct iopt_hwsim *sim, uint64_t iova,
			    uint64_t size, bool leaf_only);
/* riscv.c: the RISC-V IOMMU's walker and commands */
int hwsim_riscv_geometry_(const struct iopt_config *cfg,
			  struct iopt_hwsim_geom *g);
bool hwsim_riscv_geom_valid_(const struct iopt_hwsim_geom *g);
int hwsim_riscv_step_(struct hwsim_walk *w, unsigned int level, uint64_t pte,
		      uint64_t iova, uint64_t *next,
		      struct iopt_hwsim_result *r);
void hwsim_riscv_flush_range_(struct iopt_hwsim *sim, uint64_t iova,
			      uint64_t size, bool leaf_only);
void hwsim_riscv_flush_all_(struct iopt_hwsim *sim);

#endif /* IOPT_HWSIM_INTERNAL_H */

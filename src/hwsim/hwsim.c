// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The simulated IOMMU as a device sees it: translations through the IOTLB
 * and walk cache, the invalidation commands a driver issues, the flush
 * callbacks that turn iopt's gather syncs into those commands, and the two
 * oracles for tests (stale cached entries; walks through freed tables).
 */
#include <errno.h>
#include <string.h>

#include <iopt/hwsim.h>
#include "hwsim_internal.h"

static void emit(struct iopt_hwsim *sim, const struct iopt_hwsim_event *ev,
		 iopt_hwsim_event_fn fn, void *arg)
{
	if (ev->kind == IOPT_HWSIM_EV_USE_AFTER_FREE)
		sim->cnt.use_after_free++;
	else
		sim->cnt.stale++;
	sim->last_event = *ev;
	if (sim->event_fn)
		sim->event_fn(sim->event_arg, ev);
	if (fn)
		fn(arg, ev);
}

int iopt_hwsim_init(struct iopt_hwsim *sim, const struct iopt_config *cfg,
		    const struct iopt_hwsim_mem *mem,
		    const struct iopt_hwsim_params *params)
{
	int ret;

	if (!sim || !cfg || !mem)
		return -EINVAL;
	memset(sim, 0, sizeof(*sim));
	if (params && (params->flags & ~(IOPT_HWSIM_STRICT |
					 IOPT_HWSIM_VERIFY_HITS |
					 IOPT_HWSIM_STREAM_INV)))
		return -EINVAL;
	if (params)
		sim->params = *params;
	ret = iopt_hwsim_geometry(cfg, &sim->geom);
	if (!ret) {
		sim->mem = *mem;
		sim->nr_sizes = hwsim_sizes_(&sim->geom, sim->sizes_lg2,
					     sizeof(sim->sizes_lg2) /
					     sizeof(sim->sizes_lg2[0]));
		ret = hwsim_caches_alloc_(sim);
		hwsim_vtd_init_(sim);
	}
	if (ret)
		memset(sim, 0, sizeof(*sim));
	return ret;
}

void iopt_hwsim_fini(struct iopt_hwsim *sim)
{
	if (!sim)
		return;
	hwsim_caches_free_(sim);
	memset(sim, 0, sizeof(*sim));
}

int iopt_hwsim_set_root(struct iopt_hwsim *sim, uint64_t root_phys)
{
	if (!sim)
		return -EINVAL;
	sim->root_phys = root_phys;
	sim->has_root = true;
	hwsim_caches_clear_(sim);
	return 0;
}

void iopt_hwsim_set_event_fn(struct iopt_hwsim *sim, iopt_hwsim_event_fn fn,
			     void *arg)
{
	if (!sim)
		return;
	sim->event_fn = fn;
	sim->event_arg = arg;
}

void iopt_hwsim_get_counters(const struct iopt_hwsim *sim,
			     struct iopt_hwsim_counters *out)
{
	if (!out)
		return;
	if (!sim)
		memset(out, 0, sizeof(*out));
	else
		*out = sim->cnt;
}

void iopt_hwsim_reset_counters(struct iopt_hwsim *sim)
{
	if (sim)
		memset(&sim->cnt, 0, sizeof(sim->cnt));
}

/* ---------------------------------------------------------- translation */

/* Walks of the simulated IOMMU fill its walk cache as they go. */
static bool fill_walk_cache(void *arg, unsigned int level, uint64_t iova,
			    uint64_t next, uint32_t attrs)
{
	hwsim_wc_fill_(arg, level, iova, next, attrs);
	return false;
}

/* A fresh walk of memory, touching no cache and no counter. */
static int fresh_walk(struct iopt_hwsim *sim, uint64_t iova,
		      hwsim_table_fn fn, void *arg,
		      struct iopt_hwsim_result *r)
{
	struct hwsim_walk w = {
		.g = &sim->geom, .m = &sim->mem, .table_fn = fn, .arg = arg,
	};

	hwsim_result_init_(r);
	return hwsim_walk_root_(&w, sim->root_phys, iova, r);
}

/* Is the cached translation @e (for @iova) what memory says now? */
static bool tlb_agrees(const struct iopt_hwsim_tlbe *e, uint64_t iova,
		       int fresh_ret, const struct iopt_hwsim_result *f)
{
	if (e->neg)
		return fresh_ret != 0;
	/* A v7s run is one entry copied 16 times: each copy must be the
	 * word cached, bit for bit, not merely translate alike. */
	if (e->replicated && f->pte != e->pte)
		return false;
	return !fresh_ret && f->phys == e->phys + (iova - e->iova) &&
	       f->size_lg2 == e->size_lg2 && f->perm == e->perm &&
	       f->subpage == e->subpage && (!e->subpage ||
	       (f->sub_first == e->sub_first && f->sub_last == e->sub_last));
}

static void stale_tlb_event(struct iopt_hwsim_event *ev,
			    const struct iopt_hwsim_tlbe *e, uint64_t iova,
			    int fresh_ret, const struct iopt_hwsim_result *f)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = IOPT_HWSIM_EV_STALE_TLB;
	ev->iova = iova;
	ev->level = e->level;
	ev->cached = e->neg ? IOPT_PHYS_NONE : e->phys + (iova - e->iova);
	ev->cached_size_lg2 = e->size_lg2;
	ev->cached_perm = e->perm;
	ev->fresh = fresh_ret ? IOPT_PHYS_NONE : f->phys;
	ev->fresh_size_lg2 = fresh_ret ? 0 : f->size_lg2;
	ev->fresh_perm = fresh_ret ? 0 : f->perm;
	ev->fresh_fault = f->fault;
}

/* Walk @iova afresh; when the cached @e no longer says the same, emit a
 * stale-TLB event (to @fn too, if given). True when it was stale. */
static bool tlb_stale(struct iopt_hwsim *sim, const struct iopt_hwsim_tlbe *e,
		      uint64_t iova, iopt_hwsim_event_fn fn, void *arg)
{
	struct iopt_hwsim_result f;
	struct iopt_hwsim_event ev;
	int fr = fresh_walk(sim, iova, NULL, NULL, &f);

	if (tlb_agrees(e, iova, fr, &f))
		return false;
	stale_tlb_event(&ev, e, iova, fr, &f);
	emit(sim, &ev, fn, arg);
	return true;
}

static int tlb_answer(struct iopt_hwsim *sim, struct iopt_hwsim_tlbe *e,
		      uint64_t iova, unsigned int access,
		      struct iopt_hwsim_result *r)
{
	if (sim->params.flags & IOPT_HWSIM_VERIFY_HITS)
		tlb_stale(sim, e, iova, NULL, NULL);
	hwsim_result_init_(r);
	r->cached = true;
	r->level = e->level;
	if (e->neg) {
		sim->cnt.tlb_neg_hits++;
		r->fault = IOPT_HWSIM_FAULT_TRANSLATION;
		return -EFAULT;
	}
	sim->cnt.tlb_hits++;
	r->phys = e->phys + (iova - e->iova);
	r->size_lg2 = e->size_lg2;
	r->leaf_lg2 = e->leaf_lg2;
	r->contig = e->contig;
	r->perm = e->perm;
	r->subpage = e->subpage;
	r->sub_first = e->sub_first;
	r->sub_last = e->sub_last;
	return hwsim_check_access_(r, access);
}

int iopt_hwsim_translate(struct iopt_hwsim *sim, uint64_t iova,
			 unsigned int access, struct iopt_hwsim_result *r)
{
	struct hwsim_walk w;
	struct iopt_hwsim_tlbe *hit, fill;
	const struct iopt_hwsim_wce *wce = NULL;
	unsigned int level;
	int ret;

	if (!sim || !r || !sim->has_root)
		return -EINVAL;
	sim->cnt.translations++;
	hwsim_result_init_(r);
	if (!hwsim_input_ok_(&sim->geom, iova)) {
		/* Out of the input range: decided before any cache. */
		r->input = true;
		r->fault = IOPT_HWSIM_FAULT_ADDR_SIZE;
		r->level = sim->geom.levels - 1;
		sim->cnt.faults++;
		return -EFAULT;
	}
	hit = hwsim_tlb_lookup_(sim, iova);
	if (hit) {
		ret = tlb_answer(sim, hit, iova, access, r);
		if (ret)
			sim->cnt.faults++;
		return ret;
	}
	if (sim->tlb)
		sim->cnt.tlb_misses++;

	/* Resume below the deepest cached descriptor that covers @iova. */
	for (level = 1; level < sim->geom.levels && !wce; level++)
		wce = hwsim_wc_lookup_(sim, level, iova);
	w = (struct hwsim_walk){
		.g = &sim->geom, .m = &sim->mem,
		.table_fn = sim->wc ? fill_walk_cache : NULL, .arg = sim,
	};
	sim->cnt.walks++;
	if (wce) {
		sim->cnt.walk_hits[wce->level]++;
		ret = hwsim_walk_from_(&w, wce->next, wce->level - 1, wce->attrs,
				       iova, r);
	} else {
		sim->cnt.walk_misses++;
		ret = hwsim_walk_root_(&w, sim->root_phys, iova, r);
	}
	sim->cnt.entry_reads += w.reads;
	if (r->freed_read) {
		struct iopt_hwsim_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.kind = IOPT_HWSIM_EV_USE_AFTER_FREE;
		ev.iova = iova;
		ev.level = w.freed_level;
		ev.cached = r->freed_phys;
		ev.fresh = r->freed_phys == r->pte_phys ? r->pte : 0;
		ev.via_cache = wce != NULL;
		emit(sim, &ev, NULL, NULL);
	}

	memset(&fill, 0, sizeof(fill));
	if (!ret) {
		uint64_t base = iova & ~((1ULL << r->size_lg2) - 1);

		fill.iova = base;
		fill.phys = r->phys - (iova - base);
		fill.size_lg2 = (uint8_t)r->size_lg2;
		fill.leaf_lg2 = (uint8_t)r->leaf_lg2;
		fill.level = (uint8_t)r->level;
		fill.perm = (uint8_t)r->perm;
		fill.contig = r->contig;
		fill.replicated = r->contig &&
				  (sim->geom.format == IOPT_FMT_ARM_V7S ||
				   sim->geom.format == IOPT_FMT_AMD_V1 ||
				   sim->geom.format == IOPT_FMT_RISCV);
		fill.pte = r->pte;
		fill.subpage = r->subpage;
		fill.sub_first = r->sub_first;
		fill.sub_last = r->sub_last;
		hwsim_tlb_fill_(sim, &fill);
		ret = hwsim_check_access_(r, access);
	} else if (r->fault == IOPT_HWSIM_FAULT_TRANSLATION &&
		   (sim->params.flags & IOPT_HWSIM_STRICT)) {
		/* Caching mode: remember that this page is not mapped. */
		fill.iova = iova & ~((1ULL << sim->geom.granule_lg2) - 1);
		fill.phys = IOPT_PHYS_NONE;
		fill.size_lg2 = (uint8_t)sim->geom.granule_lg2;
		fill.leaf_lg2 = fill.size_lg2;
		fill.level = (uint8_t)r->level;
		fill.neg = true;
		hwsim_tlb_fill_(sim, &fill);
	}
	if (ret)
		sim->cnt.faults++;
	return ret;
}

/* ---------------------------------------------------------- invalidation */

int iopt_hwsim_inv_all(struct iopt_hwsim *sim)
{
	unsigned int n;

	if (!sim)
		return -EINVAL;
	sim->cnt.inv_all++;
	n = hwsim_tlb_slots_(sim);
	for (unsigned int i = 0; i < n; i++)
		if (sim->tlb[i].stamp)
			sim->cnt.tlb_dropped++;
	n = hwsim_wc_slots_(sim);
	for (unsigned int i = 0; i < n; i++)
		if (sim->wc[i].stamp)
			sim->cnt.walk_dropped++;
	hwsim_caches_clear_(sim);
	return 0;
}

int iopt_hwsim_inv_range(struct iopt_hwsim *sim, uint64_t iova, uint64_t size,
			 unsigned int granule_lg2, bool leaf_only)
{
	uint64_t last;

	if (!sim || !size || granule_lg2 >= 64)
		return -EINVAL;
	last = iova + (size - 1);
	if (last < iova)
		return -EINVAL;
	sim->cnt.inv_range++;
	if (leaf_only)
		sim->cnt.inv_range_leaf++;
	if ((sim->params.flags & IOPT_HWSIM_STREAM_INV) &&
	    (sim->geom.format == IOPT_FMT_APPLE_DART ||
	     sim->geom.format == IOPT_FMT_APPLE_DART2)) {
		/* DART: the only command flushes the whole stream. */
		iova = 0;
		last = ~0ULL;
		granule_lg2 = 64;
		leaf_only = false;
	}
	sim->cnt.tlb_dropped += hwsim_tlb_inv_(sim, iova, last, granule_lg2);
	if (!leaf_only)
		sim->cnt.walk_dropped += hwsim_wc_inv_(sim, iova, last);
	return 0;
}

static bool is_riscv(const struct iopt_hwsim *sim)
{
	return sim && sim->geom.format == IOPT_FMT_RISCV;
}

static void flush_all_cb(void *cookie)
{
	struct iopt_hwsim *sim = cookie;

	if (sim && sim->geom.format == IOPT_FMT_AMD_V1) {
		hwsim_amd_flush_all_(sim);
		return;
	}
	if (is_riscv(sim)) {
		hwsim_riscv_flush_all_(sim);
		return;
	}
	iopt_hwsim_inv_all(cookie);
}

static void flush_range_cb(void *cookie, uint64_t iova, uint64_t size,
			   unsigned int granule_lg2, bool leaf_only)
{
	struct iopt_hwsim *sim = cookie;

	/* AMD v1: INVALIDATE_IOMMU_PAGES, as Linux's driver encodes it. */
	if (sim && sim->geom.format == IOPT_FMT_AMD_V1) {
		hwsim_amd_flush_range_(sim, iova, size);
		return;
	}
	/* VT-d second stage: PSI as Linux's intel driver issues it. */
	if (sim && sim->geom.format == IOPT_FMT_VTD_SS) {
		hwsim_vtd_flush_range_(sim, iova, size, leaf_only);
		return;
	}
	/* RISC-V: IOTINVAL.VMA and IOFENCE.C as Linux's driver issues them. */
	if (is_riscv(sim)) {
		hwsim_riscv_flush_range_(sim, iova, size, leaf_only);
		return;
	}
	/* A command the model cannot express must not be lost: widen it. */
	if (iopt_hwsim_inv_range(cookie, iova, size, granule_lg2, leaf_only))
		iopt_hwsim_inv_all(cookie);
}

static const struct iopt_flush_ops hwsim_flush_ops = {
	.flush_all = flush_all_cb,
	.flush_range = flush_range_cb,
};

const struct iopt_flush_ops *iopt_hwsim_flush_ops(struct iopt_hwsim *sim,
						  void **cookie)
{
	if (cookie)
		*cookie = sim;
	return &hwsim_flush_ops;
}

/* -------------------------------------------------------------- oracles */

struct find_desc {
	unsigned int level;
	bool found;
	uint64_t next;
	uint32_t attrs;
};

/* The walk ends at the descriptor: what lies below it is not the cached
 * entry's business (and may be changing under other threads' maps). */
static bool find_desc_fn(void *arg, unsigned int level, uint64_t iova,
			 uint64_t next, uint32_t attrs)
{
	struct find_desc *fd = arg;

	(void)iova;
	if (level != fd->level)
		return false;
	fd->found = true;
	fd->next = next;
	fd->attrs = attrs;
	return true;
}

static int check_tlbe(struct iopt_hwsim *sim, const struct iopt_hwsim_tlbe *e,
		      iopt_hwsim_event_fn fn, void *arg)
{
	uint64_t members = e->neg ? 1 : 1ULL << (e->size_lg2 - e->leaf_lg2);

	/* Every leaf of a cached run must still say the same. */
	for (uint64_t k = 0; k < members; k++)
		if (tlb_stale(sim, e, e->iova + (k << e->leaf_lg2), fn, arg))
			return 1;
	return 0;
}

static int check_wce(struct iopt_hwsim *sim, const struct iopt_hwsim_wce *e,
		     iopt_hwsim_event_fn fn, void *arg)
{
	struct find_desc fd = { .level = e->level };
	struct iopt_hwsim_result f;
	struct iopt_hwsim_event ev;

	fresh_walk(sim, e->iova, find_desc_fn, &fd, &f);
	if (fd.found && fd.next == e->next && fd.attrs == e->attrs)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IOPT_HWSIM_EV_STALE_WALK;
	ev.iova = e->iova;
	ev.level = e->level;
	ev.cached = e->next;
	ev.fresh = fd.found ? fd.next : IOPT_PHYS_NONE;
	ev.cached_perm = e->attrs;
	ev.fresh_perm = fd.found ? fd.attrs : 0;
	ev.fresh_fault = fd.found ? IOPT_HWSIM_FAULT_NONE : f.fault;
	emit(sim, &ev, fn, arg);
	return 1;
}

int iopt_hwsim_check_coherent(struct iopt_hwsim *sim, iopt_hwsim_event_fn fn,
			      void *arg)
{
	unsigned int n;
	int stale = 0;

	if (!sim || !sim->has_root)
		return -EINVAL;
	n = hwsim_tlb_slots_(sim);
	for (unsigned int i = 0; i < n; i++)
		if (sim->tlb[i].stamp)
			stale += check_tlbe(sim, &sim->tlb[i], fn, arg);
	n = hwsim_wc_slots_(sim);
	for (unsigned int i = 0; i < n; i++)
		if (sim->wc[i].stamp)
			stale += check_wce(sim, &sim->wc[i], fn, arg);
	return stale;
}

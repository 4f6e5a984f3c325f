// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * The arena defending itself (include/iopt/mem.h, iopt_arena_init()):
 *
 *  - a free is accepted only for exactly one live block of the size it
 *    rounds to, at the matching physical address; anything else is refused,
 *    counted in bad_frees, and leaves every byte of the region (metadata
 *    included) and every other field alone;
 *  - a free-list link overwritten by a stale map (a pointer out of the
 *    arena, to a live block, into a freed block, a copy of another link) is
 *    counted in corrupt_links and never makes it hand out memory outside
 *    the arena, misaligned or live;
 *  - blocks are aligned to their size physically, also when phys_base is
 *    only 1 MiB aligned (2 MiB and 1 GiB blocks);
 *  - freed blocks merge: after any mix of small blocks is freed, the
 *    largest aligned block that fits is allocatable again;
 *  - labels: set_label/label_of and the inline array, as iopt.h specifies;
 *  - a randomised run of all of it against a model (IOPT_TEST_SEED,
 *    IOPT_TEST_OPS).
 * The threaded tests are in test_concurrency.c (run under TSan).
 */
#define HARNESS_MAIN
#include "harness.h"

#include <errno.h>
#include <iopt/mem.h>

#define PHYS_1M 0x40100000ULL  /* 1 MiB aligned, not 2 MiB */
#define REGION (1u << 20)

struct aenv {
	struct iopt_arena a;
	struct iopt_mem mem;
	unsigned char *buf;
	size_t bytes;
};

static bool aenv_open(struct aenv *e, size_t bytes, uint64_t phys)
{
	e->buf = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);
	e->bytes = bytes;
	if (!e->buf || iopt_arena_init(&e->a, e->buf, bytes, phys)) {
		H_FAIL("no arena of %zu bytes at 0x%" PRIx64, bytes, phys);
		free(e->buf);
		e->buf = NULL;
		return false;
	}
	iopt_arena_mem(&e->a, &e->mem);
	return true;
}

static void aenv_close(struct aenv *e)
{
	free(e->buf);
	e->buf = NULL;
}

static void *al(struct aenv *e, size_t size, uint64_t *phys)
{
	return e->mem.ops->alloc(e->mem.ctx, size, phys, 0);
}

static void fr(struct aenv *e, void *virt, uint64_t phys, size_t size)
{
	e->mem.ops->free(e->mem.ctx, virt, phys, size);
}

static uint64_t le64_at(const void *p)
{
	const unsigned char *c = p;
	uint64_t w = 0;

	for (unsigned int i = 0; i < 8; i++)
		w |= (uint64_t)c[i] << (8 * i);
	return w;
}

static void put_le64(void *p, uint64_t w)
{
	unsigned char *c = p;

	for (unsigned int i = 0; i < 8; i++)
		c[i] = (unsigned char)(w >> (8 * i));
}

/* ---- frees that match no live block ---- */

static unsigned char snap[REGION];
static struct iopt_arena snap_a;

/* A refused free: nothing but bad_frees may change. */
static void expect_refused(struct aenv *e, void *virt, uint64_t phys,
			   size_t size, const char *what)
{
	struct iopt_arena now;

	memcpy(snap, e->buf, e->bytes);
	memcpy(&snap_a, &e->a, sizeof(snap_a));
	fr(e, virt, phys, size);
	memcpy(&now, &e->a, sizeof(now));
	if (now.bad_frees != snap_a.bad_frees + 1)
		H_FAIL("%s: bad_frees %" PRIu64 " -> %" PRIu64, what,
		       snap_a.bad_frees, now.bad_frees);
	now.bad_frees = snap_a.bad_frees;
	if (memcmp(&now, &snap_a, sizeof(now)))
		H_FAIL("%s: the arena's fields changed", what);
	if (memcmp(snap, e->buf, e->bytes))
		H_FAIL("%s: the region's bytes changed", what);
}

TEST(arena_bad_frees)
{
	struct aenv e;
	uint64_t ph[4], p2;
	unsigned char *v[4], *big;
	size_t used;

	if (!aenv_open(&e, REGION, PHYS_1M))
		return;
	/* four neighbouring live 4K blocks and a live 64K one */
	for (unsigned int i = 0; i < 4; i++) {
		v[i] = al(&e, 4096, &ph[i]);
		ASSERT(v[i]);
		memset(v[i], 0x30 + i, 4096);
	}
	CHECK_EQ(ph[1], ph[0] + 4096);
	big = al(&e, 65536, &p2);
	ASSERT(big);
	fr(&e, v[3], ph[3], 4096); /* one freed block, for the double free */
	used = e.a.used;

	expect_refused(&e, v[0], ph[0], 8192, "a size spanning two blocks");
	expect_refused(&e, v[0], ph[0], 16384, "a size spanning four blocks");
	expect_refused(&e, v[0], ph[0], 64, "a smaller size");
	expect_refused(&e, v[0], ph[0], 2048, "half the block");
	expect_refused(&e, big, p2, 4096, "a 64K block freed as 4K");
	expect_refused(&e, big, p2, 131072, "a 64K block freed as 128K");
	expect_refused(&e, v[0] + 64, ph[0] + 64, 64, "inside a block");
	expect_refused(&e, v[0] + 2048, ph[0] + 2048, 2048, "its upper half");
	expect_refused(&e, v[1] + 8, ph[1] + 8, 4096, "a misaligned pointer");
	expect_refused(&e, v[3], ph[3], 4096, "a double free");
	expect_refused(&e, v[0], ph[1], 4096, "another block's phys");
	expect_refused(&e, v[0], ph[0] + 64, 4096, "phys off by 64");
	expect_refused(&e, v[0], 0, 4096, "phys 0");
	expect_refused(&e, snap, ph[0], 4096, "a foreign pointer");
	expect_refused(&e, (void *)((uintptr_t)e.buf - 4096), PHYS_1M - 4096, 4096,
		       "just below the arena");
	expect_refused(&e, e.buf + e.a.size, PHYS_1M + e.a.size, 64,
		       "the metadata");
	expect_refused(&e, NULL, 0, 4096, "NULL");
	expect_refused(&e, v[0], ph[0], SIZE_MAX, "an impossible size");
	expect_refused(&e, v[0], ph[0], ((size_t)1 << 31), "2 GiB");
	CHECK_EQ(e.a.bad_frees, 19);
	CHECK_EQ(e.a.used, used);

	/* the live blocks are intact, and free normally */
	for (unsigned int i = 0; i < 3; i++) {
		CHECK(!iopt_arena_is_free(&e.a, ph[i], 4096));
		CHECK(v[i][0] == 0x30 + i && v[i][4095] == 0x30 + i);
		fr(&e, v[i], ph[i], 4096);
	}
	fr(&e, big, p2, 65536);
	CHECK_EQ(e.a.used, 0);
	CHECK_EQ(e.a.frees, 5);
	CHECK_EQ(e.a.bad_frees, 19);
	/* a size that rounds to the block's is the block's size */
	v[0] = al(&e, 3000, &ph[0]);
	ASSERT(v[0]);
	fr(&e, v[0], ph[0], 2049);
	CHECK_EQ(e.a.used, 0);
	CHECK_EQ(e.a.bad_frees, 19);
	aenv_close(&e);
}

/* ---- damaged free-list links ---- */

#define NB 16

/* Allocate until the arena is empty: every block inside it, aligned, and
 * over no live block and no block handed out before; returns how many. */
static unsigned int drain(struct aenv *e, unsigned char *const *live,
			  unsigned int nr_live, size_t size, const char *what)
{
	static unsigned char owned[REGION / 64];
	uintptr_t lo = (uintptr_t)e->buf, hi = lo + e->a.size - size;
	unsigned int n = 0;
	uint64_t phys;
	unsigned char *p;

	memset(owned, 0, sizeof(owned));
	for (unsigned int i = 0; i < nr_live; i++)
		memset(owned + (live[i] - e->buf) / 64, 1, 4096 / 64);
	while (n < REGION / 64 && (p = al(e, size, &phys))) {
		size_t u = ((uintptr_t)p - lo) / 64;

		if ((uintptr_t)p < lo || (uintptr_t)p > hi || (phys & (size - 1)) ||
		    phys != e->a.phys_base + ((uintptr_t)p - lo)) {
			H_FAIL("%s: block %p (phys 0x%" PRIx64 ") is outside "
			       "the arena or misaligned", what, (void *)p, phys);
			break;
		}
		for (size_t k = 0; k < size / 64; k++)
			if (owned[u + k]) {
				H_FAIL("%s: block %p handed out twice or over a "
				       "live one", what, (void *)p);
				return n;
			}
		memset(owned + u, 2, size / 64);
		n++;
	}
	return n;
}

/* NB 4K blocks; every other one freed (so none merge: a list of NB / 2),
 * the others live and filled with 0x5a into @live. */
static unsigned int every_other_free(struct aenv *e, unsigned char **v,
				     unsigned char **live)
{
	unsigned int nr_live = 0;
	uint64_t ph[NB];

	for (unsigned int i = 0; i < NB; i++)
		if (!(v[i] = al(e, 4096, &ph[i])))
			return 0;
	for (unsigned int i = 0; i < NB; i++) {
		if (i % 2 == 0) {
			fr(e, v[i], ph[i], 4096);
		} else {
			memset(v[i], 0x5a, 4096);
			live[nr_live++] = v[i];
		}
	}
	return nr_live;
}

TEST(arena_corrupt_links)
{
	static const char *const kinds[] = {
		"a pointer outside the arena", "a table entry (phys | 3)",
		"the offset of a live block", "an offset into a freed block",
		"a copy of another block's link", "its second word changed",
		"its second word cleared",
	};

	for (unsigned int kind = 0; kind < sizeof(kinds) / sizeof(kinds[0]);
	     kind++) {
		struct aenv e;
		unsigned char *v[NB], *live[NB / 2];
		unsigned int nr_live, n;
		size_t off_live, off_free;
		uint64_t w;

		if (!aenv_open(&e, REGION, PHYS_1M))
			return;
		nr_live = every_other_free(&e, v, live);
		ASSERT_EQ(nr_live, NB / 2);
		off_live = (size_t)(v[5] - e.buf);
		off_free = (size_t)(v[2] - e.buf);
		/* a stale map writes into freed block 8's first words; the
		 * values also cover the old singly linked (off + 1) << 1 */
		switch (kind) {
		case 0:
			w = (uint64_t)(e.a.size + 4096 + 1) << 1;
			break;
		case 1:
			w = 0x1234000ULL | 3;
			break;
		case 2:
			w = (uint64_t)(off_live + 1) << 1;
			break;
		case 3:
			w = (uint64_t)(off_free + 8 + 1) << 1;
			break;
		case 4:
			w = le64_at(v[4]);
			break;
		case 5:
			w = le64_at(v[8]);
			put_le64(v[8] + 8, w);
			break;
		default:
			w = le64_at(v[8]);
			put_le64(v[8] + 8, 0);
			break;
		}
		put_le64(v[8], w);
		n = drain(&e, live, nr_live, 4096, kinds[kind]);
		CHECK(n >= 1);
		CHECK(e.a.corrupt_links >= 1);
		if (!e.a.corrupt_links)
			H_FAIL("%s: the damaged link went unnoticed", kinds[kind]);
		/* and nothing live was written */
		for (unsigned int i = 0; i < nr_live; i++)
			for (unsigned int k = 0; k < 4096; k++)
				if (live[i][k] != 0x5a) {
					H_FAIL("%s: live block %u changed at %u",
					       kinds[kind], i, k);
					break;
				}
		/* smaller blocks are still only handed out from the arena */
		drain(&e, live, nr_live, 64, kinds[kind]);
		aenv_close(&e);
	}
}

/* The check word: a header copied whole to another free block is caught. */
TEST(arena_corrupt_copied_header)
{
	struct aenv e;
	unsigned char *v[NB], *live[NB / 2];
	unsigned int nr_live;

	if (!aenv_open(&e, REGION, PHYS_1M))
		return;
	nr_live = every_other_free(&e, v, live);
	ASSERT_EQ(nr_live, NB / 2);
	/* a well-formed header, but bound to block 6's place: over block 10
	 * it would make the list skip 8 */
	memcpy(v[10], v[6], IOPT_ARENA_LINK_BYTES);
	drain(&e, live, nr_live, 4096, "a copied header");
	CHECK(e.a.corrupt_links >= 1);
	aenv_close(&e);
}

/* ---- physical alignment ---- */

TEST(arena_aligned_2m)
{
	struct aenv e;
	uint64_t p64, p2m, p512, p4m;
	void *v64, *v2m, *v4m;

	/* phys [0x40100000, ~ +7.4 MiB): 2 MiB blocks at 0x40200000 on */
	if (!aenv_open(&e, 8u << 20, PHYS_1M))
		return;
	e.a.poison = false;
	v64 = al(&e, 64, &p64);
	v2m = al(&e, 2u << 20, &p2m);
	ASSERT(v64 && v2m);
	CHECK_EQ(p64, PHYS_1M);
	CHECK_EQ(p2m % (2u << 20), 0);
	CHECK_EQ(p2m, 0x40200000ULL);
	CHECK_EQ((uint64_t)(uintptr_t)v2m - (uintptr_t)e.buf, p2m - PHYS_1M);
	/* the gap before it is not lost: 512K of it is one block */
	CHECK(al(&e, 512u << 10, &p512) != NULL);
	CHECK_EQ(p512, PHYS_1M + (512u << 10));
	/* a 4 MiB block: at 0x40400000 */
	v4m = al(&e, 4u << 20, &p4m);
	ASSERT(v4m);
	CHECK_EQ(p4m, 0x40400000ULL);
	CHECK_EQ(e.a.used, 64 + (2u << 20) + (512u << 10) + (4u << 20));
	aenv_close(&e);
}

TEST(arena_aligned_1g)
{
	const uint64_t phys = (1ULL << 30) - (1u << 20); /* 1 MiB aligned */
	const size_t need = ((size_t)1 << 30) + (1u << 20);
	struct iopt_arena a;
	struct iopt_mem mem;
	uint64_t p, p2;
	void *v, *v2;

	/* room for 1 MiB, then the 1 GiB block, and the metadata after */
	if (iopt_arena_create(&a, need / 512 * 553 + 4096, phys)) {
		printf("# skipped: no 1.1 GiB region\n");
		return;
	}
	a.poison = false;
	iopt_arena_mem(&a, &mem);
	CHECK(a.size >= need);
	v = mem.ops->alloc(mem.ctx, (size_t)1 << 30, &p, IOPT_MEM_NOZERO);
	ASSERT(v);
	CHECK_EQ(p, 1ULL << 30);
	CHECK_EQ(p % (1ULL << 30), 0);
	CHECK_EQ((uint64_t)(uintptr_t)v - (uintptr_t)a.base, p - phys);
	/* a second one does not fit */
	CHECK(mem.ops->alloc(mem.ctx, (size_t)1 << 30, &p2, 0) == NULL);
	/* the megabyte before it does, and a 512 MiB block after a free */
	v2 = mem.ops->alloc(mem.ctx, 1u << 20, &p2, IOPT_MEM_NOZERO);
	CHECK(v2 != NULL);
	CHECK_EQ(p2, phys);
	mem.ops->free(mem.ctx, v, p, (size_t)1 << 30);
	v = mem.ops->alloc(mem.ctx, (size_t)1 << 29, &p, IOPT_MEM_NOZERO);
	ASSERT(v);
	CHECK_EQ(p % (1ULL << 29), 0);
	CHECK_EQ(a.bad_frees, 0);
	iopt_arena_destroy(&a);
}

/* ---- merging ---- */

/* The largest order whose aligned block lies inside the arena. */
static unsigned int largest_fit(const struct iopt_arena *a)
{
	for (unsigned int o = IOPT_ARENA_MAX_LG2; o > IOPT_ARENA_MIN_LG2; o--) {
		uint64_t sz = 1ULL << o;
		uint64_t at = (a->phys_base + sz - 1) & ~(sz - 1);

		if (at + sz <= a->phys_base + a->size)
			return o;
	}
	return IOPT_ARENA_MIN_LG2;
}

static unsigned char *mv[REGION / 64];
static uint64_t mp[REGION / 64];
static size_t ms[REGION / 64];

TEST(arena_merges)
{
	static const size_t mixes[][3] = {
		{ 64, 64, 64 }, { 4096, 4096, 4096 }, { 64, 4096, 128 },
		{ 16384, 64, 1024 },
	};
	uint64_t seed = h_seed(), rng = seed;

	printf("# seed 0x%" PRIx64 "\n", seed);
	for (unsigned int mix = 0; mix < 4; mix++) {
		struct aenv e;
		unsigned int n = 0, o;
		uint64_t p;
		void *v;

		if (!aenv_open(&e, REGION, PHYS_1M))
			return;
		/* fill the arena to the last block */
		for (;;) {
			size_t sz = mixes[mix][n % 3];

			mv[n] = al(&e, sz, &mp[n]);
			if (!mv[n] && !(mv[n] = al(&e, sz = 64, &mp[n])))
				break;
			ms[n++] = sz;
			ASSERT(n < REGION / 64);
		}
		CHECK(e.a.used + 64 > e.a.size);
		/* free all of them, in a random order */
		for (unsigned int i = n; i > 1; i--) {
			unsigned int j = (unsigned int)(h_rand(&rng) % i);
			unsigned char *tv = mv[i - 1];
			uint64_t tp = mp[i - 1];
			size_t ts = ms[i - 1];

			mv[i - 1] = mv[j], mp[i - 1] = mp[j], ms[i - 1] = ms[j];
			mv[j] = tv, mp[j] = tp, ms[j] = ts;
		}
		for (unsigned int i = 0; i < n; i++)
			fr(&e, mv[i], mp[i], ms[i]);
		CHECK_EQ(e.a.used, 0);
		CHECK_EQ(e.a.bad_frees, 0);
		CHECK_EQ(e.a.corrupt_links, 0);
		/* the largest aligned block that fits is whole again */
		o = largest_fit(&e.a);
		v = al(&e, (size_t)1 << o, &p);
		if (!v)
			H_FAIL("mix %u: %u blocks freed, then no block of 2^%u",
			       mix, n, o);
		else
			CHECK_EQ(p % (1ULL << o), 0);
		aenv_close(&e);
	}
}

/* Freed blocks below the bump pointer merge with what lies past it. */
TEST(arena_merges_partly_used)
{
	static const unsigned int counts[] = { 1, 3, 100, 1000, 7000 };

	for (unsigned int c = 0; c < 5; c++) {
		struct aenv e;
		unsigned int o;
		uint64_t p;
		void *v;

		if (!aenv_open(&e, REGION, PHYS_1M))
			return;
		for (unsigned int i = 0; i < counts[c]; i++) {
			mv[i] = al(&e, i % 3 ? 64 : 256, &mp[i]);
			ASSERT(mv[i]);
			ms[i] = i % 3 ? 64 : 256;
		}
		for (unsigned int i = 0; i < counts[c]; i++)
			fr(&e, mv[i], mp[i], ms[i]);
		o = largest_fit(&e.a);
		v = al(&e, (size_t)1 << o, &p);
		if (!v)
			H_FAIL("%u blocks freed, then no block of 2^%u",
			       counts[c], o);
		CHECK_EQ(e.a.used, v ? 1u << o : 0);
		aenv_close(&e);
	}
}

/* ---- labels ---- */

static uint32_t lab(struct aenv *e, uint64_t phys, size_t size)
{
	return e->mem.ops->label_of(e->mem.ctx, phys, size);
}

static void set_lab(struct aenv *e, uint64_t phys, size_t size, uint32_t l)
{
	e->mem.ops->set_label(e->mem.ctx, phys, size, l);
}

static uint32_t arr(struct aenv *e, uint64_t phys)
{
	return __atomic_load_n(&e->mem.labels[(phys - e->mem.bound_lo) >> 6],
			       __ATOMIC_RELAXED);
}

/* labels[] non-zero only where a live labelled block starts. */
static unsigned int nonzero_labels(struct aenv *e)
{
	unsigned int n = 0;

	for (size_t u = 0; u < e->a.size / 64; u++)
		n += e->mem.labels[u] != 0;
	return n;
}

TEST(arena_labels)
{
	struct aenv e;
	uint64_t p1, p2, p3, seed = h_seed(), rng = seed;
	void *v1, *v2, *v3;

	if (!aenv_open(&e, REGION, PHYS_1M))
		return;
	ASSERT(e.mem.ops->set_label && e.mem.ops->label_of);
	ASSERT(e.mem.labels == e.a.labels);
	CHECK_EQ(e.mem.bound_lo, PHYS_1M);
	CHECK_EQ(e.mem.bound_size, e.a.size);
	v1 = al(&e, 4096, &p1);
	v2 = al(&e, 64, &p2);
	ASSERT(v1 && v2);
	/* a new block has no label */
	CHECK_EQ(lab(&e, p1, 4096), 0);
	CHECK_EQ(arr(&e, p1), 0);
	set_lab(&e, p1, 4096, 0xabcd0001);
	set_lab(&e, p2, 64, 7);
	CHECK_EQ(lab(&e, p1, 4096), 0xabcd0001);
	CHECK_EQ(arr(&e, p1), 0xabcd0001);
	CHECK_EQ(lab(&e, p2, 64), 7);
	CHECK_EQ(lab(&e, p2, 1), 7);     /* rounded up as alloc does */
	CHECK_EQ(lab(&e, p1, 4000), 0xabcd0001);
	CHECK_EQ(nonzero_labels(&e), 2);
	/* wrong size, inside the block, unaligned: 0 */
	CHECK_EQ(lab(&e, p1, 8192), 0);
	CHECK_EQ(lab(&e, p1, 2048), 0);
	CHECK_EQ(lab(&e, p1, 64), 0);
	CHECK_EQ(lab(&e, p2, 128), 0);
	CHECK_EQ(lab(&e, p1 + 64, 64), 0);
	CHECK_EQ(lab(&e, p1 + 2048, 2048), 0);
	CHECK_EQ(lab(&e, p1 + 1, 4096), 0);
	CHECK_EQ(lab(&e, p1, SIZE_MAX), 0);
	/* set_label on anything but exactly a live block does nothing */
	set_lab(&e, p1, 8192, 99);
	set_lab(&e, p1, 64, 99);
	set_lab(&e, p1 + 64, 64, 99);
	set_lab(&e, p1 + 4096, 4096, 99);   /* never allocated */
	set_lab(&e, PHYS_1M - 4096, 4096, 99);
	set_lab(&e, PHYS_1M + e.a.size, 64, 99);
	set_lab(&e, UINT64_MAX - 63, 64, 99);
	CHECK_EQ(lab(&e, p1, 4096), 0xabcd0001);
	CHECK_EQ(arr(&e, p1 + 64), 0);
	CHECK_EQ(nonzero_labels(&e), 2);
	/* outside the arena, never allocated */
	CHECK_EQ(lab(&e, PHYS_1M - 64, 64), 0);
	CHECK_EQ(lab(&e, PHYS_1M + e.a.size, 64), 0);
	CHECK_EQ(lab(&e, PHYS_1M + e.a.size - 64, 64), 0);
	CHECK_EQ(lab(&e, 0, 64), 0);
	CHECK_EQ(lab(&e, UINT64_MAX, 64), 0);
	CHECK_EQ(lab(&e, UINT64_MAX - 63, 64), 0);
	CHECK_EQ(lab(&e, p1 + 8192, 4096), 0);
	/* arbitrary addresses and sizes never fault, and match only a block */
	printf("# seed 0x%" PRIx64 "\n", seed);
	for (unsigned int i = 0; i < 200000; i++) {
		uint64_t r = h_rand(&rng);
		uint64_t phys = i % 2 ? r : PHYS_1M + r % (2 * REGION) - REGION / 2;
		size_t size = (size_t)1 << (h_rand(&rng) % 40);
		uint32_t l;
		bool want1, want2;

		if (i % 4 == 0)
			phys &= ~(uint64_t)63;
		l = lab(&e, phys, size);
		want1 = phys == p1 && size <= 4096 && size > 2048;
		want2 = phys == p2 && size <= 64;
		if (l != (want1 ? 0xabcd0001 : want2 ? 7u : 0u)) {
			H_FAIL("label_of(0x%" PRIx64 ", %zu) = 0x%x", phys, size,
			       l);
			break;
		}
	}
	CHECK_EQ(lab(&e, p1, 4096), 0xabcd0001);
	/* relabel, then free: the label goes */
	set_lab(&e, p1, 4096, 0x10);
	CHECK_EQ(lab(&e, p1, 4096), 0x10);
	fr(&e, v1, p1, 4096);
	CHECK_EQ(lab(&e, p1, 4096), 0);
	CHECK_EQ(arr(&e, p1), 0);
	set_lab(&e, p1, 4096, 0x11); /* freed: nothing */
	CHECK_EQ(arr(&e, p1), 0);
	CHECK_EQ(nonzero_labels(&e), 1);
	/* the same block again: unlabelled */
	v3 = al(&e, 4096, &p3);
	ASSERT(v3);
	CHECK_EQ(p3, p1);
	CHECK_EQ(lab(&e, p3, 4096), 0);
	/* a refused free keeps the label */
	fr(&e, v2, p2, 128);
	CHECK_EQ(lab(&e, p2, 64), 7);
	fr(&e, v2, p2, 64);
	CHECK_EQ(lab(&e, p2, 64), 0);
	CHECK_EQ(nonzero_labels(&e), 0);
	aenv_close(&e);
}

/* ---- everything at random, against a model ---- */

struct mblk {
	unsigned char *v;
	uint64_t phys;
	size_t size;
	uint32_t label;
	unsigned char fill;
};

TEST(arena_random)
{
	static struct mblk b[2048];
	uint64_t seed = h_seed(), rng = seed;
	uint64_t ops = h_env_u64("IOPT_TEST_OPS", 20000);
	unsigned int n = 0;
	uint64_t bad = 0, refused_allocs = 0;
	size_t used = 0;
	struct aenv e;

	printf("# seed 0x%" PRIx64 ", %" PRIu64 " operations\n", seed, ops);
	if (!aenv_open(&e, 4u << 20, PHYS_1M))
		return;
	for (uint64_t i = 0; i < ops && !h_failed_now; i++) {
		uint64_t r = h_rand(&rng);
		unsigned int k = n ? (unsigned int)(h_rand(&rng) % n) : 0;

		if (r % 8 < 4 && n < 2048) { /* allocate and fill */
			struct mblk *m = &b[n];

			m->size = (size_t)1 << (6 + h_rand(&rng) % 12);
			m->v = al(&e, m->size, &m->phys);
			if (!m->v) {
				refused_allocs++;
				continue;
			}
			if (m->phys % m->size || lab(&e, m->phys, m->size))
				H_FAIL("op %" PRIu64 ": block 0x%" PRIx64
				       " misaligned or labelled", i, m->phys);
			for (unsigned int j = 0; j < n; j++)
				if (b[j].phys < m->phys + m->size &&
				    m->phys < b[j].phys + b[j].size)
					H_FAIL("op %" PRIu64 ": 0x%" PRIx64
					       " overlaps 0x%" PRIx64, i,
					       m->phys, b[j].phys);
			m->fill = (unsigned char)(r >> 8);
			memset(m->v, m->fill, m->size);
			m->label = 0;
			used += m->size;
			n++;
		} else if (r % 8 < 6 && n) { /* check and free */
			struct mblk *m = &b[k];

			if (m->v[0] != m->fill || m->v[m->size - 1] != m->fill)
				H_FAIL("op %" PRIu64 ": block 0x%" PRIx64
				       " was written", i, m->phys);
			fr(&e, m->v, m->phys, m->size);
			used -= m->size;
			b[k] = b[--n];
		} else if (r % 8 == 6 && n) { /* label */
			b[k].label = (uint32_t)(r >> 32) | 1;
			set_lab(&e, b[k].phys, b[k].size, b[k].label);
		} else if (n) { /* a bad free: another size, or inside */
			struct mblk *m = &b[k];

			if (r & 0x100)
				fr(&e, m->v, m->phys, m->size * 2);
			else if (m->size > 64)
				fr(&e, m->v + 64, m->phys + 64, 64);
			else
				fr(&e, m->v, m->phys + 64, 64);
			bad++;
		}
		if (i % 64 == 0)
			for (unsigned int j = 0; j < n; j++)
				if (lab(&e, b[j].phys, b[j].size) != b[j].label ||
				    arr(&e, b[j].phys) != b[j].label)
					H_FAIL("op %" PRIu64 ": block 0x%" PRIx64
					       " lost its label", i, b[j].phys);
	}
	CHECK_EQ(e.a.used, used);
	CHECK_EQ(e.a.bad_frees, bad);
	CHECK_EQ(e.a.corrupt_links, 0);
	while (n) {
		n--;
		fr(&e, b[n].v, b[n].phys, b[n].size);
	}
	CHECK_EQ(e.a.used, 0);
	CHECK_EQ(nonzero_labels(&e), 0);
	CHECK(al(&e, (size_t)1 << largest_fit(&e.a), &b[0].phys) != NULL);
	printf("# %" PRIu64 " allocations refused (full)\n", refused_allocs);
	aenv_close(&e);
}

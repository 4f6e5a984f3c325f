// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Table entries are little-endian words in memory, whatever the host
 * (the hardware walker reads them so). Every other test reads entries back
 * through the library (iopt_walk_path(), lookups), which would agree with
 * itself if it stored host-order words on a big-endian host; these tests
 * look at the bytes. On a little-endian host they check the same layout;
 * they matter under `make check-be` (s390x, big-endian).
 *
 *  - every entry on the walk to a page and to a block, read byte by byte
 *    from the arena, is the little-endian encoding of the value the library
 *    reports (of 8 bytes, or 4 for v7s), and its byte 0 has bit 0 (ARM
 *    valid, x86 present) set, or for v7s a non-zero type in bits [1:0];
 *  - a leaf written by hand as little-endian bytes is what the library's
 *    lookup then translates through (the read side on its own);
 *  - the simulated IOMMU's walkers (src/hwsim) translate the library's
 *    table through each of their three ways of reading memory: straight
 *    from the arena, a read callback, a byte image.
 */
#define HARNESS_MAIN
#include "harness.h"
#include "env.h"

#include <iopt/hwsim.h>

/* A PA with a different byte in each position, fitted to @oas and @size. */
static uint64_t pattern_pa(unsigned int oas, uint64_t size)
{
	uint64_t mask = oas >= 64 ? ~0ULL : (1ULL << oas) - 1;

	return 0x0123456789abcdefULL & mask & ~(size - 1);
}

/* The arena bytes at physical @phys, or NULL outside the bump region. */
static unsigned char *arena_bytes(struct tenv *e, uint64_t phys)
{
	if (phys < e->a.phys_base || phys - e->a.phys_base > e->a.bump - 8)
		return NULL;
	return e->a.base + (phys - e->a.phys_base);
}

/* The @n bytes at @b as a little-endian word, assembled by hand. */
static uint64_t le_bytes(const unsigned char *b, unsigned int n)
{
	uint64_t v = 0;

	for (int i = (int)n - 1; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static void put_le_bytes(unsigned char *b, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

/* Walk @iova: fills @p, and the leaf's memory in @leaf; false on failure. */
static bool walk_leaf(struct tenv *e, uint64_t iova, struct iopt_path *p,
		      unsigned char **leaf)
{
	unsigned int d;
	int ret;

	memset(p, 0, sizeof(*p));
	ret = iopt_walk_path(&e->t, iova, p);
	if (ret || p->depth == 0 || p->depth > 8) {
		H_FAIL("walk_path 0x%" PRIx64 ": %d, depth %u", iova, ret,
		       p->depth);
		return false;
	}
	d = p->depth - 1;
	*leaf = arena_bytes(e, p->table_phys[d] + (uint64_t)e->ent * p->index[d]);
	if (!*leaf) {
		H_FAIL("walk_path 0x%" PRIx64 ": leaf at 0x%" PRIx64
		       " + %u * %u is outside the arena", iova,
		       p->table_phys[d], e->ent, p->index[d]);
		return false;
	}
	return true;
}

/* Map @size at @iova to @pa and check the bytes of every entry on the walk. */
static void check_walk_bytes(struct tenv *e, uint64_t iova, uint64_t pa,
			     uint64_t size)
{
	struct iopt_path p;
	unsigned char *leaf;
	uint64_t pte;

	if (tenv_map(e, iova, pa, size, 1,
		     IOPT_READ | IOPT_WRITE | IOPT_NOEXEC | IOPT_CACHE) ||
	    !walk_leaf(e, iova, &p, &leaf))
		return;
	for (unsigned int i = 0; i < p.depth; i++) {
		const unsigned char *b =
			arena_bytes(e, p.table_phys[i] + (uint64_t)e->ent * p.index[i]);

		if (!b) {
			H_FAIL("level %u entry outside the arena", p.level[i]);
			continue;
		}
		if (le_bytes(b, e->ent) != p.pte[i])
			H_FAIL("size 0x%" PRIx64 " level %u: memory holds bytes "
			       "%02x %02x %02x %02x (%u-byte entries), the "
			       "library reports 0x%016" PRIx64, size,
			       p.level[i], b[0], b[1], b[2], b[3], e->ent,
			       p.pte[i]);
		/* v7s: the type in bits [1:0] is not 0; else bit 0 is set. */
		if (!(b[0] & (e->cfg.format == IOPT_FMT_ARM_V7S ? 3 : 1)))
			H_FAIL("size 0x%" PRIx64 " level %u: byte 0 is 0x%02x, "
			       "bit 0 (valid / present) clear", size,
			       p.level[i], b[0]);
	}
	/* A word equal to its own byte swap could not tell the orders apart. */
	pte = p.pte[p.depth - 1];
	CHECK(e->ent == 8 ? pte != __builtin_bswap64(pte) :
	      (uint32_t)pte != __builtin_bswap32((uint32_t)pte));
	CHECK_EQ(iopt_iova_to_phys(&e->t, iova + size / 2 + 8), pa + size / 2 + 8);
}

TEST_CFG(entries_are_little_endian_bytes)
{
	struct tenv e;

	if (tenv_open(&e, cfg->name, NULL))
		goto out;
	check_walk_bytes(&e, e.base + e.top / 4 + 3 * e.gsz,
			 pattern_pa(e.cfg.oas, e.gsz), e.gsz);
	if (e.bitmap & e.blk)
		check_walk_bytes(&e, e.base + e.top / 2,
				 pattern_pa(e.cfg.oas, e.blk), e.blk);
	else if (e.bitmap & (e.bitmap - 1)) /* (DART has pages only) */
		H_FAIL("no block size 0x%" PRIx64 " in bitmap 0x%" PRIx64,
		       e.blk, e.bitmap);
	tenv_unmap(&e, e.base, e.top,
		   e.bitmap & e.blk ? e.gsz + e.blk : e.gsz);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
out:
	tenv_close(&e);
}

/*
 * Two neighbouring pages; the first one's leaf is overwritten, as bytes,
 * with the second one's entry: the lookup must now land in the second
 * page's frame. Restored before unmapping.
 */
TEST_CFG(hand_written_le_leaf_is_read)
{
	struct tenv e;
	struct iopt_path p1, p2;
	unsigned char *l1, *l2, saved[8];
	uint64_t iova, pa1, pa2;

	if (tenv_open(&e, cfg->name, NULL))
		goto out;
	iova = e.base + e.top / 4 + 3 * e.gsz;
	pa1 = pattern_pa(e.cfg.oas, e.gsz);
	pa2 = pa1 ^ (0x5aULL << e.gr);
	if (tenv_map(&e, iova, pa1, e.gsz, 1, IOPT_READ | IOPT_WRITE) ||
	    tenv_map(&e, iova + e.gsz, pa2, e.gsz, 1, IOPT_READ | IOPT_WRITE) ||
	    !walk_leaf(&e, iova, &p1, &l1) ||
	    !walk_leaf(&e, iova + e.gsz, &p2, &l2))
		goto out;
	if (l2 - l1 != e.ent) {
		H_FAIL("neighbouring leaves are %td bytes apart", l2 - l1);
		goto out;
	}
	memcpy(saved, l1, e.ent);
	put_le_bytes(l1, p2.pte[p2.depth - 1], e.ent);
	CHECK_EQ(iopt_iova_to_phys(&e.t, iova + 0x123), pa2 + 0x123);
	memset(&p1, 0, sizeof(p1));
	CHECK_EQ(iopt_walk_path(&e.t, iova, &p1), 0);
	CHECK_EQ(p1.pte[p1.depth - 1], p2.pte[p2.depth - 1]);
	memcpy(l1, saved, e.ent);
	CHECK_EQ(iopt_iova_to_phys(&e.t, iova + 0x123), pa1 + 0x123);
	tenv_unmap(&e, iova, 2 * e.gsz, 2 * e.gsz);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
out:
	tenv_close(&e);
}

/* hwsim read callback: plain bytes of the arena (memory order). */
static int read_arena(void *ctx, uint64_t phys, void *buf, size_t len)
{
	struct tenv *e = ctx;
	const unsigned char *b = arena_bytes(e, phys);

	if (!b || len != e->ent)
		return -EFAULT;
	memcpy(buf, b, len);
	return 0;
}

TEST_CFG(hwsim_walkers_read_le_entries)
{
	static const char *const how[] = { "arena", "read callback", "image" };
	struct tenv e;
	struct iopt_hwsim_geom g;
	uint64_t iova, pa;

	if (tenv_open(&e, cfg->name, NULL))
		goto out;
	if (iopt_hwsim_geometry(&e.cfg, &g)) {
		H_FAIL("iopt_hwsim_geometry failed");
		goto out;
	}
	iova = e.base + e.top / 4 + 3 * e.gsz;
	pa = pattern_pa(e.cfg.oas, e.gsz);
	if (tenv_map(&e, iova, pa, e.gsz, 1, IOPT_READ | IOPT_WRITE))
		goto out;
	for (unsigned int k = 0; k < 3; k++) {
		struct iopt_hwsim_mem m;
		struct iopt_hwsim_result r;
		int ret;

		if (k == 0) {
			iopt_hwsim_mem_arena(&m, &e.a);
		} else if (k == 1) {
			memset(&m, 0, sizeof(m));
			m.read = read_arena;
			m.ctx = &e;
		} else {
			iopt_hwsim_mem_image(&m, e.a.base, e.a.bump,
					     e.a.phys_base);
		}
		memset(&r, 0, sizeof(r));
		ret = iopt_hwsim_walk(&g, &m, iopt_root_phys(&e.t),
				      iova + 0x123, 0, &r);
		if (ret || r.phys != pa + 0x123)
			H_FAIL("hwsim (%s): walk of 0x%" PRIx64 " = %d, fault "
			       "%d at level %u, phys 0x%" PRIx64 ", expected "
			       "0x%" PRIx64, how[k], iova + 0x123, ret,
			       (int)r.fault, r.level, r.phys, pa + 0x123);
	}
	tenv_unmap(&e, iova, e.gsz, e.gsz);
	CHECK_EQ(iopt_gather_sync(&e.g), 0);
out:
	tenv_close(&e);
}

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""Write the hand-made seeds of the fuzz corpora (tests/fuzz/corpus/<target>/).

    python3 tests/fuzz/seeds.py [DIR]      (DIR defaults to tests/fuzz/corpus)

Each seed is named seed-*; inputs found by libFuzzer (make fuzz-merge) and
regression inputs sit beside them under other names. The byte layouts are
the decoders' in tests/fuzz/fuzz_ops.c, fuzz_tables.c and fuzz_write.c (see the comments
at their tops); a seed only has to reach the interesting paths, the fuzzer
mutates it from there. Rerunning the script rewrites the same files.
"""
import os
import struct
import sys

# Configurations as fz_config_name() numbers them: tests/harness.h
# h_configs[] (18), then fz_extra_configs[] in tests/fuzz/fuzz.h (15).
NCONFIGS = 18 + 15


def u16(v):
    return struct.pack('<H', v & 0xffff)


def u32(v):
    return struct.pack('<I', v & 0xffffffff)


def u64(v):
    return struct.pack('<Q', v & 0xffffffffffffffff)


# ---- fuzz_ops -------------------------------------------------------------

def ops_iova(win, size_idx, block, mult):
    """ops_pick_iova(): window, block size index, block number, multiple."""
    return bytes([(size_idx << 2) | win, block, mult])


def ops_map_pages(size_idx, prot, count, iova, paddr_mode=0, opt=0, fail=None):
    b = bytes([0x00 | (opt << 4), size_idx, prot])
    if fail is not None:
        b += bytes([fail])
    return b + bytes([count]) + iova + bytes([paddr_mode])


def ops_map_range(size_idx, prot, shape, iova, paddr_mode=0, opt=0, fail=None):
    b = bytes([0x02 | (opt << 4), size_idx, prot])
    if fail is not None:
        b += bytes([fail])
    return b + bytes([shape]) + iova + bytes([paddr_mode])


def ops_unmap(pages, size_idx, b, iova, opt=0):
    return bytes([(0x05 if pages else 0x04) | (opt << 4), size_idx, b]) + iova


def ops_generic():
    """A bit of everything: maps of several sizes, lookups, extents, walks,
    unmaps that must fail, unmaps that work, syncs, raw calls."""
    s = b''
    s += ops_map_pages(0, 0x03, 15, ops_iova(0, 0, 1, 0))
    s += ops_map_pages(1, 0x07, 3, ops_iova(0, 1, 2, 0), opt=0)
    s += ops_map_range(2, 0x0b, 0x05, ops_iova(1, 2, 3, 0))
    s += ops_map_range(1, 0x13, 0x86, ops_iova(2, 1, 1, 3), paddr_mode=1)
    s += ops_map_pages(0, 0x21, 7, ops_iova(3, 0, 0, 5))     # PRIV, top window
    s += ops_map_pages(0, 0x03, 2, ops_iova(0, 0, 1, 1))     # overlaps: -EEXIST
    s += ops_map_range(2, 0x03, 0x03, ops_iova(1, 2, 5, 0), opt=3, fail=2)
    s += ops_map_range(2, 0x03, 0x03, ops_iova(1, 2, 6, 0), opt=2, fail=3)
    s += bytes([0x07, 0x00]) + u16(0)                          # iova_to_phys
    s += bytes([0x08, 0x01]) + u16(1) + u64(0x1234)            # to_pgsize
    s += bytes([0x09, 0x02]) + ops_iova(0, 0, 1, 0) + u16(7)   # phys_length
    s += bytes([0x89, 0x03]) + u64(0xffffffffffff0000)         # NULL outputs
    s += bytes([0x0a, 0x00, 0x0f]) + u16(0)                    # extents
    s += bytes([0x2a, 0x01, 0x40]) + ops_iova(0, 1, 0, 0) + u16(0x800)
    s += bytes([0x0b, 0x00]) + u16(2)                          # walk_path
    s += ops_unmap(False, 1, 0x00, ops_iova(0, 1, 0, 0), opt=8)   # splits: -EXDEV
    s += ops_unmap(True, 0, 0x03, ops_iova(0, 0, 1, 2))
    s += bytes([0x16]) + u16(0) + bytes([0x33])               # leaves, NO_HOLES
    s += bytes([0x0c])                                         # sync
    s += ops_unmap(False, 2, 0x01, ops_iova(1, 2, 3, 0), opt=2)
    s += bytes([0x0f]) + ops_iova(2, 2, 9, 0)                  # empty table left
    s += ops_map_pages(2, 0x03, 1, ops_iova(2, 2, 9, 0))       # replaces it
    s += bytes([0x0d, 0x07]) + u64(0x200000) + u64(0x200000) + u64(0x40200000) \
        + bytes([0x03])                                        # raw map_range
    s += bytes([0x1d, 0x05]) + u64(0x200000) + u64(0x1000) + u64(0x200)
    s += bytes([0x2d, 0x01]) + u64(0) + u64(0xffffffffffffffff)
    s += bytes([0x1e, 0x3e, 0x0c])                             # wipes, sync
    s += ops_map_pages(0, 0x0f, 15, ops_iova(0, 0, 3, 0), paddr_mode=3)
    s += bytes([0x0a, 0x00, 0x00]) + ops_iova(0, 0, 3, 0)
    return s


def ops_seeds():
    seeds = {}
    setups = [0x00, 0x08, 0x12, 0x2a, 0x3c, 0x01, 0x46, 0x18, 0x62, 0x79]
    body = ops_generic()
    for c in range(NCONFIGS):
        setup = setups[c % len(setups)]
        seeds['seed-cfg%02d' % c] = bytes([c, setup]) + u16(c * 7) + u16(3) + body
    # 256 empty tables under one window, then one unmap of it: the gather's
    # table list fills and syncs on the way.
    s = bytes([0, 0x08]) + u16(0) + u16(0)
    for k in range(256):
        s += bytes([0x0f]) + ops_iova(0, 2, k, 0)
    seeds['seed-gather-full'] = s + bytes([0x0e, 0x0c])
    # Everything at the top of the input space and the output space.
    s = bytes([6, 0x0a]) + u16(0xffff) + u16(0xfffe)
    for k in range(8):
        s += ops_map_pages(k % 3, 0x03, 15, ops_iova(3, k % 3, 255 - k, k),
                           paddr_mode=3 | (k << 2))
    seeds['seed-top'] = s + bytes([0x0a, 0x00, 0x0f]) + u16(0) + bytes([0x3e])
    # All-or-nothing maps whose allocations fail, one after another.
    s = bytes([3, 0x04]) + u16(1) + u16(2)
    for k in range(12):
        s += ops_map_range(3, 0x03, 0x03, ops_iova(k % 4, 2, k, 0),
                           opt=1 | 2, fail=k % 6)
        s += ops_map_pages(0, 0x03, 15, ops_iova(k % 4, 1, k, 1), opt=2,
                           fail=k % 6)
    seeds['seed-enomem'] = s
    return seeds


# ---- fuzz_tables ----------------------------------------------------------

def tb_addr(v):
    """tb_pick_iova() taking the address as it is."""
    return bytes([3]) + u64(v)


def tables_seed(cfg, patches, sim, probes):
    maps = [(0x00, 0, 0x03), (0x01, 1, 0x13), (0x02, 2, 0x00), (0x08, 3, 0x0f),
            (0x81, 0, 0x00), (0x40, 5, 0x01), (0x10, 6, 0x22)]
    s = bytes([cfg, len(maps)])
    for a, k, m in maps:
        s += bytes([a, k, m])
    s += bytes([len(patches)]) + b''.join(patches) + bytes([sim])
    return s + b''.join(probes)


def tables_seeds():
    seeds = {}
    patches = [
        bytes([0, 1]) + u16(0) + u64(0x0000000080001003),          # raw
        bytes([1, 2]) + u16(1) + bytes([0x03, 0x00]) + u16(5),     # a block
        bytes([2, 0]) + u16(2) + bytes([0x01, 0x03, 0x00]),        # arena end
        bytes([3, 3]) + u16(0) + bytes([0]) + u16(0),              # alias
        bytes([5, 1]) + u16(0) + bytes([0x03, 0x00]),              # self loop
        bytes([0x85, 2]) + u16(3) + bytes([0x03, 0x00]),           # to the root
        bytes([6, 1]) + u16(8) + bytes([7]) + bytes(range(0x40, 0x80)),
        bytes([4, 4]) + u16(0) + bytes([1, 0x03, 0x10]),           # whole table
        bytes([0x84, 0x85]) + u16(0x30) + u64(0x0010000000000fff), # contig junk
    ]
    probes = [
        bytes([0x00]) + tb_addr(0),
        bytes([0x00]) + tb_addr(0x1234),
        bytes([0x09]) + tb_addr(0) + u16(64),                      # pages, stop 2
        bytes([0x02]) + tb_addr(0xfff) + u32(0x12345),
        bytes([0x03]) + tb_addr(0x2000) + bytes([0, 0x03]),        # walk
        bytes([0x03]) + tb_addr(0x400000) + bytes([5]) + u64(0x80001000) + bytes([0x0f]),
        bytes([0x03]) + tb_addr(0x10) + bytes([0x4c, 0x01]),       # root at the end
        bytes([0x4c]) + tb_addr(0) + bytes([0x01]),                # translate x2
        bytes([0x84]) + tb_addr(0x1000) + bytes([0x03]),
        bytes([0x05]) + tb_addr(0) + bytes([0x00]) + u16(16),      # inv range
        bytes([0x04]) + tb_addr(0x1000) + bytes([0x00]),
        bytes([0x05]) + tb_addr(0) + bytes([0x0e]) + u64(0x10000000) + bytes([30]),
        bytes([0x05]) + tb_addr(0) + bytes([0x01]),                # inv all
        bytes([0x06, 0x21, 0x09, 0x30]) + bytes([0]) + tb_addr(0x5000) + bytes([1]),
        bytes([0x06, 0x64, 0x8f, 0xc3]) + bytes([5]) + u64(0x80000000) + tb_addr(7) + bytes([2]),
        bytes([0x07]) + tb_addr(0xffffffffffffffff) + bytes([0x08]),
    ]
    picks = [0, 2, 3, 5, 6, 7, 9, 11, 12, 18, 19, 22, 23, 24, 25, 28, 31, 32]
    for n, c in enumerate(picks):
        sim = [0x00, 0x15, 0x3a, 0x2f, 0x1e, 0x7b][n % 6]
        if sim & 0x40:
            sim_extra = bytes([2]) + u16(3)
        else:
            sim_extra = b''
        # Even seeds keep the table as built: walker and engine must agree.
        mine = [] if n % 2 == 0 else patches[n % len(patches):] + patches[:2]
        s = tables_seed(c, mine, sim, [])
        seeds['seed-cfg%02d%s' % (c, '' if not mine else '-patched')] = \
            s + sim_extra + b''.join(probes)
    return seeds


# ---- fuzz_trace -----------------------------------------------------------

TRACE_SEEDS = {
    'seed-iopt-lines': b"""# iopt lines
map 0x1000 0x80000000 4096 rw
map 0x200000 0x40000000 2M r-x
map 0X40000000 1073741824 1G w
map 1k 0x1000 4K
unmap 0x1000 4096   # a comment
unmap 0x200000 0x200000
lookup 0x1042
lookup 18446744073709551615

\tmap\t0x0 0x0 0x1000 -w-x
""",
    'seed-iopt-bad': b"""map 0x1000 0x2000
map 0x1000 0x2000 0 rw
map 0x1000 0x2000 4096 rr
map 0x1000 0x2000 4096 q
unmap 0x1000
unmap 0x1000 4096 extra
lookup
lookup 0x
lookup 18446744073709551616
map 0xffffffffffffffffff 0 1
map 17179869184G 0 1
frobnicate 1 2 3
""",
    'seed-ftrace-current': b"""# tracer: nop
#
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
 qemu-system-x86-4242  [003] d..1. 12345.678901: map: IOMMU: iova=0x00000000fff00000 - 0x00000000fff01000 paddr=0x0000000123456000 size=4096
 qemu-system-x86-4242  [003] d..1. 12345.678950: unmap: IOMMU: iova=0x00000000fff00000 - 0x00000000fff01000 size=4096 unmapped_size=4096
    kworker/u16:2-117     [001] .... 438.308478: unmap: IOMMU: iova=0x0000000000200000 - 0x0000000000400000 size=2097152 unmapped_size=0
""",
    'seed-ftrace-old': b"""bash-1 [000] 1.000001: map: IOMMU: iova=0x0000000000001000 paddr=0x0000000000002000 size=4096
bash-1 [000] 1.000002: unmap: IOMMU: iova=0x0000000000001000 size=4096 unmapped_size=4096
  kworker/u16:2-117  (    117) [001] .... 438.308478: map: IOMMU: iova=0x0000000000010000 paddr=0x0000000000020000 size=0x10000
map: IOMMU: iova=0x0000000000001000 paddr=0x0000000000002000 size=4096
unmap: IOMMU: iova=0x0000000000001000 size=4096 unmapped_size=4096
""",
    'seed-ftrace-perf-dev': b"""qemu-system-x86  4242 [003] 12345.678901: iommu:map: IOMMU: iova=0x0000000000001000 - 0x0000000000002000 paddr=0x0000000000003000 size=4096
qemu-system-x86  4242 [003] 12345.678902: iommu:unmap: IOMMU: iova=0x0000000000001000 - 0x0000000000002000 size=4096 unmapped_size=4096
 dd-77 [002] d.h1. 99.5: map: IOMMU: dev=0000:00:02.0 iova=0x0000000000100000 paddr=0x0000000000200000 size=8192
 dd-77 [002] d.h1. 99.6: unmap: IOMMU: dev=0000:00:02.0 iova=0x0000000000100000 - 0x0000000000102000 size=8192 unmapped_size=8192
""",
    'seed-ftrace-bad': b"""CPU:2 [LOST 152 EVENTS]
 bash-1 [000] 1.000001: map: IOMMU: iova=0x1000 - 0x3000 paddr=0x2000 size=4096
 bash-1 [000] 1.000001: iommu:map: something else
 bash-1 [000] 1.000001: map: not the iommu event
 bash-1 [000] 1.000001: sched_switch: prev_comm=bash prev_pid=1
 bash-1 [000] 1.000001: unmap: IOMMU: iova=0x1000 size=4096
 bash-1 [000] 1.000001: map: IOMMU: iova=0xffffffffffffffff - 0x0000000000000fff paddr=0 size=4096
 bash-1 [000] 1.000001: map: IOMMU: iova=0x1000 paddr=0x2000 size=4096 trailing
 bash-1 [000] 1.000001: map: IOMMU: iova= paddr=0x2000 size=4096
 bash-1 [000] : map: IOMMU: iova=0x1000 paddr=0x2000 size=4096
""",
    'seed-numbers': b"""lookup 0
lookup 00000000000000000000000000000000000000012
lookup 0x0000000000000000000000000000000000000000000000000001
lookup 0xFFFFFFFFFFFFFFFF
lookup 0xfffffffffffffffff
lookup 16777215G
lookup 16777216G
lookup 17592186044415M
lookup 0x3fffffffffffffK
lookup 0x40000000000000K
lookup 12k
lookup 0x12g
lookup 1KK
""",
    'seed-binary': b"map 0x1000 \x00 0x2000 4096\nmap\x01 0x1000\n\xff\xfe lookup 1\r\nlookup 1\r\r\n\x7f\n",
}


# ---- fuzz_write -----------------------------------------------------------

def fw_iova(v):
    """fw_pick_iova() taking the address as it is (masked to the space)."""
    return bytes([0x07]) + u64(v)


def fw_map(tree, size_idx, count, iova, pa=0, rng=False, aon=False, fail=None,
           prot=0):
    b = size_idx | (0x80 if aon else 0) | (0x10 if fail is not None else 0)
    s = bytes([2 if rng else 0, tree, b, prot, count - 1]) + iova + u16(pa)
    return s + (bytes([fail]) if fail is not None else b'')


def fw_unmap_range(tree, pages, iova, no_holes=False, other_gather=False):
    b = 0x80 * no_holes | 0x40 * other_gather
    return bytes([3, tree, b, 0]) + u16(pages - 1) + iova


def fw_unmap_all(tree, no_holes=False, upper=False):
    return bytes([3, tree, 0x20 | 0x80 * no_holes, 1 if upper else 0])


def fw_unmap_pages(tree, size_idx, count, iova, no_holes=False):
    return bytes([5, tree, size_idx | 0x80 * no_holes, count - 1]) + iova


def fw_sync(tree):
    return bytes([6, tree])


def fw_fini(tree, sync=True, reinit=True):
    return bytes([12 | 0x10 * sync | 0x20 * reinit, tree])


def fw_corrupt_path(tree, iova, depth, mode, operands=b'', slot=None):
    """Entry @slot (None: the walked entry) of the table at @depth on the
    walk of @iova; @mode is fw_corrupt()'s value mode."""
    sel = 0x10 if slot is None else 0x00
    s = bytes([7, tree, sel, mode]) + fw_iova(iova) + bytes([depth])
    if slot is not None:
        s += u16(slot)
    return s + operands


def fw_input(cfg, setup, cfg2=0, probes=(0, 0, 0), ops=b''):
    ntrees = 3 if setup & 4 else 2
    return bytes([cfg, setup, cfg2]) + b''.join(u16(p) for p in probes[:ntrees]) + ops


def write_seeds():
    seeds = {}
    X4, X5 = 6, 7   # x86-64-4lvl, x86-64-5lvl
    # x86-64-4lvl: the probe maps 0 (tables at levels 2, 1, 0); then a
    # second page table at 0x200000, unmapped and synced: it is freed and
    # is the next 4K block the backend hands out.
    base = (fw_map(0, 0, 1, fw_iova(0x200000), pa=5) +
            fw_unmap_range(0, 512, fw_iova(0x200000)) + fw_sync(0))
    # A map through an entry that points at the freed page table writes a
    # leaf into freed memory.
    seeds['seed-freed-leaf'] = fw_input(X4, 0x00, ops=base +
        fw_corrupt_path(0, 0x200000, 2, 4) +
        fw_map(0, 0, 1, fw_iova(0x200000), pa=7))
    # The same block as a level-1 table: the child the map allocates is the
    # block itself, and the compare-and-swap that would install it fails.
    seeds['seed-freed-head'] = fw_input(X4, 0x00, ops=base +
        fw_corrupt_path(0, 0x40000000, 1, 4) +
        fw_map(0, 0, 1, fw_iova(0x40000000), pa=7))
    # An entry of tree 0 pointing at tree 1's root; an unmap covering it
    # queues that root as tree 0's page table and the sync frees it.
    seeds['seed-foreign'] = fw_input(X4, 0x00, ops=base +
        fw_corrupt_path(0, 0x200000, 2, 13) +
        fw_unmap_range(0, 512, fw_iova(0x200000)) + fw_sync(0) +
        fw_map(1, 0, 3, fw_iova(0x1000), pa=9))
    # Every entry of a 5-level table pointing at its own table, then an
    # unmap of the whole space: exponential without labels; counted over
    # a non-linear backend (mode 2), timed with the labels array (mode 1).
    for mode in (0, 1, 2):
        seeds['seed-self-mode%d' % mode] = fw_input(X5, mode, ops=
            fw_corrupt_path(0, 0, 1, 9, operands=bytes([0]), slot=0) +
            fw_unmap_all(0) + fw_sync(0))
    # Shared children: every entry of the table at depth 1 pointing at the
    # probe path's table below it, then unmaps and fini.
    seeds['seed-dag'] = fw_input(X4, 0x02, ops=
        fw_map(0, 0, 16, fw_iova(0x3000), pa=3) +
        fw_corrupt_path(0, 0, 1, 9, operands=bytes([1]), slot=0) +
        fw_unmap_range(0, 1024, fw_iova(0x40000000), no_holes=True) +
        fw_unmap_all(0) + fw_sync(0) + fw_fini(0, reinit=False))
    # A bit of everything on every configuration.
    for c in range(NCONFIGS):
        setup = [0x00, 0x01, 0x02, 0x05, 0x0a, 0x16, 0x21, 0x2e][c % 8]
        ops = b''
        ops += fw_map(0, 0, 15, fw_iova(0x10000), pa=1)
        ops += fw_map(0, 1, 2, fw_iova(0), pa=2, rng=True)
        ops += fw_map(1, 0, 0x85, fw_iova(0x200000), pa=3, aon=True)
        ops += fw_map(0, 2, 1, fw_iova(0x40000000), pa=4, aon=True, fail=1)
        ops += fw_corrupt_path(0, 0x10000, 1, 1, operands=bytes([0]))
        ops += fw_corrupt_path(0, 0x10000, 2, 2, operands=u16(1), slot=3)
        ops += fw_corrupt_path(1, 0x200000, 1, 3, operands=u16(2), slot=5)
        ops += fw_unmap_range(0, 64, fw_iova(0x10000))
        ops += fw_unmap_pages(1, 0, 4, fw_iova(0x200000), no_holes=True)
        ops += fw_unmap_range(1, 16, fw_iova(0x200000), other_gather=True)
        ops += fw_sync(0) + fw_sync(1)
        ops += fw_corrupt_path(0, 0, 1, 5, operands=bytes([0]), slot=7)
        ops += fw_corrupt_path(0, 0, 1, 6, operands=u16(0) + bytes([1]), slot=8)
        ops += fw_corrupt_path(0, 0, 1, 7, operands=bytes([1]), slot=9)
        ops += fw_corrupt_path(0, 0, 0, 8, slot=10)
        ops += fw_corrupt_path(0, 0, 1, 11, operands=bytes([1]) + u32(5), slot=11)
        ops += fw_corrupt_path(0, 0, 1, 12, operands=bytes([1]), slot=12)
        ops += fw_map(0, 0, 4, fw_iova(0x7000), pa=6)
        ops += bytes([0x1e, 0]) + fw_unmap_all(0)[2:] + \
            bytes([0x80, 0x03]) + fw_iova(0)             # two unmaps, sync
        ops += fw_fini(1, sync=False, reinit=True)
        ops += fw_sync(1) + fw_map(1, 0, 1, fw_iova(0x5000), pa=8)
        ops += fw_unmap_all(1)
        seeds['seed-cfg%02d' % c] = fw_input(c, setup, cfg2=(c * 5 + 3) % NCONFIGS,
                                            probes=(c, 3 * c + 1, 7), ops=ops)
    return seeds


def write(root, target, seeds):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else 'tests/fuzz/corpus'
    write(root, 'ops', ops_seeds())
    write(root, 'tables', tables_seeds())
    write(root, 'trace', TRACE_SEEDS)
    write(root, 'write', write_seeds())


if __name__ == '__main__':
    main()

// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/* Unit tests of the trace reader (iopt/trace.h). */
#define HARNESS_MAIN
#include "harness.h"

#include <errno.h>

#include <iopt/trace.h>

#define RW_NX (IOPT_READ | IOPT_WRITE | IOPT_NOEXEC)

static char why[256];

/* Parse @line and expect success; returns the op. */
static struct iopt_trace_op ok_line(const char *line, int *failed)
{
	struct iopt_trace_op op;
	int err = iopt_trace_parse_line(line, &op, why, sizeof(why));

	if (err) {
		H_FAIL("'%s' rejected (%d): %s", line, err, why);
		(*failed)++;
	}
	return op;
}

/* Expect @line to be malformed, with a reason that contains @needle. */
static void bad_line(const char *line, const char *needle)
{
	struct iopt_trace_op op;
	int err;

	memset(&op, 0xa5, sizeof(op));
	why[0] = 'X';
	err = iopt_trace_parse_line(line, &op, why, sizeof(why));
	if (err != -EINVAL) {
		H_FAIL("'%s' gave %d, expected -EINVAL", line, err);
		return;
	}
	if (op.kind != IOPT_TRACE_NONE || op.iova || op.size || op.paddr ||
	    op.prot || op.ftrace)
		H_FAIL("'%s': op not cleared on error", line);
	if (!why[0] || !strstr(why, needle))
		H_FAIL("'%s': reason '%s' lacks '%s'", line, why, needle);
	for (const char *p = why; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			H_FAIL("'%s': raw byte 0x%02x in the reason", line,
			       (unsigned char)*p);
}

static void none_line(const char *line)
{
	int failed = 0;
	struct iopt_trace_op op = ok_line(line, &failed);

	if (!failed && op.kind != IOPT_TRACE_NONE)
		H_FAIL("'%s' gave kind %d, expected NONE", line, op.kind);
}

static void num_ok(const char *s, uint64_t want)
{
	uint64_t v = 0;
	int err = iopt_trace_parse_u64(s, NULL, &v);

	if (err || v != want)
		H_FAIL("'%s': err %d value 0x%" PRIx64 ", expected 0x%" PRIx64,
		       s, err, v, want);
}

static void num_err(const char *s, int want)
{
	const char *end = (const char *)1;
	uint64_t v = 12345;
	int err = iopt_trace_parse_u64(s, &end, &v);

	if (err != want)
		H_FAIL("'%s': err %d, expected %d", s, err, want);
	if (v != 12345 || end != (const char *)1)
		H_FAIL("'%s': outputs written on error", s);
}

TEST(u64_decimal_and_hex)
{
	num_ok("0", 0);
	num_ok("4096", 4096);
	num_ok("0777", 777);   /* not octal */
	num_ok("0x1000", 0x1000);
	num_ok("0X1f", 0x1f);
	num_ok("0xdeadBEEF", 0xdeadbeef);
	num_ok("0x0000000123400000", 0x123400000ULL);
	num_ok("18446744073709551615", UINT64_MAX);
	num_ok("0xffffffffffffffff", UINT64_MAX);
	num_ok("000000000000000000000000000000042", 42);
}

TEST(u64_suffixes)
{
	num_ok("4K", 4096);
	num_ok("4k", 4096);
	num_ok("2M", 2ULL << 20);
	num_ok("2m", 2ULL << 20);
	num_ok("1G", 1ULL << 30);
	num_ok("3g", 3ULL << 30);
	num_ok("0x10K", 0x4000);
	num_ok("0K", 0);
	num_ok("17179869183G", ((1ULL << 34) - 1) << 30);
	num_ok("17592186044415M", ((1ULL << 44) - 1) << 20);
}

TEST(u64_overflow)
{
	num_err("18446744073709551616", -ERANGE);
	num_err("0x10000000000000000", -ERANGE);
	num_err("99999999999999999999999999", -ERANGE);
	num_err("17179869184G", -ERANGE);
	num_err("0x400000000G", -ERANGE);
	num_err("17592186044416M", -ERANGE);
	num_err("18014398509481984K", -ERANGE);
}

TEST(u64_malformed)
{
	const char *end;
	uint64_t v;

	num_err("", -EINVAL);
	num_err("x", -EINVAL);
	num_err("0x", -EINVAL);
	num_err("0xg", -EINVAL);
	num_err("-1", -EINVAL);
	num_err("+1", -EINVAL);
	num_err(" 1", -EINVAL);
	num_err("K", -EINVAL);
	CHECK_EQ(iopt_trace_parse_u64(NULL, &end, &v), -EINVAL);
	CHECK_EQ(iopt_trace_parse_u64("1", &end, NULL), -EINVAL);
	/* Without @end the whole string must be the number. */
	CHECK_EQ(iopt_trace_parse_u64("1KB", NULL, &v), -EINVAL);
	CHECK_EQ(iopt_trace_parse_u64("12 ", NULL, &v), -EINVAL);
	CHECK_EQ(iopt_trace_parse_u64("0x12q", NULL, &v), -EINVAL);
	/* With @end the caller decides what may follow. */
	ASSERT_EQ(iopt_trace_parse_u64("1KB", &end, &v), 0);
	CHECK_EQ(v, 1024);
	CHECK(!strcmp(end, "B"));
	ASSERT_EQ(iopt_trace_parse_u64("12ab", &end, &v), 0);
	CHECK_EQ(v, 12);
	CHECK(!strcmp(end, "ab"));
	ASSERT_EQ(iopt_trace_parse_u64("0x12 rest", &end, &v), 0);
	CHECK_EQ(v, 0x12);
	CHECK(!strcmp(end, " rest"));
}

TEST(iopt_map_lines)
{
	struct iopt_trace_op op;
	int failed = 0;

	op = ok_line("map 0x100000 0x40000000 2M", &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_MAP);
	CHECK_EQ(op.iova, 0x100000);
	CHECK_EQ(op.paddr, 0x40000000);
	CHECK_EQ(op.size, 2ULL << 20);
	CHECK_EQ(op.req_size, 2ULL << 20);
	CHECK_EQ(op.prot, RW_NX);
	CHECK(!op.ftrace);

	op = ok_line("\t map\t4K   8192 0x1000 rw # trailing comment\r\n",
		     &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_MAP);
	CHECK_EQ(op.iova, 4096);
	CHECK_EQ(op.paddr, 8192);
	CHECK_EQ(op.size, 4096);
	CHECK_EQ(op.prot, RW_NX);

	op = ok_line("map 0 0 4K#comment right after", &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_MAP);
	CHECK_EQ(op.size, 4096);

	op = ok_line("map 0 0 4K r", &failed);
	CHECK_EQ(op.prot, IOPT_READ | IOPT_NOEXEC);
	op = ok_line("map 0 0 4K w", &failed);
	CHECK_EQ(op.prot, IOPT_WRITE | IOPT_NOEXEC);
	op = ok_line("map 0 0 4K rwx", &failed);
	CHECK_EQ(op.prot, IOPT_READ | IOPT_WRITE);
	op = ok_line("map 0 0 4K xr", &failed);
	CHECK_EQ(op.prot, IOPT_READ);
	op = ok_line("map 0 0 4K r-x", &failed);
	CHECK_EQ(op.prot, IOPT_READ);
	op = ok_line("map 0 0 4K rw-", &failed);
	CHECK_EQ(op.prot, RW_NX);
	op = ok_line("map 0 0 4K wr#c", &failed);
	CHECK_EQ(op.prot, RW_NX);
	op = ok_line("map 0 0 4K rwc", &failed);
	CHECK_EQ(op.prot, RW_NX | IOPT_CACHE);
	op = ok_line("map 0 0 4K rm", &failed);
	CHECK_EQ(op.prot, IOPT_READ | IOPT_NOEXEC | IOPT_MMIO);
	op = ok_line("map 0 0 4K pxr", &failed);
	CHECK_EQ(op.prot, IOPT_READ | IOPT_PRIV);
	op = ok_line("map 0 0 4K rwxcmp", &failed);
	CHECK_EQ(op.prot, IOPT_READ | IOPT_WRITE | IOPT_CACHE | IOPT_MMIO |
			  IOPT_PRIV);
	op = ok_line("map 0xffffffffffe00000 0 2M", &failed);
	CHECK_EQ(op.iova, 0xffffffffffe00000ULL);
	CHECK_EQ(failed, 0);
}

TEST(iopt_unmap_and_lookup_lines)
{
	struct iopt_trace_op op;
	int failed = 0;

	op = ok_line("unmap 0x1000 4K", &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_UNMAP);
	CHECK_EQ(op.iova, 0x1000);
	CHECK_EQ(op.size, 4096);
	CHECK_EQ(op.req_size, 4096);
	CHECK_EQ(op.paddr, 0);
	CHECK_EQ(op.prot, 0);
	CHECK(!op.ftrace);

	op = ok_line("  unmap 1G 1G   # whole gigabyte", &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_UNMAP);
	CHECK_EQ(op.iova, 1ULL << 30);
	CHECK_EQ(op.size, 1ULL << 30);

	op = ok_line("lookup 0x1234", &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_LOOKUP);
	CHECK_EQ(op.iova, 0x1234);
	CHECK_EQ(op.size, 0);

	op = ok_line("lookup 0\n", &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_LOOKUP);
	CHECK_EQ(op.iova, 0);
	CHECK_EQ(failed, 0);
}

TEST(blank_and_comments)
{
	none_line("");
	none_line("   ");
	none_line("\t\t");
	none_line("\n");
	none_line("\r\n");
	none_line("# a comment");
	none_line("   # indented comment with map 1 2 3");
	none_line("#map 0 0 4K");
	CHECK(!why[0]);
}

TEST(bad_prot)
{
	bad_line("map 0 0 4K q", "PROT");
	bad_line("map 0 0 4K RW", "PROT");
	bad_line("map 0 0 4K rr", "repeats");
	bad_line("map 0 0 4K rwxw", "repeats");
	bad_line("map 0 0 4K x", "needs r or w");
	bad_line("map 0 0 4K -", "needs r or w");
	bad_line("map 0 0 4K ---", "needs r or w");
	bad_line("map 0 0 4K 0x3", "PROT");
	bad_line("map 0 0 4K rcc", "repeats");
	bad_line("map 0 0 4K cmp", "needs r or w");
	bad_line("map 0 0 4K rC", "PROT");
}

TEST(missing_and_extra_fields)
{
	bad_line("map", "missing IOVA");
	bad_line("map # comment", "missing IOVA");
	bad_line("map 0x1000", "missing PADDR");
	bad_line("map 0x1000 0x2000", "missing SIZE");
	bad_line("unmap", "missing IOVA");
	bad_line("unmap 0x1000", "missing SIZE");
	bad_line("unmap 0x1000 # no size", "missing SIZE");
	bad_line("lookup", "missing IOVA");
	bad_line("lookup 0x1000 0x2000", "unexpected '0x2000'");
	bad_line("unmap 1 2 3", "unexpected '3'");
	bad_line("map 0 0 4K rw extra", "unexpected 'extra'");
	bad_line("map 0 0 0", "SIZE must not be 0");
	bad_line("unmap 0x1000 0", "SIZE must not be 0");
}

TEST(junk)
{
	bad_line("frobnicate 1 2", "unknown command 'frobnicate'");
	bad_line("MAP 0 0 4K", "unknown command 'MAP'");
	bad_line("mapx 0 0 4K", "unknown command 'mapx'");
	bad_line("map: 0 0 4K", "unknown command 'map:'");
	bad_line("map 0x1000zz 0 4K", "IOVA '0x1000zz' is not a number");
	bad_line("map 0x 0 4K", "IOVA '0x' is not a number");
	bad_line("map 0 -1 4K", "PADDR '-1' is not a number");
	bad_line("map 0 0 4KB", "SIZE '4KB' is not a number");
	bad_line("lookup 1Q", "not a number");
	bad_line("lookup 0x10000000000000000", "does not fit in 64 bits");
	bad_line("map 0 0 17179869184G", "does not fit in 64 bits");
	bad_line("unmap 0 18446744073709551616", "does not fit in 64 bits");
	bad_line("lookup ", "missing IOVA");
	bad_line("hello world", "unknown command");
}

TEST(binary_junk)
{
	static const char junk1[] = "\x01\x02\xff\xfe junk";
	static const char junk2[] = "\x7f" "ELF\x02\x01\x01";
	static const char junk3[] = "map \x01 0 4K";
	char big[600];

	bad_line(junk1, "\\x01\\x02\\xff\\xfe");
	bad_line(junk2, "\\x7fELF");
	bad_line(junk3, "IOVA '\\x01'");
	/* A long token is cut in the reason, and the reason fits. */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bad_line(big, "...");
	CHECK(strlen(why) < sizeof(why));
}

#define PFX "  qemu-system-x86-4242  [003] d..1. 12345.678901: "

TEST(ftrace_current_format)
{
	struct iopt_trace_op op;
	int failed = 0;

	op = ok_line(PFX "map: IOMMU: iova=0x0000000000100000 - 0x0000000000200000 paddr=0x0000000123400000 size=1048576",
		     &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_MAP);
	CHECK(op.ftrace);
	CHECK_EQ(op.iova, 0x100000);
	CHECK_EQ(op.paddr, 0x123400000ULL);
	CHECK_EQ(op.size, 1048576);
	CHECK_EQ(op.req_size, 1048576);
	CHECK_EQ(op.prot, IOPT_READ | IOPT_WRITE);

	op = ok_line(PFX "unmap: IOMMU: iova=0x0000000000100000 - 0x0000000000200000 size=1048576 unmapped_size=1048576\n",
		     &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_UNMAP);
	CHECK(op.ftrace);
	CHECK_EQ(op.iova, 0x100000);
	CHECK_EQ(op.size, 1048576);
	CHECK_EQ(op.req_size, 1048576);

	/* Nothing was mapped: the kernel removed nothing. */
	op = ok_line(PFX "unmap: IOMMU: iova=0x0000000000100000 - 0x0000000000101000 size=4096 unmapped_size=0",
		     &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_UNMAP);
	CHECK_EQ(op.size, 0);
	CHECK_EQ(op.req_size, 4096);

	/* A driver removed a whole 2M page for a 4K request. */
	op = ok_line(PFX "unmap: IOMMU: iova=0x0000000000200000 - 0x0000000000201000 size=4096 unmapped_size=2097152",
		     &failed);
	CHECK_EQ(op.size, 2097152);
	CHECK_EQ(op.req_size, 4096);

	/* The end wraps to 0 at the top of the space, as the kernel prints. */
	op = ok_line(PFX "map: IOMMU: iova=0xfffffffffff00000 - 0x0000000000000000 paddr=0x0000000000100000 size=1048576",
		     &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_MAP);
	CHECK_EQ(op.iova, 0xfffffffffff00000ULL);
	CHECK_EQ(failed, 0);
}

TEST(ftrace_old_format)
{
	struct iopt_trace_op op;
	int failed = 0;

	op = ok_line("       kworker/u16:2-117     [001] ....   438.308478: map: IOMMU: iova=0x0000000ffff36000 paddr=0x00000001164d8000 size=4096",
		     &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_MAP);
	CHECK_EQ(op.iova, 0xffff36000ULL);
	CHECK_EQ(op.paddr, 0x1164d8000ULL);
	CHECK_EQ(op.size, 4096);
	CHECK_EQ(op.prot, IOPT_READ | IOPT_WRITE);

	op = ok_line("       kworker/u16:2-117     [001] ....   438.308490: unmap: IOMMU: iova=0x0000000ffff36000 size=4096 unmapped_size=4096",
		     &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_UNMAP);
	CHECK_EQ(op.iova, 0xffff36000ULL);
	CHECK_EQ(op.size, 4096);

	/* The kernel traces a map of 0 bytes: valid, nothing to do. */
	op = ok_line("       kworker/u16:2-117     [001] ....   438.308500: map: IOMMU: iova=0x0000000000001000 paddr=0x0000000000001000 size=0",
		     &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_MAP);
	CHECK_EQ(op.size, 0);

	/* Sizes in hex are read too. */
	op = ok_line("map: IOMMU: iova=0x1000 paddr=0x2000 size=0x1000", &failed);
	CHECK_EQ(op.size, 4096);
	CHECK_EQ(failed, 0);
}

TEST(ftrace_dev_format)
{
	struct iopt_trace_op op;
	int failed = 0;

	op = ok_line(PFX "map: IOMMU: dev=1d84000.ufshc iova=0x0000000fffa88000 paddr=0x00000001063db000 size=4096",
		     &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_MAP);
	CHECK_EQ(op.iova, 0xfffa88000ULL);
	CHECK_EQ(op.paddr, 0x1063db000ULL);
	CHECK_EQ(op.size, 4096);

	op = ok_line(PFX "unmap: IOMMU: dev=1d84000.ufshc iova=0x0000000fffa88000 size=4096 unmapped_size=4096",
		     &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_UNMAP);
	CHECK_EQ(op.iova, 0xfffa88000ULL);
	CHECK_EQ(op.size, 4096);

	/* dev= together with the end address. */
	op = ok_line(PFX "unmap: IOMMU: dev=0000:00:02.0 iova=0x0000000000001000 - 0x0000000000002000 size=4096 unmapped_size=4096",
		     &failed);
	CHECK_EQ(op.kind, IOPT_TRACE_UNMAP);
	CHECK_EQ(op.iova, 0x1000);
	CHECK_EQ(failed, 0);
}

TEST(ftrace_prefix_variants)
{
	static const char *const maps[] = {
		/* no flags column */
		"bash-1 [000] 1.000001: map: IOMMU: iova=0x1000 paddr=0x2000 size=4096",
		/* TGID column */
		"  qemu-4242  (   4242) [003] d..1. 12345.678901: map: IOMMU: iova=0x1000 paddr=0x2000 size=4096",
		"  qemu-4242  (-------) [003] d..1. 12345.678901: map: IOMMU: iova=0x1000 paddr=0x2000 size=4096",
		/* perf script */
		"qemu-system-x86  4242 [003] 12345.678901: iommu:map: IOMMU: iova=0x1000 paddr=0x2000 size=4096",
		/* a counter clock: integer timestamps */
		"  qemu-4242  [003] .... 98765432: map: IOMMU: iova=0x1000 paddr=0x2000 size=4096",
		/* padded event name, tabs */
		"\tqemu-4242\t[003]\t....\t1.5:\tmap:      IOMMU:  iova=0x1000\tpaddr=0x2000  size=4096  ",
		/* no prefix at all */
		"map: IOMMU: iova=0x0000000000001000 - 0x0000000000002000 paddr=0x0000000000002000 size=4096",
		"   iommu:map: IOMMU: iova=0x1000 paddr=0x2000 size=4096",
		/* a task name with spaces and brackets */
		"  my [task] name-77  [002] dN.2. 5.25: map: IOMMU: iova=0x1000 paddr=0x2000 size=4096",
	};

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		int failed = 0;
		struct iopt_trace_op op = ok_line(maps[i], &failed);

		if (failed)
			continue;
		if (op.kind != IOPT_TRACE_MAP || op.iova != 0x1000 ||
		    op.paddr != 0x2000 || op.size != 4096 || !op.ftrace)
			H_FAIL("'%s' read wrongly (kind %d)", maps[i], op.kind);
	}
}

TEST(ftrace_other_lines)
{
	none_line("# tracer: nop");
	none_line("#");
	none_line("# entries-in-buffer/entries-written: 2/2   #P:8");
	none_line("#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION");
	none_line("#              | |         |   |||||     |         |");
	none_line("##### CPU 2 buffer started ####");
	none_line("          <idle>-0       [001] d..2. 100.000001: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=bash next_pid=1 next_prio=120");
	none_line("  qemu-4242  [003] d..1. 12345.678901: io_page_fault: IOMMU:arm-smmu 1d84000.ufshc iova=0x0000000fffa88000 flags=0x0000");
	none_line("  qemu-4242  [003] d..1. 12345.678901: attach_device_to_domain: IOMMU: device=0000:00:02.0");
	none_line("  qemu-4242  [003] d..1. 12345.678901: tracing_mark_write: map 0 0 4K");
	/* function tracer: "func <-caller" has no colon after the name */
	none_line("  bash-1234  [000] .... 12.345678: do_sys_open <-__x64_sys_openat");
	/* another subsystem's event that happens to be called map */
	none_line("  bash-1234  [000] .... 12.345678: map: something else entirely");
}

TEST(ftrace_malformed)
{
	bad_line(PFX "map: IOMMU: iova=0x0000000000100000 - 0x0000000000200001 paddr=0x0000000123400000 size=1048576",
		 "end address 0x200001 is not iova + size = 0x200000");
	bad_line(PFX "unmap: IOMMU: iova=0x1000 - 0x3000 size=4096 unmapped_size=4096",
		 "end address");
	bad_line(PFX "map: IOMMU: iova=0x1000 size=4096", "expected paddr=");
	bad_line(PFX "map: IOMMU: iova=0x1000 paddr=0x2000", "missing size=");
	bad_line(PFX "map: IOMMU: paddr=0x2000 size=4096", "expected iova=");
	bad_line(PFX "map: IOMMU:", "missing iova=");
	bad_line(PFX "unmap: IOMMU: iova=0x1000 size=4096", "missing unmapped_size=");
	bad_line(PFX "map: IOMMU: iova=0x1000 paddr=0x2000 size=4096 extra=1",
		 "unexpected 'extra=1'");
	bad_line(PFX "map: IOMMU: iova=0xzz paddr=0x2000 size=4096",
		 "iova= '0xzz' is not a number");
	bad_line(PFX "map: IOMMU: iova=0x1000 paddr=0x2000 size=4K",
		 "not a number");
	bad_line(PFX "map: IOMMU: iova=0x10000000000000000 paddr=0x2000 size=4096",
		 "does not fit in 64 bits");
	bad_line(PFX "map: IOMMU: iova=0x1000 - paddr=0x2000 size=4096",
		 "end address");
	bad_line(PFX "map: IOMMU: iova=0x1000 -", "missing end address");
	bad_line("qemu 4242 [003] 12345.678901: iommu:map: hello", "IOMMU:");
	bad_line("map: IOMMU: iova=0x1000", "map event: missing paddr=");
	bad_line("CPU:3 [LOST 120 EVENTS]", "lost events");
}

/* trace-cmd report's header lines: NONE with @header set; near misses are
 * still errors, and other NONE lines do not claim to be headers. */
TEST(trace_cmd_header)
{
	static const char *const heads[] = {
		"cpus=2", "cpus=16\n", "  cpus=4 \r\n", "version = 7",
		"version=6", "version =  7\n",
	};
	struct iopt_trace_op op;
	char reason[128];

	for (unsigned int i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		CHECK_EQ(iopt_trace_parse_line(heads[i], &op, reason, sizeof(reason)), 0);
		CHECK_EQ(op.kind, IOPT_TRACE_NONE);
		CHECK(op.header);
	}
	bad_line("cpus=", "unknown command");
	bad_line("cpus=x2", "unknown command");
	bad_line("cpus=2 extra", "unknown command");
	bad_line("version =", "unknown command");
	bad_line("version 7", "unknown command");
	CHECK_EQ(iopt_trace_parse_line("# cpus=2", &op, reason, sizeof(reason)), 0);
	CHECK(!op.header);
	CHECK_EQ(iopt_trace_parse_line("map 0x1000 0x2000 0x1000", &op, reason,
				       sizeof(reason)), 0);
	CHECK(!op.header);
}

TEST(arguments)
{
	struct iopt_trace_op op;
	char small[8];

	CHECK_EQ(iopt_trace_parse_line(NULL, &op, why, sizeof(why)), -EINVAL);
	CHECK(why[0]);
	CHECK_EQ(op.kind, IOPT_TRACE_NONE);
	CHECK_EQ(iopt_trace_parse_line("lookup 0", NULL, why, sizeof(why)),
		 -EINVAL);
	/* @why is optional, and truncated to its size. */
	CHECK_EQ(iopt_trace_parse_line("bogus", &op, NULL, 0), -EINVAL);
	CHECK_EQ(iopt_trace_parse_line("bogus", &op, small, 0), -EINVAL);
	CHECK_EQ(iopt_trace_parse_line("bogus", &op, small, sizeof(small)),
		 -EINVAL);
	CHECK_EQ(strlen(small), sizeof(small) - 1);
	/* and cleared on success */
	CHECK_EQ(iopt_trace_parse_line("lookup 0", &op, small, sizeof(small)),
		 0);
	CHECK_EQ(small[0], 0);
}

// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Fuzz target: the trace reader (iopt/trace.h) on arbitrary bytes.
 *
 * The input is split into lines at '\n' (each keeps its '\n', as a file
 * reader would pass it); every line is parsed several ways and must be
 * consistent:
 *
 *  - the result does not depend on the reason buffer: none, 0 bytes, a few
 *    bytes (the reason is then a NUL-terminated prefix of the full one, and
 *    nothing is written past the buffer or into a 0-byte one), or plenty;
 *  - an error is -EINVAL with the op cleared and a printable, non-empty
 *    reason; a success leaves the reason empty;
 *  - an op has only the fields its kind uses, sizes are not 0 (except the
 *    unmapped size of an ftrace unmap), map protections are as trace.h says;
 *  - an op written back as an iopt line, and as Linux ftrace text where it
 *    can be (with the end address or without, with a task prefix or
 *    without, with "dev=NAME" or without), with numbers in decimal, hex or
 *    with a K/M/G suffix, reads back as the same op;
 *  - iopt_trace_parse_u64() on each token agrees with itself with and
 *    without @end, and its results print and read back;
 *  - the line without its trailing '\n', and with whitespace put in front
 *    (ftrace right-aligns task names), reads as the same op.
 *
 * tests/fuzz/trace.dict holds the keywords, for libFuzzer's -dict.
 */
#include "fuzz.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <iopt/iopt.h>
#include <iopt/trace.h>

#define TR_WHY 512
#define TR_MAX_LINE 4096
#define TR_SENTINEL 0x5a5a5a5a5a5a5a5aULL

static unsigned int tr_variant;  /* rotates the ways lines are rewritten */

struct tr_line {
	const char *text;        /* the line being checked, for messages */
	size_t len;
};

static void tr_show(const struct tr_line *l)
{
	char buf[200];
	size_t o = 0;

	for (size_t i = 0; i < l->len && o + 5 < sizeof(buf); i++) {
		unsigned char ch = (unsigned char)l->text[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", ch);
	}
	buf[o] = '\0';
	fz_note("fuzz_trace: line \"%s\"", buf);
}

#define TR_CHECK(l, cond, ...)                                               \
	do {                                                                 \
		if (!(cond)) {                                               \
			tr_show(l);                                          \
			FZ_FAIL(__VA_ARGS__);                                \
		}                                                            \
	} while (0)

static bool tr_same(const struct iopt_trace_op *a, const struct iopt_trace_op *b)
{
	return a->kind == b->kind && a->ftrace == b->ftrace &&
	       a->iova == b->iova && a->paddr == b->paddr &&
	       a->size == b->size && a->req_size == b->req_size &&
	       a->prot == b->prot && a->header == b->header;
}

static bool tr_is_clear(const struct iopt_trace_op *op)
{
	return op->kind == IOPT_TRACE_NONE && !op->ftrace && !op->iova &&
	       !op->paddr && !op->size && !op->req_size && !op->prot;
}

static void tr_op_show(const char *who, const struct iopt_trace_op *op)
{
	fz_note("%s: kind=%d ftrace=%d iova=0x%" PRIx64 " paddr=0x%" PRIx64
		" size=0x%" PRIx64 " req_size=0x%" PRIx64 " prot=0x%x", who,
		op->kind, op->ftrace, op->iova, op->paddr, op->size,
		op->req_size, op->prot);
}

/* A number as iopt lines may write it; @how picks the notation. */
static void tr_num(char *buf, size_t len, uint64_t v, unsigned int how)
{
	static const char sfx[] = { 'K', 'M', 'G', 'k', 'm', 'g' };
	unsigned int s = how / 4 % 6, shift = 10 * (s % 3 + 1);

	switch (how % 4) {
	case 0:
		snprintf(buf, len, "%" PRIu64, v);
		break;
	case 1:
		snprintf(buf, len, "0x%" PRIx64, v);
		break;
	case 2:
		snprintf(buf, len, "0X%016" PRIX64, v);
		break;
	default:
		if (v && !(v & ((1ULL << shift) - 1)))
			snprintf(buf, len, "%" PRIu64 "%c", v >> shift, sfx[s]);
		else if (v && !(v & 1023))
			snprintf(buf, len, "0x%" PRIx64 "k", v >> 10);
		else
			snprintf(buf, len, "%" PRIu64, v);
		break;
	}
}

/* PROT letters for @prot, in an order and padding that @how picks. */
static void tr_prot(char *buf, size_t len, unsigned int prot, unsigned int how)
{
	char l[6];
	unsigned int n = 0;
	size_t o = 0;

	if (prot & IOPT_READ)
		l[n++] = 'r';
	if (prot & IOPT_WRITE)
		l[n++] = 'w';
	if (!(prot & IOPT_NOEXEC))
		l[n++] = 'x';
	if (prot & IOPT_CACHE)
		l[n++] = 'c';
	if (prot & IOPT_MMIO)
		l[n++] = 'm';
	if (prot & IOPT_PRIV)
		l[n++] = 'p';
	for (unsigned int i = 0; i < n; i++) {
		unsigned int k = (i + how) % n;

		if ((how >> 2) & 1 && o + 1 < len)
			buf[o++] = '-';
		if (o + 1 < len)
			buf[o++] = l[k];
	}
	buf[o] = '\0';
}

/* Parse @text (NUL-terminated) and expect @want. */
static void tr_expect(const struct tr_line *l, const char *text,
		      const struct iopt_trace_op *want)
{
	struct iopt_trace_op got;
	char why[TR_WHY];
	int rc = iopt_trace_parse_line(text, &got, why, sizeof(why));

	if (rc == 0 && tr_same(&got, want))
		return;
	tr_show(l);
	fz_note("rewritten as \"%s\"", text);
	tr_op_show("first read", want);
	tr_op_show("reread", &got);
	FZ_FAIL("the rewritten line reads back as %d (%s), not as the same op",
		rc, why);
}

/* Write @op back in the syntaxes that can express it and read it again. */
static void tr_roundtrip(const struct tr_line *l, const struct iopt_trace_op *op)
{
	static const char *const pfx[] = {
		"",
		"  qemu-system-x86-4242  [003] d..1. 12345.678901: ",
		"bash-1 [000] 1.000001: ",
		"qemu-system-x86  4242 [003] 12345.678901: iommu:",
		"  kworker/u16:2-117  (    117) [001] .... 438.308478: ",
	};
	char a[32], b[32], c[32], p[16], line[512];
	unsigned int v = tr_variant++;
	struct iopt_trace_op want = *op;
	const char *tail = (v & 8) ? "  # comment\r\n" : (v & 16) ? "\n" : "";

	/* iopt syntax: sizes are never 0 there, and unmap has one size. */
	if (op->kind == IOPT_TRACE_LOOKUP ||
	    (op->size && op->size == op->req_size)) {
		want.ftrace = false;
		tr_num(a, sizeof(a), op->iova, v);
		tr_num(b, sizeof(b), op->paddr, v / 3);
		tr_num(c, sizeof(c), op->size, v / 5);
		switch (op->kind) {
		case IOPT_TRACE_MAP:
			tr_prot(p, sizeof(p), op->prot, v);
			/* The default PROT may be left out. */
			if (op->prot == (IOPT_READ | IOPT_WRITE | IOPT_NOEXEC) &&
			    (v & 32))
				p[0] = '\0';
			snprintf(line, sizeof(line), "%smap %s\t%s  %s %s%s",
				 (v & 64) ? " " : "", a, b, c, p, tail);
			break;
		case IOPT_TRACE_UNMAP:
			snprintf(line, sizeof(line), "unmap %s %s%s", a, c, tail);
			break;
		default:
			snprintf(line, sizeof(line), "lookup %s%s", a, tail);
			break;
		}
		tr_expect(l, line, &want);
	}
	if (op->kind == IOPT_TRACE_LOOKUP)
		return;
	/* ftrace text: maps are always read and write, executable. */
	if (op->kind == IOPT_TRACE_MAP && op->prot != (IOPT_READ | IOPT_WRITE))
		return;
	want = *op;
	want.ftrace = true;
	{
		const char *pf = pfx[v % 5];
		const char *ev = op->kind == IOPT_TRACE_MAP ? "map" : "unmap";
		const char *dev = (v & 32) ? "dev=0000:00:02.0 " : "";
		char end[64] = "";

		if (!(v & 4))
			snprintf(end, sizeof(end), " - 0x%016" PRIx64,
				 op->iova + op->req_size);
		if (op->kind == IOPT_TRACE_MAP)
			snprintf(line, sizeof(line),
				 "%s%s: IOMMU: %siova=0x%016" PRIx64 "%s paddr=0x%016" PRIx64 " size=%" PRIu64 "%s",
				 pf, ev, dev, op->iova, end, op->paddr,
				 op->req_size, (v & 16) ? "\n" : "");
		else
			snprintf(line, sizeof(line),
				 "%s%s: IOMMU: %siova=0x%016" PRIx64 "%s size=%" PRIu64 " unmapped_size=%" PRIu64 "%s",
				 pf, ev, dev, op->iova, end, op->req_size,
				 op->size, (v & 16) ? "\r\n" : "");
		tr_expect(l, line, &want);
	}
}

static void tr_check_op(const struct tr_line *l, const struct iopt_trace_op *op)
{
	/* r, w, x (NOEXEC when absent), c, m, p */
	const unsigned int rwx = IOPT_READ | IOPT_WRITE | IOPT_NOEXEC |
				 IOPT_CACHE | IOPT_MMIO | IOPT_PRIV;

	if (op->kind != IOPT_TRACE_NONE)
		TR_CHECK(l, !op->header, "a header flag on an operation");
	switch (op->kind) {
	case IOPT_TRACE_NONE:
		TR_CHECK(l, tr_is_clear(op), "a NONE op with fields set");
		if (op->header) {	/* trace-cmd's "cpus=N" or "version = V" */
			const char *p = l->text;

			/* the reader's white space: " \t\r\n\v\f" */
			while (p < l->text + l->len && (*p == ' ' ||
			       (*p >= '\t' && *p <= '\r')))
				p++;
			TR_CHECK(l, !strncmp(p, "cpus=", 5) ||
				    !strncmp(p, "version", 7),
				 "a header that is not cpus= or version");
		}
		return;
	case IOPT_TRACE_MAP:
		TR_CHECK(l, op->size == op->req_size,
			 "map: size 0x%" PRIx64 " but req_size 0x%" PRIx64,
			 op->size, op->req_size);
		if (op->ftrace)
			TR_CHECK(l, op->prot == (IOPT_READ | IOPT_WRITE),
				 "ftrace map with prot 0x%x", op->prot);
		else
			TR_CHECK(l, op->size && !(op->prot & ~rwx) &&
				 (op->prot & (IOPT_READ | IOPT_WRITE)),
				 "map: size 0x%" PRIx64 " prot 0x%x", op->size,
				 op->prot);
		break;
	case IOPT_TRACE_UNMAP:
		TR_CHECK(l, !op->paddr && !op->prot, "unmap with paddr or prot");
		if (!op->ftrace)
			TR_CHECK(l, op->size && op->size == op->req_size,
				 "unmap: size 0x%" PRIx64 " req_size 0x%" PRIx64,
				 op->size, op->req_size);
		break;
	case IOPT_TRACE_LOOKUP:
		TR_CHECK(l, !op->ftrace && !op->paddr && !op->size &&
			 !op->req_size && !op->prot,
			 "lookup with fields other than iova set");
		break;
	default:
		TR_CHECK(l, false, "unknown kind %d", op->kind);
	}
	tr_roundtrip(l, op);
}

/* iopt_trace_parse_u64() on one token. */
static void tr_check_u64(const struct tr_line *l, const char *tok)
{
	const char *end = (const char *)&tr_variant;
	uint64_t v1 = TR_SENTINEL, v2 = TR_SENTINEL, v3;
	int r1 = iopt_trace_parse_u64(tok, &end, &v1);
	int r2 = iopt_trace_parse_u64(tok, NULL, &v2);
	char buf[40];

	if (r1) {
		TR_CHECK(l, (r1 == -EINVAL || r1 == -ERANGE) &&
			 end == (const char *)&tr_variant && v1 == TR_SENTINEL,
			 "parse_u64(\"%s\") failed with %d but wrote its outputs",
			 tok, r1);
		TR_CHECK(l, r2 == r1 || (r1 == -ERANGE && r2 == -EINVAL),
			 "parse_u64(\"%s\") gave %d with end, %d without", tok,
			 r1, r2);
		return;
	}
	TR_CHECK(l, end > tok && end <= tok + strlen(tok),
		 "parse_u64(\"%s\") ended outside the token", tok);
	if (*end)
		TR_CHECK(l, r2 == -EINVAL && v2 == TR_SENTINEL,
			 "parse_u64(\"%s\") without end gave %d, though '%c' follows the number",
			 tok, r2, *end);
	else
		TR_CHECK(l, r2 == 0 && v2 == v1,
			 "parse_u64(\"%s\"): %d 0x%" PRIx64 " with end, %d 0x%" PRIx64 " without",
			 tok, r1, v1, r2, v2);
	snprintf(buf, sizeof(buf), "%" PRIu64, v1);
	TR_CHECK(l, !iopt_trace_parse_u64(buf, NULL, &v3) && v3 == v1,
		 "0x%" PRIx64 " printed in decimal does not read back", v1);
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v1);
	TR_CHECK(l, !iopt_trace_parse_u64(buf, NULL, &v3) && v3 == v1,
		 "0x%" PRIx64 " printed in hex does not read back", v1);
}

static void tr_check_line(const struct tr_line *l, const char *s, size_t n)
{
	static const size_t small[] = { 1, 2, 3, 8, 17, 40, 100 };
	struct iopt_trace_op a, b, c;
	char why[TR_WHY], *w;
	size_t wl = small[tr_variant % 7], full;
	int ra, rb, rc;

	memset(&a, 0xa5, sizeof(a));
	memset(why, 'X', sizeof(why));
	ra = iopt_trace_parse_line(s, &a, why, sizeof(why));
	full = strnlen(why, sizeof(why));
	TR_CHECK(l, full < sizeof(why), "the reason is not terminated");
	if (ra) {
		TR_CHECK(l, ra == -EINVAL, "returned %d", ra);
		TR_CHECK(l, tr_is_clear(&a), "failed but the op is not cleared");
		TR_CHECK(l, full > 0, "failed without a reason");
		for (size_t i = 0; i < full; i++)
			TR_CHECK(l, (unsigned char)why[i] >= 0x20 &&
				 (unsigned char)why[i] < 0x7f,
				 "byte 0x%02x in the reason \"%s\"",
				 (unsigned char)why[i], why);
	} else {
		TR_CHECK(l, full == 0, "succeeded with a reason \"%s\"", why);
	}

	/* No reason buffer at all. */
	memset(&b, 0x5a, sizeof(b));
	rb = iopt_trace_parse_line(s, &b, NULL, 0);
	TR_CHECK(l, rb == ra && tr_same(&a, &b),
		 "without a reason buffer: %d, with one: %d", rb, ra);

	/* A buffer of 0 bytes is not written; a short one gets a prefix. */
	w = malloc(wl);
	if (!w)
		FZ_FAIL("out of memory");
	w[0] = 'Q';
	rc = iopt_trace_parse_line(s, &c, w, 0);
	TR_CHECK(l, rc == ra && tr_same(&a, &c) && w[0] == 'Q',
		 "with a 0-byte reason buffer: %d, wrote 0x%02x", rc,
		 (unsigned char)w[0]);
	memset(w, 'Y', wl);
	rc = iopt_trace_parse_line(s, &c, w, wl);
	TR_CHECK(l, rc == ra && tr_same(&a, &c),
		 "with a %zu-byte reason buffer: %d, with a big one: %d", wl,
		 rc, ra);
	TR_CHECK(l, strnlen(w, wl) == (full < wl - 1 ? full : wl - 1) &&
		 !memcmp(w, why, strnlen(w, wl)),
		 "the reason in %zu bytes is not the start of \"%s\"", wl, why);
	free(w);

	if (!ra)
		tr_check_op(l, &a);

	/* The same line without its newline, or indented. */
	w = malloc(n + 3);
	if (!w)
		FZ_FAIL("out of memory");
	if (n && s[n - 1] == '\n') {
		memcpy(w, s, n - 1);
		w[n - 1] = '\0';
		rc = iopt_trace_parse_line(w, &c, NULL, 0);
		TR_CHECK(l, rc == ra && tr_same(&a, &c),
			 "without its '\\n' the line reads as %d, with it as %d",
			 rc, ra);
	}
	w[0] = (tr_variant & 1) ? '\t' : ' ';
	w[1] = ' ';
	memcpy(w + 2, s, n + 1);
	rc = iopt_trace_parse_line(w, &c, NULL, 0);
	TR_CHECK(l, rc == ra && tr_same(&a, &c),
		 "indented the line reads as %d, as it is as %d", rc, ra);
	free(w);

	/* Tokens as numbers (the first few, split at whitespace and '='). */
	{
		const char *p = s;
		char tok[80];

		for (unsigned int k = 0; k < 8 && p < s + n && *p; k++) {
			size_t tl = 0;

			while (*p == ' ' || *p == '\t' || *p == '=')
				p++;
			while (p[tl] && p[tl] != ' ' && p[tl] != '\t' &&
			       p[tl] != '=' && tl < sizeof(tok) - 1)
				tl++;
			if (!tl)
				break;
			memcpy(tok, p, tl);
			tok[tl] = '\0';
			tr_check_u64(l, tok);
			p += tl;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t start = 0;
	struct iopt_trace_op op;

	tr_variant = 0;
	/* NULL arguments. */
	if (iopt_trace_parse_line(NULL, &op, NULL, 0) != -EINVAL ||
	    iopt_trace_parse_line("lookup 0", NULL, NULL, 0) != -EINVAL)
		FZ_FAIL("a NULL line or op was accepted");
	while (start < size) {
		size_t end = start, n;
		struct tr_line l;
		char *s;

		while (end < size && data[end] != '\n')
			end++;
		if (end < size)
			end++; /* keep the '\n' */
		n = end - start;
		if (n > TR_MAX_LINE)
			n = TR_MAX_LINE;
		/* Exactly the line and its NUL: a read past it is caught. */
		s = malloc(n + 1);
		if (!s)
			FZ_FAIL("out of memory");
		memcpy(s, data + start, n);
		s[n] = '\0';
		l.text = s;
		l.len = n;
		tr_check_line(&l, s, n);
		free(s);
		start = end;
	}
	return 0;
}

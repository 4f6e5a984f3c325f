// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Trace reader: iopt map/unmap/lookup lines and Linux iommu ftrace text.
 * The syntax and the choices made for it are described in iopt/trace.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <iopt/trace.h>

/* Bytes of an offending token quoted in a reason. */
#define QUOTE_MAX 40

struct ctx {
	char *why;
	size_t why_len;
	const char *what;       /* "map", "unmap event", ...: message prefix */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	       c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* End of the token at @p. iopt lines also end tokens at '#' (comments). */
static const char *token_end(const char *p, bool hash_ends)
{
	while (*p && !is_space(*p) && !(hash_ends && *p == '#'))
		p++;
	return p;
}

static bool word_is(const char *p, const char *e, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(e - p) == n && !memcmp(p, w, n);
}

static bool starts_with(const char *p, const char *prefix)
{
	return !strncmp(p, prefix, strlen(prefix));
}

/*
 * Copy [p, e) into @buf for a message. Traces may hold anything, so only
 * printable ASCII is copied as is; other bytes become \xNN.
 */
static const char *quote(char *buf, size_t len, const char *p, const char *e)
{
	size_t o = 0, n = 0;

	for (; p < e && n < QUOTE_MAX && o + 5 < len; p++, n++) {
		unsigned char c = (unsigned char)*p;

		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	if (p < e && o + 4 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

__attribute__((format(printf, 2, 3)))
static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!c->why || !c->why_len)
		return -EINVAL;
	if (c->what)
		n = snprintf(c->why, c->why_len, "%s: ", c->what);
	if (n >= 0 && (size_t)n < c->why_len) {
		va_start(ap, fmt);
		vsnprintf(c->why + n, c->why_len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int digit_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* iopt_trace_parse_u64(), with the K/M/G suffix optional (ftrace has none). */
static int parse_num(const char *s, const char **end, uint64_t *out,
		     bool suffix)
{
	const char *p = s;
	unsigned int base = 10, digits = 0, shift = 0;
	uint64_t v = 0;

	if (!s || !out)
		return -EINVAL;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++, digits++) {
		int d = digit_value(*p);

		if (d < 0 || (unsigned int)d >= base)
			break;
		if (v > (UINT64_MAX - (unsigned int)d) / base)
			return -ERANGE;
		v = v * base + (unsigned int)d;
	}
	if (!digits)
		return -EINVAL;
	if (suffix) {
		switch (*p) {
		case 'K': case 'k': shift = 10; break;
		case 'M': case 'm': shift = 20; break;
		case 'G': case 'g': shift = 30; break;
		}
		if (shift) {
			if (v > (UINT64_MAX >> shift))
				return -ERANGE;
			v <<= shift;
			p++;
		}
	}
	if (end)
		*end = p;
	else if (*p)
		return -EINVAL;
	*out = v;
	return 0;
}

int iopt_trace_parse_u64(const char *s, const char **end, uint64_t *out)
{
	return parse_num(s, end, out, true);
}

/*
 * Read the number that is all of the token [p, e); @name says what it is
 * in messages. iopt lines allow suffixes, ftrace fields do not.
 */
static int token_num(struct ctx *c, const char *p, const char *e,
		     const char *name, bool suffix, uint64_t *out)
{
	char q[QUOTE_MAX * 4 + 8];
	const char *stop;
	int err;

	err = parse_num(p, &stop, out, suffix);
	if (err == -ERANGE)
		return fail(c, "%s '%s' does not fit in 64 bits", name,
			    quote(q, sizeof(q), p, e));
	if (err || stop != e)
		return fail(c, "%s '%s' is not a number", name,
			    quote(q, sizeof(q), p, e));
	return 0;
}

/* Next whitespace-separated field of an iopt line, at *@pp. */
static int cmd_num(struct ctx *c, const char **pp, const char *name,
		   uint64_t *out)
{
	const char *p = skip_space(*pp), *e = token_end(p, true);
	int err;

	if (p == e)
		return fail(c, "missing %s", name);
	err = token_num(c, p, e, name, true, out);
	if (!err)
		*pp = e;
	return err;
}

static int parse_prot(struct ctx *c, const char *p, const char *e,
		      unsigned int *prot)
{
	const unsigned int seen_x = 1u << 31;
	char q[QUOTE_MAX * 4 + 8];
	unsigned int seen = 0;

	for (const char *s = p; s < e; s++) {
		unsigned int bit;

		switch (*s) {
		case 'r': bit = IOPT_READ; break;
		case 'w': bit = IOPT_WRITE; break;
		case 'x': bit = seen_x; break;
		case 'c': bit = IOPT_CACHE; break;
		case 'm': bit = IOPT_MMIO; break;
		case 'p': bit = IOPT_PRIV; break;
		case '-': continue;
		default:
			return fail(c, "PROT '%s' may only hold r, w, x, c, m, p and -",
				    quote(q, sizeof(q), p, e));
		}
		if (seen & bit)
			return fail(c, "PROT '%s' repeats '%c'",
				    quote(q, sizeof(q), p, e), *s);
		seen |= bit;
	}
	if (!(seen & (IOPT_READ | IOPT_WRITE)))
		return fail(c, "PROT '%s' needs r or w",
			    quote(q, sizeof(q), p, e));
	/* x allows instruction fetches; without it the map is NOEXEC. */
	*prot = (seen & (IOPT_READ | IOPT_WRITE | IOPT_CACHE | IOPT_MMIO |
			 IOPT_PRIV)) | ((seen & seen_x) ? 0 : IOPT_NOEXEC);
	return 0;
}

/* "map IOVA PADDR SIZE [PROT]", "unmap IOVA SIZE", "lookup IOVA". */
static int parse_cmd(struct ctx *c, struct iopt_trace_op *op,
		     enum iopt_trace_kind kind, const char *p)
{
	char q[QUOTE_MAX * 4 + 8];
	const char *e;
	int err;

	err = cmd_num(c, &p, "IOVA", &op->iova);
	if (!err && kind == IOPT_TRACE_MAP)
		err = cmd_num(c, &p, "PADDR", &op->paddr);
	if (!err && kind != IOPT_TRACE_LOOKUP)
		err = cmd_num(c, &p, "SIZE", &op->size);
	if (err)
		return err;
	if (kind != IOPT_TRACE_LOOKUP && !op->size)
		return fail(c, "SIZE must not be 0");
	op->req_size = op->size;
	if (kind == IOPT_TRACE_MAP) {
		op->prot = IOPT_READ | IOPT_WRITE | IOPT_NOEXEC;
		p = skip_space(p);
		e = token_end(p, true);
		if (p != e) {
			err = parse_prot(c, p, e, &op->prot);
			if (err)
				return err;
			p = e;
		}
	}
	p = skip_space(p);
	if (*p && *p != '#')
		return fail(c, "unexpected '%s' after the command",
			    quote(q, sizeof(q), p, token_end(p, true)));
	op->kind = kind;
	return 0;
}

/*
 * One "key=NUMBER" field of an event at *@pp. Numbers are taken in hex
 * (0x) or decimal whatever the field, which also covers older kernels that
 * printed sizes in hex.
 */
static int event_field(struct ctx *c, const char **pp, const char *key,
		       uint64_t *out)
{
	char q[QUOTE_MAX * 4 + 8];
	const char *p = skip_space(*pp), *e = token_end(p, false);
	size_t klen = strlen(key);
	int err;

	if (p == e)
		return fail(c, "missing %s", key);
	if ((size_t)(e - p) < klen || memcmp(p, key, klen))
		return fail(c, "expected %s but found '%s'", key,
			    quote(q, sizeof(q), p, e));
	err = token_num(c, p + klen, e, key, false, out);
	if (!err)
		*pp = e;
	return err;
}

/* The text after "IOMMU:" of a map or unmap event. */
static int parse_event(struct ctx *c, struct iopt_trace_op *op,
		       enum iopt_trace_kind kind, const char *p)
{
	char q[QUOTE_MAX * 4 + 8];
	uint64_t end = 0, size, unmapped = 0;
	bool has_end = false;
	const char *s, *e;
	int err;

	c->what = kind == IOPT_TRACE_MAP ? "map event" : "unmap event";
	/* dev=NAME: a layout some vendor kernels print (see trace.h). */
	p = skip_space(p);
	if (starts_with(p, "dev="))
		p = token_end(p, false);
	err = event_field(c, &p, "iova=", &op->iova);
	if (err)
		return err;
	s = skip_space(p);
	e = token_end(s, false);
	if (word_is(s, e, "-")) {
		s = skip_space(e);
		e = token_end(s, false);
		if (s == e)
			return fail(c, "missing end address after '-'");
		err = token_num(c, s, e, "end address", false, &end);
		if (err)
			return err;
		has_end = true;
		p = e;
	}
	if (kind == IOPT_TRACE_MAP)
		err = event_field(c, &p, "paddr=", &op->paddr);
	if (!err)
		err = event_field(c, &p, "size=", &size);
	if (!err && kind == IOPT_TRACE_UNMAP)
		err = event_field(c, &p, "unmapped_size=", &unmapped);
	if (err)
		return err;
	p = skip_space(p);
	if (*p)
		return fail(c, "unexpected '%s' after the fields",
			    quote(q, sizeof(q), p, token_end(p, false)));
	/* The kernel prints iova + size in u64 arithmetic: compare the same. */
	if (has_end && end != op->iova + size)
		return fail(c, "end address 0x%llx is not iova + size = 0x%llx",
			    (unsigned long long)end,
			    (unsigned long long)(op->iova + size));
	op->kind = kind;
	op->ftrace = true;
	op->req_size = size;
	if (kind == IOPT_TRACE_MAP) {
		op->size = size;
		op->prot = IOPT_READ | IOPT_WRITE;
	} else {
		/* What the kernel really removed: see trace.h. */
		op->size = unmapped;
	}
	return 0;
}

/* Map or unmap for an event name (perf writes "iommu:map"). */
static enum iopt_trace_kind event_kind(const char *p, const char *e,
				       bool *qualified)
{
	*qualified = false;
	if (e - p > 6 && !memcmp(p, "iommu:", 6)) {
		p += 6;
		*qualified = true;
	}
	if (word_is(p, e, "map"))
		return IOPT_TRACE_MAP;
	if (word_is(p, e, "unmap"))
		return IOPT_TRACE_UNMAP;
	return IOPT_TRACE_NONE;
}

/* After "TIMESTAMP:" of a prefix: digits, optional fraction, a colon. */
static bool is_timestamp(const char *p, const char *e)
{
	const char *s = p;

	while (s < e && is_digit(*s))
		s++;
	if (s == p)
		return false;
	if (s < e && *s == '.') {
		const char *f = ++s;

		while (s < e && is_digit(*s))
			s++;
		if (s == f)
			return false;
	}
	return s + 1 == e && *s == ':';
}

/*
 * Find the event name after an ftrace prefix "TASK-PID [CPU] FLAGS
 * TIMESTAMP: " (FLAGS optional; whatever precedes "[CPU]" is taken as the
 * task, which also covers the "(TGID)" column and perf's "comm pid").
 * Returns the start of the event name, or NULL when there is no prefix.
 */
static const char *ftrace_event(const char *line)
{
	const char *first = skip_space(line);

	for (const char *b = strchr(first, '['); b; b = strchr(b + 1, '[')) {
		const char *p = b + 1, *e;

		if (b == first || !is_space(b[-1]) || !is_digit(*p))
			continue;
		while (is_digit(*p))
			p++;
		if (*p != ']' || (p[1] && !is_space(p[1])))
			continue;
		p = skip_space(p + 1);
		e = token_end(p, false);
		if (!is_timestamp(p, e)) {
			/* The irqs-off/need-resched/... flags column. */
			if (p == e || memchr(p, ':', (size_t)(e - p)))
				continue;
			p = skip_space(e);
			e = token_end(p, false);
			if (!is_timestamp(p, e))
				continue;
		}
		return skip_space(e);
	}
	return NULL;
}

/* trace-cmd report's header: "cpus=N" (decimal) or "version = V". */
static bool is_trace_cmd_header(const char *p)
{
	if (starts_with(p, "cpus=")) {
		p += strlen("cpus=");
		if (!is_digit(*p))
			return false;
		while (is_digit(*p))
			p++;
		return !*skip_space(p);
	}
	if (!starts_with(p, "version"))
		return false;
	p = skip_space(p + strlen("version"));
	if (*p != '=')
		return false;
	return *skip_space(p + 1) != '\0';
}

/*
 * Linux ftrace text. Returns 1 when @line is not ftrace text at all, else
 * 0 (op filled, maybe IOPT_TRACE_NONE) or -EINVAL.
 */
static int parse_ftrace(struct ctx *c, struct iopt_trace_op *op,
			const char *line)
{
	enum iopt_trace_kind kind;
	const char *p, *e;
	bool qualified;

	p = ftrace_event(line);
	if (!p) {
		/* trace_pipe reports dropped events on a line of its own. */
		p = skip_space(line);
		if (starts_with(p, "CPU:") && strstr(p, "[LOST "))
			return fail(c, "ftrace lost events here, so the trace is incomplete");
		if (is_trace_cmd_header(p)) {
			op->header = true;
			return 0;
		}
		/* An event without the prefix: "map: IOMMU: ...". */
		e = token_end(p, false);
		if (e == p || e[-1] != ':' ||
		    !event_kind(p, e - 1, &qualified))
			return 1;
		if (!starts_with(skip_space(e), "IOMMU:"))
			return 1;
	} else {
		e = token_end(p, false);
		/* Other events, and function tracer lines ("func <-caller"). */
		if (e == p || e[-1] != ':')
			return 0;
	}
	kind = event_kind(p, e - 1, &qualified);
	if (kind == IOPT_TRACE_NONE)
		return 0;
	p = skip_space(e);
	if (!starts_with(p, "IOMMU:")) {
		/* A plain "map" may be another subsystem's event. */
		if (!qualified)
			return 0;
		c->what = kind == IOPT_TRACE_MAP ? "map event" : "unmap event";
		return fail(c, "expected 'IOMMU:' after the event name");
	}
	return parse_event(c, op, kind, p + strlen("IOMMU:"));
}

int iopt_trace_parse_line(const char *line, struct iopt_trace_op *op,
			  char *why, size_t why_len)
{
	struct ctx c = { .why = why, .why_len = why_len };
	char q[QUOTE_MAX * 4 + 8];
	const char *p, *e;
	int err;

	if (why && why_len)
		why[0] = '\0';
	if (!op)
		return fail(&c, "no operation to fill");
	memset(op, 0, sizeof(*op));
	if (!line)
		return fail(&c, "no line");

	p = skip_space(line);
	if (!*p || *p == '#')
		return 0;
	e = token_end(p, true);
	if (word_is(p, e, "map") || word_is(p, e, "unmap") ||
	    word_is(p, e, "lookup")) {
		enum iopt_trace_kind kind = *p == 'm' ? IOPT_TRACE_MAP :
					    *p == 'u' ? IOPT_TRACE_UNMAP :
					    IOPT_TRACE_LOOKUP;

		c.what = kind == IOPT_TRACE_MAP ? "map" :
			 kind == IOPT_TRACE_UNMAP ? "unmap" : "lookup";
		err = parse_cmd(&c, op, kind, e);
	} else {
		err = parse_ftrace(&c, op, line);
		if (err == 1)
			err = fail(&c, "unknown command '%s' (expected map, unmap, lookup or Linux iommu ftrace text)",
				   quote(q, sizeof(q), p, e));
	}
	if (err) {
		memset(op, 0, sizeof(*op));
		return -EINVAL;
	}
	return 0;
}

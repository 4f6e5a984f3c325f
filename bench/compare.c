// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * iopt bench --compare OLD.json NEW.json: the effect of a change in one
 * command. Both files are what `iopt bench --json` writes: an array of
 * flat objects (strings, numbers, null, and one nested "extra" object).
 * Measurements are matched by (scenario, format, variant); for each in
 * both, the ratio NEW / OLD of ns_per_unit is printed (below 1: faster),
 * with the counts (calls, walks, flushes) flagged where they changed, as a
 * change in them means the two runs did different work. Measurements in
 * only one file are listed after.
 *
 * The parser is strict JSON for the shapes above; anything else is an
 * error naming the file and the byte offset.
 */
#include "bench.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMP_TEXT 96

struct cmp_meas {
	char scenario[CMP_TEXT];
	char format[CMP_TEXT];
	char variant[CMP_TEXT];
	char unit[CMP_TEXT];
	double ns;                 /* NAN: null */
	double counts[3];          /* calls, walks, flushes; NAN: null */
	bool matched;
};

struct cmp_file {
	const char *path;
	char *text;
	size_t len, pos;
	struct cmp_meas *m;
	size_t nr, cap;
};

static const char *const count_keys[3] = { "calls", "walks", "flushes" };

static int cmp_error(struct cmp_file *f, const char *what)
{
	fprintf(stderr, "iopt bench --compare: %s: %s at byte %zu\n", f->path,
		what, f->pos);
	return -EINVAL;
}

static void skip_ws(struct cmp_file *f)
{
	while (f->pos < f->len && isspace((unsigned char)f->text[f->pos]))
		f->pos++;
}

static bool eat(struct cmp_file *f, char c)
{
	skip_ws(f);
	if (f->pos < f->len && f->text[f->pos] == c) {
		f->pos++;
		return true;
	}
	return false;
}

static bool eat_word(struct cmp_file *f, const char *w)
{
	size_t n = strlen(w);

	skip_ws(f);
	if (f->len - f->pos >= n && !memcmp(f->text + f->pos, w, n)) {
		f->pos += n;
		return true;
	}
	return false;
}

/* A string into @out (truncated to its size); escapes kept simple: \" \\
 * \/ and the one-letter ones; \u is refused (iopt never writes it). */
static int parse_string(struct cmp_file *f, char *out, size_t size)
{
	size_t n = 0;

	if (!eat(f, '"'))
		return cmp_error(f, "expected a string");
	while (f->pos < f->len) {
		char c = f->text[f->pos++];

		if (c == '"') {
			if (size)
				out[n < size ? n : size - 1] = '\0';
			return 0;
		}
		if ((unsigned char)c < 0x20)
			return cmp_error(f, "control character in a string");
		if (c == '\\') {
			if (f->pos >= f->len)
				break;
			c = f->text[f->pos++];
			switch (c) {
			case '"': case '\\': case '/': break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			default:
				return cmp_error(f, "unsupported escape");
			}
		}
		if (n + 1 < size)
			out[n] = c;
		n++;
	}
	return cmp_error(f, "unterminated string");
}

/* A number or null (NAN). */
static int parse_number(struct cmp_file *f, double *v)
{
	char *end;

	skip_ws(f);
	if (eat_word(f, "null")) {
		*v = NAN;
		return 0;
	}
	if (f->pos >= f->len ||
	    !(f->text[f->pos] == '-' || isdigit((unsigned char)f->text[f->pos])))
		return cmp_error(f, "expected a number");
	errno = 0;
	*v = strtod(f->text + f->pos, &end);
	if (end == f->text + f->pos || errno == ERANGE)
		return cmp_error(f, "bad number");
	f->pos = (size_t)(end - f->text);
	return 0;
}

/* Any value, discarded: the "extra" object and fields not compared. */
static int skip_value(struct cmp_file *f, unsigned int depth)
{
	char tmp[2];
	double d;

	skip_ws(f);
	if (depth > 4)
		return cmp_error(f, "nested too deeply");
	if (f->pos >= f->len)
		return cmp_error(f, "expected a value");
	switch (f->text[f->pos]) {
	case '"':
		return parse_string(f, tmp, sizeof(tmp));
	case '{':
		f->pos++;
		if (eat(f, '}'))
			return 0;
		do {
			if (parse_string(f, tmp, sizeof(tmp)) || !eat(f, ':') ||
			    skip_value(f, depth + 1))
				return -EINVAL;
		} while (eat(f, ','));
		return eat(f, '}') ? 0 : cmp_error(f, "expected '}'");
	case '[':
		f->pos++;
		if (eat(f, ']'))
			return 0;
		do {
			if (skip_value(f, depth + 1))
				return -EINVAL;
		} while (eat(f, ','));
		return eat(f, ']') ? 0 : cmp_error(f, "expected ']'");
	default:
		if (eat_word(f, "true") || eat_word(f, "false"))
			return 0;
		return parse_number(f, &d);
	}
}

/* A string member, or null (empty). */
static int parse_text(struct cmp_file *f, char *out, size_t size)
{
	if (eat_word(f, "null")) {
		out[0] = '\0';
		return 0;
	}
	return parse_string(f, out, size);
}

static int parse_object(struct cmp_file *f, struct cmp_meas *m)
{
	char key[CMP_TEXT];
	bool have_key = false;

	memset(m, 0, sizeof(*m));
	m->ns = NAN;
	for (unsigned int i = 0; i < 3; i++)
		m->counts[i] = NAN;
	if (!eat(f, '{'))
		return cmp_error(f, "expected '{'");
	if (eat(f, '}'))
		return cmp_error(f, "empty measurement");
	do {
		int ret = 0;

		if (parse_string(f, key, sizeof(key)) || !eat(f, ':'))
			return cmp_error(f, "expected a member");
		if (!strcmp(key, "scenario"))
			ret = parse_text(f, m->scenario, sizeof(m->scenario));
		else if (!strcmp(key, "format"))
			ret = parse_text(f, m->format, sizeof(m->format));
		else if (!strcmp(key, "variant"))
			ret = parse_text(f, m->variant, sizeof(m->variant));
		else if (!strcmp(key, "unit"))
			ret = parse_text(f, m->unit, sizeof(m->unit));
		else if (!strcmp(key, "ns_per_unit"))
			ret = parse_number(f, &m->ns);
		else {
			bool counted = false;

			for (unsigned int i = 0; i < 3; i++)
				if (!strcmp(key, count_keys[i])) {
					ret = parse_number(f, &m->counts[i]);
					counted = true;
				}
			if (!counted)
				ret = skip_value(f, 1);
		}
		if (ret)
			return ret;
		have_key |= !strcmp(key, "variant");
	} while (eat(f, ','));
	if (!eat(f, '}'))
		return cmp_error(f, "expected '}'");
	if (!have_key || !m->scenario[0])
		return cmp_error(f, "a measurement without scenario or variant");
	return 0;
}

static int load(struct cmp_file *f, const char *path)
{
	FILE *in = fopen(path, "rb");
	size_t cap = 1 << 16;

	memset(f, 0, sizeof(*f));
	f->path = path;
	if (!in) {
		fprintf(stderr, "iopt bench --compare: %s: %s\n", path,
			strerror(errno));
		return -errno;
	}
	f->text = malloc(cap);
	while (f->text) {
		size_t got = fread(f->text + f->len, 1, cap - f->len, in);

		f->len += got;
		if (f->len < cap)
			break;
		char *more = realloc(f->text, cap * 2);

		if (!more) {
			free(f->text);
			f->text = NULL;
			break;
		}
		f->text = more;
		cap *= 2;
	}
	fclose(in);
	if (!f->text)
		return -ENOMEM;
	if (!eat(f, '['))
		return cmp_error(f, "expected a JSON array (iopt bench --json)");
	if (eat(f, ']'))
		return 0;
	do {
		if (f->nr == f->cap) {
			size_t n = f->cap ? 2 * f->cap : 64;
			struct cmp_meas *m = realloc(f->m, n * sizeof(*m));

			if (!m)
				return -ENOMEM;
			f->m = m;
			f->cap = n;
		}
		if (parse_object(f, &f->m[f->nr]))
			return -EINVAL;
		f->nr++;
	} while (eat(f, ','));
	if (!eat(f, ']'))
		return cmp_error(f, "expected ']'");
	skip_ws(f);
	if (f->pos != f->len)
		return cmp_error(f, "text after the array");
	return 0;
}

static bool same_key(const struct cmp_meas *a, const struct cmp_meas *b)
{
	return !strcmp(a->scenario, b->scenario) &&
	       !strcmp(a->format, b->format) && !strcmp(a->variant, b->variant);
}

/* Counts that both files have and that differ, as "calls 32768 -> 1". */
static void count_changes(const struct cmp_meas *a, const struct cmp_meas *b,
			  char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < 3 && n < len; i++) {
		if (isnan(a->counts[i]) || isnan(b->counts[i]) ||
		    a->counts[i] == b->counts[i])
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s %.0f -> %.0f",
				      n ? ", " : "", count_keys[i], a->counts[i],
				      b->counts[i]);
	}
}

static void unmatched(const struct cmp_file *f, const char *which)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!f->m[i].matched)
			printf("  only in %s (%s): %s %s %s\n", which, f->path,
			       f->m[i].scenario, f->m[i].format, f->m[i].variant);
}

int bench_compare(const char *old_path, const char *new_path)
{
	struct cmp_file a, b;
	size_t both = 0;
	int ret = load(&a, old_path);

	if (!ret)
		ret = load(&b, new_path);
	else
		memset(&b, 0, sizeof(b));
	if (ret)
		goto out;
	printf("iopt bench --compare: NEW / OLD ns per unit (below 1: NEW is faster)\n"
	       "  OLD %s\n  NEW %s\n", old_path, new_path);
	printf("  %-14s %-16s %-44s %12s %12s %8s\n", "scenario", "format",
	       "variant", "OLD ns", "NEW ns", "ratio");
	for (size_t i = 0; i < a.nr; i++) {
		for (size_t j = 0; j < b.nr; j++) {
			struct cmp_meas *x = &a.m[i], *y = &b.m[j];
			char counts[160];

			if (y->matched || !same_key(x, y))
				continue;
			x->matched = y->matched = true;
			both++;
			count_changes(x, y, counts, sizeof(counts));
			if (isnan(x->ns) || isnan(y->ns) || x->ns <= 0)
				printf("  %-14s %-16s %-44s %12s %12s %8s", x->scenario,
				       x->format, x->variant, "-", "-", "-");
			else
				printf("  %-14s %-16s %-44s %12.4g %12.4g %8.3f",
				       x->scenario, x->format, x->variant, x->ns,
				       y->ns, y->ns / x->ns);
			printf("%s%s\n", counts[0] ? "  counts changed: " : "",
			       counts);
			break;
		}
	}
	printf("  %zu measurements in both", both);
	if (both != a.nr || both != b.nr)
		printf(", %zu only in OLD, %zu only in NEW", a.nr - both,
		       b.nr - both);
	printf("\n");
	unmatched(&a, "OLD");
	unmatched(&b, "NEW");
out:
	free(a.text);
	free(a.m);
	free(b.text);
	free(b.m);
	return ret;
}

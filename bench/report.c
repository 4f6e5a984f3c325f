// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Results of `iopt bench`: human-readable tables by default, or one JSON
 * array holding one object per measurement (--json), one object a line.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static bool report_json;
static unsigned int report_objects;

void bench_result_init(struct bench_result *r, const char *scenario,
		       const char *format, const char *variant,
		       const char *unit, uint64_t count)
{
	memset(r, 0, sizeof(*r));
	r->scenario = scenario;
	snprintf(r->format, sizeof(r->format), "%s", format);
	snprintf(r->variant, sizeof(r->variant), "%s", variant);
	r->unit = unit;
	r->count = count;
	r->ratio_to_baseline = NAN;
	r->ratio_to_bound = NAN;
	r->per = 1;
}

void bench_result_extra(struct bench_result *r, const char *key, double v)
{
	for (unsigned int i = 0; i < r->nr_extra; i++) {
		if (!strcmp(r->extra[i].key, key)) {
			r->extra[i].value = v;
			return;
		}
	}
	if (r->nr_extra < BENCH_MAX_EXTRA) {
		r->extra[r->nr_extra].key = key;
		r->extra[r->nr_extra++].value = v;
	}
}

double bench_result_get(const struct bench_result *r, const char *key)
{
	for (unsigned int i = 0; i < r->nr_extra; i++)
		if (!strcmp(r->extra[i].key, key))
			return r->extra[i].value;
	return NAN;
}

void bench_result_vs(struct bench_result *r, const struct bench_result *base)
{
	snprintf(r->baseline, sizeof(r->baseline), "%s", base->variant);
	r->ratio_to_baseline = r->ns_per_unit / base->ns_per_unit;
}

void bench_result_vs_bound(struct bench_result *r,
			   const struct bench_result *bound)
{
	snprintf(r->bound, sizeof(r->bound), "%s", bound->variant);
	r->ratio_to_bound = r->ns_per_unit / bound->ns_per_unit;
}

void bench_report_begin(bool json)
{
	report_json = json;
	report_objects = 0;
	if (json)
		printf("[\n");
}

void bench_report_end(void)
{
	if (report_json)
		printf("%s]\n", report_objects ? "\n" : "");
	fflush(stdout);
}

void bench_report_heading(const char *id, const char *name, const char *text)
{
	if (report_json)
		return;
	printf("\n%s. %s: %s\n", id, name, text);
}

void bench_report_note(const char *fmt, ...)
{
	va_list ap;

	if (report_json)
		return;
	printf("   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int bench_fail(const char *scenario, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "iopt bench: %s: ", scenario);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return -1;
}

/* A JSON string; the names printed here never need more than quotes. */
static void json_str(const char *key, const char *s)
{
	printf("\"%s\": ", key);
	if (!s || !*s) {
		printf("null");
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void json_num(const char *key, double v)
{
	printf("\"%s\": ", key);
	if (isnan(v) || isinf(v))
		printf("null");
	else if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v)
		printf("%.0f", v);
	else
		printf("%.6g", v);
}

/* A JSON string member, then ", ". */
static void json_str_next(const char *key, const char *s)
{
	json_str(key, s);
	printf(", ");
}

static void print_json(const struct bench_result *r)
{
	printf("%s  {", report_objects++ ? ",\n" : "");
	json_str_next("scenario", r->scenario);
	json_str_next("format", r->format);
	json_str_next("variant", r->variant);
	json_str_next("unit", r->unit);
	printf("\"count\": %" PRIu64 ", ", r->count);
	json_num("ns_per_unit", r->ns_per_unit);
	if (r->no_counts)
		printf(", \"calls\": null, \"walks\": null, \"flushes\": null, ");
	else
		printf(", \"calls\": %" PRIu64 ", \"walks\": %" PRIu64
		       ", \"flushes\": %" PRIu64 ", ", r->calls, r->walks,
		       r->flushes);
	json_str_next("baseline", r->baseline);
	json_num("ratio_to_baseline", r->ratio_to_baseline);
	printf(", ");
	json_str_next("bound", r->bound);
	json_num("ratio_to_bound", r->ratio_to_bound);
	printf(", \"extra\": {");
	for (unsigned int i = 0; i < r->nr_extra; i++) {
		printf("%s", i ? ", " : "");
		json_num(r->extra[i].key, r->extra[i].value);
	}
	printf("}}");
}

/* A count for the human table: a total, or per unit of @per. */
static void cell_count(char *buf, size_t len, uint64_t v, uint64_t div)
{
	if (div <= 1 || v % div == 0)
		snprintf(buf, len, "%" PRIu64, div > 1 ? v / div : v);
	else
		snprintf(buf, len, (double)v / (double)div >= 0.01 ? "%.2f" : "%.2g",
			 (double)v / (double)div);
}

static void cell_ratio(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, v < 10 ? "%.3f" : v < 1000 ? "%.1f" : "%.0f", v);
}

/* ns per unit with three significant digits or more. */
static void cell_ns(char *buf, size_t len, double v)
{
	if (v >= 1e7)
		snprintf(buf, len, "%.3g", v);
	else if (v >= 100)
		snprintf(buf, len, "%.0f", v);
	else if (v >= 1)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.3f", v);
}

void bench_report_results(const struct bench_result *r, unsigned int n,
			  const struct bench_table_style *style)
{
	char c1[32], c2[32], c3[32], c4[32], c5[32], c6[32], unit[40];
	bool any_base = false, any_bound = false;
	int fw = 15;            /* the format column: wider for long names */
	uint64_t div;

	if (report_json) {
		for (unsigned int i = 0; i < n; i++)
			print_json(&r[i]);
		fflush(stdout);
		return;
	}
	if (!n)
		return;
	for (unsigned int i = 0; i < n; i++) {
		any_base |= r[i].baseline[0] != 0;
		any_bound |= r[i].bound[0] != 0;
		if ((int)strlen(r[i].format) > fw)
			fw = (int)strlen(r[i].format);
	}
	if (style->time_title)
		snprintf(unit, sizeof(unit), "%s", style->time_title);
	else
		snprintf(unit, sizeof(unit), "ns/%s", r[0].unit);
	printf("   %-*s %-29s %10s %12s %10s %8s", fw, "format", "variant", unit,
	       style->calls_title, "walks", "flushes");
	if (any_base)
		printf(" %9s", "x base");
	if (any_bound)
		printf(" %9s", "x bound");
	for (unsigned int k = 0; k < style->nr_columns; k++)
		printf(" %12s", style->columns[k].title);
	printf("\n");
	for (unsigned int i = 0; i < n; i++) {
		div = style->per_name && r[i].per ? r[i].per : 1;
		cell_ns(c1, sizeof(c1), r[i].ns_per_unit /
			(style->time_div > 0 ? style->time_div : 1));
		cell_count(c2, sizeof(c2), r[i].calls, div);
		cell_count(c3, sizeof(c3), r[i].walks, div);
		cell_count(c4, sizeof(c4), r[i].flushes, div);
		if (r[i].no_counts) {
			strcpy(c2, "-");
			strcpy(c3, "-");
			strcpy(c4, "-");
		}
		cell_ratio(c5, sizeof(c5), r[i].ratio_to_baseline);
		cell_ratio(c6, sizeof(c6), r[i].ratio_to_bound);
		printf("   %-*s %-29s %10s %12s %10s %8s", fw, r[i].format,
		       r[i].variant, c1, c2, c3, c4);
		if (any_base)
			printf(" %9s", c5);
		if (any_bound)
			printf(" %9s", c6);
		for (unsigned int k = 0; k < style->nr_columns; k++) {
			double v = bench_result_get(&r[i], style->columns[k].key);
			char cell[32];

			if (style->columns[k].per_unit)
				v /= (double)div;
			if (isnan(v))
				snprintf(cell, sizeof(cell), "-");
			else
				snprintf(cell, sizeof(cell), style->columns[k].fmt, v);
			printf(" %12s", cell);
		}
		printf("\n");
	}
	if (style->per_name)
		printf("   (counts per %s)\n", style->per_name);
	fflush(stdout);
}

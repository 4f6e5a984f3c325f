/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Trace reader: turns one line of text into one table operation, for
 * `iopt replay` and for programs that drive a table from recorded traffic.
 * Hosted only (uses the C library); not part of the freestanding core.
 *
 * Two syntaxes are accepted, line by line, and may be mixed in one file.
 *
 * 1. iopt lines (whitespace separated, case-sensitive keywords):
 *
 *      map IOVA PADDR SIZE [PROT]
 *      unmap IOVA SIZE
 *      lookup IOVA
 *
 *    Numbers are as iopt_trace_parse_u64() reads them (0x hex or decimal,
 *    optional K/M/G suffix). SIZE must not be 0. PROT is made of the
 *    letters r, w and x in any order, each at most once; '-' is ignored, so
 *    "rw-" and "r-x" read as expected. r sets IOPT_READ and w IOPT_WRITE;
 *    at least one of them is required. x means instruction fetches are
 *    allowed: without x the map gets IOPT_NOEXEC. c sets IOPT_CACHE, m
 *    IOPT_MMIO and p IOPT_PRIV (whether a format accepts the combination
 *    is the map's business, not the parser's). The default PROT is "rw",
 *    i.e. IOPT_READ | IOPT_WRITE | IOPT_NOEXEC. '#' starts a comment, on
 *    its own line or after a command; blank lines are ignored.
 *
 * 2. Linux ftrace text of the iommu:map and iommu:unmap events, with the
 *    usual prefix "TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: " (the FLAGS
 *    column and a "(TGID)" column are optional; perf's "iommu:map:" event
 *    name is accepted too), or with no prefix at all ("map: IOMMU: ...").
 *    Three layouts of the event text are read:
 *
 *      IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu
 *      IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu
 *          current mainline (the end address came with a patch of
 *          November 2021);
 *      IOMMU: iova=0x%016llx paddr=0x%016llx size=%zu
 *      IOMMU: iova=0x%016llx size=%zu unmapped_size=%zu
 *          the original layout (2013 onwards);
 *      IOMMU: dev=NAME iova=... (either of the two above after "dev=NAME ")
 *          a 2021 proposal that mainline did not take; some vendor
 *          kernels print it.
 *
 *    The end address, when present, must equal iova + size (modulo 2^64,
 *    as the kernel computes it); otherwise the line is malformed. The
 *    events do not record protection: maps get IOPT_READ | IOPT_WRITE
 *    (executable, as the kernel's DMA API maps). Lines of other ftrace
 *    events and lines starting with '#' (the ftrace header) are
 *    IOPT_TRACE_NONE. So are the header lines `trace-cmd report` prints
 *    before the events, "cpus=N" and "version = V", with @header set so
 *    that a reader can count them. A "CPU:N [LOST N EVENTS]" line is
 *    malformed: the trace has a gap, so a replay of it would silently
 *    diverge.
 *
 *    Unmap: the kernel's event has size (requested) and unmapped_size
 *    (what the IOMMU driver actually removed: less when it met a hole or
 *    failed, 0 when nothing was mapped, more when a driver removed a whole
 *    larger page). The reader returns unmapped_size in @size, so a replay
 *    reproduces the kernel's table, and the requested size in @req_size.
 */
#ifndef IOPT_TRACE_H
#define IOPT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "iopt.h"

#ifdef __cplusplus
extern "C" {
#endif

enum iopt_trace_kind {
	IOPT_TRACE_NONE = 0,   /* blank, comment, ftrace header, other event */
	IOPT_TRACE_MAP,
	IOPT_TRACE_UNMAP,
	IOPT_TRACE_LOOKUP,
};

/**
 * struct iopt_trace_op - one operation read from a trace line
 * @kind:     what to do; IOPT_TRACE_NONE means nothing.
 * @ftrace:   true when the line was Linux ftrace text.
 * @iova:     first IOVA (map, unmap, lookup).
 * @paddr:    first physical address (map).
 * @size:     bytes to map or unmap. For an ftrace unmap this is the
 *            event's unmapped_size and may be 0 (nothing to do).
 * @req_size: unmap: the size the caller asked for (the ftrace event's size=;
 *            equal to @size for iopt lines). Map: equal to @size.
 * @prot:     map: IOPT_* protection flags.
 * @header:   true for a trace-cmd report header line ("cpus=N",
 *            "version = V"); @kind is then IOPT_TRACE_NONE.
 *
 * Fields a kind does not use are 0.
 */
struct iopt_trace_op {
	enum iopt_trace_kind kind;
	bool ftrace;
	uint64_t iova;
	uint64_t paddr;
	uint64_t size;
	uint64_t req_size;
	unsigned int prot;
	bool header;
};

/**
 * iopt_trace_parse_u64() - read an unsigned 64-bit number
 * @s:   the text; no leading whitespace or sign is accepted.
 * @end: if not NULL, set on success to the first character after the
 *       number (and its suffix). If NULL, the number must be all of @s.
 * @out: set on success to the value.
 *
 * Accepts hexadecimal with a "0x" or "0X" prefix, or decimal (leading zeros
 * do not mean octal), optionally followed by one suffix K, M or G (either
 * case) multiplying by 2^10, 2^20 or 2^30.
 *
 * Return: 0; -EINVAL when @s or @out is NULL, there are no digits, or
 * (@end NULL) something follows the number; -ERANGE when the value, or the
 * value times its suffix, does not fit in 64 bits. On error *@end and *@out
 * are unchanged.
 */
int iopt_trace_parse_u64(const char *s, const char **end, uint64_t *out);

/**
 * iopt_trace_parse_line() - read one trace line (see the syntax above)
 * @line:    NUL-terminated text; a trailing "\n" or "\r\n" is allowed. A NUL
 *           byte ends the line: callers reading files should reject lines
 *           with embedded NULs themselves.
 * @op:      filled with the operation; on error set to IOPT_TRACE_NONE.
 * @why:     if not NULL, receives a one-line human reason on error (no
 *           trailing newline, truncated to @why_len, non-printable bytes
 *           shown as \xNN); set to "" on success.
 * @why_len: size of @why in bytes.
 *
 * Return: 0 on success, where @op->kind may be IOPT_TRACE_NONE; -EINVAL for
 * a malformed line (unknown command, missing or extra fields, bad number or
 * one that does not fit in 64 bits, bad PROT, size 0, ftrace end address
 * mismatch, lost-events marker) or a NULL @line or @op.
 */
int iopt_trace_parse_line(const char *line, struct iopt_trace_op *op,
			  char *why, size_t why_len);

#ifdef __cplusplus
}
#endif
#endif /* IOPT_TRACE_H */

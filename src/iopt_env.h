/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The core's only window on its environment (after libfdt's libfdt_env.h).
 * The engine, formats, gather and arena include this and nothing else from
 * the C library. A firmware or kernel port replaces this file, or builds
 * with IOPT_FREESTANDING, where only the compiler's own freestanding headers
 * are used and memset/memcpy are the compiler's builtins (a freestanding C
 * environment must provide memset, memcpy, memmove and memcmp).
 */
#ifndef IOPT_ENV_H
#define IOPT_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef IOPT_FREESTANDING
/* Linux errno numbers, so results mean the same on every host. */
#define EPERM 1
#define ENOENT 2
#define EIO 5
#define EAGAIN 11
#define EXDEV 18
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22
#define ERANGE 34
#define ENOTSUP 95
#define EOVERFLOW 75
#define iopt_memset(p, c, n) __builtin_memset((p), (c), (n))
#define iopt_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#else
#include <errno.h>
#include <string.h>
#define iopt_memset(p, c, n) memset((p), (c), (n))
#define iopt_memcpy(d, s, n) memcpy((d), (s), (n))
#endif

#ifndef ENOTSUP
#define ENOTSUP EOPNOTSUPP
#endif

/* Page-table entries are little-endian in memory whatever the host. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define iopt_le64(x) __builtin_bswap64(x)
#define iopt_le32(x) __builtin_bswap32(x)
#else
#define iopt_le64(x) ((uint64_t)(x))
#define iopt_le32(x) ((uint32_t)(x))
#endif

#define iopt_likely(x) __builtin_expect(!!(x), 1)
#define iopt_unlikely(x) __builtin_expect(!!(x), 0)

#endif /* IOPT_ENV_H */

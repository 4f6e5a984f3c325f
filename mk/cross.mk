# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# Cross builds: the test suite on a big-endian host, under qemu-user.
#
#   make check-be       build the library, the iopt tool and every test
#                       program (tests/test_*.c) with s390x-linux-gnu-gcc into
#                       $(O)-s390x, then run tests/run.sh on them, and on every
#                       tests/t_*.sh, through qemu-s390x (TAP; ends with
#                       "N passed, N failed", like make check).
#   make build-be       only the cross build (needs no qemu).
#
# Page-table entries are little-endian in memory whatever the host; s390x is
# big-endian, so this is where a missing iopt_le64() shows up
# (tests/test_endian.c looks at the bytes).
#
# Needs (Debian): gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user;
# .ci/steps/bigendian.sh installs them. No binfmt_misc registration is needed:
# every executable the cross build leaves in $(CROSS_O) (the tool, the test
# programs, anything a mk/*.mk part adds) gets a small sh wrapper at the same
# place under $(CROSS_O)/qemu/ that execs it through qemu with the caller's
# arguments and working directory. run.sh runs from the repository root, as
# in make check (tests may open files relative to it), and gets
# O=$(CROSS_O)/qemu, so a shell test's $O/iopt is a wrapper too.
#
# Variables:
#   CROSS_TRIPLE   s390x-linux-gnu   (compiler and binutils prefix)
#   CROSS_QEMU     qemu-s390x        (qemu-user binary for that target)
#   CROSS_SYSROOT  /usr/$(CROSS_TRIPLE)  (target libc; qemu's -L)
#   CROSS_O        $(O)-<cpu>        (build directory; <cpu> is the triple's
#                                     first part: build-s390x)
#   CROSS_TEST_OPS 100000            (IOPT_TEST_OPS for test_diff: the
#                                     native default; lower it on a slow
#                                     machine, an operation costs 4-5x as
#                                     long under qemu-s390x)
# e.g. 64-bit PowerPC, also big-endian (gcc-powerpc64-linux-gnu,
# libc6-dev-ppc64-cross):
#   make check-be CROSS_TRIPLE=powerpc64-linux-gnu CROSS_QEMU=qemu-ppc64
# An environment IOPT_TEST_OPS or IOPT_TEST_SEED is passed through unchanged.

CROSS_TRIPLE   ?= s390x-linux-gnu
CROSS_QEMU     ?= qemu-s390x
CROSS_SYSROOT  ?= /usr/$(CROSS_TRIPLE)
CROSS_O        ?= $(O)-$(firstword $(subst -, ,$(CROSS_TRIPLE)))
CROSS_TEST_OPS ?= 100000

# Test programs and the tool, relative to the build directory. Expanded only
# in recipes: this file is included before the Makefile lists TEST_SRCS.
cross_progs = iopt $(patsubst tests/%.c,tests/%,$(TEST_SRCS))

.PHONY: build-be check-be

build-be:
	@command -v $(CROSS_TRIPLE)-gcc >/dev/null 2>&1 || \
		{ echo "build-be: $(CROSS_TRIPLE)-gcc not found (Debian: gcc-$(CROSS_TRIPLE) and the libc6-dev-<arch>-cross it needs)"; exit 1; }
	$(MAKE) --no-print-directory CC=$(CROSS_TRIPLE)-gcc AR=$(CROSS_TRIPLE)-ar \
		O=$(CROSS_O) all $(addprefix $(CROSS_O)/,$(cross_progs))

check-be: build-be
	@command -v $(CROSS_QEMU) >/dev/null 2>&1 || \
		{ echo "check-be: $(CROSS_QEMU) not found (Debian: apt-get install qemu-user)"; exit 1; }
	@rm -rf $(CROSS_O)/qemu
	@cd $(CROSS_O) && find . -name qemu -prune -o -type f -perm -u+x \
		! -name '*.so' ! -name '*.so.*' -print | sed 's,^\./,,' | \
	while read -r p; do \
		mkdir -p "qemu/$$(dirname "$$p")" && \
		printf '#!/bin/sh\nexec %s -L '\''%s'\'' '\''%s'\'' "$$@"\n' '$(CROSS_QEMU)' \
			'$(CROSS_SYSROOT)' "$$PWD/$$p" >"qemu/$$p" && \
		chmod +x "qemu/$$p" || exit 1; \
	done
	@$(CROSS_O)/qemu/iopt formats >/dev/null 2>&1 || \
		{ echo "check-be: $(CROSS_QEMU) cannot run $(CROSS_O)/iopt (-L $(CROSS_SYSROOT))"; exit 1; }
	@echo "check-be: $(CROSS_TRIPLE) programs under $(CROSS_QEMU), IOPT_TEST_OPS=$${IOPT_TEST_OPS:-$(CROSS_TEST_OPS)}"
	@IOPT_TEST_OPS=$${IOPT_TEST_OPS:-$(CROSS_TEST_OPS)} O=$(CROSS_O)/qemu \
		sh tests/run.sh $(addprefix $(CROSS_O)/qemu/,$(filter tests/%,$(cross_progs)))

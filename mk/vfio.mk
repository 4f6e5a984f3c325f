# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# The VFIO / iommufd consumer model (include/iopt/vfio.h): simulated host
# memory with folios and pinning, a VFIO type1 container with four DMA_UNMAP
# traversal strategies, and iommufd-style PFN collection. Hosted code (it
# uses malloc), so it joins HOST_SRCS: it ends up in libiopt.a and
# libiopt.so but not in the freestanding core. tests/test_vfio.c tests it.
#
# This file is included before the Makefile derives LIB_OBJS from
# HOST_SRCS, so appending is enough.

HOST_SRCS += src/vfio/host.c src/vfio/type1.c src/vfio/pfns.c

# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# The simulated IOMMU (include/iopt/hwsim.h): independent table walkers, an
# IOTLB and walk cache with invalidation commands, and the oracles tests use
# (stale cached entries, walks through freed tables). Hosted code (it
# allocates its caches with malloc), so it joins HOST_SRCS and lands in
# libiopt.a / libiopt.so; tests/test_hwsim.c links it from there.
HOST_SRCS += src/hwsim/walk.c src/hwsim/iotlb.c src/hwsim/hwsim.c
HOST_SRCS += src/hwsim/riscv.c
HOST_SRCS += src/hwsim/amd_v1.c
HOST_SRCS += src/hwsim/vtd_ss.c

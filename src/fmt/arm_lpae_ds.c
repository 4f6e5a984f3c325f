// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * ARM LPAE with FEAT_LPA2's descriptor layout (TCR.DS = 1): the engine
 * instances for the 4K and 16K granules. See arm_lpae.c.
 */
#include "fmt/arm_lpae.h"

#define ARM_DS 1
#define PT_GRANULE_LG2 12
#define PT_NAME(x) arm_4k_ds_##x
#include "pt/pt_engine.h"

#define PT_GRANULE_LG2 14
#define PT_NAME(x) arm_16k_ds_##x
#include "pt/pt_engine.h"
#undef ARM_DS

const struct iopt_fmt_ops *iopt_arm_lpae_ds_ops(unsigned int g)
{
	return g == 12 ? &arm_4k_ds_ops : &arm_16k_ds_ops;
}

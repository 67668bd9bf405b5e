/* The built-in reference driver, a correct WDM interrupt path for the irqrig endpoint.
 * Written in C against the rig's WDK headers, exactly as a plug-in driver would be. */
#pragma once

#include "irqrig/rig.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const IRQRIG_DRIVER IrqrigReferenceDriver;

#ifdef __cplusplus
}
#endif

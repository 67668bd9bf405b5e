/* The built-in mutants: the reference driver with one real driver bug each (docs/drivers.md
 * "Mutants"). Each is C against the rig's WDK headers; host/drivers/mutants/registry.h lists them. */
#pragma once

#include "irqrig/rig.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const IRQRIG_DRIVER IrqrigMutantOneEventPerDpc;
extern const IRQRIG_DRIVER IrqrigMutantClaimsForeignMessage;
extern const IRQRIG_DRIVER IrqrigMutantLeavesVectorMasked;
extern const IRQRIG_DRIVER IrqrigMutantConsumerBeforeRead;
extern const IRQRIG_DRIVER IrqrigMutantRingWrap;
extern const IRQRIG_DRIVER IrqrigMutantUnsynchronizedCounter;
extern const IRQRIG_DRIVER IrqrigMutantDpcRequeuesForever;
extern const IRQRIG_DRIVER IrqrigMutantIpiWorkerCallerOnly;
extern const IRQRIG_DRIVER IrqrigMutantAckAfterDrain;

#ifdef __cplusplus
}
#endif

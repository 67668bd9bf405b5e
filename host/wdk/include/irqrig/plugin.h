/* How the rig finds a driver in a shared library (`irqrig run --driver PATH.so`): the entry a
 * plug-in exports. docs/drivers.md has the whole contract, KMDF drivers' DriverEntry included. */
#pragma once

#include "irqrig/rig.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A plain WDM plug-in exports this function; the rig calls it once after loading the library and
 * drives the IRQRIG_DRIVER it returns (StartDevice at PASSIVE_LEVEL on CPU 0, StopDevice at the
 * end). The structure must stay valid until the library is unloaded. A KMDF driver exports its
 * DriverEntry instead; when a library exports both, IrqrigDriverEntry is used. */
#define IRQRIG_DRIVER_ENTRY_SYMBOL "IrqrigDriverEntry"
typedef const IRQRIG_DRIVER* IRQRIG_DRIVER_ENTRY(void);
__attribute__((visibility("default"))) IRQRIG_DRIVER_ENTRY IrqrigDriverEntry;

#ifdef __cplusplus
}
#endif

/* A plug-in whose entry returns no driver. */
#include "irqrig/plugin.h"

const IRQRIG_DRIVER* IrqrigDriverEntry(void) { return NULL; }

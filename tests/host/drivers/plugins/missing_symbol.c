/* A plug-in that calls a kernel routine the rig does not provide (declared here, as a driver
 * would find it in the real <wdm.h>): loading it must fail and name the routine. */
#include <ntddk.h>

#include "irqrig/plugin.h"

VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4);

static NTSTATUS Start(const IRQRIG_RESOURCES* Resources, PVOID* Context) {
  UNREFERENCED_PARAMETER(Resources);
  UNREFERENCED_PARAMETER(Context);
  KeBugCheckEx(0xE2, 0, 0, 0, 0);
  return STATUS_SUCCESS;
}

static const IRQRIG_DRIVER Driver = {"missing_symbol", Start, NULL};

const IRQRIG_DRIVER* IrqrigDriverEntry(void) { return &Driver; }

/* Exports IrqrigDriverEntry and a DriverEntry: the rig takes the former (docs/drivers.md). */
#include <ntddk.h>

#include "irqrig/plugin.h"

DRIVER_INITIALIZE DriverEntry;

static NTSTATUS Start(const IRQRIG_RESOURCES* Resources, PVOID* Context) {
  UNREFERENCED_PARAMETER(Resources);
  UNREFERENCED_PARAMETER(Context);
  return STATUS_NOT_SUPPORTED;
}

static const IRQRIG_DRIVER Driver = {"both_entries", Start, NULL};

const IRQRIG_DRIVER* IrqrigDriverEntry(void) { return &Driver; }

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNREFERENCED_PARAMETER(DriverObject);
  UNREFERENCED_PARAMETER(RegistryPath);
  return STATUS_SUCCESS;
}

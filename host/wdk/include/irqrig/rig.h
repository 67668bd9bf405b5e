/* What the rig hands a driver at start (the translated resources of a WDM start-device) and the
 * one call a driver makes back: each event record it has handled, for the exactly-once ledger. */
#pragma once

#include "irqrig/wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The record the endpoint DMAs into the ring (layout from rtl/regs/irqrig_regs.json). */
typedef struct _IRQRIG_EVENT_RECORD {
  ULONG Sequence;
  USHORT Vector;
  USHORT Flags; /* bit 0: valid */
  ULONG64 Timestamp; /* device clock cycles */
} IRQRIG_EVENT_RECORD, *PIRQRIG_EVENT_RECORD;

/* The scenario's host.dpc settings: what a real driver would read from its registry key. */
typedef struct _IRQRIG_DRIVER_PARAMETERS {
  KDPC_IMPORTANCE DpcImportance;  /* host.dpc.importance */
  LONG DpcTargetProcessor;        /* host.dpc.target: a processor number, or -1 for the inserting one */
  BOOLEAN ThreadedDpc;            /* host.dpc.threaded: KeInitializeThreadedDpc instead of KeInitializeDpc */
} IRQRIG_DRIVER_PARAMETERS;

typedef struct _IRQRIG_RESOURCES {
  PDEVICE_OBJECT PhysicalDeviceObject;
  PHYSICAL_ADDRESS Bar0;        /* CmResourceTypeMemory, translated */
  ULONG Bar0Length;
  ULONG MessageCount;           /* CmResourceTypeInterrupt, message-signalled, granted */
  PVOID CommonBuffer;           /* a DMA common buffer: virtual address ... */
  PHYSICAL_ADDRESS CommonBufferLogical; /* ... and the address the device writes to */
  ULONG CommonBufferLength;
  ULONG RingEntries;            /* device.ring.entries of the scenario */
  IRQRIG_DRIVER_PARAMETERS Parameters;
} IRQRIG_RESOURCES, *PIRQRIG_RESOURCES;

/* A driver under test: the start-device and stop-device halves of its PnP path. */
typedef struct _IRQRIG_DRIVER {
  const char* Name;
  NTSTATUS (*StartDevice)(const IRQRIG_RESOURCES* Resources, PVOID* DeviceContext);
  VOID (*StopDevice)(PVOID DeviceContext);
} IRQRIG_DRIVER;

/* The driver has handled this record: the rig checks it was written and handled exactly once. */
VOID IrqrigEventProcessed(const IRQRIG_EVENT_RECORD* Record);

#ifdef __cplusplus
}
#endif

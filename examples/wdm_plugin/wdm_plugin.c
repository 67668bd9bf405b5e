/* An irqrig plug-in driver on the rig's start-device contract (<irqrig/plugin.h>), written as a
 * WDM driver: one DPC per message, each queued to the processor its message targets. */
#include <ntddk.h>

#include "irqrig/plugin.h"
#include "irqrig/regs_c.h"

/* Pool tag of every allocation the driver makes (shown reversed by the debugger's !poolused). */
#define POOL_TAG 'pWqI'

/* Unlike the built-in reference driver (one DPC for every message), each message here has its own
 * DPC, so the DPCs of messages on different CPUs run in parallel and contend for the ring only in
 * the drain; the scenario's host.dpc settings (importance, threaded) apply to each of them. */
typedef struct _MESSAGE_DPC {
  KDPC Dpc;
  struct _DEVICE_EXTENSION* Extension;
  ULONG MessageId;
} MESSAGE_DPC, *PMESSAGE_DPC;

typedef struct _DEVICE_EXTENSION {
  PUCHAR Bar0;
  ULONG Bar0Length;
  PIO_INTERRUPT_MESSAGE_INFO Messages;
  PMESSAGE_DPC MessageDpcs;
  ULONG MessageCount;
  KSPIN_LOCK RingLock;
  const IRQRIG_EVENT_RECORD* Ring;
  volatile const ULONG* Producer;
  ULONG RingMask;
  ULONG Consumer;
} DEVICE_EXTENSION, *PDEVICE_EXTENSION;

static volatile ULONG* Register(PDEVICE_EXTENSION Ext, ULONG Offset) {
  return (volatile ULONG*)(Ext->Bar0 + Offset);
}

static BOOLEAN PluginIsr(PKINTERRUPT Interrupt, PVOID ServiceContext, ULONG MessageID) {
  PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)ServiceContext;
  UNREFERENCED_PARAMETER(Interrupt);
  if (MessageID >= ext->MessageCount) return FALSE;
  /* Flushes the device's posted record writes: everything below RING_PROD is in memory. */
  (void)READ_REGISTER_ULONG(Register(ext, IRQRIG_REG_RING_PROD));
  KeInsertQueueDpc(&ext->MessageDpcs[MessageID].Dpc, NULL, NULL);
  return TRUE;
}

_Function_class_(KDEFERRED_ROUTINE)
static VOID PluginDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2) {
  PMESSAGE_DPC md = (PMESSAGE_DPC)DeferredContext;
  PDEVICE_EXTENSION ext = md->Extension;
  KLOCK_QUEUE_HANDLE lock;
  ULONG producer;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);
  /* A threaded DPC runs at PASSIVE_LEVEL: the non-AtDpcLevel form raises as needed. */
  KeAcquireInStackQueuedSpinLock(&ext->RingLock, &lock);
  producer = *ext->Producer;
  while (ext->Consumer != producer) {
    IrqrigEventProcessed(&ext->Ring[ext->Consumer & ext->RingMask]);
    ext->Consumer++;
    producer = *ext->Producer;
  }
  WRITE_REGISTER_ULONG(Register(ext, IRQRIG_REG_RING_CONS), ext->Consumer);
  KeReleaseInStackQueuedSpinLock(&lock);
}

static ULONG FirstProcessor(KAFFINITY Set) {
  ULONG n = 0;
  while (Set && !(Set & 1)) {
    Set >>= 1;
    n++;
  }
  return n;
}

static VOID PluginStopDevice(PVOID DeviceContext);

static NTSTATUS PluginStartDevice(const IRQRIG_RESOURCES* Res, PVOID* DeviceContext) {
  PDEVICE_EXTENSION ext;
  IO_CONNECT_INTERRUPT_PARAMETERS connect;
  NTSTATUS status;
  ULONG k, log2 = 0;
  ULONG64 ring = (ULONG64)Res->CommonBufferLogical.QuadPart;
  ULONG64 producer = ring + (ULONG64)Res->RingEntries * sizeof(IRQRIG_EVENT_RECORD);

  if (Res->RingEntries == 0 || (Res->RingEntries & (Res->RingEntries - 1)) != 0) return STATUS_INVALID_PARAMETER;
  ext = (PDEVICE_EXTENSION)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *ext, POOL_TAG);
  if (!ext) return STATUS_INSUFFICIENT_RESOURCES;
  ext->Bar0 = (PUCHAR)MmMapIoSpace(Res->Bar0, Res->Bar0Length, MmNonCached);
  if (!ext->Bar0) {
    ExFreePoolWithTag(ext, POOL_TAG);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  ext->Bar0Length = Res->Bar0Length;
  ext->Ring = (const IRQRIG_EVENT_RECORD*)Res->CommonBuffer;
  ext->Producer = (volatile const ULONG*)(ext->Ring + Res->RingEntries);
  ext->RingMask = Res->RingEntries - 1;
  KeInitializeSpinLock(&ext->RingLock);
  while ((1u << log2) < Res->RingEntries) log2++;

  WRITE_REGISTER_ULONG(Register(ext, IRQRIG_REG_RING_BASE_LO), (ULONG)ring);
  WRITE_REGISTER_ULONG(Register(ext, IRQRIG_REG_RING_BASE_HI), (ULONG)(ring >> 32));
  WRITE_REGISTER_ULONG(Register(ext, IRQRIG_REG_RING_LOG2), log2);
  WRITE_REGISTER_ULONG(Register(ext, IRQRIG_REG_RING_PROD_ADDR_LO), (ULONG)producer);
  WRITE_REGISTER_ULONG(Register(ext, IRQRIG_REG_RING_PROD_ADDR_HI), (ULONG)(producer >> 32));
  ext->Consumer = READ_REGISTER_ULONG(Register(ext, IRQRIG_REG_RING_PROD));
  WRITE_REGISTER_ULONG(Register(ext, IRQRIG_REG_RING_CONS), ext->Consumer);

  RtlZeroMemory(&connect, sizeof connect);
  connect.Version = CONNECT_MESSAGE_BASED;
  connect.MessageBased.PhysicalDeviceObject = Res->PhysicalDeviceObject;
  connect.MessageBased.ConnectionContext.InterruptMessageTable = &ext->Messages;
  connect.MessageBased.MessageServiceRoutine = PluginIsr;
  connect.MessageBased.ServiceContext = ext;
  /* The DPCs must exist before the first message can arrive: they are set up for the count the
   * resources name, and the ISR ignores any message past it. */
  ext->MessageCount = Res->MessageCount;
  const SIZE_T messages = ext->MessageCount ? ext->MessageCount : 1;
  ext->MessageDpcs = (PMESSAGE_DPC)ExAllocatePool2(POOL_FLAG_NON_PAGED, messages * sizeof(MESSAGE_DPC), POOL_TAG);
  if (!ext->MessageDpcs) {
    PluginStopDevice(ext);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  for (k = 0; k < ext->MessageCount; k++) {
    PMESSAGE_DPC md = &ext->MessageDpcs[k];
    md->Extension = ext;
    md->MessageId = k;
    if (Res->Parameters.ThreadedDpc) {
      KeInitializeThreadedDpc(&md->Dpc, PluginDpc, md);
    } else {
      KeInitializeDpc(&md->Dpc, PluginDpc, md);
    }
    KeSetImportanceDpc(&md->Dpc, Res->Parameters.DpcImportance);
  }
  status = IoConnectInterruptEx(&connect);
  if (!NT_SUCCESS(status)) {
    ext->Messages = NULL;
    PluginStopDevice(ext);
    return status;
  }
  /* Each DPC goes to the processor its message targets, unless the scenario names one. */
  for (k = 0; k < ext->MessageCount && k < ext->Messages->MessageCount; k++) {
    const LONG target = Res->Parameters.DpcTargetProcessor;
    KeSetTargetProcessorDpc(&ext->MessageDpcs[k].Dpc,
                            (CCHAR)(target >= 0 ? (ULONG)target : FirstProcessor(ext->Messages->MessageInfo[k].TargetProcessorSet)));
  }
  *DeviceContext = ext;
  return STATUS_SUCCESS;
}

static VOID PluginStopDevice(PVOID DeviceContext) {
  PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)DeviceContext;
  if (!ext) return;
  if (ext->Messages) {
    IO_DISCONNECT_INTERRUPT_PARAMETERS disconnect;
    disconnect.Version = CONNECT_MESSAGE_BASED;
    disconnect.ConnectionContext.InterruptMessageTable = ext->Messages;
    IoDisconnectInterruptEx(&disconnect);
    /* No DPC of ours may still be queued or running when its memory goes. */
    KeFlushQueuedDpcs();
  }
  MmUnmapIoSpace(ext->Bar0, ext->Bar0Length);
  ExFreePoolWithTag(ext->MessageDpcs, POOL_TAG);
  ExFreePoolWithTag(ext, POOL_TAG);
}

static const IRQRIG_DRIVER PluginDriver = {"wdm_plugin", PluginStartDevice, PluginStopDevice};

const IRQRIG_DRIVER* IrqrigDriverEntry(void) { return &PluginDriver; }

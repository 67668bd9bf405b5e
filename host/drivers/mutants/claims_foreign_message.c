/* Mutant claims_foreign_message: the reference driver whose ISR claims every call, its own
 * interrupt or not.
 * The author knew that MSI and MSI-X messages are never shared between devices, so the message
 * ISR returns TRUE whenever it is called. But on a CPU with more messages than free IDT vectors,
 * several of the driver's own messages share one vector (SEMANTICS D3) and the ISR is called for
 * each in turn: claiming an interrupt another message sent stops the chain there (the first TRUE
 * wins), so the ISR runs for a message that did not interrupt and the one that did is never
 * called. Nothing is lost here only because one DPC drains the whole ring; a driver with a queue
 * per message would strand the other message's events. A shared message's ISR must check its own
 * message's status and return FALSE when there is nothing for it.
 * Caught by scenarios/many_vectors_one_cpu.yaml (128 messages on one CPU): isr_balance (ISRs claim
 * interrupts their message did not send; the scenario's expect:isr.declined fails as well). */
#include "host/drivers/mutants/mutants_c.h"


#include "irqrig/regs_c.h"

/* Pool tag of every allocation the driver makes (shown reversed by the debugger's !poolused). */
#define POOL_TAG 'fRqI'

typedef struct _DEVICE_EXTENSION {
  PUCHAR Bar0;
  ULONG Bar0Length;
  PIO_INTERRUPT_MESSAGE_INFO Messages;
  KDPC Dpc;
  KSPIN_LOCK RingLock;
  const IRQRIG_EVENT_RECORD* Ring;
  volatile const ULONG* Producer; /* written by the device after each record */
  ULONG RingMask;
  ULONG Consumer;
  volatile LONG IsrCount;
  ULONG MessageCount;
} DEVICE_EXTENSION, *PDEVICE_EXTENSION;

static volatile ULONG* Reg(PDEVICE_EXTENSION Ext, ULONG Offset) { return (volatile ULONG*)(Ext->Bar0 + Offset); }

static BOOLEAN MutantIsr(PKINTERRUPT Interrupt, PVOID ServiceContext, ULONG MessageID) {
  PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)ServiceContext;
  (void)Interrupt;
  /* The read flushes the device's posted record writes ahead of it (a completion never passes a
   * posted write), so everything up to this producer index is in memory when the DPC looks. */
  (void)READ_REGISTER_ULONG(Reg(ext, IRQRIG_REG_RING_PROD));
  /* BUG: "messages are never shared": every call is taken for ours (see the header). */
  if (MessageID >= ext->MessageCount) return FALSE;
  InterlockedIncrement(&ext->IsrCount);
  KeInsertQueueDpc(&ext->Dpc, NULL, NULL);
  return TRUE;
}

static VOID MutantDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2) {
  PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)DeferredContext;
  KLOCK_QUEUE_HANDLE lock;
  ULONG producer;
  (void)Dpc;
  (void)SystemArgument1;
  (void)SystemArgument2;
  /* One DPC object serves every message; on several CPUs two instances can run at once, so the
   * ring is drained under a lock and each record is taken exactly once. A threaded DPC runs at
   * PASSIVE_LEVEL, so the lock is taken with the call that raises to DISPATCH_LEVEL when needed. */
  KeAcquireInStackQueuedSpinLock(&ext->RingLock, &lock);
  producer = *ext->Producer;
  while (ext->Consumer != producer) {
    IrqrigEventProcessed(&ext->Ring[ext->Consumer & ext->RingMask]);
    ext->Consumer++;
    producer = *ext->Producer;
  }
  WRITE_REGISTER_ULONG(Reg(ext, IRQRIG_REG_RING_CONS), ext->Consumer);
  KeReleaseInStackQueuedSpinLock(&lock);
}

static VOID ReleaseExtension(PDEVICE_EXTENSION Ext) {
  MmUnmapIoSpace(Ext->Bar0, Ext->Bar0Length);
  ExFreePoolWithTag(Ext, POOL_TAG);
}

static NTSTATUS MutantStartDevice(const IRQRIG_RESOURCES* Res, PVOID* DeviceContext) {
  PDEVICE_EXTENSION ext;
  IO_CONNECT_INTERRUPT_PARAMETERS connect;
  NTSTATUS status;
  ULONG log2 = 0;
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
  ext->Producer = (volatile const ULONG*)((const UCHAR*)Res->CommonBuffer +
                                          Res->RingEntries * sizeof(IRQRIG_EVENT_RECORD));
  ext->RingMask = Res->RingEntries - 1;
  while ((1u << log2) < Res->RingEntries) log2++;
  /* The DPC as the registry (the scenario's host.dpc) asks: threaded or not, its importance, and
   * a fixed target processor or the one the ISR runs on. */
  if (Res->Parameters.ThreadedDpc) {
    KeInitializeThreadedDpc(&ext->Dpc, MutantDpc, ext);
  } else {
    KeInitializeDpc(&ext->Dpc, MutantDpc, ext);
  }
  KeSetImportanceDpc(&ext->Dpc, Res->Parameters.DpcImportance);
  if (Res->Parameters.DpcTargetProcessor >= 0) {
    if ((ULONG)Res->Parameters.DpcTargetProcessor >= KeQueryActiveProcessorCount(NULL)) {
      MmUnmapIoSpace(ext->Bar0, ext->Bar0Length);
      ExFreePoolWithTag(ext, POOL_TAG);
      return STATUS_INVALID_PARAMETER;
    }
    KeSetTargetProcessorDpc(&ext->Dpc, (CCHAR)Res->Parameters.DpcTargetProcessor);
  }
  KeInitializeSpinLock(&ext->RingLock);

  WRITE_REGISTER_ULONG(Reg(ext, IRQRIG_REG_RING_BASE_LO), (ULONG)ring);
  WRITE_REGISTER_ULONG(Reg(ext, IRQRIG_REG_RING_BASE_HI), (ULONG)(ring >> 32));
  WRITE_REGISTER_ULONG(Reg(ext, IRQRIG_REG_RING_LOG2), log2);
  WRITE_REGISTER_ULONG(Reg(ext, IRQRIG_REG_RING_PROD_ADDR_LO), (ULONG)producer);
  WRITE_REGISTER_ULONG(Reg(ext, IRQRIG_REG_RING_PROD_ADDR_HI), (ULONG)(producer >> 32));
  ext->Consumer = READ_REGISTER_ULONG(Reg(ext, IRQRIG_REG_RING_PROD));
  WRITE_REGISTER_ULONG(Reg(ext, IRQRIG_REG_RING_CONS), ext->Consumer);

  connect.Version = CONNECT_MESSAGE_BASED;
  connect.MessageBased.PhysicalDeviceObject = Res->PhysicalDeviceObject;
  connect.MessageBased.ConnectionContext.InterruptMessageTable = &ext->Messages;
  connect.MessageBased.MessageServiceRoutine = MutantIsr;
  connect.MessageBased.ServiceContext = ext;
  connect.MessageBased.SpinLock = NULL;
  connect.MessageBased.SynchronizeIrql = 0;
  connect.MessageBased.FloatingSave = FALSE;
  connect.MessageBased.FallBackServiceRoutine = NULL;
  ext->MessageCount = Res->MessageCount;
  status = IoConnectInterruptEx(&connect);
  if (!NT_SUCCESS(status)) {
    ReleaseExtension(ext);
    return status;
  }
  *DeviceContext = ext;
  return STATUS_SUCCESS;
}

static VOID MutantStopDevice(PVOID DeviceContext) {
  PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)DeviceContext;
  IO_DISCONNECT_INTERRUPT_PARAMETERS disconnect;
  if (!ext) return;
  disconnect.Version = CONNECT_MESSAGE_BASED;
  disconnect.ConnectionContext.InterruptMessageTable = ext->Messages;
  /* Returns once no ISR runs any more. The DPC may still be queued (a Low or remote one can wait
   * for a clock tick) or running: dequeue it, then wait for every DPC queued before, so nothing
   * touches the extension or the mapping once they are gone. */
  IoDisconnectInterruptEx(&disconnect);
  KeRemoveQueueDpc(&ext->Dpc);
  KeFlushQueuedDpcs();
  ReleaseExtension(ext);
}

const IRQRIG_DRIVER IrqrigMutantClaimsForeignMessage =
    {"mutant:claims_foreign_message", MutantStartDevice, MutantStopDevice};

/* Mutant ring_wrap: the reference driver with a ring-wrap error in its DPC.
 * The author drains "from the consumer's slot up to the producer's slot": a loop over slot
 * indices, `for (slot = first; slot < last; slot++)`. That is right until the producer wraps to
 * the start of the ring: then last < first, the loop never runs, and the slot before the wrap is
 * never reached at all, so the consumer index stops for good, the ring fills and the device
 * stalls. Tested with bursts shorter than the ring, it never showed. Indices must be free-running
 * and compared as counts (`producer - consumer`), or the slot walked modulo the ring size.
 * Caught by scenarios/default.yaml (10000 events through a 1024-entry ring): exactly_once. */
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
  /* For messages that share an IDT vector (SEMANTICS D3: more messages on a CPU than it has
   * vectors): which of them sent an interrupt, learned from the records' vectors. */
  ULONG MessageCount;
  BOOLEAN* Shared;        /* per message: another of ours has the same vector on the same CPU */
  volatile LONG* Pending; /* per message: records counted against it, not yet claimed by its ISR */
  volatile LONG ScanIndex; /* records before this ring index have been counted */
} DEVICE_EXTENSION, *PDEVICE_EXTENSION;

static volatile ULONG* Reg(PDEVICE_EXTENSION Ext, ULONG Offset) { return (volatile ULONG*)(Ext->Bar0 + Offset); }

/* Whether records for MessageID arrived since its ISR last claimed one. Every record before
 * `Producer` is counted once, by whichever ISR reaches it first, against the message its vector is
 * sent on (MSI-X: the vector; MSI: the vector modulo the messages granted). */
static BOOLEAN ClaimMessage(PDEVICE_EXTENSION Ext, ULONG MessageID, ULONG Producer) {
  for (;;) {
    const LONG scan = Ext->ScanIndex;
    const IRQRIG_EVENT_RECORD* record;
    if ((LONG)(Producer - (ULONG)scan) <= 0) break; /* another ISR may have read a later index */
    if (InterlockedCompareExchange(&Ext->ScanIndex, scan + 1, scan) != scan) continue;
    record = &Ext->Ring[(ULONG)scan & Ext->RingMask];
    InterlockedIncrement(&Ext->Pending[record->Vector % Ext->MessageCount]);
  }
  return InterlockedExchange(&Ext->Pending[MessageID], 0) != 0 ? TRUE : FALSE;
}

static BOOLEAN MutantIsr(PKINTERRUPT Interrupt, PVOID ServiceContext, ULONG MessageID) {
  PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)ServiceContext;
  ULONG producer;
  (void)Interrupt;
  /* The read flushes the device's posted record writes ahead of it (a completion never passes a
   * posted write), so everything up to this producer index is in memory when the DPC looks. */
  producer = READ_REGISTER_ULONG(Reg(ext, IRQRIG_REG_RING_PROD));
  /* A message alone on its vector is ours whenever it arrives. One sharing its vector with
   * another of our messages is called for both: it claims the interrupt only when records for
   * its own message arrived, so the chain reaches the message that was sent (D3). */
  if (MessageID >= ext->MessageCount || (ext->Shared[MessageID] && !ClaimMessage(ext, MessageID, producer)))
    return FALSE;
  InterlockedIncrement(&ext->IsrCount);
  KeInsertQueueDpc(&ext->Dpc, NULL, NULL);
  return TRUE;
}

static VOID MutantDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2) {
  PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)DeferredContext;
  KLOCK_QUEUE_HANDLE lock;
  ULONG producer, slot, last;
  (void)Dpc;
  (void)SystemArgument1;
  (void)SystemArgument2;
  /* One DPC object serves every message; on several CPUs two instances can run at once, so the
   * ring is drained under a lock and each record is taken exactly once. A threaded DPC runs at
   * PASSIVE_LEVEL, so the lock is taken with the call that raises to DISPATCH_LEVEL when needed. */
  KeAcquireInStackQueuedSpinLock(&ext->RingLock, &lock);
  producer = *ext->Producer;
  /* BUG: slot indices compared across the wrap (see the header). */
  last = producer & ext->RingMask;
  for (slot = ext->Consumer & ext->RingMask; slot < last; slot++) {
    IrqrigEventProcessed(&ext->Ring[slot]);
    ext->Consumer++;
  }
  WRITE_REGISTER_ULONG(Reg(ext, IRQRIG_REG_RING_CONS), ext->Consumer);
  KeReleaseInStackQueuedSpinLock(&lock);
}

static VOID ReleaseExtension(PDEVICE_EXTENSION Ext) {
  MmUnmapIoSpace(Ext->Bar0, Ext->Bar0Length);
  if (Ext->Shared) ExFreePoolWithTag(Ext->Shared, POOL_TAG);
  if (Ext->Pending) ExFreePoolWithTag((void*)Ext->Pending, POOL_TAG);
  ExFreePoolWithTag(Ext, POOL_TAG);
}

/* The connect decides the vectors: a message is shared when another has its vector and CPU. */
static VOID MarkSharedMessages(PDEVICE_EXTENSION Ext) {
  ULONG j, k;
  const PIO_INTERRUPT_MESSAGE_INFO m = Ext->Messages;
  if (m->MessageCount < Ext->MessageCount) Ext->MessageCount = m->MessageCount;
  for (k = 0; k < Ext->MessageCount; k++)
    for (j = 0; j < Ext->MessageCount; j++)
      if (j != k && m->MessageInfo[j].Vector == m->MessageInfo[k].Vector &&
          m->MessageInfo[j].TargetProcessorSet == m->MessageInfo[k].TargetProcessorSet)
        Ext->Shared[k] = TRUE;
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
  /* What the ISR needs to tell shared messages apart is in place before the first can arrive. */
  ext->MessageCount = Res->MessageCount;
  ext->ScanIndex = (LONG)ext->Consumer;
  const SIZE_T messages = Res->MessageCount ? Res->MessageCount : 1;
  ext->Shared = (BOOLEAN*)ExAllocatePool2(POOL_FLAG_NON_PAGED, messages * sizeof *ext->Shared, POOL_TAG);
  ext->Pending = (volatile LONG*)ExAllocatePool2(POOL_FLAG_NON_PAGED, messages * sizeof *ext->Pending, POOL_TAG);
  if (!ext->Shared || !ext->Pending) {
    ReleaseExtension(ext);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  status = IoConnectInterruptEx(&connect);
  if (!NT_SUCCESS(status)) {
    ReleaseExtension(ext);
    return status;
  }
  MarkSharedMessages(ext);
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

const IRQRIG_DRIVER IrqrigMutantRingWrap = {"mutant:ring_wrap", MutantStartDevice, MutantStopDevice};

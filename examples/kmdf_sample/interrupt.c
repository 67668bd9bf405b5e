/*++

Module Name:

    interrupt.c

Abstract:

    The interrupt path of the irqrig KMDF sample: one interrupt object per MSI-X message, an ISR
    that reads the device and queues its DPC, and the DPC that drains the event ring.

Environment:

    Kernel mode

--*/

#include "driver.h"

#if defined(EVENT_TRACING)
#include "interrupt.tmh"
#endif

#ifdef ALLOC_PRAGMA
#pragma alloc_text (PAGE, IrqrigSampleCreateInterrupt)
#endif

_Use_decl_annotations_
NTSTATUS
IrqrigSampleCreateInterrupt(
    WDFDEVICE Device,
    PCM_PARTIAL_RESOURCE_DESCRIPTOR RawDescriptor,
    PCM_PARTIAL_RESOURCE_DESCRIPTOR TranslatedDescriptor
    )
{
    WDF_INTERRUPT_CONFIG interruptConfig;
    WDF_OBJECT_ATTRIBUTES interruptAttributes;
    WDF_INTERRUPT_INFO info;
    WDFINTERRUPT interrupt;
    NTSTATUS status;

    PAGED_CODE();

    WDF_INTERRUPT_CONFIG_INIT(&interruptConfig,
                              IrqrigSampleEvtInterruptIsr,
                              IrqrigSampleEvtInterruptDpc);
    interruptConfig.EvtInterruptEnable = IrqrigSampleEvtInterruptEnable;
    interruptConfig.EvtInterruptDisable = IrqrigSampleEvtInterruptDisable;
    interruptConfig.InterruptRaw = RawDescriptor;
    interruptConfig.InterruptTranslated = TranslatedDescriptor;

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&interruptAttributes, INTERRUPT_CONTEXT);

    status = WdfInterruptCreate(Device, &interruptConfig, &interruptAttributes, &interrupt);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_INTERRUPT, "WdfInterruptCreate failed 0x%08X\n", status);
        return status;
    }

    WDF_INTERRUPT_INFO_INIT(&info);
    WdfInterruptGetInfo(interrupt, &info);
    InterruptGetContext(interrupt)->MessageNumber = info.MessageNumber;

    return STATUS_SUCCESS;
}

_Use_decl_annotations_
BOOLEAN
IrqrigSampleEvtInterruptIsr(
    WDFINTERRUPT Interrupt,
    ULONG MessageID
    )
/*++

Routine Description:

    Runs at DIRQL holding the interrupt lock. Reading the producer index flushes the device's
    posted record writes ahead of it, so every record below it is in memory when the DPC looks.
    Messages are never shared: when enabled, the interrupt is ours.

--*/
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(WdfInterruptGetDevice(Interrupt));
    PINTERRUPT_CONTEXT interruptContext = InterruptGetContext(Interrupt);

    UNREFERENCED_PARAMETER(MessageID);

    if (!interruptContext->Enabled) {
        return FALSE;
    }

    interruptContext->LastProducer =
        READ_REGISTER_ULONG((volatile ULONG*)(deviceContext->RegisterBase + IRQRIG_REG_RING_PROD));
    interruptContext->IsrCount++;

    WdfInterruptQueueDpcForIsr(Interrupt);

    return TRUE;
}

_Use_decl_annotations_
VOID
IrqrigSampleEvtInterruptDpc(
    WDFINTERRUPT Interrupt,
    WDFOBJECT AssociatedObject
    )
/*++

Routine Description:

    Drains the ring. One DPC may stand for several ISR calls (a DPC already queued is not queued
    again), and the DPCs of different messages run on different CPUs at once: the ring lock makes
    each record taken exactly once.

--*/
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(AssociatedObject);
    ULONG mask = deviceContext->RingEntries - 1;
    ULONG producer;

    UNREFERENCED_PARAMETER(Interrupt);

    InterlockedIncrement(&deviceContext->DpcCount);

    WdfSpinLockAcquire(deviceContext->RingLock);

    producer = *deviceContext->Producer;
    while (deviceContext->Consumer != producer) {
        IrqrigEventProcessed((const IRQRIG_EVENT_RECORD*)&deviceContext->Ring[deviceContext->Consumer & mask]);
        deviceContext->Consumer++;
        producer = *deviceContext->Producer;
    }

    WRITE_REGISTER_ULONG((volatile ULONG*)(deviceContext->RegisterBase + IRQRIG_REG_RING_CONS),
                         deviceContext->Consumer);

    WdfSpinLockRelease(deviceContext->RingLock);
}

_Use_decl_annotations_
NTSTATUS
IrqrigSampleEvtInterruptEnable(
    WDFINTERRUPT Interrupt,
    WDFDEVICE AssociatedDevice
    )
/*++

Routine Description:

    Runs at DIRQL holding the interrupt lock. The irqrig endpoint has no interrupt-enable
    register of its own (the MSI-X masks belong to the operating system), so enabling is the
    driver's own state the ISR checks.

--*/
{
    UNREFERENCED_PARAMETER(AssociatedDevice);

    InterruptGetContext(Interrupt)->Enabled = TRUE;

    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
IrqrigSampleEvtInterruptDisable(
    WDFINTERRUPT Interrupt,
    WDFDEVICE AssociatedDevice
    )
{
    PINTERRUPT_CONTEXT interruptContext = InterruptGetContext(Interrupt);

    UNREFERENCED_PARAMETER(AssociatedDevice);

    interruptContext->Enabled = FALSE;

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INTERRUPT, "message %lu: %lu ISR calls\n",
                (unsigned long)interruptContext->MessageNumber, (unsigned long)interruptContext->IsrCount);

    return STATUS_SUCCESS;
}

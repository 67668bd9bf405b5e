/*++

Module Name:

    device.h

Abstract:

    The device context, the interrupt context and the device's PnP, power and interrupt
    callbacks of the irqrig KMDF sample.

Environment:

    Kernel mode

--*/

#pragma once

//
// The event record the endpoint writes into the ring (irqrig_regs.json, "record").
//
typedef struct _EVENT_RECORD {
    ULONG Sequence;
    USHORT Vector;
    USHORT Flags;
    ULONG64 Timestamp;
} EVENT_RECORD, *PEVENT_RECORD;

#define IRQRIG_SAMPLE_DEFAULT_RING_ENTRIES 1024

//
// The device context, allocated with the device object.
//
typedef struct _DEVICE_CONTEXT {
    WDFDEVICE Device;

    // BAR0
    PUCHAR RegisterBase;
    ULONG RegisterLength;

    // The event ring, in a common buffer the device writes to
    WDFDMAENABLER DmaEnabler;
    WDFCOMMONBUFFER CommonBuffer;
    PEVENT_RECORD Ring;
    volatile ULONG* Producer;
    PHYSICAL_ADDRESS RingLogical;
    ULONG RingEntries;
    ULONG Consumer;

    // Serializes the interrupts' DPCs, which run on the CPUs their messages target
    WDFSPINLOCK RingLock;

    ULONG MessageCount;
    volatile LONG DpcCount;
} DEVICE_CONTEXT, *PDEVICE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, DeviceGetContext)

//
// The context of each interrupt object: which message it serves and how often its ISR ran.
//
typedef struct _INTERRUPT_CONTEXT {
    ULONG MessageNumber;
    BOOLEAN Enabled;
    ULONG IsrCount;
    ULONG LastProducer;
} INTERRUPT_CONTEXT, *PINTERRUPT_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(INTERRUPT_CONTEXT, InterruptGetContext)

NTSTATUS
IrqrigSampleCreateDevice(
    _Inout_ PWDFDEVICE_INIT DeviceInit
    );

NTSTATUS
IrqrigSampleCreateInterrupt(
    _In_ WDFDEVICE Device,
    _In_ PCM_PARTIAL_RESOURCE_DESCRIPTOR RawDescriptor,
    _In_ PCM_PARTIAL_RESOURCE_DESCRIPTOR TranslatedDescriptor
    );

EVT_WDF_DEVICE_PREPARE_HARDWARE IrqrigSampleEvtDevicePrepareHardware;
EVT_WDF_DEVICE_RELEASE_HARDWARE IrqrigSampleEvtDeviceReleaseHardware;
EVT_WDF_DEVICE_D0_ENTRY IrqrigSampleEvtDeviceD0Entry;
EVT_WDF_DEVICE_D0_EXIT IrqrigSampleEvtDeviceD0Exit;

EVT_WDF_INTERRUPT_ISR IrqrigSampleEvtInterruptIsr;
EVT_WDF_INTERRUPT_DPC IrqrigSampleEvtInterruptDpc;
EVT_WDF_INTERRUPT_ENABLE IrqrigSampleEvtInterruptEnable;
EVT_WDF_INTERRUPT_DISABLE IrqrigSampleEvtInterruptDisable;

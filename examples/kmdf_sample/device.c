/*++

Module Name:

    device.c

Abstract:

    Device creation, hardware resources and power transitions of the irqrig KMDF sample: BAR0 is
    mapped in EvtDevicePrepareHardware, which also creates one interrupt object per MSI-X message
    and the common buffer of the event ring; EvtDeviceD0Entry points the device at the ring.

Environment:

    Kernel mode

--*/

#include "driver.h"

#if defined(EVENT_TRACING)
#include "device.tmh"
#endif

#ifdef ALLOC_PRAGMA
#pragma alloc_text (PAGE, IrqrigSampleCreateDevice)
#pragma alloc_text (PAGE, IrqrigSampleEvtDevicePrepareHardware)
#pragma alloc_text (PAGE, IrqrigSampleEvtDeviceReleaseHardware)
#endif

#define IRQRIG_ID_VALUE 0x49525152  // 'IRQR'

static
FORCEINLINE
volatile ULONG*
DeviceRegister(
    _In_ PDEVICE_CONTEXT DeviceContext,
    _In_ ULONG Offset
    )
{
    return (volatile ULONG*)(DeviceContext->RegisterBase + Offset);
}

static
ULONG
IrqrigSampleReadRingEntries(
    _In_ WDFDEVICE Device
    )
/*++

Routine Description:

    The ring size comes from the driver's Parameters key (RingEntries), as a tunable of a real
    driver would; a missing or unusable value selects the default.

--*/
{
    WDFKEY key;
    ULONG entries = IRQRIG_SAMPLE_DEFAULT_RING_ENTRIES;
    ULONG value;
    NTSTATUS status;
    DECLARE_CONST_UNICODE_STRING(valueName, L"RingEntries");

    status = WdfDriverOpenParametersRegistryKey(WdfDeviceGetDriver(Device),
                                                KEY_READ,
                                                WDF_NO_OBJECT_ATTRIBUTES,
                                                &key);
    if (!NT_SUCCESS(status)) {
        return entries;
    }

    status = WdfRegistryQueryULong(key, &valueName, &value);
    if (NT_SUCCESS(status) && value != 0 && (value & (value - 1)) == 0) {
        entries = value;
    }

    WdfRegistryClose(key);
    return entries;
}

_Use_decl_annotations_
NTSTATUS
IrqrigSampleCreateDevice(
    PWDFDEVICE_INIT DeviceInit
    )
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnpPowerCallbacks;
    WDF_OBJECT_ATTRIBUTES deviceAttributes;
    WDF_OBJECT_ATTRIBUTES lockAttributes;
    PDEVICE_CONTEXT deviceContext;
    WDFDEVICE device;
    NTSTATUS status;

    PAGED_CODE();

    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnpPowerCallbacks);
    pnpPowerCallbacks.EvtDevicePrepareHardware = IrqrigSampleEvtDevicePrepareHardware;
    pnpPowerCallbacks.EvtDeviceReleaseHardware = IrqrigSampleEvtDeviceReleaseHardware;
    pnpPowerCallbacks.EvtDeviceD0Entry = IrqrigSampleEvtDeviceD0Entry;
    pnpPowerCallbacks.EvtDeviceD0Exit = IrqrigSampleEvtDeviceD0Exit;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnpPowerCallbacks);

    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&deviceAttributes, DEVICE_CONTEXT);

    status = WdfDeviceCreate(&DeviceInit, &deviceAttributes, &device);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DEVICE, "WdfDeviceCreate failed 0x%08X\n", status);
        return status;
    }

    deviceContext = DeviceGetContext(device);
    deviceContext->Device = device;

    WDF_OBJECT_ATTRIBUTES_INIT(&lockAttributes);
    lockAttributes.ParentObject = device;
    status = WdfSpinLockCreate(&lockAttributes, &deviceContext->RingLock);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DEVICE, "WdfSpinLockCreate failed 0x%08X\n", status);
        return status;
    }

    return status;
}

static
NTSTATUS
IrqrigSampleCreateRing(
    _In_ PDEVICE_CONTEXT DeviceContext
    )
{
    WDF_DMA_ENABLER_CONFIG dmaConfig;
    size_t length;
    NTSTATUS status;

    DeviceContext->RingEntries = IrqrigSampleReadRingEntries(DeviceContext->Device);

    //
    // The ring, then the producer index the device writes back after each record.
    //
    length = (size_t)DeviceContext->RingEntries * sizeof(EVENT_RECORD) + sizeof(ULONG);

    WDF_DMA_ENABLER_CONFIG_INIT(&dmaConfig, WdfDmaProfilePacket64, length);
    status = WdfDmaEnablerCreate(DeviceContext->Device,
                                 &dmaConfig,
                                 WDF_NO_OBJECT_ATTRIBUTES,
                                 &DeviceContext->DmaEnabler);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DEVICE, "WdfDmaEnablerCreate failed 0x%08X\n", status);
        return status;
    }

    status = WdfCommonBufferCreate(DeviceContext->DmaEnabler,
                                   length,
                                   WDF_NO_OBJECT_ATTRIBUTES,
                                   &DeviceContext->CommonBuffer);
    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DEVICE, "WdfCommonBufferCreate failed 0x%08X\n", status);
        return status;
    }

    DeviceContext->Ring = (PEVENT_RECORD)WdfCommonBufferGetAlignedVirtualAddress(DeviceContext->CommonBuffer);
    DeviceContext->RingLogical = WdfCommonBufferGetAlignedLogicalAddress(DeviceContext->CommonBuffer);
    DeviceContext->Producer = (volatile ULONG*)(DeviceContext->Ring + DeviceContext->RingEntries);
    RtlZeroMemory(DeviceContext->Ring, WdfCommonBufferGetLength(DeviceContext->CommonBuffer));

    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
IrqrigSampleEvtDevicePrepareHardware(
    WDFDEVICE Device,
    WDFCMRESLIST ResourcesRaw,
    WDFCMRESLIST ResourcesTranslated
    )
/*++

Routine Description:

    Maps BAR0, checks the device answers as an irqrig endpoint, creates an interrupt object for
    each message the PnP manager granted, and the event ring.

--*/
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(Device);
    PCM_PARTIAL_RESOURCE_DESCRIPTOR raw;
    PCM_PARTIAL_RESOURCE_DESCRIPTOR translated;
    ULONG count;
    ULONG i;
    NTSTATUS status;

    PAGED_CODE();

    count = WdfCmResourceListGetCount(ResourcesTranslated);

    for (i = 0; i < count; i++) {

        raw = WdfCmResourceListGetDescriptor(ResourcesRaw, i);
        translated = WdfCmResourceListGetDescriptor(ResourcesTranslated, i);
        if (raw == NULL || translated == NULL) {
            return STATUS_DEVICE_CONFIGURATION_ERROR;
        }

        switch (translated->Type) {

        case CmResourceTypeMemory:
            if (deviceContext->RegisterBase != NULL) {
                break;
            }
            deviceContext->RegisterBase = (PUCHAR)MmMapIoSpace(translated->u.Memory.Start,
                                                               translated->u.Memory.Length,
                                                               MmNonCached);
            if (deviceContext->RegisterBase == NULL) {
                return STATUS_INSUFFICIENT_RESOURCES;
            }
            deviceContext->RegisterLength = translated->u.Memory.Length;
            break;

        case CmResourceTypeInterrupt:
            if ((translated->Flags & CM_RESOURCE_INTERRUPT_MESSAGE) == 0) {
                TraceEvents(TRACE_LEVEL_ERROR, TRACE_DEVICE, "line-based interrupt: the device needs MSI-X\n");
                return STATUS_DEVICE_CONFIGURATION_ERROR;
            }
            status = IrqrigSampleCreateInterrupt(Device, raw, translated);
            if (!NT_SUCCESS(status)) {
                return status;
            }
            deviceContext->MessageCount++;
            break;

        default:
            break;
        }
    }

    if (deviceContext->RegisterBase == NULL || deviceContext->MessageCount == 0) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DEVICE, "missing BAR0 or interrupt resources\n");
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    }

    if (READ_REGISTER_ULONG(DeviceRegister(deviceContext, IRQRIG_REG_ID)) != IRQRIG_ID_VALUE) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DEVICE, "BAR0 does not identify an irqrig endpoint\n");
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    }

    return IrqrigSampleCreateRing(deviceContext);
}

_Use_decl_annotations_
NTSTATUS
IrqrigSampleEvtDeviceReleaseHardware(
    WDFDEVICE Device,
    WDFCMRESLIST ResourcesTranslated
    )
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(Device);

    UNREFERENCED_PARAMETER(ResourcesTranslated);

    PAGED_CODE();

    if (deviceContext->CommonBuffer != NULL) {
        WdfObjectDelete(deviceContext->CommonBuffer);
        deviceContext->CommonBuffer = NULL;
        deviceContext->Ring = NULL;
        deviceContext->Producer = NULL;
    }

    if (deviceContext->RegisterBase != NULL) {
        MmUnmapIoSpace(deviceContext->RegisterBase, deviceContext->RegisterLength);
        deviceContext->RegisterBase = NULL;
    }

    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
IrqrigSampleEvtDeviceD0Entry(
    WDFDEVICE Device,
    WDF_POWER_DEVICE_STATE PreviousState
    )
/*++

Routine Description:

    Points the device at the ring and its producer-index word, and starts consuming where the
    device's producer index is now.

--*/
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(Device);
    ULONG64 ring = (ULONG64)deviceContext->RingLogical.QuadPart;
    ULONG64 producer = ring + (ULONG64)deviceContext->RingEntries * sizeof(EVENT_RECORD);
    ULONG log2 = 0;

    UNREFERENCED_PARAMETER(PreviousState);

    while ((1u << log2) < deviceContext->RingEntries) {
        log2++;
    }

    WRITE_REGISTER_ULONG(DeviceRegister(deviceContext, IRQRIG_REG_RING_BASE_LO), (ULONG)ring);
    WRITE_REGISTER_ULONG(DeviceRegister(deviceContext, IRQRIG_REG_RING_BASE_HI), (ULONG)(ring >> 32));
    WRITE_REGISTER_ULONG(DeviceRegister(deviceContext, IRQRIG_REG_RING_LOG2), log2);
    WRITE_REGISTER_ULONG(DeviceRegister(deviceContext, IRQRIG_REG_RING_PROD_ADDR_LO), (ULONG)producer);
    WRITE_REGISTER_ULONG(DeviceRegister(deviceContext, IRQRIG_REG_RING_PROD_ADDR_HI), (ULONG)(producer >> 32));

    deviceContext->Consumer = READ_REGISTER_ULONG(DeviceRegister(deviceContext, IRQRIG_REG_RING_PROD));
    WRITE_REGISTER_ULONG(DeviceRegister(deviceContext, IRQRIG_REG_RING_CONS), deviceContext->Consumer);

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DEVICE, "D0 entry: %lu ring entries, %lu messages\n",
                (unsigned long)deviceContext->RingEntries, (unsigned long)deviceContext->MessageCount);

    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
IrqrigSampleEvtDeviceD0Exit(
    WDFDEVICE Device,
    WDF_POWER_DEVICE_STATE TargetState
    )
/*++

Routine Description:

    Stops the device's producer-index write-back: the common buffer goes away with the hardware.

--*/
{
    PDEVICE_CONTEXT deviceContext = DeviceGetContext(Device);

    UNREFERENCED_PARAMETER(TargetState);

    WRITE_REGISTER_ULONG(DeviceRegister(deviceContext, IRQRIG_REG_RING_PROD_ADDR_LO), 0);
    WRITE_REGISTER_ULONG(DeviceRegister(deviceContext, IRQRIG_REG_RING_PROD_ADDR_HI), 0);

    return STATUS_SUCCESS;
}

/*++

Module Name:

    driver.c

Abstract:

    The driver entry point and the driver object's callbacks of the irqrig KMDF sample.

Environment:

    Kernel mode

--*/

#include "driver.h"

#if defined(EVENT_TRACING)
#include "driver.tmh"
#endif

#ifdef ALLOC_PRAGMA
#pragma alloc_text (INIT, DriverEntry)
#pragma alloc_text (PAGE, IrqrigSampleEvtDeviceAdd)
#pragma alloc_text (PAGE, IrqrigSampleEvtDriverContextCleanup)
#endif

_Use_decl_annotations_
NTSTATUS
DriverEntry(
    PDRIVER_OBJECT DriverObject,
    PUNICODE_STRING RegistryPath
    )
/*++

Routine Description:

    Creates the framework driver object. The framework calls IrqrigSampleEvtDeviceAdd when the
    PnP manager reports the device.

--*/
{
    WDF_DRIVER_CONFIG config;
    WDF_OBJECT_ATTRIBUTES attributes;
    NTSTATUS status;

    WPP_INIT_TRACING(DriverObject, RegistryPath);

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "%s entry\n", __func__);

    //
    // The cleanup callback undoes WPP_INIT_TRACING when the driver unloads.
    //
    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.EvtCleanupCallback = IrqrigSampleEvtDriverContextCleanup;

    WDF_DRIVER_CONFIG_INIT(&config, IrqrigSampleEvtDeviceAdd);
    config.DriverPoolTag = IRQRIG_SAMPLE_POOL_TAG;

    status = WdfDriverCreate(DriverObject,
                             RegistryPath,
                             &attributes,
                             &config,
                             WDF_NO_HANDLE);

    if (!NT_SUCCESS(status)) {
        TraceEvents(TRACE_LEVEL_ERROR, TRACE_DRIVER, "WdfDriverCreate failed 0x%08X\n", status);
        WPP_CLEANUP(DriverObject);
        return status;
    }

    return status;
}

_Use_decl_annotations_
NTSTATUS
IrqrigSampleEvtDeviceAdd(
    WDFDRIVER Driver,
    PWDFDEVICE_INIT DeviceInit
    )
{
    UNREFERENCED_PARAMETER(Driver);

    PAGED_CODE();

    return IrqrigSampleCreateDevice(DeviceInit);
}

_Use_decl_annotations_
VOID
IrqrigSampleEvtDriverContextCleanup(
    WDFOBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    PAGED_CODE();

    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "%s\n", __func__);

    WPP_CLEANUP(WdfDriverWdmGetDriverObject((WDFDRIVER)DriverObject));
}

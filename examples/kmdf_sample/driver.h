/*++

Module Name:

    driver.h

Abstract:

    The irqrig KMDF sample: a driver for the irqrig PCIe endpoint. Each MSI-X message has its own
    framework interrupt object; the ISR reads the device's producer index and queues the
    interrupt's DPC, which drains the event ring the device writes into a common buffer.

Environment:

    Kernel mode

--*/

#pragma once

#include <ntddk.h>
#include <wdf.h>

#include "irqrig/regs_c.h"
#include "irqrig/rig.h"

#include "public.h"
#include "device.h"
#include "trace.h"

#define IRQRIG_SAMPLE_POOL_TAG 'pSrI'

//
// WDFDRIVER events
//
DRIVER_INITIALIZE DriverEntry;
EVT_WDF_DRIVER_DEVICE_ADD IrqrigSampleEvtDeviceAdd;
EVT_WDF_OBJECT_CONTEXT_CLEANUP IrqrigSampleEvtDriverContextCleanup;

/* A KMDF driver with a bug Windows bug-checks on: its EvtInterruptDpc releases a WDFSPINLOCK it
 * never acquired. The run must stop with the rule, the routine, the CPU and the time. */
#include <ntddk.h>
#include <wdf.h>

#include "irqrig/regs_c.h"

typedef struct _BAD_CONTEXT {
  PUCHAR Registers;
  ULONG Length;
  WDFSPINLOCK Lock;
  WDFCOMMONBUFFER Ring;
} BAD_CONTEXT, *PBAD_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(BAD_CONTEXT, BadGetContext)

DRIVER_INITIALIZE DriverEntry;
static EVT_WDF_DRIVER_DEVICE_ADD BadDeviceAdd;
static EVT_WDF_DEVICE_PREPARE_HARDWARE BadPrepareHardware;
static EVT_WDF_DEVICE_RELEASE_HARDWARE BadReleaseHardware;
static EVT_WDF_DEVICE_D0_ENTRY BadD0Entry;
static EVT_WDF_INTERRUPT_ISR BadIsr;
static EVT_WDF_INTERRUPT_DPC BadDpc;

static BOOLEAN BadIsr(WDFINTERRUPT Interrupt, ULONG MessageID) {
  UNREFERENCED_PARAMETER(MessageID);
  WdfInterruptQueueDpcForIsr(Interrupt);
  return TRUE;
}

static VOID BadDpc(WDFINTERRUPT Interrupt, WDFOBJECT AssociatedObject) {
  UNREFERENCED_PARAMETER(Interrupt);
  /* The bug: the acquire went missing. */
  WdfSpinLockRelease(BadGetContext(AssociatedObject)->Lock);
}

static NTSTATUS BadPrepareHardware(WDFDEVICE Device, WDFCMRESLIST Raw, WDFCMRESLIST Translated) {
  PBAD_CONTEXT ctx = BadGetContext(Device);
  ULONG i;
  for (i = 0; i < WdfCmResourceListGetCount(Translated); i++) {
    PCM_PARTIAL_RESOURCE_DESCRIPTOR d = WdfCmResourceListGetDescriptor(Translated, i);
    if (d->Type == CmResourceTypeMemory && !ctx->Registers) {
      ctx->Registers = (PUCHAR)MmMapIoSpace(d->u.Memory.Start, d->u.Memory.Length, MmNonCached);
      ctx->Length = d->u.Memory.Length;
    } else if (d->Type == CmResourceTypeInterrupt) {
      WDF_INTERRUPT_CONFIG config;
      WDFINTERRUPT interrupt;
      NTSTATUS status;
      WDF_INTERRUPT_CONFIG_INIT(&config, BadIsr, BadDpc);
      config.InterruptRaw = WdfCmResourceListGetDescriptor(Raw, i);
      config.InterruptTranslated = d;
      status = WdfInterruptCreate(Device, &config, WDF_NO_OBJECT_ATTRIBUTES, &interrupt);
      if (!NT_SUCCESS(status)) return status;
    }
  }
  if (!ctx->Registers) return STATUS_DEVICE_CONFIGURATION_ERROR;
  {
    WDF_DMA_ENABLER_CONFIG dma;
    WDFDMAENABLER enabler;
    NTSTATUS status;
    WDF_DMA_ENABLER_CONFIG_INIT(&dma, WdfDmaProfilePacket64, 16 * 16);
    status = WdfDmaEnablerCreate(Device, &dma, WDF_NO_OBJECT_ATTRIBUTES, &enabler);
    if (!NT_SUCCESS(status)) return status;
    return WdfCommonBufferCreate(enabler, 16 * 16, WDF_NO_OBJECT_ATTRIBUTES, &ctx->Ring);
  }
}

static NTSTATUS BadReleaseHardware(WDFDEVICE Device, WDFCMRESLIST Translated) {
  PBAD_CONTEXT ctx = BadGetContext(Device);
  UNREFERENCED_PARAMETER(Translated);
  if (ctx->Registers) MmUnmapIoSpace(ctx->Registers, ctx->Length);
  ctx->Registers = NULL;
  return STATUS_SUCCESS;
}

static NTSTATUS BadD0Entry(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState) {
  PBAD_CONTEXT ctx = BadGetContext(Device);
  ULONG64 ring = (ULONG64)WdfCommonBufferGetAlignedLogicalAddress(ctx->Ring).QuadPart;
  UNREFERENCED_PARAMETER(PreviousState);
  /* The device writes its records into the ring and sends a message for each; the first DPC stops
   * the run, so nothing here ever consumes them. */
  WRITE_REGISTER_ULONG((volatile ULONG*)(ctx->Registers + IRQRIG_REG_RING_BASE_LO), (ULONG)ring);
  WRITE_REGISTER_ULONG((volatile ULONG*)(ctx->Registers + IRQRIG_REG_RING_BASE_HI), (ULONG)(ring >> 32));
  WRITE_REGISTER_ULONG((volatile ULONG*)(ctx->Registers + IRQRIG_REG_RING_LOG2), 4);
  return STATUS_SUCCESS;
}

static NTSTATUS BadDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit) {
  WDF_PNPPOWER_EVENT_CALLBACKS pnp;
  WDF_OBJECT_ATTRIBUTES attributes;
  WDFDEVICE device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(Driver);
  WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
  pnp.EvtDevicePrepareHardware = BadPrepareHardware;
  pnp.EvtDeviceReleaseHardware = BadReleaseHardware;
  pnp.EvtDeviceD0Entry = BadD0Entry;
  WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
  WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, BAD_CONTEXT);
  status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
  if (!NT_SUCCESS(status)) return status;
  WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
  attributes.ParentObject = device;
  return WdfSpinLockCreate(&attributes, &BadGetContext(device)->Lock);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  WDF_DRIVER_CONFIG config;
  WDF_DRIVER_CONFIG_INIT(&config, BadDeviceAdd);
  return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}

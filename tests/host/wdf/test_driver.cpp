#include "tests/host/wdf/test_driver.h"

#include "host/platform/platform.h"

namespace {

void log_event(WDFOBJECT device_object, const char* what) {
  TestDevice* dev = TestDeviceContext(device_object);
  if (dev && dev->log) dev->log->events.emplace_back(what);
}

BOOLEAN TestIsr(WDFINTERRUPT Interrupt, ULONG MessageID) {
  TestDevice* dev = TestDeviceContext(WdfInterruptGetDevice(Interrupt));
  const LONG n = dev->isr_calls++;
  dev->isr_irql = KeGetCurrentIrql();
  dev->isr_message = MessageID;
  if (dev->config.isr_stall_us) KeStallExecutionProcessor(dev->config.isr_stall_us);
  if (dev->config.isr_breaks_a_rule) KeFlushQueuedDpcs();
  if (dev->config.interrupt_dpc) {
    const BOOLEAN queued = WdfInterruptQueueDpcForIsr(Interrupt);
    if (n < static_cast<LONG>(kMaxRecords)) dev->queue_results[n] = queued;
  }
  dev->isr_end_ns = sim_now_ns();
  return TRUE;
}

VOID TestInterruptDpc(WDFINTERRUPT Interrupt, WDFOBJECT AssociatedObject) {
  TestDevice* dev = TestDeviceContext(AssociatedObject);
  (void)Interrupt;
  dev->interrupt_dpc_calls++;
  dev->interrupt_dpc_cpu = KeGetCurrentProcessorNumber();
  dev->interrupt_dpc_irql = KeGetCurrentIrql();
}

VOID TestDpc(WDFDPC Dpc) {
  TestDevice* dev = TestDeviceContext(WdfDpcGetParentObject(Dpc));
  dev->dpc_start_ns = sim_now_ns();
  dev->dpc_cpu = KeGetCurrentProcessorNumber();
  if (dev->config.dpc_stall_us) KeStallExecutionProcessor(dev->config.dpc_stall_us);
  dev->dpc_calls++;
  dev->dpc_end_ns = sim_now_ns();
}

NTSTATUS TestInterruptEnable(WDFINTERRUPT Interrupt, WDFDEVICE Device) {
  TestDevice* dev = TestDeviceContext(Device);
  (void)Interrupt;
  dev->enable_calls++;
  dev->enable_irql = KeGetCurrentIrql();
  if (dev->start_count < sizeof dev->start_sequence) dev->start_sequence[dev->start_count++] = 'I';
  return STATUS_SUCCESS;
}

NTSTATUS TestInterruptDisable(WDFINTERRUPT Interrupt, WDFDEVICE Device) {
  TestDevice* dev = TestDeviceContext(Device);
  (void)Interrupt;
  dev->disable_calls++;
  const std::string what = "EvtInterruptDisable@" + std::to_string(KeGetCurrentIrql());
  log_event(Device, what.c_str());
  return STATUS_SUCCESS;
}

void mark(WDFDEVICE Device, char what) {
  TestDevice* dev = TestDeviceContext(Device);
  if (dev->start_count < sizeof dev->start_sequence) dev->start_sequence[dev->start_count++] = what;
}

NTSTATUS TestPrepareHardware(WDFDEVICE Device, WDFCMRESLIST Raw, WDFCMRESLIST Translated) {
  TestDevice* dev = TestDeviceContext(Device);
  mark(Device, 'P');
  dev->resource_count = WdfCmResourceListGetCount(Translated);
  for (ULONG i = 0; i < dev->resource_count && i < 4; ++i) {
    const PCM_PARTIAL_RESOURCE_DESCRIPTOR t = WdfCmResourceListGetDescriptor(Translated, i);
    dev->resource_types[i] = t->Type;
    dev->resource_flags[i] = t->Flags;
    if (t->Type == CmResourceTypeMemory) {
      dev->bar_start.QuadPart = t->u.Memory.Start.QuadPart;  // scalar: the descriptor is pack(4)
      dev->bar_length = t->u.Memory.Length;
    } else if (t->Type == CmResourceTypeInterrupt && !dev->translated_vector) {
      dev->translated_vector = t->u.MessageInterrupt.Translated.Vector;
      dev->translated_level = t->u.MessageInterrupt.Translated.Level;
      dev->translated_affinity = t->u.MessageInterrupt.Translated.Affinity;
      dev->raw_message_count = WdfCmResourceListGetDescriptor(Raw, i)->u.MessageInterrupt.Raw.MessageCount;
    }
  }
  return STATUS_SUCCESS;
}
NTSTATUS TestD0Entry(WDFDEVICE Device, WDF_POWER_DEVICE_STATE) {
  mark(Device, 'E');
  return STATUS_SUCCESS;
}
NTSTATUS TestD0EntryPost(WDFDEVICE Device, WDF_POWER_DEVICE_STATE) {
  mark(Device, 'Q');
  return STATUS_SUCCESS;
}
NTSTATUS TestSelfManagedIoInit(WDFDEVICE Device) {
  mark(Device, 'S');
  return STATUS_SUCCESS;
}
NTSTATUS TestSelfManagedIoSuspend(WDFDEVICE Device) {
  log_event(Device, "EvtDeviceSelfManagedIoSuspend");
  return STATUS_SUCCESS;
}
NTSTATUS TestD0ExitPre(WDFDEVICE Device, WDF_POWER_DEVICE_STATE) {
  log_event(Device, "EvtDeviceD0ExitPreInterruptsDisabled");
  return STATUS_SUCCESS;
}
NTSTATUS TestD0Exit(WDFDEVICE Device, WDF_POWER_DEVICE_STATE) {
  log_event(Device, "EvtDeviceD0Exit");
  return STATUS_SUCCESS;
}
VOID TestSelfManagedIoFlush(WDFDEVICE Device) { log_event(Device, "EvtDeviceSelfManagedIoFlush"); }
NTSTATUS TestReleaseHardware(WDFDEVICE Device, WDFCMRESLIST) {
  log_event(Device, "EvtDeviceReleaseHardware");
  return STATUS_SUCCESS;
}
VOID TestSelfManagedIoCleanup(WDFDEVICE Device) { log_event(Device, "EvtDeviceSelfManagedIoCleanup"); }
VOID TestDpcCleanup(WDFOBJECT Object) { log_event(WdfDpcGetParentObject(static_cast<WDFDPC>(Object)), "cleanup:dpc"); }
VOID TestDeviceCleanup(WDFOBJECT Object) { log_event(Object, "cleanup:device"); }
VOID TestDeviceDestroy(WDFOBJECT Object) { log_event(Object, "destroy:device"); }
VOID TestDriverUnload(WDFDRIVER Driver) {
  if (TestLog* log = TestDriverContext(Driver)->log) log->events.emplace_back("EvtDriverUnload");
}
VOID TestDriverCleanup(WDFOBJECT Driver) {
  if (TestLog* log = TestDriverContext(Driver)->log) log->events.emplace_back("cleanup:driver");
}

NTSTATUS TestDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit) {
  TestDriver* drv = TestDriverContext(Driver);
  const TestDriverConfig& config = drv->config;

  WDF_PNPPOWER_EVENT_CALLBACKS pnp;
  WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
  pnp.EvtDevicePrepareHardware = TestPrepareHardware;
  pnp.EvtDeviceReleaseHardware = TestReleaseHardware;
  pnp.EvtDeviceD0Entry = TestD0Entry;
  pnp.EvtDeviceD0EntryPostInterruptsEnabled = TestD0EntryPost;
  pnp.EvtDeviceD0Exit = TestD0Exit;
  pnp.EvtDeviceD0ExitPreInterruptsDisabled = TestD0ExitPre;
  pnp.EvtDeviceSelfManagedIoInit = TestSelfManagedIoInit;
  pnp.EvtDeviceSelfManagedIoSuspend = TestSelfManagedIoSuspend;
  pnp.EvtDeviceSelfManagedIoFlush = TestSelfManagedIoFlush;
  pnp.EvtDeviceSelfManagedIoCleanup = TestSelfManagedIoCleanup;
  WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);

  WDF_OBJECT_ATTRIBUTES attributes;
  WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, TestDevice);
  attributes.SynchronizationScope = config.scope;
  attributes.ExecutionLevel = config.level;
  attributes.EvtCleanupCallback = TestDeviceCleanup;
  attributes.EvtDestroyCallback = TestDeviceDestroy;
  WDFDEVICE device;
  NTSTATUS status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
  if (!NT_SUCCESS(status)) return status;
  drv->device = device;
  TestDevice* dev = TestDeviceContext(device);
  dev->device = device;
  dev->config = config;

  if (config.spin_lock_for_interrupts) {
    WDF_OBJECT_ATTRIBUTES lock_attributes;
    WDF_OBJECT_ATTRIBUTES_INIT(&lock_attributes);
    lock_attributes.ParentObject = device;
    status = WdfSpinLockCreate(&lock_attributes, &dev->interrupt_lock);
    if (!NT_SUCCESS(status)) return status;
  }
  for (unsigned i = 0; i < config.interrupts && i < 4; ++i) {
    WDF_INTERRUPT_CONFIG ic;
    WDF_INTERRUPT_CONFIG_INIT(&ic, TestIsr, config.interrupt_dpc ? TestInterruptDpc : nullptr);
    ic.EvtInterruptEnable = TestInterruptEnable;
    ic.EvtInterruptDisable = TestInterruptDisable;
    ic.AutomaticSerialization = config.auto_serialization;
    ic.SpinLock = dev->interrupt_lock;
    status = WdfInterruptCreate(device, &ic, WDF_NO_OBJECT_ATTRIBUTES, &dev->interrupts[i]);
    if (!NT_SUCCESS(status)) return status;
  }
  if (config.create_dpc) {
    WDF_DPC_CONFIG dc;
    WDF_DPC_CONFIG_INIT(&dc, TestDpc);
    dc.AutomaticSerialization = config.auto_serialization;
    WDF_OBJECT_ATTRIBUTES dpc_attributes;
    WDF_OBJECT_ATTRIBUTES_INIT(&dpc_attributes);
    dpc_attributes.ParentObject = device;
    dpc_attributes.EvtCleanupCallback = TestDpcCleanup;
    status = WdfDpcCreate(&dc, &dpc_attributes, &dev->dpc);
    if (!NT_SUCCESS(status)) return status;
  }
  return STATUS_SUCCESS;
}

}  // namespace

NTSTATUS TestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath, const TestDriverConfig& config) {
  WDF_OBJECT_ATTRIBUTES attributes;
  WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, TestDriver);
  attributes.EvtCleanupCallback = TestDriverCleanup;
  WDF_DRIVER_CONFIG driver_config;
  WDF_DRIVER_CONFIG_INIT(&driver_config, TestDeviceAdd);
  driver_config.EvtDriverUnload = TestDriverUnload;
  WDFDRIVER driver;
  const NTSTATUS status = WdfDriverCreate(DriverObject, RegistryPath, &attributes, &driver_config, &driver);
  if (NT_SUCCESS(status)) TestDriverContext(driver)->config = config;
  return status;
}

const void* test_isr_routine() { return reinterpret_cast<const void*>(&TestIsr); }
const void* test_dpc_routine() { return reinterpret_cast<const void*>(&TestDpc); }

TestDevice& the_test_device() { return *TestDeviceContext(TestDriverContext(WdfGetDriver())->device); }

unsigned long long sim_now_ns() { return irqrig::host::Platform::current().now_ps() / 1000; }

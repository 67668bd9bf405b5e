// A configurable KMDF driver for the framework tests: one device, its interrupts created in
// EvtDriverDeviceAdd, an optional DPC object, and callbacks that record what they saw.
#pragma once

#include <string>
#include <vector>

#include "irqrig/wdf.h"

struct TestDriverConfig {
  unsigned interrupts = 1;  ///< created in EvtDriverDeviceAdd, at most 4
  bool interrupt_dpc = true;
  BOOLEAN auto_serialization = FALSE;  ///< of the DPC object and the interrupts
  WDF_SYNCHRONIZATION_SCOPE scope = WdfSynchronizationScopeInheritFromParent;
  WDF_EXECUTION_LEVEL level = WdfExecutionLevelInheritFromParent;
  bool create_dpc = false;
  bool spin_lock_for_interrupts = false;  ///< a WDFSPINLOCK as the interrupts' SpinLock
  ULONG isr_stall_us = 0;
  ULONG dpc_stall_us = 0;
  bool isr_breaks_a_rule = false;  ///< the ISR calls KeFlushQueuedDpcs (IRQL_NOT_LESS_OR_EQUAL at DIRQL)
};

/// What the callbacks on the way out record; owned by the test, which outlives the driver.
struct TestLog {
  std::vector<std::string> events;
};

constexpr unsigned kMaxRecords = 16;

/// The device context.
struct TestDevice {
  WDFDEVICE device;
  TestDriverConfig config;
  WDFINTERRUPT interrupts[4];
  WDFDPC dpc;
  WDFSPINLOCK interrupt_lock;
  TestLog* log;
  char start_sequence[16];
  unsigned start_count;
  LONG isr_calls;
  BOOLEAN queue_results[kMaxRecords];
  KIRQL isr_irql;
  ULONG isr_message;
  unsigned long long isr_end_ns;
  LONG interrupt_dpc_calls;
  ULONG interrupt_dpc_cpu;
  KIRQL interrupt_dpc_irql;
  LONG dpc_calls;
  ULONG dpc_cpu;
  unsigned long long dpc_start_ns;
  unsigned long long dpc_end_ns;
  LONG enable_calls;
  KIRQL enable_irql;
  LONG disable_calls;
  // What EvtDevicePrepareHardware was handed.
  ULONG resource_count;
  UCHAR resource_types[4];
  USHORT resource_flags[4];
  PHYSICAL_ADDRESS bar_start;
  ULONG bar_length;
  USHORT raw_message_count;
  ULONG translated_vector;
  USHORT translated_level;
  KAFFINITY translated_affinity;
};
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(TestDevice, TestDeviceContext)

/// The driver context.
struct TestDriver {
  TestDriverConfig config;
  WDFDEVICE device;
  TestLog* log;
};
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(TestDriver, TestDriverContext)

/// The body of a test's DriverEntry: each test's entry is a one-line function naming its config.
NTSTATUS TestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath, const TestDriverConfig& config);

/// The device of the loaded test driver (through WdfGetDriver, as driver code would find it).
TestDevice& the_test_device();

/// The driver's EvtInterruptIsr and EvtDpcFunc, for tests looking for their names in faults and traces.
const void* test_isr_routine();
const void* test_dpc_routine();

/// Simulated time now, in nanoseconds.
unsigned long long sim_now_ns();

// The WDK's kernel calls of <irqrig/wdm.h>, served by the running irqrig platform.
#include "irqrig/wdm.h"

#include <fmt/format.h>

#include "host/platform/platform.h"
#include "irqrig/rig.h"

using irqrig::host::DriverFault;
using irqrig::host::Platform;

namespace {

Platform& kernel() { return Platform::current(); }

void require_irql_at_most(const char* routine, KIRQL limit) {
  auto& cpu = kernel().current_cpu();
  if (cpu.irql() > limit)
    throw DriverFault(fmt::format("IRQL_NOT_LESS_OR_EQUAL: {} called at IRQL {} (allowed <= {}) on CPU {}", routine,
                                  cpu.irql(), limit, cpu.index()));
}

}  // namespace

extern "C" {

VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext) {
  *Dpc = KDPC{};
  Dpc->Type = 19;  // DpcObject
  Dpc->Importance = MediumImportance;
  Dpc->DeferredRoutine = DeferredRoutine;
  Dpc->DeferredContext = DeferredContext;
}

BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2) {
  return kernel().insert_dpc(Dpc, SystemArgument1, SystemArgument2) ? TRUE : FALSE;
}

BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc) { return kernel().remove_dpc(Dpc) ? TRUE : FALSE; }

VOID KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance) { Dpc->Importance = static_cast<UCHAR>(Importance); }

KIRQL KeGetCurrentIrql(VOID) { return kernel().current_cpu().irql(); }

VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql) {
  auto& cpu = kernel().current_cpu();
  *OldIrql = cpu.irql();
  cpu.raise_irql(NewIrql);
}

VOID KeLowerIrql(KIRQL NewIrql) { kernel().current_cpu().lower_irql(NewIrql); }

KIRQL KeRaiseIrqlToDpcLevel(VOID) {
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  return old;
}

ULONG KeGetCurrentProcessorNumber(VOID) { return kernel().current_cpu().index(); }

ULONG KeQueryActiveProcessorCount(KAFFINITY* ActiveProcessors) {
  const unsigned n = kernel().cpu_count();
  if (ActiveProcessors) *ActiveProcessors = n >= 64 ? ~KAFFINITY{0} : (KAFFINITY{1} << n) - 1;
  return n;
}

VOID KeStallExecutionProcessor(ULONG MicroSeconds) {
  kernel().current_cpu().consume_ps(std::uint64_t{MicroSeconds} * 1'000'000);
}

LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency) {
  // A 10 MHz counter, the frequency modern Windows reports.
  if (PerformanceFrequency) PerformanceFrequency->QuadPart = 10'000'000;
  LARGE_INTEGER now;
  now.QuadPart = static_cast<LONGLONG>(kernel().now_ps() / 100'000);
  return now;
}

VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock) { *SpinLock = 0; }

VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) {
  auto& cpu = kernel().current_cpu();
  if (cpu.irql() < DISPATCH_LEVEL)
    throw DriverFault(fmt::format("IRQL_NOT_GREATER_OR_EQUAL: KeAcquireSpinLockAtDpcLevel at IRQL {} on CPU {}",
                                  cpu.irql(), cpu.index()));
  kernel().acquire_lock(SpinLock);
}

VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock) { kernel().release_lock(SpinLock); }

KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock) {
  require_irql_at_most("KeAcquireSpinLock", DISPATCH_LEVEL);
  const KIRQL old = KeRaiseIrqlToDpcLevel();
  kernel().acquire_lock(SpinLock);
  return old;
}

VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql) {
  kernel().release_lock(SpinLock);
  KeLowerIrql(NewIrql);
}

PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, MEMORY_CACHING_TYPE) {
  return kernel().map_io_space(static_cast<std::uint64_t>(PhysicalAddress.QuadPart), NumberOfBytes);
}

VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes) { kernel().unmap_io_space(BaseAddress, NumberOfBytes); }

UCHAR READ_REGISTER_UCHAR(volatile UCHAR* Register) {
  return static_cast<UCHAR>(kernel().mmio_read(Register, 1));
}
USHORT READ_REGISTER_USHORT(volatile USHORT* Register) {
  return static_cast<USHORT>(kernel().mmio_read(Register, 2));
}
ULONG READ_REGISTER_ULONG(volatile ULONG* Register) { return static_cast<ULONG>(kernel().mmio_read(Register, 4)); }
ULONG64 READ_REGISTER_ULONG64(volatile ULONG64* Register) { return kernel().mmio_read(Register, 8); }
VOID WRITE_REGISTER_UCHAR(volatile UCHAR* Register, UCHAR Value) { kernel().mmio_write(Register, Value, 1); }
VOID WRITE_REGISTER_USHORT(volatile USHORT* Register, USHORT Value) { kernel().mmio_write(Register, Value, 2); }
VOID WRITE_REGISTER_ULONG(volatile ULONG* Register, ULONG Value) { kernel().mmio_write(Register, Value, 4); }
VOID WRITE_REGISTER_ULONG64(volatile ULONG64* Register, ULONG64 Value) { kernel().mmio_write(Register, Value, 8); }

NTSTATUS IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters) {
  require_irql_at_most("IoConnectInterruptEx", PASSIVE_LEVEL);
  if (!Parameters) return STATUS_INVALID_PARAMETER;
  if (Parameters->Version != CONNECT_MESSAGE_BASED) return STATUS_NOT_SUPPORTED;
  return kernel().connect_message_based(Parameters->MessageBased);
}

VOID IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters) {
  require_irql_at_most("IoDisconnectInterruptEx", PASSIVE_LEVEL);
  if (Parameters && Parameters->Version == CONNECT_MESSAGE_BASED)
    kernel().disconnect(Parameters->ConnectionContext.InterruptMessageTable);
}

KIRQL KeAcquireInterruptSpinLock(PKINTERRUPT Interrupt) {
  auto* io = reinterpret_cast<irqrig::host::InterruptObject*>(Interrupt);
  KIRQL old;
  KeRaiseIrql(io->synchronize_irql, &old);
  kernel().acquire_lock(io->lock);
  return old;
}

VOID KeReleaseInterruptSpinLock(PKINTERRUPT Interrupt, KIRQL OldIrql) {
  auto* io = reinterpret_cast<irqrig::host::InterruptObject*>(Interrupt);
  kernel().release_lock(io->lock);
  KeLowerIrql(OldIrql);
}

VOID IrqrigEventProcessed(const IRQRIG_EVENT_RECORD* Record) { kernel().event_processed(Record); }

}  // extern "C"

// The WDK's kernel calls of <irqrig/wdm.h>, served by the running irqrig platform.
#include "irqrig/wdm.h"

#include <cstring>
#include <cwchar>

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

VOID KeInitializeThreadedDpc(PKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext) {
  KeInitializeDpc(Dpc, DeferredRoutine, DeferredContext);
  Dpc->Type = ThreadedDpcObject;
}

VOID KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number) {
  Dpc->Number = static_cast<USHORT>(static_cast<UCHAR>(Number) + 1u);
}

NTSTATUS KeSetTargetProcessorDpcEx(PKDPC Dpc, PPROCESSOR_NUMBER ProcNumber) {
  if (!ProcNumber || ProcNumber->Group != 0 || ProcNumber->Number >= kernel().cpu_count())
    return STATUS_INVALID_PARAMETER;
  Dpc->Number = static_cast<USHORT>(ProcNumber->Number + 1u);
  return STATUS_SUCCESS;
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

ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber) {
  const ULONG n = kernel().current_cpu().index();
  if (ProcNumber) {
    ProcNumber->Group = 0;  // one processor group: the rig has at most 64 CPUs
    ProcNumber->Number = static_cast<UCHAR>(n);
    ProcNumber->Reserved = 0;
  }
  return n;
}

ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber) {
  return GroupNumber == 0 || GroupNumber == ALL_PROCESSOR_GROUPS ? kernel().cpu_count() : 0;
}

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

VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime) {
  CurrentTime->QuadPart = static_cast<LONGLONG>(kernel().now_ps() / 100'000);
}

ULONGLONG KeQueryInterruptTime(VOID) { return kernel().now_ps() / 100'000; }

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

VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle) {
  LockHandle->LockQueue.Next = nullptr;
  LockHandle->LockQueue.Lock = SpinLock;
  LockHandle->OldIrql = KeAcquireSpinLockRaiseToDpc(SpinLock);
}

VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle) {
  KeReleaseSpinLock(LockHandle->LockQueue.Lock, LockHandle->OldIrql);
}

VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle) {
  LockHandle->LockQueue.Next = nullptr;
  LockHandle->LockQueue.Lock = SpinLock;
  KeAcquireSpinLockAtDpcLevel(SpinLock);
}

VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle) {
  KeReleaseSpinLockFromDpcLevel(LockHandle->LockQueue.Lock);
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

VOID READ_REGISTER_BUFFER_UCHAR(volatile UCHAR* Register, PUCHAR Buffer, ULONG Count) {
  for (ULONG i = 0; i < Count; ++i) Buffer[i] = READ_REGISTER_UCHAR(Register + i);
}
VOID READ_REGISTER_BUFFER_USHORT(volatile USHORT* Register, PUSHORT Buffer, ULONG Count) {
  for (ULONG i = 0; i < Count; ++i) Buffer[i] = READ_REGISTER_USHORT(Register + i);
}
VOID READ_REGISTER_BUFFER_ULONG(volatile ULONG* Register, PULONG Buffer, ULONG Count) {
  for (ULONG i = 0; i < Count; ++i) Buffer[i] = READ_REGISTER_ULONG(Register + i);
}
VOID READ_REGISTER_BUFFER_ULONG64(volatile ULONG64* Register, PULONG64 Buffer, ULONG Count) {
  for (ULONG i = 0; i < Count; ++i) Buffer[i] = READ_REGISTER_ULONG64(Register + i);
}
VOID WRITE_REGISTER_BUFFER_UCHAR(volatile UCHAR* Register, PUCHAR Buffer, ULONG Count) {
  for (ULONG i = 0; i < Count; ++i) WRITE_REGISTER_UCHAR(Register + i, Buffer[i]);
}
VOID WRITE_REGISTER_BUFFER_USHORT(volatile USHORT* Register, PUSHORT Buffer, ULONG Count) {
  for (ULONG i = 0; i < Count; ++i) WRITE_REGISTER_USHORT(Register + i, Buffer[i]);
}
VOID WRITE_REGISTER_BUFFER_ULONG(volatile ULONG* Register, PULONG Buffer, ULONG Count) {
  for (ULONG i = 0; i < Count; ++i) WRITE_REGISTER_ULONG(Register + i, Buffer[i]);
}
VOID WRITE_REGISTER_BUFFER_ULONG64(volatile ULONG64* Register, PULONG64 Buffer, ULONG Count) {
  for (ULONG i = 0; i < Count; ++i) WRITE_REGISTER_ULONG64(Register + i, Buffer[i]);
}

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

BOOLEAN KeSynchronizeExecution(PKINTERRUPT Interrupt, PKSYNCHRONIZE_ROUTINE SynchronizeRoutine,
                               PVOID SynchronizeContext) {
  const KIRQL old = KeAcquireInterruptSpinLock(Interrupt);
  const BOOLEAN result = SynchronizeRoutine(SynchronizeContext);
  KeReleaseInterruptSpinLock(Interrupt, old);
  return result;
}

VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString) {
  const std::size_t chars = SourceString ? std::wcslen(SourceString) : 0;
  DestinationString->Length = static_cast<USHORT>(chars * sizeof(WCHAR));
  DestinationString->MaximumLength = SourceString ? static_cast<USHORT>((chars + 1) * sizeof(WCHAR)) : 0;
  DestinationString->Buffer = const_cast<PWCH>(SourceString);
}

PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName);

VOID IrqrigEventProcessed(const IRQRIG_EVENT_RECORD* Record) { kernel().event_processed(Record); }

}  // extern "C"

namespace {

struct Export {
  const char* name;
  PVOID address;
};

#define IRQRIG_EXPORT(routine) Export{#routine, reinterpret_cast<PVOID>(&routine)}

// What MmGetSystemRoutineAddress can find: the routines this kernel implements. The Interlocked
// family and KeMemoryBarrier are compiler intrinsics in the WDK, not exports, so they are absent.
const Export kExports[] = {
    IRQRIG_EXPORT(KeInitializeDpc),
    IRQRIG_EXPORT(KeInitializeThreadedDpc),
    IRQRIG_EXPORT(KeInsertQueueDpc),
    IRQRIG_EXPORT(KeRemoveQueueDpc),
    IRQRIG_EXPORT(KeSetImportanceDpc),
    IRQRIG_EXPORT(KeSetTargetProcessorDpc),
    IRQRIG_EXPORT(KeSetTargetProcessorDpcEx),
    IRQRIG_EXPORT(KeGetCurrentIrql),
    IRQRIG_EXPORT(KeRaiseIrql),
    IRQRIG_EXPORT(KeLowerIrql),
    IRQRIG_EXPORT(KeRaiseIrqlToDpcLevel),
    IRQRIG_EXPORT(KeGetCurrentProcessorNumber),
    IRQRIG_EXPORT(KeGetCurrentProcessorNumberEx),
    IRQRIG_EXPORT(KeQueryActiveProcessorCount),
    IRQRIG_EXPORT(KeQueryActiveProcessorCountEx),
    IRQRIG_EXPORT(KeStallExecutionProcessor),
    IRQRIG_EXPORT(KeQueryPerformanceCounter),
    IRQRIG_EXPORT(KeQuerySystemTime),
    IRQRIG_EXPORT(KeQueryInterruptTime),
    IRQRIG_EXPORT(KeInitializeSpinLock),
    IRQRIG_EXPORT(KeAcquireSpinLockAtDpcLevel),
    IRQRIG_EXPORT(KeReleaseSpinLockFromDpcLevel),
    IRQRIG_EXPORT(KeAcquireSpinLockRaiseToDpc),
    IRQRIG_EXPORT(KeReleaseSpinLock),
    IRQRIG_EXPORT(MmMapIoSpace),
    IRQRIG_EXPORT(MmUnmapIoSpace),
    IRQRIG_EXPORT(MmGetSystemRoutineAddress),
    IRQRIG_EXPORT(RtlInitUnicodeString),
    IRQRIG_EXPORT(IoConnectInterruptEx),
    IRQRIG_EXPORT(IoDisconnectInterruptEx),
    IRQRIG_EXPORT(KeAcquireInterruptSpinLock),
    IRQRIG_EXPORT(KeReleaseInterruptSpinLock),
    IRQRIG_EXPORT(KeSynchronizeExecution),
    IRQRIG_EXPORT(READ_REGISTER_BUFFER_UCHAR),
    IRQRIG_EXPORT(READ_REGISTER_BUFFER_USHORT),
    IRQRIG_EXPORT(READ_REGISTER_BUFFER_ULONG),
    IRQRIG_EXPORT(READ_REGISTER_BUFFER_ULONG64),
    IRQRIG_EXPORT(WRITE_REGISTER_BUFFER_UCHAR),
    IRQRIG_EXPORT(WRITE_REGISTER_BUFFER_USHORT),
    IRQRIG_EXPORT(WRITE_REGISTER_BUFFER_ULONG),
    IRQRIG_EXPORT(WRITE_REGISTER_BUFFER_ULONG64),
};

#undef IRQRIG_EXPORT

bool name_is(const UNICODE_STRING& s, const char* name) {
  const std::size_t chars = s.Length / sizeof(WCHAR);
  if (std::strlen(name) != chars || (chars && !s.Buffer)) return false;
  for (std::size_t i = 0; i < chars; ++i)
    if (s.Buffer[i] != static_cast<WCHAR>(static_cast<unsigned char>(name[i]))) return false;
  return true;
}

}  // namespace

extern "C" PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName) {
  require_irql_at_most("MmGetSystemRoutineAddress", PASSIVE_LEVEL);
  if (!SystemRoutineName) return nullptr;
  for (const Export& e : kExports)
    if (name_is(*SystemRoutineName, e.name)) return e.address;
  return nullptr;
}

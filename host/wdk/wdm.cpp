// The WDK's kernel calls of <irqrig/wdm.h>, served by the running irqrig platform. Each call first
// checks what the DDI's documentation requires of its caller (IRQL, initialized objects) and stops the
// run with the bug check the kernel or Driver Verifier would raise.
#include "irqrig/wdm.h"

#include <cstring>
#include <cwchar>

#include <fmt/format.h>

#include "host/core/irql.h"
#include "host/platform/platform.h"
#include "irqrig/rig.h"

using irqrig::host::irql_name;
using irqrig::host::Platform;

namespace {

Platform& kernel() { return Platform::current(); }

std::string object_type(UCHAR type) {
  switch (type) {
    case DpcObject: return "a KDPC";
    case ThreadedDpcObject: return "a threaded KDPC";
    case TimerNotificationObject:
    case TimerSynchronizationObject: return "a KTIMER";
    default: return fmt::format("no kernel object (Type {})", type);
  }
}

/// Dpc must be a KDPC that KeInitialize(Threaded)Dpc set up.
void require_dpc(const char* routine, const KDPC* dpc) {
  if (!dpc)
    kernel().violation("DRIVER_VERIFIER_DETECTED_VIOLATION", fmt::format("{}: the DPC pointer is NULL", routine));
  if (dpc->Type != DpcObject && dpc->Type != ThreadedDpcObject)
    kernel().violation("DRIVER_VERIFIER_DETECTED_VIOLATION",
                       fmt::format("{}: the object at {} is not an initialized KDPC but {}", routine, fmt::ptr(dpc),
                                   object_type(dpc->Type)));
  if (!dpc->DeferredRoutine)
    kernel().violation("DRIVER_VERIFIER_DETECTED_VIOLATION",
                       fmt::format("{}: the KDPC at {} has no DeferredRoutine", routine, fmt::ptr(dpc)));
}

/// Timer must be a KTIMER that KeInitializeTimer(Ex) set up.
void require_timer(const char* routine, const KTIMER* timer) {
  if (!timer)
    kernel().violation("DRIVER_VERIFIER_DETECTED_VIOLATION", fmt::format("{}: the timer pointer is NULL", routine));
  if (timer->Header.Type != TimerNotificationObject && timer->Header.Type != TimerSynchronizationObject)
    kernel().violation("DRIVER_VERIFIER_DETECTED_VIOLATION",
                       fmt::format("{}: the object at {} is not an initialized KTIMER but {}", routine,
                                   fmt::ptr(timer), object_type(timer->Header.Type)));
}

using irqrig::host::Pool;

/// The parts of a tag that must match at ExFreePoolWithTag (PROTECTED_POOL, bit 31, is not one).
constexpr ULONG kTagBits = 0x7FFFFFFFu;

std::string tag_text(ULONG tag) { return fmt::format("'{}'", Pool::tag_name(tag)); }

/// What every pool allocation checks before it is served (BAD_POOL_CALLER, Driver Verifier 0xC4).
void check_allocation(const char* routine, bool paged, SIZE_T bytes, ULONG tag) {
  Platform& k = kernel();
  const KIRQL irql = k.current_cpu().irql();
  const KIRQL limit = paged ? APC_LEVEL : DISPATCH_LEVEL;
  if (irql > limit)
    k.violation("BAD_POOL_CALLER", fmt::format("{} of {} pool at {}; it requires IRQL <= {}", routine,
                                               paged ? "paged" : "non-paged", irql_name(irql), irql_name(limit)));
  if (tag == 0)
    k.violation("BAD_POOL_CALLER", fmt::format("{} with a tag of zero: the allocation could not be tracked", routine));
  if (bytes == 0)
    k.violation("DRIVER_VERIFIER_DETECTED_VIOLATION", fmt::format("{} of zero bytes", routine));
}

/// A failed allocation the caller asked to raise on: with no handler in a driver's frames, the
/// exception is unhandled.
[[noreturn]] void raise_allocation_failure(const char* routine, const std::string& why) {
  kernel().violation("KMODE_EXCEPTION_NOT_HANDLED",
                     fmt::format("{} raised STATUS_INSUFFICIENT_RESOURCES ({})", routine, why));
}

void free_pool(const char* routine, PVOID p, const ULONG* tag) {
  Platform& k = kernel();
  switch (k.pool().check_free(p)) {
    case Pool::FreeCheck::kOk: break;
    case Pool::FreeCheck::kNotAllocated:
      k.violation("BAD_POOL_CALLER", fmt::format("{} of {}, an address not allocated from pool", routine, fmt::ptr(p)));
    case Pool::FreeCheck::kFreedAlready:
      k.violation("BAD_POOL_CALLER", fmt::format("{} of {}, freed already", routine, fmt::ptr(p)));
  }
  const irqrig::host::PoolBlock block = *k.pool().block(p);
  const KIRQL irql = k.current_cpu().irql();
  const KIRQL limit = block.paged ? APC_LEVEL : DISPATCH_LEVEL;
  if (irql > limit)
    k.violation("BAD_POOL_CALLER", fmt::format("{} of {} pool at {}; it requires IRQL <= {}", routine,
                                               block.paged ? "paged" : "non-paged", irql_name(irql), irql_name(limit)));
  if (tag && (*tag & kTagBits) != (block.tag & kTagBits))
    k.violation("BAD_POOL_CALLER", fmt::format("{} of {} with tag {}; it was allocated with tag {}", routine,
                                               fmt::ptr(p), tag_text(*tag), tag_text(block.tag)));
  k.pool().free(p);
}

/// A routine MmGetSystemRoutineAddress can find.
struct Export {
  const char* name;
  PVOID address;
};

}  // namespace

extern "C" {

// ---- DPCs (any IRQL, except KeFlushQueuedDpcs at PASSIVE) ----

VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext) {
  *Dpc = KDPC{};
  Dpc->Type = DpcObject;
  Dpc->Importance = MediumImportance;  // E1: Medium, no target
  Dpc->DeferredRoutine = DeferredRoutine;
  Dpc->DeferredContext = DeferredContext;
}

VOID KeInitializeThreadedDpc(PKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext) {
  KeInitializeDpc(Dpc, DeferredRoutine, DeferredContext);
  Dpc->Type = ThreadedDpcObject;
}

BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2) {
  require_dpc("KeInsertQueueDpc", Dpc);
  return kernel().insert_dpc(Dpc, SystemArgument1, SystemArgument2) ? TRUE : FALSE;
}

BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc) {
  require_dpc("KeRemoveQueueDpc", Dpc);
  return kernel().remove_dpc(Dpc) ? TRUE : FALSE;
}

VOID KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance) {
  require_dpc("KeSetImportanceDpc", Dpc);
  if (Importance < LowImportance || Importance > MediumHighImportance)
    kernel().violation("DRIVER_VERIFIER_DETECTED_VIOLATION",
                       fmt::format("KeSetImportanceDpc: {} is not a KDPC_IMPORTANCE", static_cast<int>(Importance)));
  Dpc->Importance = static_cast<UCHAR>(Importance);
}

VOID KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number) {
  require_dpc("KeSetTargetProcessorDpc", Dpc);
  // E5: later inserts go to processor Number; a missing one is caught at the insert, as Windows
  // would only crash there.
  Dpc->Number = static_cast<USHORT>(static_cast<UCHAR>(Number) + 1u);
}

NTSTATUS KeSetTargetProcessorDpcEx(PKDPC Dpc, PPROCESSOR_NUMBER ProcNumber) {
  require_dpc("KeSetTargetProcessorDpcEx", Dpc);
  if (!ProcNumber || ProcNumber->Group != 0 || ProcNumber->Number >= kernel().cpu_count())
    return STATUS_INVALID_PARAMETER;
  Dpc->Number = static_cast<USHORT>(ProcNumber->Number + 1u);
  return STATUS_SUCCESS;
}

VOID KeFlushQueuedDpcs(VOID) {
  kernel().require_irql_at_most("KeFlushQueuedDpcs", PASSIVE_LEVEL);
  kernel().flush_dpcs();
}

// ---- timers (IRQL <= DISPATCH_LEVEL; KeReadStateTimer at any) ----

VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type) {
  kernel().require_irql_at_most("KeInitializeTimerEx", DISPATCH_LEVEL);
  if (Type != NotificationTimer && Type != SynchronizationTimer)
    kernel().violation("DRIVER_VERIFIER_DETECTED_VIOLATION",
                       fmt::format("KeInitializeTimerEx: {} is not a TIMER_TYPE", static_cast<int>(Type)));
  *Timer = KTIMER{};
  Timer->Header.Type = Type == NotificationTimer ? TimerNotificationObject : TimerSynchronizationObject;
}

VOID KeInitializeTimer(PKTIMER Timer) {
  kernel().require_irql_at_most("KeInitializeTimer", DISPATCH_LEVEL);
  KeInitializeTimerEx(Timer, NotificationTimer);
}

BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc) {
  kernel().require_irql_at_most("KeSetTimerEx", DISPATCH_LEVEL);
  require_timer("KeSetTimerEx", Timer);
  if (Dpc) require_dpc("KeSetTimerEx", Dpc);
  if (Period < 0)
    kernel().violation("DRIVER_VERIFIER_DETECTED_VIOLATION", fmt::format("KeSetTimerEx: Period {} ms", Period));
  return kernel().set_timer(Timer, DueTime.QuadPart, Period, Dpc) ? TRUE : FALSE;
}

BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc) {
  kernel().require_irql_at_most("KeSetTimer", DISPATCH_LEVEL);
  return KeSetTimerEx(Timer, DueTime, 0, Dpc);
}

BOOLEAN KeCancelTimer(PKTIMER Timer) {
  kernel().require_irql_at_most("KeCancelTimer", DISPATCH_LEVEL);
  require_timer("KeCancelTimer", Timer);
  return kernel().cancel_timer(Timer) ? TRUE : FALSE;
}

BOOLEAN KeReadStateTimer(PKTIMER Timer) {
  require_timer("KeReadStateTimer", Timer);
  return Timer->Header.SignalState ? TRUE : FALSE;
}

// ---- IPI broadcast (IRQL < IPI_LEVEL) ----

ULONG_PTR KeIpiGenericCall(PKIPI_BROADCAST_WORKER BroadcastFunction, ULONG_PTR Context) {
  kernel().require_irql_at_most("KeIpiGenericCall", IPI_LEVEL - 1);
  if (!BroadcastFunction)
    kernel().violation("DRIVER_VERIFIER_DETECTED_VIOLATION", "KeIpiGenericCall: the worker is NULL");
  return kernel().ipi_generic_call(BroadcastFunction, Context);
}

// ---- IRQL, processors, time (any IRQL) ----

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

ULONG KeQueryActiveProcessorCount(KAFFINITY* ActiveProcessors) {
  const unsigned n = kernel().cpu_count();
  if (ActiveProcessors) *ActiveProcessors = n >= 64 ? ~KAFFINITY{0} : (KAFFINITY{1} << n) - 1;
  return n;
}

ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber) {
  return GroupNumber == 0 || GroupNumber == ALL_PROCESSOR_GROUPS ? kernel().cpu_count() : 0;
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

// ---- spin locks ----

VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock) { *SpinLock = 0; }

VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) {
  kernel().require_irql_at_least("KeAcquireSpinLockAtDpcLevel", DISPATCH_LEVEL);
  kernel().acquire_lock(SpinLock);
}

VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock) {
  kernel().require_irql_at_least("KeReleaseSpinLockFromDpcLevel", DISPATCH_LEVEL);
  kernel().release_lock(SpinLock);
}

KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock) {
  kernel().require_irql_at_most("KeAcquireSpinLock", DISPATCH_LEVEL);
  const KIRQL old = KeRaiseIrqlToDpcLevel();
  kernel().acquire_lock(SpinLock);
  return old;
}

VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql) {
  kernel().require_irql_at_least("KeReleaseSpinLock", DISPATCH_LEVEL);
  kernel().release_lock(SpinLock);
  KeLowerIrql(NewIrql);
}

VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle) {
  kernel().require_irql_at_most("KeAcquireInStackQueuedSpinLock", DISPATCH_LEVEL);
  LockHandle->LockQueue.Next = nullptr;
  LockHandle->LockQueue.Lock = SpinLock;
  LockHandle->OldIrql = KeRaiseIrqlToDpcLevel();
  kernel().acquire_lock(SpinLock, /*queued=*/true);
}

VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle) {
  kernel().require_irql_at_least("KeReleaseInStackQueuedSpinLock", DISPATCH_LEVEL);
  kernel().release_lock(LockHandle->LockQueue.Lock);
  KeLowerIrql(LockHandle->OldIrql);
}

VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle) {
  kernel().require_irql_at_least("KeAcquireInStackQueuedSpinLockAtDpcLevel", DISPATCH_LEVEL);
  LockHandle->LockQueue.Next = nullptr;
  LockHandle->LockQueue.Lock = SpinLock;
  kernel().acquire_lock(SpinLock, /*queued=*/true);
}

VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle) {
  kernel().require_irql_at_least("KeReleaseInStackQueuedSpinLockFromDpcLevel", DISPATCH_LEVEL);
  kernel().release_lock(LockHandle->LockQueue.Lock);
}

// ---- pool (non-paged at <= DISPATCH_LEVEL, paged at <= APC_LEVEL) ----

PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag) {
  constexpr POOL_FLAGS kTypes = POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED;
  constexpr POOL_FLAGS kKnown = POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED | POOL_FLAG_CACHE_ALIGNED |
                                POOL_FLAG_RAISE_ON_FAILURE | kTypes;
  const POOL_FLAGS type = Flags & kTypes;
  const bool paged = type == POOL_FLAG_PAGED;
  check_allocation("ExAllocatePool2", paged, NumberOfBytes, Tag);
  // A required flag it does not serve (session pool, reserved bits, no or two pool types) fails
  // the allocation; optional flags (the high half) it does not serve are ignored.
  const POOL_FLAGS unknown = Flags & 0xFFFFFFFFull & ~kKnown;
  if (unknown || (type != POOL_FLAG_NON_PAGED && type != POOL_FLAG_NON_PAGED_EXECUTE && !paged)) {
    if (Flags & POOL_FLAG_RAISE_ON_FAILURE)
      raise_allocation_failure("ExAllocatePool2", fmt::format("flags {:#x} are not a pool request", Flags));
    return nullptr;
  }
  const std::size_t alignment = (Flags & POOL_FLAG_CACHE_ALIGNED) ? Pool::kCacheLine : Pool::kAlignment;
  return kernel().pool().allocate(NumberOfBytes, Tag, paged, alignment, !(Flags & POOL_FLAG_UNINITIALIZED));
}

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  const auto raw = static_cast<unsigned>(PoolType);
  const bool raise = raw & POOL_RAISE_IF_ALLOCATION_FAILURE;
  const unsigned base = raw & ~unsigned{POOL_RAISE_IF_ALLOCATION_FAILURE | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE};
  const bool paged = base == PagedPool || base == PagedPoolCacheAligned;
  check_allocation("ExAllocatePoolWithTag", paged, NumberOfBytes, Tag);
  if (base == NonPagedPoolMustSucceed || base == NonPagedPoolCacheAlignedMustS)
    kernel().violation("BAD_POOL_CALLER", "ExAllocatePoolWithTag of must-succeed pool, which Windows no longer has");
  const bool cache_aligned =
      base == NonPagedPoolCacheAligned || base == PagedPoolCacheAligned || base == NonPagedPoolNxCacheAligned;
  if (base != NonPagedPool && base != NonPagedPoolNx && !paged && !cache_aligned) {
    // Session pool and the reserved types are not a driver's to ask for.
    if (raise) raise_allocation_failure("ExAllocatePoolWithTag", fmt::format("pool type {}", raw));
    return nullptr;
  }
  // Not zeroed: the memory holds Pool::kUninitialized until the driver writes it.
  return kernel().pool().allocate(NumberOfBytes, Tag, paged, cache_aligned ? Pool::kCacheLine : Pool::kAlignment,
                                  false);
}

VOID ExFreePoolWithTag(PVOID P, ULONG Tag) { free_pool("ExFreePoolWithTag", P, &Tag); }

VOID ExFreePool(PVOID P) { free_pool("ExFreePool", P, nullptr); }

// ---- memory-mapped I/O (map/unmap at <= DISPATCH_LEVEL, registers at any IRQL) ----

PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, MEMORY_CACHING_TYPE) {
  kernel().require_irql_at_most("MmMapIoSpace", DISPATCH_LEVEL);
  return kernel().map_io_space(static_cast<std::uint64_t>(PhysicalAddress.QuadPart), NumberOfBytes);
}

VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes) {
  kernel().require_irql_at_most("MmUnmapIoSpace", DISPATCH_LEVEL);
  kernel().unmap_io_space(BaseAddress, NumberOfBytes);
}

UCHAR READ_REGISTER_UCHAR(volatile UCHAR* Register) { return static_cast<UCHAR>(kernel().mmio_read(Register, 1)); }
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

// ---- interrupts ----

NTSTATUS IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters) {
  kernel().require_irql_at_most("IoConnectInterruptEx", PASSIVE_LEVEL);
  if (!Parameters) return STATUS_INVALID_PARAMETER;
  return kernel().connect(*Parameters);
}

VOID IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters) {
  kernel().require_irql_at_most("IoDisconnectInterruptEx", PASSIVE_LEVEL);
  if (!Parameters)
    kernel().violation("DRIVER_VERIFIER_DETECTED_VIOLATION", "IoDisconnectInterruptEx: Parameters is NULL");
  kernel().disconnect(*Parameters);
}

KIRQL KeAcquireInterruptSpinLock(PKINTERRUPT Interrupt) {
  auto& io = kernel().interrupt_object(Interrupt, "KeAcquireInterruptSpinLock");
  kernel().require_irql_at_most("KeAcquireInterruptSpinLock", io.synchronize_irql);
  KIRQL old;
  KeRaiseIrql(io.synchronize_irql, &old);
  kernel().acquire_lock(io.lock);
  return old;
}

VOID KeReleaseInterruptSpinLock(PKINTERRUPT Interrupt, KIRQL OldIrql) {
  auto& io = kernel().interrupt_object(Interrupt, "KeReleaseInterruptSpinLock");
  kernel().require_irql_at_least("KeReleaseInterruptSpinLock", io.synchronize_irql);
  kernel().release_lock(io.lock);
  KeLowerIrql(OldIrql);
}

BOOLEAN KeSynchronizeExecution(PKINTERRUPT Interrupt, PKSYNCHRONIZE_ROUTINE SynchronizeRoutine,
                               PVOID SynchronizeContext) {
  auto& io = kernel().interrupt_object(Interrupt, "KeSynchronizeExecution");
  kernel().require_irql_at_most("KeSynchronizeExecution", io.synchronize_irql);
  if (!SynchronizeRoutine)
    kernel().violation("DRIVER_VERIFIER_DETECTED_VIOLATION", "KeSynchronizeExecution: the SynchronizeRoutine is NULL");
  const KIRQL old = KeAcquireInterruptSpinLock(Interrupt);
  const BOOLEAN result = SynchronizeRoutine(SynchronizeContext);
  KeReleaseInterruptSpinLock(Interrupt, old);
  return result;
}

// ---- strings and routine lookup ----

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
    IRQRIG_EXPORT(KeFlushQueuedDpcs),
    IRQRIG_EXPORT(KeInitializeTimer),
    IRQRIG_EXPORT(KeInitializeTimerEx),
    IRQRIG_EXPORT(KeSetTimer),
    IRQRIG_EXPORT(KeSetTimerEx),
    IRQRIG_EXPORT(KeCancelTimer),
    IRQRIG_EXPORT(KeReadStateTimer),
    IRQRIG_EXPORT(KeIpiGenericCall),
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
    IRQRIG_EXPORT(KeAcquireInStackQueuedSpinLock),
    IRQRIG_EXPORT(KeReleaseInStackQueuedSpinLock),
    IRQRIG_EXPORT(KeAcquireInStackQueuedSpinLockAtDpcLevel),
    IRQRIG_EXPORT(KeReleaseInStackQueuedSpinLockFromDpcLevel),
    IRQRIG_EXPORT(ExAllocatePool2),
    IRQRIG_EXPORT(ExAllocatePoolWithTag),
    IRQRIG_EXPORT(ExFreePoolWithTag),
    IRQRIG_EXPORT(ExFreePool),
    IRQRIG_EXPORT(MmMapIoSpace),
    IRQRIG_EXPORT(MmUnmapIoSpace),
    IRQRIG_EXPORT(MmGetSystemRoutineAddress),
    IRQRIG_EXPORT(RtlInitUnicodeString),
    IRQRIG_EXPORT(IoConnectInterruptEx),
    IRQRIG_EXPORT(IoDisconnectInterruptEx),
    IRQRIG_EXPORT(KeAcquireInterruptSpinLock),
    IRQRIG_EXPORT(KeReleaseInterruptSpinLock),
    IRQRIG_EXPORT(KeSynchronizeExecution),
    IRQRIG_EXPORT(READ_REGISTER_UCHAR),
    IRQRIG_EXPORT(READ_REGISTER_USHORT),
    IRQRIG_EXPORT(READ_REGISTER_ULONG),
    IRQRIG_EXPORT(READ_REGISTER_ULONG64),
    IRQRIG_EXPORT(WRITE_REGISTER_UCHAR),
    IRQRIG_EXPORT(WRITE_REGISTER_USHORT),
    IRQRIG_EXPORT(WRITE_REGISTER_ULONG),
    IRQRIG_EXPORT(WRITE_REGISTER_ULONG64),
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
  kernel().require_irql_at_most("MmGetSystemRoutineAddress", PASSIVE_LEVEL);
  if (!SystemRoutineName) return nullptr;
  for (const Export& e : kExports)
    if (name_is(*SystemRoutineName, e.name)) return e.address;
  return nullptr;
}

/* A driver snippet in C99 against <irqrig/wdm.h>: a periodic timer with a threaded DPC that counts
 * under an in-stack queued spin lock, a routine looked up at run time, and the Interlocked family.
 * Compiled as C (pedantic) so the header keeps working for C drivers. */
#include "tests/host/platform/c_snippet.h"

#include <string.h>

typedef ULONG_PTR LOOKED_UP_IPI(PKIPI_BROADCAST_WORKER, ULONG_PTR);

static VOID SnippetDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2) {
  C_SNIPPET* snippet = (C_SNIPPET*)DeferredContext;
  KLOCK_QUEUE_HANDLE handle;
  (void)Dpc;
  (void)SystemArgument1;
  (void)SystemArgument2;
  snippet->DpcIrql = KeGetCurrentIrql();
  KeAcquireInStackQueuedSpinLock(&snippet->Lock, &handle);
  InterlockedIncrement(&snippet->Runs);
  InterlockedAdd64(&snippet->Sum, 10);
  KeReleaseInStackQueuedSpinLock(&handle);
}

static ULONG_PTR SnippetWorker(ULONG_PTR Argument) {
  C_SNIPPET* snippet = (C_SNIPPET*)Argument;
  InterlockedIncrement(&snippet->Workers);
  return KeGetCurrentIrql();
}

VOID CSnippetStart(C_SNIPPET* Snippet) {
  LARGE_INTEGER due;
  UNICODE_STRING name;
  LOOKED_UP_IPI* ipi;
  PVOID address;
  KeInitializeSpinLock(&Snippet->Lock);
  KeInitializeTimerEx(&Snippet->Timer, SynchronizationTimer);
  KeInitializeThreadedDpc(&Snippet->Dpc, SnippetDpc, Snippet);
  due.QuadPart = -1000; /* 100 us */
  Snippet->WasSet = KeSetTimerEx(&Snippet->Timer, due, 1, &Snippet->Dpc);
  RtlInitUnicodeString(&name, L"KeIpiGenericCall");
  address = MmGetSystemRoutineAddress(&name);
  /* ISO C has no cast from an object pointer to a function pointer; the bytes are the address. */
  memcpy(&ipi, &address, sizeof ipi);
  Snippet->WorkerIrql = ipi ? (KIRQL)ipi(SnippetWorker, (ULONG_PTR)Snippet) : 0;
}

VOID CSnippetStop(C_SNIPPET* Snippet) {
  Snippet->WasSet = KeCancelTimer(&Snippet->Timer);
  KeFlushQueuedDpcs();
}

/* The C driver snippet's state and entry points, shared with the C++ test that runs it on the platform.
 * Plain C declarations so both languages see the same layout. */
#pragma once

#include "irqrig/wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _C_SNIPPET {
  KTIMER Timer;
  KDPC Dpc;
  KSPIN_LOCK Lock;
  volatile LONG Runs;
  volatile LONG64 Sum;
  volatile LONG Workers;
  KIRQL DpcIrql;
  KIRQL WorkerIrql;
  BOOLEAN WasSet;
} C_SNIPPET;

VOID CSnippetStart(C_SNIPPET* Snippet);
VOID CSnippetStop(C_SNIPPET* Snippet);

#ifdef __cplusplus
}
#endif

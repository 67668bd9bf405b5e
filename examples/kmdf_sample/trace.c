/*++

Module Name:

    trace.c

Abstract:

    TraceEvents for builds without WPP: errors always reach the debugger output, other levels
    only when the driver is built with DBG.

Environment:

    Kernel mode

--*/

#include "driver.h"

#if !defined(EVENT_TRACING)

_Use_decl_annotations_
VOID
TraceEvents(
    ULONG DebugPrintLevel,
    ULONG DebugPrintFlag,
    PCSTR DebugMessage,
    ...
    )
{
    va_list list;

    UNREFERENCED_PARAMETER(DebugPrintFlag);

    if (DebugPrintLevel > TRACE_LEVEL_ERROR && !DBG) {
        return;
    }

    va_start(list, DebugMessage);
    vDbgPrintEx(DPFLTR_IHVDRIVER_ID,
                DebugPrintLevel <= TRACE_LEVEL_ERROR ? DPFLTR_ERROR_LEVEL : DPFLTR_INFO_LEVEL,
                (PCCHAR)DebugMessage,
                list);
    va_end(list);
}

#endif

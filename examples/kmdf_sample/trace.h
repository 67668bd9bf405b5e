/*++

Module Name:

    trace.h

Abstract:

    Tracing for the irqrig KMDF sample. With EVENT_TRACING defined the driver uses WPP software
    tracing (the WDK's trace preprocessor generates the .tmh files); without it, TraceEvents
    prints through DbgPrintEx.

Environment:

    Kernel mode

--*/

#pragma once

#define TRACE_LEVEL_NONE        0
#define TRACE_LEVEL_CRITICAL    1
#define TRACE_LEVEL_ERROR       2
#define TRACE_LEVEL_WARNING     3
#define TRACE_LEVEL_INFORMATION 4
#define TRACE_LEVEL_VERBOSE     5

#define TRACE_DRIVER    0x00000001
#define TRACE_DEVICE    0x00000002
#define TRACE_INTERRUPT 0x00000004

#if defined(EVENT_TRACING)

#define WPP_CONTROL_GUIDS                                              \
    WPP_DEFINE_CONTROL_GUID(                                           \
        IrqrigSampleTraceGuid, (0d5c1f0e,8a4b,4c3d,9e2f,1a2b3c4d5e6f), \
        WPP_DEFINE_BIT(DBG_DRIVER)                                     \
        WPP_DEFINE_BIT(DBG_DEVICE)                                     \
        WPP_DEFINE_BIT(DBG_INTERRUPT)                                  \
        )

#define WPP_FLAG_LEVEL_LOGGER(flag, level) WPP_LEVEL_LOGGER(flag)
#define WPP_FLAG_LEVEL_ENABLED(flag, level) \
    (WPP_LEVEL_ENABLED(flag) && WPP_CONTROL(WPP_BIT_ ## flag).Level >= level)

//
// begin_wpp config
// FUNC TraceEvents(LEVEL, FLAGS, MSG, ...);
// end_wpp
//

#else

VOID
TraceEvents(
    _In_ ULONG DebugPrintLevel,
    _In_ ULONG DebugPrintFlag,
    _Printf_format_string_ _In_ PCSTR DebugMessage,
    ...
    );

#define WPP_INIT_TRACING(DriverObject, RegistryPath)
#define WPP_CLEANUP(DriverObject)

#endif

// The few calls of <irqrig/ddk.h> that are not inline: debug output, and the checks behind
// NT_ASSERT and PAGED_CODE that stop a run the way a debugger break or a page fault would.
#include "irqrig/ddk.h"

#include <cstdio>

#include <fmt/format.h>

#include "host/core/irql.h"
#include "host/platform/platform.h"

using irqrig::host::Platform;

namespace {

// Windows' default debug-print filter passes error-level messages only (Kd_*_Mask = 0).
bool passes_default_filter(ULONG level) {
  if (level > 31) return (level & 1u) != 0;  // a mask: bit 0 is the error level
  return level == DPFLTR_ERROR_LEVEL;
}

}  // namespace

extern "C" {

ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCHAR Format, va_list arglist) {
  (void)ComponentId;
  if (!Format || !passes_default_filter(Level)) return STATUS_SUCCESS;
  std::fputs("irqrig: driver: ", stderr);
  std::vfprintf(stderr, Format, arglist);
  return STATUS_SUCCESS;
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...) {
  va_list args;
  va_start(args, Format);
  const ULONG status = vDbgPrintEx(ComponentId, Level, Format, args);
  va_end(args);
  return status;
}

ULONG DbgPrint(PCSTR Format, ...) {
  // DbgPrint is DbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, ...): filtered out by default.
  va_list args;
  va_start(args, Format);
  const ULONG status = vDbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, Format, args);
  va_end(args);
  return status;
}

VOID IrqrigAssertionFailure(PCSTR Expression, PCSTR Message, PCSTR File, ULONG Line) {
  Platform::current().violation("NT_ASSERT", fmt::format("{}{}{} failed at {}:{}", Expression ? Expression : "",
                                                         Message ? " - " : "", Message ? Message : "",
                                                         File ? File : "?", Line));
}

VOID IrqrigCheckPagedCode(PCSTR Routine) {
  const KIRQL irql = KeGetCurrentIrql();
  if (irql > APC_LEVEL)
    Platform::current().violation("IRQL_NOT_LESS_OR_EQUAL",
                                  fmt::format("pageable code ({} has PAGED_CODE) runs at {}", Routine ? Routine : "?",
                                              irqrig::host::irql_name(irql)));
}

}  // extern "C"

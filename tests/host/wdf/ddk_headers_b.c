/* The unit that only declares the GUIDs: the same names must reach the one definition. */
#include "ddk_headers.h"

#ifdef ALLOC_PRAGMA
#pragma alloc_text(PAGE, HeadersReportB)
#endif

HEADERS_REPORT HeadersReportB(VOID) {
  HEADERS_REPORT report;
  RtlZeroMemory(&report, sizeof report);
  report.Guid = &GUID_IRQRIG_HEADERS_TEST;
  report.ContextType = WDF_GET_CONTEXT_TYPE_INFO(HEADERS_CONTEXT)->UniqueType;
  report.IoctlCode = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);
  report.DescriptorSize = sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR);
  return report;
}

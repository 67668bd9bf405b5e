/* Two C translation units written against <ntddk.h>, <wdf.h> and <initguid.h>, and what they
 * report to the C++ test: values that must agree across units and with the WDK's definitions. */
#pragma once

#include <ntddk.h>
#include <wdf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* {1c0e8a57-2e63-4d7b-a3b1-6e5f0c9d8b42} */
DEFINE_GUID(GUID_IRQRIG_HEADERS_TEST, 0x1c0e8a57, 0x2e63, 0x4d7b, 0xa3, 0xb1, 0x6e, 0x5f, 0x0c, 0x9d, 0x8b, 0x42);

typedef struct _HEADERS_CONTEXT {
  ULONG Value;
  UCHAR Bytes[24];
} HEADERS_CONTEXT, *PHEADERS_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(HEADERS_CONTEXT, HeadersGetContext)

typedef struct _HEADERS_REPORT {
  const GUID* Guid;
  PCWDF_OBJECT_CONTEXT_TYPE_INFO ContextType;
  ULONG IoctlCode;
  BOOLEAN ListOk;
  BOOLEAN StringsOk;
  BOOLEAN StatusOk;
  BOOLEAN InitOk;
  BOOLEAN ContainingRecordOk;
  SIZE_T DescriptorSize;
} HEADERS_REPORT;

HEADERS_REPORT HeadersReportA(VOID);
HEADERS_REPORT HeadersReportB(VOID);

#ifdef __cplusplus
}
#endif

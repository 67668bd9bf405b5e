/* The unit that defines the GUIDs (<initguid.h> first), written the way driver sources are:
 * SAL annotations, MSVC pragmas, role-type declarations, the Rtl and list helpers. */
#include <initguid.h>

#include "ddk_headers.h"

#pragma warning(push)
#pragma warning(disable : 4201)
#pragma code_seg("PAGE")

#define IOCTL_HEADERS_TEST CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)

typedef struct _ENTRY {
  ULONG Tag;
  LIST_ENTRY Link;
} ENTRY, *PENTRY;

_IRQL_requires_max_(DISPATCH_LEVEL)
_Must_inspect_result_
static BOOLEAN CheckList(_Inout_updates_(Count) PENTRY Entries, _In_range_(1, 8) ULONG Count) {
  LIST_ENTRY head;
  ULONG i, seen = 0;
  PLIST_ENTRY link;
  InitializeListHead(&head);
  if (!IsListEmpty(&head)) return FALSE;
  for (i = 0; i < Count; i++) {
    Entries[i].Tag = i;
    InsertTailList(&head, &Entries[i].Link);
  }
  for (link = head.Flink; link != &head; link = link->Flink) {
    if (CONTAINING_RECORD(link, ENTRY, Link)->Tag != seen) return FALSE;
    seen++;
  }
  link = RemoveHeadList(&head);
  return (BOOLEAN)(seen == Count && CONTAINING_RECORD(link, ENTRY, Link)->Tag == 0 &&
                   CONTAINING_RECORD(RemoveTailList(&head), ENTRY, Link)->Tag == Count - 1);
}

_Use_decl_annotations_
HEADERS_REPORT HeadersReportA(VOID) {
  HEADERS_REPORT report;
  ENTRY entries[4];
  DECLARE_CONST_UNICODE_STRING(lower, L"ringentries");
  DECLARE_CONST_UNICODE_STRING(upper, L"RingEntries");
  WDF_DPC_CONFIG dpc;
  WDF_INTERRUPT_CONFIG interrupt;
  WDF_OBJECT_ATTRIBUTES attributes;
  ENTRY* from_field;

  RtlZeroMemory(&report, sizeof report);
  report.Guid = &GUID_IRQRIG_HEADERS_TEST;
  report.ContextType = WDF_GET_CONTEXT_TYPE_INFO(HEADERS_CONTEXT)->UniqueType;
  report.IoctlCode = IOCTL_HEADERS_TEST;
  report.ListOk = CheckList(entries, RTL_NUMBER_OF(entries));
  report.StringsOk = (BOOLEAN)(RtlEqualUnicodeString(&lower, &upper, TRUE) && !RtlEqualUnicodeString(&lower, &upper, FALSE) &&
                               upper.Length == 11 * sizeof(WCHAR));
  report.StatusOk = (BOOLEAN)(NT_SUCCESS(STATUS_SUCCESS) && NT_SUCCESS(STATUS_OBJECT_NAME_EXISTS) &&
                              NT_INFORMATION(STATUS_OBJECT_NAME_EXISTS) && NT_WARNING(STATUS_BUFFER_OVERFLOW) &&
                              NT_ERROR(STATUS_INVALID_DEVICE_STATE) && !NT_SUCCESS(STATUS_UNSUCCESSFUL));
  WDF_DPC_CONFIG_INIT(&dpc, NULL);
  WDF_INTERRUPT_CONFIG_INIT(&interrupt, NULL, NULL);
  WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
  report.InitOk = (BOOLEAN)(dpc.Size == sizeof dpc && dpc.AutomaticSerialization == TRUE &&
                            interrupt.Size == sizeof interrupt && interrupt.ShareVector == WdfUseDefault &&
                            interrupt.ReportInactiveOnPowerDown == WdfUseDefault && !interrupt.AutomaticSerialization &&
                            attributes.ExecutionLevel == WdfExecutionLevelInheritFromParent &&
                            attributes.SynchronizationScope == WdfSynchronizationScopeInheritFromParent);
  from_field = CONTAINING_RECORD(&entries[2].Link, ENTRY, Link);
  report.ContainingRecordOk = (BOOLEAN)(from_field == &entries[2] && FIELD_OFFSET(ENTRY, Link) == 8);
  report.DescriptorSize = sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR);
  UNREFERENCED_PARAMETER(report.DescriptorSize);
  return report;
}

#pragma code_seg()
#pragma warning(pop)

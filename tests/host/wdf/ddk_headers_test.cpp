// The WDK vocabulary of <ntddk.h>/<wdm.h>/<wdf.h> as C driver sources use it: values checked
// against the WDK's definitions, and what must be one object across translation units.
#include <gtest/gtest.h>

#include "tests/host/wdf/ddk_headers.h"

namespace {

TEST(DdkHeaders, GuidIsDefinedOnceAndDeclaredElsewhere) {
  const HEADERS_REPORT a = HeadersReportA(), b = HeadersReportB();
  EXPECT_EQ(a.Guid, b.Guid);
  EXPECT_EQ(a.Guid->Data1, 0x1c0e8a57u);
  EXPECT_EQ(a.Guid->Data2, 0x2e63);
  EXPECT_EQ(a.Guid->Data4[7], 0x42);
  GUID copy = *a.Guid;
  EXPECT_TRUE(IsEqualGUID(&copy, b.Guid));
  copy.Data4[0] ^= 1;
  EXPECT_FALSE(IsEqualGUID(&copy, b.Guid));
}

TEST(DdkHeaders, ContextTypeInfoIsOneObjectAcrossUnits) {
  const HEADERS_REPORT a = HeadersReportA(), b = HeadersReportB();
  EXPECT_EQ(a.ContextType, b.ContextType);
  EXPECT_EQ(a.ContextType->ContextSize, sizeof(HEADERS_CONTEXT));
  EXPECT_STREQ(a.ContextType->ContextName, "HEADERS_CONTEXT");
  EXPECT_EQ(a.ContextType->UniqueType, a.ContextType);
  EXPECT_EQ(WDF_GET_CONTEXT_TYPE_INFO(HEADERS_CONTEXT)->UniqueType, a.ContextType);  // and in C++
}

TEST(DdkHeaders, MacrosAndHelpersMatchTheWdk) {
  const HEADERS_REPORT a = HeadersReportA(), b = HeadersReportB();
  // CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS) is 0x00222004.
  EXPECT_EQ(a.IoctlCode, 0x00222004u);
  EXPECT_EQ(b.IoctlCode, a.IoctlCode);
  EXPECT_TRUE(a.ListOk);
  EXPECT_TRUE(a.StringsOk);
  EXPECT_TRUE(a.StatusOk);
  EXPECT_TRUE(a.InitOk);
  EXPECT_TRUE(a.ContainingRecordOk);
}

TEST(DdkHeaders, LayoutsMatchTheX64Wdk) {
  // #pragma pack(4) in the WDK: 20 bytes on x64, the same from C and C++.
  EXPECT_EQ(HeadersReportA().DescriptorSize, 20u);
  EXPECT_EQ(sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR), 20u);
  EXPECT_EQ(offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.MessageInterrupt.Translated.Vector), 8u);
  EXPECT_EQ(offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.MessageInterrupt.Raw.MessageCount), 6u);
  EXPECT_EQ(sizeof(ULONG), 4u);  // LLP64
  EXPECT_EQ(sizeof(WDF_OBJECT_ATTRIBUTES) % 8, 0u);
}

}  // namespace

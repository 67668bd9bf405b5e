#include "host/core/msi.h"

#include <gtest/gtest.h>

namespace irqrig::host {
namespace {

// SEMANTICS B1
TEST(MsiConformance, B1_AddressWindowAndFields) {
  EXPECT_TRUE(is_msi_address(0xFEE00000));
  EXPECT_TRUE(is_msi_address(0xFEEFFFFC));
  EXPECT_FALSE(is_msi_address(0xFED00000));
  EXPECT_FALSE(is_msi_address(0x1'FEE0'0000ull));
  const MsiMessage m = decode_msi(0xFEE0300C, 0x0051);
  EXPECT_EQ(m.destination, 3);
  EXPECT_TRUE(m.redirection_hint);
  EXPECT_TRUE(m.logical);
  EXPECT_EQ(m.vector, 0x51);
}

// SEMANTICS B3
TEST(MsiConformance, B3_DataFields) {
  const MsiMessage m = decode_msi(0xFEE00000, 0xC451);
  EXPECT_EQ(m.vector, 0x51);
  EXPECT_EQ(m.delivery, DeliveryMode::kNmi);
  EXPECT_TRUE(m.level_assert);
  EXPECT_TRUE(m.level_trigger);
  EXPECT_EQ(decode_msi(0xFEE00000, 0x0151).delivery, DeliveryMode::kLowestPriority);
}

// SEMANTICS B2, B3
TEST(MsiConformance, B2_OnlyPhysicalDestinationWithoutRedirectionIsModelled) {
  EXPECT_FALSE(unsupported_reason(decode_msi(msi_address(2), msi_data(0x61))));
  EXPECT_TRUE(unsupported_reason(decode_msi(0xFEE00000, 0x0F)));   // vector 15
  EXPECT_TRUE(unsupported_reason(decode_msi(0xFEE00008, 0x61)));   // RH
  EXPECT_TRUE(unsupported_reason(decode_msi(0xFEE00004, 0x61)));   // logical
  EXPECT_TRUE(unsupported_reason(decode_msi(0xFEE00000, 0x461)));  // NMI
  EXPECT_TRUE(unsupported_reason(decode_msi(0xFEE00000, 0x8061))); // level
  EXPECT_EQ(msi_address(5), 0xFEE05000u);
  // The fast-path judgement agrees with the worded one.
  for (std::uint64_t a : {0xFEE00000ull, 0xFEE00008ull, 0xFEE00004ull, 0xFEE3F000ull})
    for (std::uint32_t d : {0x0Fu, 0x61u, 0x161u, 0x461u, 0x8061u, 0x4061u})
      EXPECT_EQ(is_modelled(decode_msi(a, d)), !unsupported_reason(decode_msi(a, d))) << a << " " << d;
}

// SEMANTICS B1: physical destination IDs up to 63 reach a 64-CPU host.
TEST(MsiConformance, B1_DestinationIdsCoverSixtyFourCpus) {
  for (unsigned id : {0u, 31u, 63u}) {
    const MsiMessage m = decode_msi(msi_address(static_cast<std::uint8_t>(id)), msi_data(0x61));
    EXPECT_EQ(m.destination, id);
    EXPECT_FALSE(unsupported_reason(m));
  }
}

// SEMANTICS B3: every illegal vector 0-15 is reported, 16 is the first legal one.
TEST(MsiConformance, B3_VectorsBelowSixteenAreIllegal) {
  for (std::uint32_t v = 0; v < 16; ++v) EXPECT_TRUE(unsupported_reason(decode_msi(0xFEE00000, v))) << v;
  EXPECT_FALSE(unsupported_reason(decode_msi(0xFEE00000, 16)));
}

}  // namespace
}  // namespace irqrig::host

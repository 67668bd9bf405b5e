// irqrig-vfio end to end against a fake sysfs: exit codes (0 done, 2 bad input, 3 the machine or
// card refused) and the messages the user reads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/cli_harness.h"
#include "tests/host/vfio/fake_sysfs.h"

namespace irqrig::host::vfio {
namespace {

using irqrig::test::run_cli;
using testing::FakeSysfs;
using ::testing::HasSubstr;

std::string roots(const FakeSysfs& fake) {
  return " --sysfs " + fake.paths().sysfs.string() + " --dev " + fake.paths().dev.string();
}

TEST(IrqrigVfioCli, MalformedAddressIsBadInput) {
  const auto r = run_cli("bind 1:0");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("DOMAIN:BUS:DEVICE.FUNCTION"));
}

TEST(IrqrigVfioCli, MissingSubcommandIsUsage) {
  EXPECT_NE(run_cli("").code, 0);
}

TEST(IrqrigVfioCli, MissingDeviceIsATargetFailure) {
  FakeSysfs fake;
  const auto r = run_cli("bind 0000:01:00.0" + roots(fake));
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.output, HasSubstr("no PCI device 0000:01:00.0"));
}

TEST(IrqrigVfioCli, AlreadyBoundDeviceReportsItsGroupNode) {
  FakeSysfs fake;
  fake.add_device("0000:01:00.0", 9u, "vfio-pci");
  fake.add_group_node(9);
  const auto r = run_cli("bind 01:00.0" + roots(fake));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("0000:01:00.0: already on vfio-pci, IOMMU group 9"));
}

TEST(IrqrigVfioCli, InfoOnAnUnboundDeviceSaysBindItFirst) {
  FakeSysfs fake;
  fake.add_device("0000:01:00.0", 9u);
  const auto r = run_cli("info 0000:01:00.0" + roots(fake));
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.output, HasSubstr("irqrig-vfio bind 0000:01:00.0"));
}

}  // namespace
}  // namespace irqrig::host::vfio

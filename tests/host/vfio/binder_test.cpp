// The bind helper and the sysfs queries against a fake sysfs tree: every refusal names the cause
// and the fix, and nothing is written when a check fails.
#include "host/vfio/binder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host/vfio/error.h"
#include "host/vfio/session.h"
#include "host/vfio/sysfs.h"
#include "tests/host/vfio/fake_sysfs.h"

namespace irqrig::host::vfio {
namespace {

using ::testing::AllOf;
using testing::FakeSysfs;
using ::testing::HasSubstr;

constexpr const char* kCard = "0000:01:00.0";

std::string bind_error(const FakeSysfs& fake, const std::string& bdf = kCard) {
  try {
    Binder(fake.paths()).bind(bdf);
  } catch (const VfioError& e) {
    return e.what();
  }
  return "no error";
}

TEST(CanonicalBdf, AcceptsFullAndShortFormsAndLowerCases) {
  EXPECT_EQ(canonical_bdf("0000:01:00.0"), "0000:01:00.0");
  EXPECT_EQ(canonical_bdf("3B:00.1"), "0000:3b:00.1");
  EXPECT_EQ(canonical_bdf("0001:ff:1f.7"), "0001:ff:1f.7");
}

TEST(CanonicalBdf, RejectsMalformedAddressesWithTheExpectedForm) {
  for (const char* bad : {"", "1:0.0", "0000:01:00", "0000:01:00.8", "0000:01:20.0", "zz:00.0", "0000:01:00.0 "}) {
    try {
      canonical_bdf(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const VfioError& e) {
      EXPECT_THAT(e.what(), AllOf(HasSubstr("DOMAIN:BUS:DEVICE.FUNCTION"), HasSubstr("lspci -D")));
    }
  }
}

TEST(Binder, MissingDeviceSaysCheckTheAddress) {
  FakeSysfs fake;
  fake.add_driver("vfio-pci");
  EXPECT_THAT(bind_error(fake), AllOf(HasSubstr("no PCI device 0000:01:00.0"), HasSubstr("lspci -D")));
}

TEST(Binder, NoIommuSaysWhichKernelParameterTurnsItOn) {
  FakeSysfs fake;
  fake.add_driver("vfio-pci");
  fake.add_device(kCard, std::nullopt, "nvme");
  EXPECT_THAT(bind_error(fake),
              AllOf(HasSubstr("IOMMU is off"), HasSubstr("intel_iommu=on"), HasSubstr("amd_iommu=on")));
}

TEST(Binder, DeviceWithoutGroupWhileTheIommuIsOnIsNamed) {
  FakeSysfs fake;
  fake.add_driver("vfio-pci");
  fake.add_device("0000:00:02.0", 3u);
  fake.add_device(kCard, std::nullopt);
  EXPECT_THAT(bind_error(fake), HasSubstr("0000:01:00.0 has no IOMMU group"));
}

TEST(Binder, VfioPciNotLoadedSaysModprobe) {
  FakeSysfs fake;
  fake.add_device(kCard, 7u, "nvme");
  EXPECT_THAT(bind_error(fake), HasSubstr("modprobe vfio-pci"));
  EXPECT_EQ(fake.read(fake.paths().pci_device(kCard) / "driver_override"), "")
      << "nothing written before the checks pass";
}

TEST(Binder, GroupMateInUseIsNamedAndNothingIsWritten) {
  FakeSysfs fake;
  fake.add_driver("vfio-pci");
  fake.add_device(kCard, 7u, "nvme");
  fake.add_device("0000:01:00.1", 7u, "snd_hda_intel");
  EXPECT_THAT(bind_error(fake), AllOf(HasSubstr("0000:01:00.1 shares IOMMU group 7"), HasSubstr("driver snd_hda_intel"),
                                      HasSubstr("unbind it too")));
  EXPECT_EQ(fake.read(fake.paths().pci_device(kCard) / "driver_override"), "");
  EXPECT_EQ(fake.read(fake.paths().pci_driver("nvme") / "unbind"), "");
}

TEST(Binder, AlreadyBoundWithFriendlyGroupMatesWritesNothing) {
  FakeSysfs fake;
  fake.add_device(kCard, 7u, "vfio-pci");
  fake.add_device("0000:00:01.0", 7u, "pcieport");
  fake.add_device("0000:01:00.1", 7u);
  fake.add_group_node(7);
  const BindOutcome out = Binder(fake.paths()).bind("01:00.0");
  EXPECT_EQ(out.bdf, kCard);
  EXPECT_EQ(out.group, 7u);
  EXPECT_TRUE(out.already_bound);
  EXPECT_EQ(out.group_node, (fake.paths().vfio_dir() / "7").string());
  EXPECT_EQ(fake.read(fake.paths().pci_device(kCard) / "driver_override"), "");
  EXPECT_EQ(fake.read(fake.paths().pci_driver("vfio-pci") / "bind"), "");
}

TEST(Binder, UnbindRefusedSaysTheDeviceIsInUse) {
  FakeSysfs fake;
  fake.add_driver("vfio-pci");
  fake.add_device(kCard, 7u, "nvme");
  fake.break_attribute("nvme", "unbind");
  EXPECT_THAT(bind_error(fake), AllOf(HasSubstr("cannot unbind 0000:01:00.0 from driver nvme"), HasSubstr("in use")));
  EXPECT_EQ(fake.read(fake.paths().pci_device(kCard) / "driver_override"), "vfio-pci")
      << "the override goes first, so the old driver cannot take the device back";
}

TEST(Binder, BindWriteRefusedNamesVfioPci) {
  FakeSysfs fake;
  fake.add_driver("vfio-pci");
  fake.add_device(kCard, 7u);
  fake.break_attribute("vfio-pci", "bind");
  EXPECT_THAT(bind_error(fake), HasSubstr("vfio-pci refused 0000:01:00.0"));
}

TEST(Binder, BindThatDoesNotTakeSendsTheUserToDmesg) {
  FakeSysfs fake;
  fake.add_driver("vfio-pci");
  fake.add_device(kCard, 7u, "nvme");
  // A fake tree has no kernel behind it: the writes land but the driver link never moves.
  EXPECT_THAT(bind_error(fake), AllOf(HasSubstr("is bound to nvme after binding it to vfio-pci"), HasSubstr("dmesg")));
  EXPECT_EQ(fake.read(fake.paths().pci_driver("nvme") / "unbind"), kCard);
  EXPECT_EQ(fake.read(fake.paths().pci_driver("vfio-pci") / "bind"), kCard);
}

TEST(Binder, MissingGroupNodeIsReported) {
  FakeSysfs fake;
  fake.add_device(kCard, 7u, "vfio-pci");
  EXPECT_THAT(bind_error(fake), HasSubstr("/dev/vfio/7 did not appear"));
}

TEST(Sysfs, GroupMembersAndDriversAreRead) {
  FakeSysfs fake;
  fake.add_device("0000:01:00.1", 4u, "snd_hda_intel");
  fake.add_device(kCard, 4u);
  EXPECT_EQ(iommu_group_of(fake.paths(), kCard), 4u);
  EXPECT_EQ(group_members(fake.paths(), 4), (std::vector<std::string>{kCard, "0000:01:00.1"}));
  EXPECT_EQ(bound_driver(fake.paths(), "0000:01:00.1"), "snd_hda_intel");
  EXPECT_EQ(bound_driver(fake.paths(), kCard), std::nullopt);
}

TEST(Session, DeviceNotOnVfioPciSaysRunTheBindHelper) {
  FakeSysfs fake;
  fake.add_device(kCard, 7u, "nvme");
  try {
    Session session(kCard, fake.paths());
    ADD_FAILURE() << "opened a device bound to nvme";
  } catch (const VfioError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("bound to driver nvme"), HasSubstr("irqrig-vfio bind 0000:01:00.0")));
  }
}

TEST(Session, MissingVfioModuleSaysModprobe) {
  FakeSysfs fake;
  fake.add_device(kCard, 7u, "vfio-pci");
  try {
    Session session(kCard, fake.paths());
    ADD_FAILURE() << "opened a container that does not exist";
  } catch (const VfioError& e) {
    EXPECT_THAT(e.what(), HasSubstr("modprobe vfio-pci"));
  }
}

}  // namespace
}  // namespace irqrig::host::vfio

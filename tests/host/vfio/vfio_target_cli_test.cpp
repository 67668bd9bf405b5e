// `irqrig run --target vfio:...` end to end: a card that cannot be opened is a target failure
// (exit 3) that names the card and the fix, a malformed address is bad input (exit 2), and the
// backend with the RTL as the card (vfio:loopback) feeds the whole host model.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/cli_harness.h"

namespace irqrig::host::vfio {
namespace {

using irqrig::test::read_json;
using irqrig::test::run_cli;
using irqrig::test::temp_path;
using ::testing::AnyOf;
using ::testing::HasSubstr;

TEST(VfioTargetCli, AMissingOrUnusableCardIsATargetFailureNamingIt) {
  // 0000:00:00.0 is a host bridge or absent on a build machine, never an irqrig card on vfio-pci:
  // whichever check refuses it (no device, IOMMU off, not bound, not an irqrig card), it says so.
  const auto r = run_cli("run scenarios/default.yaml --target vfio:0000:00:00.0");
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("target failed: cannot open the card 0000:00:00.0 through VFIO"));
  EXPECT_THAT(r.output, AnyOf(HasSubstr("no PCI device"), HasSubstr("the IOMMU is off"), HasSubstr("irqrig-vfio bind"),
                              HasSubstr("not an irqrig card"), HasSubstr("has no IOMMU group")));
  const auto short_form = run_cli("run scenarios/default.yaml --target vfio:7f:1f.7 --quiet");
  EXPECT_EQ(short_form.code, 3) << short_form.output;
}

TEST(VfioTargetCli, AMalformedAddressIsBadInput) {
  const auto r = run_cli("run scenarios/default.yaml --target vfio:garbage");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--target vfio:garbage"));
  EXPECT_THAT(r.output, HasSubstr("DOMAIN:BUS:DEVICE.FUNCTION"));
  EXPECT_EQ(run_cli("run scenarios/default.yaml --target vfio:").code, 2);
}

TEST(VfioTargetCli, LoopbackFeedsTheHostModelLikeTheInProcessRtl) {
  // The backend's whole path (ring in a DMA buffer, records and producer writes handed over,
  // messages through the shadow) under the reference driver: every event processed once, and
  // the device's own figures as in-process. Host-side times may differ (docs/vfio.md).
  const std::string sim = temp_path("vfio_sim.json"), loop = temp_path("vfio_loop.json");
  ASSERT_EQ(run_cli("run scenarios/ring_fills.yaml --quiet --report " + sim).code, 0);
  const auto r = run_cli("run scenarios/ring_fills.yaml --target vfio:loopback --report " + loop);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto a = read_json(sim), b = read_json(loop);
  EXPECT_EQ(b["target"], "vfio:loopback");
  EXPECT_EQ(b["events"], a["events"]);
  EXPECT_EQ(b["device"], a["device"]);
  EXPECT_EQ(b["events"]["lost"], 0);
  EXPECT_EQ(b["events"]["duplicated"], 0);
  for (const auto& check : b["checks"]) EXPECT_TRUE(check["ok"].get<bool>()) << check.dump();
  std::filesystem::remove(sim);
  std::filesystem::remove(loop);
}

}  // namespace
}  // namespace irqrig::host::vfio

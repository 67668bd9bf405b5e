// Region and ConfigSpace over an ordinary file standing in for a device fd: both the mmap and the
// pread/pwrite paths, the fallback when mmap is refused, and every rejected access.
#include "host/vfio/region.h"

#include <fcntl.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <string>

#include "host/vfio/config_space.h"
#include "host/vfio/error.h"

namespace irqrig::host::vfio {
namespace {

using ::testing::HasSubstr;

constexpr std::uint64_t kRegionOffset = 4096;  // regions sit at page-aligned offsets of the device fd
constexpr std::uint64_t kRegionSize = 256;

// A file of two pages; the region is the second.
class RegionFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "irqrig-vfio-region-XXXXXX").string();
    fd_ = ::mkstemp(pattern.data());
    ASSERT_GE(fd_, 0);
    path_ = pattern;
    ASSERT_EQ(::ftruncate(fd_, 2 * 4096), 0);
  }
  void TearDown() override {
    ::close(fd_);
    std::filesystem::remove(path_);
  }
  RegionInfo info(std::uint32_t flags) const { return RegionInfo{0, flags, kRegionSize, kRegionOffset}; }
  std::uint64_t file_u64(std::uint64_t offset) const {
    std::uint64_t v = 0;
    EXPECT_EQ(::pread(fd_, &v, sizeof(v), static_cast<off_t>(kRegionOffset + offset)), 8);
    return v;
  }

  int fd_ = -1;
  std::filesystem::path path_;
};

constexpr std::uint32_t kRw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

TEST_F(RegionFile, PreadPathWritesAtTheRegionOffsetInEveryWidth) {
  Region r(fd_, info(kRw), "BAR0 of test");
  EXPECT_FALSE(r.mapped());
  r.write(0, 0x11, 1);
  r.write(2, 0x2233, 2);
  r.write32(4, 0x44556677);
  r.write64(8, 0x8899aabbccddeeffULL);
  EXPECT_EQ(file_u64(0), 0x4455667722330011ULL);
  EXPECT_EQ(r.read64(8), 0x8899aabbccddeeffULL);
  EXPECT_EQ(r.read(2, 2), 0x2233u);
  EXPECT_EQ(r.read(0, 1), 0x11u);
}

TEST_F(RegionFile, MmapPathIsTheSameMemoryAsTheFile) {
  Region r(fd_, info(kRw | VFIO_REGION_INFO_FLAG_MMAP), "BAR0 of test");
  ASSERT_TRUE(r.mapped());
  r.write32(0x10, 0xdeadbeef);
  r.write(0x14, 0xab, 1);
  EXPECT_EQ(file_u64(0x10) & 0xFFFFFFFFFFu, 0xabdeadbeefULL);
  r.write64(0xF8, 42);
  EXPECT_EQ(r.read64(0xF8), 42u);
}

TEST_F(RegionFile, RefusedMmapFallsBackToPread) {
  // A read-only fd cannot be mapped shared and writable: the region must still work for reads.
  const int ro = ::open(path_.c_str(), O_RDONLY);
  ASSERT_GE(ro, 0);
  std::uint32_t v = 0x01020304;
  ASSERT_EQ(::pwrite(fd_, &v, 4, kRegionOffset + 0x20), 4);
  Region r(ro, info(kRw | VFIO_REGION_INFO_FLAG_MMAP), "BAR2 of test");
  EXPECT_FALSE(r.mapped());
  EXPECT_EQ(r.read32(0x20), 0x01020304u);
  EXPECT_THROW(r.write32(0x20, 1), VfioError) << "the read-only fd refuses the pwrite";
  ::close(ro);
}

TEST_F(RegionFile, BadAccessesAreRejectedWithTheReason) {
  Region r(fd_, info(kRw | VFIO_REGION_INFO_FLAG_MMAP), "BAR0 of test");
  const auto message = [&](auto&& access) -> std::string {
    try {
      access();
    } catch (const VfioError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_THAT(message([&] { r.read(0, 3); }), HasSubstr("use 1, 2, 4 or 8"));
  EXPECT_THAT(message([&] { r.read32(2); }), HasSubstr("not aligned"));
  EXPECT_THAT(message([&] { r.write64(kRegionSize, 0); }), HasSubstr("past the end"));
  EXPECT_THAT(message([&] { r.read64(kRegionSize - 4); }), HasSubstr("not aligned"));
  EXPECT_THAT(message([&] { r.read32(kRegionSize - 2); }), HasSubstr("not aligned"));
  EXPECT_THAT(message([&] { r.read(kRegionSize - 1, 1); }), HasSubstr("no error"));
  Region read_only(fd_, info(VFIO_REGION_INFO_FLAG_READ), "ROM of test");
  EXPECT_THAT(message([&] { read_only.write32(0, 1); }), HasSubstr("ROM of test is not writable"));
  Region write_only(fd_, info(VFIO_REGION_INFO_FLAG_WRITE), "doorbell of test");
  EXPECT_THAT(message([&] { write_only.read32(0); }), HasSubstr("not readable"));
}

// A config header: status with the capability list, 0x34 -> PM at 0x40 -> MSI at 0x50 -> end.
class ConfigFile : public RegionFile {
 protected:
  void put(std::uint64_t offset, std::uint32_t value, unsigned size) {
    ASSERT_EQ(::pwrite(fd_, &value, size, static_cast<off_t>(kRegionOffset + offset)), static_cast<ssize_t>(size));
  }
  void SetUp() override {
    RegionFile::SetUp();
    put(0x00, 0x11e81234, 4);
    put(0x04, 0x0001, 2);  // command: I/O space on, to see it kept
    put(0x06, 0x0010, 2);  // status: capability list
    put(0x34, 0x40, 1);
    put(0x40, 0x5001, 2);  // PM, next 0x50
    put(0x50, 0x0005, 2);  // MSI, end of list
  }
};

TEST_F(ConfigFile, FindsCapabilitiesAndIdentity) {
  ConfigSpace config(Region(fd_, info(kRw), "config space of test"));
  EXPECT_EQ(config.vendor_id(), 0x1234);
  EXPECT_EQ(config.device_id(), 0x11e8);
  EXPECT_EQ(config.find_capability(0x01), std::optional<std::uint8_t>(0x40));
  EXPECT_EQ(config.find_capability(ConfigSpace::kCapMsi), std::optional<std::uint8_t>(0x50));
  EXPECT_EQ(config.find_capability(ConfigSpace::kCapMsix), std::nullopt);
}

TEST_F(ConfigFile, LoopingCapabilityListEnds) {
  put(0x50, 0x4005, 2);  // MSI points back to PM
  ConfigSpace config(Region(fd_, info(kRw), "config space of test"));
  EXPECT_EQ(config.find_capability(ConfigSpace::kCapMsix), std::nullopt);
}

TEST_F(ConfigFile, NoCapabilityListMeansNoCapabilities) {
  put(0x06, 0x0000, 2);
  ConfigSpace config(Region(fd_, info(kRw), "config space of test"));
  EXPECT_EQ(config.find_capability(ConfigSpace::kCapMsi), std::nullopt);
}

TEST_F(ConfigFile, BusMasterEnableKeepsTheOtherCommandBits) {
  ConfigSpace config(Region(fd_, info(kRw), "config space of test"));
  config.enable_memory_and_bus_master();
  EXPECT_EQ(config.read(ConfigSpace::kCommand, 2), 0x0007u);
}

}  // namespace
}  // namespace irqrig::host::vfio

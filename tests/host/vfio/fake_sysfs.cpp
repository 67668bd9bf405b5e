#include "tests/host/vfio/fake_sysfs.h"

#include <stdlib.h>

#include <sstream>
#include <stdexcept>

namespace irqrig::host::vfio::testing {

namespace fs = std::filesystem;

namespace {
void touch(const fs::path& p) {
  std::ofstream(p).flush();
}
}  // namespace

FakeSysfs::FakeSysfs() {
  std::string pattern = (fs::temp_directory_path() / "irqrig-vfio-sysfs-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  root_ = pattern;
  paths_.sysfs = root_ / "sys";
  paths_.dev = root_ / "dev";
  fs::create_directories(paths_.sysfs / "bus/pci/devices");
  fs::create_directories(paths_.sysfs / "bus/pci/drivers");
  fs::create_directories(paths_.iommu_groups());
  fs::create_directories(paths_.vfio_dir());
}

FakeSysfs::~FakeSysfs() {
  std::error_code ec;
  fs::remove_all(root_, ec);
}

void FakeSysfs::add_driver(const std::string& name) {
  const fs::path dir = paths_.pci_driver(name);
  if (fs::exists(dir)) return;
  fs::create_directories(dir);
  touch(dir / "bind");
  touch(dir / "unbind");
}

void FakeSysfs::add_device(const std::string& bdf, std::optional<unsigned> group, std::optional<std::string> driver) {
  const fs::path dir = paths_.pci_device(bdf);
  fs::create_directories(dir);
  touch(dir / "driver_override");
  if (group) {
    const fs::path g = paths_.iommu_groups() / std::to_string(*group);
    fs::create_directories(g / "devices");
    fs::create_directory_symlink(dir, g / "devices" / bdf);
    fs::create_directory_symlink(g, dir / "iommu_group");
  }
  if (driver) {
    add_driver(*driver);
    fs::create_directory_symlink(paths_.pci_driver(*driver), dir / "driver");
  }
}

void FakeSysfs::add_group_node(unsigned group) {
  touch(paths_.vfio_dir() / std::to_string(group));
}

void FakeSysfs::remove_iommu_groups() {
  fs::remove_all(paths_.iommu_groups());
  fs::create_directories(paths_.iommu_groups());
}

void FakeSysfs::break_attribute(const std::string& driver, const std::string& attribute) {
  const fs::path file = paths_.pci_driver(driver) / attribute;
  fs::remove(file);
  fs::create_directory(file);
}

std::string FakeSysfs::read(const fs::path& file) const {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace irqrig::host::vfio::testing

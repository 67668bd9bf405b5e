#include "host/vfio/sysfs.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "host/vfio/error.h"

namespace irqrig::host::vfio {

namespace fs = std::filesystem;

std::string canonical_bdf(std::string_view text) {
  static const std::regex kFull("^[0-9a-f]{4}:[0-9a-f]{2}:[01][0-9a-f]\\.[0-7]$");
  static const std::regex kShort("^[0-9a-f]{2}:[01][0-9a-f]\\.[0-7]$");
  std::string s(text);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::regex_match(s, kFull)) return s;
  if (std::regex_match(s, kShort)) return "0000:" + s;
  throw VfioError(
      "'" + std::string(text) +
      "' is not a PCI address: write it as DOMAIN:BUS:DEVICE.FUNCTION, e.g. 0000:01:00.0 (lspci -D lists them)");
}

fs::path require_pci_device(const HostPaths& paths, const std::string& bdf) {
  const fs::path dir = paths.pci_device(bdf);
  std::error_code ec;
  if (!fs::exists(dir, ec))
    throw VfioError("no PCI device " + bdf + " (" + dir.string() + " is missing): check the address with 'lspci -D'");
  return dir;
}

void require_iommu(const HostPaths& paths) {
  std::error_code ec;
  const fs::path groups = paths.iommu_groups();
  if (!fs::is_directory(groups, ec) || fs::is_empty(groups, ec))
    throw VfioError(
        "the IOMMU is off (" + groups.string() +
        " is empty): enable VT-d / AMD-Vi in the firmware and add intel_iommu=on (Intel) or amd_iommu=on (AMD) "
        "to the kernel command line, then reboot");
}

unsigned iommu_group_of(const HostPaths& paths, const std::string& bdf) {
  const fs::path link = require_pci_device(paths, bdf) / "iommu_group";
  std::error_code ec;
  const fs::path target = fs::read_symlink(link, ec);
  if (ec) {
    require_iommu(paths);
    throw VfioError(
        bdf + " has no IOMMU group (" + link.string() +
        " is missing) although the IOMMU is on: the device may sit behind a bridge the IOMMU does not cover");
  }
  const std::string name = target.filename().string();
  try {
    std::size_t used = 0;
    const unsigned long n = std::stoul(name, &used);
    if (used == name.size()) return static_cast<unsigned>(n);
  } catch (const std::exception&) {
  }
  throw VfioError(link.string() + " points to '" + target.string() + "', which names no IOMMU group number");
}

std::vector<std::string> group_members(const HostPaths& paths, unsigned group) {
  const fs::path dir = paths.iommu_groups() / std::to_string(group) / "devices";
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) out.push_back(entry.path().filename().string());
  if (ec) throw VfioError("cannot list " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> bound_driver(const HostPaths& paths, const std::string& bdf) {
  std::error_code ec;
  const fs::path target = fs::read_symlink(paths.pci_device(bdf) / "driver", ec);
  if (ec) return std::nullopt;
  return target.filename().string();
}

}  // namespace irqrig::host::vfio

// Access to one device region (a BAR or the config space) at its file offset in the device fd:
// loads and stores through an mmap where the kernel allows one, pread/pwrite where it does not.
#pragma once

#include <cstdint>
#include <string>

#include "host/vfio/owners.h"
#include "host/vfio/pci_device.h"

namespace irqrig::host::vfio {

class Region {
 public:
  /// `fd` is borrowed (the device fd, or any file in tests) and must outlive the Region.
  /// `name` appears in error messages ("BAR0 of 0000:01:00.0").
  Region(int fd, const RegionInfo& info, std::string name);

  const RegionInfo& info() const { return info_; }
  std::uint64_t size() const { return info_.size; }
  /// The region is mmap'd: accesses are single loads and stores, no system call.
  bool mapped() const { return static_cast<bool>(map_); }

  /// Reads 1, 2, 4 or 8 bytes at `offset`, naturally aligned. Throws VfioError otherwise.
  std::uint64_t read(std::uint64_t offset, unsigned size) const;
  void write(std::uint64_t offset, std::uint64_t value, unsigned size);
  std::uint32_t read32(std::uint64_t offset) const { return static_cast<std::uint32_t>(read(offset, 4)); }
  void write32(std::uint64_t offset, std::uint32_t value) { write(offset, value, 4); }
  std::uint64_t read64(std::uint64_t offset) const { return read(offset, 8); }
  void write64(std::uint64_t offset, std::uint64_t value) { write(offset, value, 8); }

 private:
  void check(std::uint64_t offset, unsigned size, bool writing) const;

  int fd_;
  RegionInfo info_;
  std::string name_;
  Mapping map_;
};

}  // namespace irqrig::host::vfio

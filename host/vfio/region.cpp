#include "host/vfio/region.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "host/vfio/error.h"

namespace irqrig::host::vfio {

namespace {

// Device registers need exactly one access of exactly the requested width: volatile, never memcpy.
// The fences give Linux's readl/writel ordering against ordinary memory: a descriptor written to a
// DMA buffer is visible before the doorbell store, and DMA'd data is read only after the status load.
template <typename T>
std::uint64_t load(const std::byte* p) {
  const std::uint64_t v = *reinterpret_cast<const volatile T*>(p);
  std::atomic_thread_fence(std::memory_order_acquire);
  return v;
}
template <typename T>
void store(std::byte* p, std::uint64_t v) {
  std::atomic_thread_fence(std::memory_order_release);
  *reinterpret_cast<volatile T*>(p) = static_cast<T>(v);
}

}  // namespace

Region::Region(int fd, const RegionInfo& info, std::string name) : fd_(fd), info_(info), name_(std::move(name)) {
  // A BAR holding an MSI-X table can refuse a whole-region mmap (platforms without interrupt
  // remapping expose only sparse areas): pread/pwrite then serves every access, slower but correct.
  if (info_.mmappable() && info_.size > 0)
    map_ = Mapping::of_file(fd_, info_.offset, static_cast<std::size_t>(info_.size), info_.writable());
}

void Region::check(std::uint64_t offset, unsigned size, bool writing) const {
  if (size != 1 && size != 2 && size != 4 && size != 8)
    throw VfioError(name_ + ": access of " + std::to_string(size) + " bytes; use 1, 2, 4 or 8");
  if (offset % size != 0)
    throw VfioError(name_ + ": offset " + std::to_string(offset) + " is not aligned to the access size " +
                    std::to_string(size));
  if (offset >= info_.size || size > info_.size - offset)
    throw VfioError(name_ + ": offset " + std::to_string(offset) + " + " + std::to_string(size) + " is past the end (" +
                    std::to_string(info_.size) + " bytes)");
  if (writing ? !info_.writable() : !info_.readable())
    throw VfioError(name_ + " is not " + (writing ? "writable" : "readable"));
}

std::uint64_t Region::read(std::uint64_t offset, unsigned size) const {
  check(offset, size, false);
  if (map_) {
    const std::byte* p = map_.data() + offset;
    switch (size) {
      case 1:
        return load<std::uint8_t>(p);
      case 2:
        return load<std::uint16_t>(p);
      case 4:
        return load<std::uint32_t>(p);
      default:
        return load<std::uint64_t>(p);
    }
  }
  std::uint64_t value = 0;  // little-endian host: the low bytes are the value
  const ssize_t n = ::pread(fd_, &value, size, static_cast<off_t>(info_.offset + offset));
  if (n != static_cast<ssize_t>(size))
    throw_errno(name_ + ": read of " + std::to_string(size) + " bytes at " + std::to_string(offset) + " failed",
                n < 0 ? errno : EIO);
  return value;
}

void Region::write(std::uint64_t offset, std::uint64_t value, unsigned size) {
  check(offset, size, true);
  if (map_) {
    std::byte* p = map_.data() + offset;
    switch (size) {
      case 1:
        store<std::uint8_t>(p, value);
        return;
      case 2:
        store<std::uint16_t>(p, value);
        return;
      case 4:
        store<std::uint32_t>(p, value);
        return;
      default:
        store<std::uint64_t>(p, value);
        return;
    }
  }
  const ssize_t n = ::pwrite(fd_, &value, size, static_cast<off_t>(info_.offset + offset));
  if (n != static_cast<ssize_t>(size))
    throw_errno(name_ + ": write of " + std::to_string(size) + " bytes at " + std::to_string(offset) + " failed",
                n < 0 ? errno : EIO);
}

}  // namespace irqrig::host::vfio

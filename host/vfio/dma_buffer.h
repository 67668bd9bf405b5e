// Host memory a device may read and write: anonymous pages mapped into the container's IOMMU
// at an I/O virtual address the caller chooses, unmapped again when the buffer goes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "host/vfio/owners.h"

namespace irqrig::host::vfio {

class Container;

class DmaBuffer {
 public:
  /// `size` is rounded up to whole pages; `iova` must be page-aligned. `container` must have its
  /// IOMMU set and must outlive the buffer.
  DmaBuffer(Container& container, std::uint64_t iova, std::size_t size);
  ~DmaBuffer();
  DmaBuffer(const DmaBuffer&) = delete;
  DmaBuffer& operator=(const DmaBuffer&) = delete;

  std::uint64_t iova() const { return iova_; }
  std::span<std::byte> bytes() const { return memory_.bytes(); }
  std::size_t size() const { return memory_.size(); }

 private:
  Container& container_;
  std::uint64_t iova_;
  Mapping memory_;
};

}  // namespace irqrig::host::vfio

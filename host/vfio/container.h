// A VFIO container (/dev/vfio/vfio): the IOMMU context that groups join and DMA mappings live in.
// Checks the API version and the type1 extension, selects the type1 IOMMU, maps and unmaps DMA.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "host/vfio/owners.h"

namespace irqrig::host::vfio {

/// One range of I/O virtual addresses the IOMMU can translate (inclusive bounds).
struct IovaRange {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
};

/// What the type1 IOMMU reports once selected.
struct IommuInfo {
  std::uint64_t page_sizes = 0;        ///< bitmap of supported page sizes
  std::vector<IovaRange> iova_ranges;  ///< empty when the kernel does not report them
};

class Container {
 public:
  /// Opens the container node and checks the API version and that a type1 IOMMU driver is present.
  explicit Container(const std::filesystem::path& node = "/dev/vfio/vfio");

  int fd() const { return fd_.get(); }
  bool has_extension(unsigned long extension) const;
  /// Selects type1v2 (type1 when v2 is absent). The kernel accepts this only after a group has
  /// been attached (Group::attach), which is why it is not done in the constructor.
  void set_iommu();
  /// VFIO_TYPE1v2_IOMMU or VFIO_TYPE1_IOMMU once set_iommu() ran, else 0.
  unsigned long iommu_type() const { return iommu_type_; }
  IommuInfo iommu_info() const;

  /// Lets the device read and write `size` bytes at `vaddr` through I/O virtual address `iova`.
  void map_dma(const void* vaddr, std::uint64_t iova, std::uint64_t size);
  void unmap_dma(std::uint64_t iova, std::uint64_t size);

 private:
  UniqueFd fd_;
  unsigned long iommu_type_ = 0;
};

}  // namespace irqrig::host::vfio

#include "host/vfio/container.h"

#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "host/vfio/error.h"

namespace irqrig::host::vfio {

Container::Container(const std::filesystem::path& node) {
  fd_.reset(::open(node.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd_) {
    const int err = errno;
    if (err == ENOENT)
      throw_errno("cannot open " + node.string(), err,
                  "The vfio modules are not loaded: run 'modprobe vfio-pci' (it loads vfio and vfio_iommu_type1)");
    if (err == EACCES || err == EPERM)
      throw_errno("cannot open " + node.string(), err,
                  "Run as root, or give your user read-write access to " + node.string());
    throw_errno("cannot open " + node.string(), err);
  }
  const int version = ::ioctl(fd_.get(), VFIO_GET_API_VERSION);
  if (version != VFIO_API_VERSION)
    throw VfioError("VFIO API version " + std::to_string(version) + " at " + node.string() + ", this build speaks " +
                    std::to_string(VFIO_API_VERSION) + ": rebuild irqrig against this kernel's headers");
  if (!has_extension(VFIO_TYPE1v2_IOMMU) && !has_extension(VFIO_TYPE1_IOMMU))
    throw VfioError(
        "the VFIO container offers no type1 IOMMU: run 'modprobe vfio_iommu_type1', and check that the "
        "IOMMU is on (intel_iommu=on or amd_iommu=on in the kernel command line)");
}

bool Container::has_extension(unsigned long extension) const {
  return ::ioctl(fd_.get(), VFIO_CHECK_EXTENSION, extension) > 0;
}

void Container::set_iommu() {
  const unsigned long type = has_extension(VFIO_TYPE1v2_IOMMU) ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU;
  if (::ioctl(fd_.get(), VFIO_SET_IOMMU, type) != 0)
    throw_errno("VFIO_SET_IOMMU (type1) failed", errno, "Attach a viable group first; is the IOMMU on?");
  iommu_type_ = type;
}

IommuInfo Container::iommu_info() const {
  // First call learns the size with capabilities, the second fetches them.
  vfio_iommu_type1_info probe{};
  probe.argsz = sizeof(probe);
  if (::ioctl(fd_.get(), VFIO_IOMMU_GET_INFO, &probe) != 0)
    throw_errno("VFIO_IOMMU_GET_INFO failed", errno, "Call set_iommu() after attaching a group");
  std::vector<std::byte> buffer(std::max<std::size_t>(probe.argsz, sizeof(probe)));
  auto* info = reinterpret_cast<vfio_iommu_type1_info*>(buffer.data());
  info->argsz = static_cast<std::uint32_t>(buffer.size());
  if (::ioctl(fd_.get(), VFIO_IOMMU_GET_INFO, info) != 0) throw_errno("VFIO_IOMMU_GET_INFO failed", errno);

  IommuInfo out;
  out.page_sizes = info->iova_pgsizes;
  if ((info->flags & VFIO_IOMMU_INFO_CAPS) == 0) return out;
  for (std::uint32_t at = info->cap_offset; at != 0 && at + sizeof(vfio_info_cap_header) <= buffer.size();) {
    const auto* header = reinterpret_cast<const vfio_info_cap_header*>(buffer.data() + at);
    if (header->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
      const auto* cap = reinterpret_cast<const vfio_iommu_type1_info_cap_iova_range*>(header);
      for (std::uint32_t i = 0; i < cap->nr_iovas; ++i)
        out.iova_ranges.push_back({cap->iova_ranges[i].start, cap->iova_ranges[i].end});
    }
    at = header->next;
  }
  return out;
}

void Container::map_dma(const void* vaddr, std::uint64_t iova, std::uint64_t size) {
  vfio_iommu_type1_dma_map map{};
  map.argsz = sizeof(map);
  map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
  map.vaddr = reinterpret_cast<std::uint64_t>(vaddr);
  map.iova = iova;
  map.size = size;
  if (::ioctl(fd_.get(), VFIO_IOMMU_MAP_DMA, &map) != 0) {
    const int err = errno;
    throw_errno("VFIO_IOMMU_MAP_DMA of " + std::to_string(size) + " bytes at IOVA " + std::to_string(iova) + " failed",
                err,
                err == ENOMEM ? "DMA memory is locked memory: raise 'ulimit -l' (memlock) for this user"
                              : "Pick a page-aligned IOVA inside the IOMMU's ranges (Container::iommu_info)");
  }
}

void Container::unmap_dma(std::uint64_t iova, std::uint64_t size) {
  vfio_iommu_type1_dma_unmap unmap{};
  unmap.argsz = sizeof(unmap);
  unmap.iova = iova;
  unmap.size = size;
  if (::ioctl(fd_.get(), VFIO_IOMMU_UNMAP_DMA, &unmap) != 0)
    throw_errno("VFIO_IOMMU_UNMAP_DMA at IOVA " + std::to_string(iova) + " failed", errno);
}

}  // namespace irqrig::host::vfio

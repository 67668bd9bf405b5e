#include "host/vfio/dma_buffer.h"

#include <unistd.h>

#include "host/vfio/container.h"
#include "host/vfio/error.h"

namespace irqrig::host::vfio {

namespace {
std::size_t page_size() {
  return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}
}  // namespace

DmaBuffer::DmaBuffer(Container& container, std::uint64_t iova, std::size_t size) : container_(container), iova_(iova) {
  const std::size_t page = page_size();
  if (size == 0) throw VfioError("a DMA buffer needs at least one byte");
  if (iova % page != 0)
    throw VfioError("DMA IOVA " + std::to_string(iova) + " is not aligned to the page size " + std::to_string(page));
  memory_ = Mapping::anonymous((size + page - 1) / page * page);
  container_.map_dma(memory_.data(), iova_, memory_.size());
}

DmaBuffer::~DmaBuffer() {
  // The kernel drops every mapping when the container closes; failing here only leaves the
  // window open until then, so a destructor does not throw for it.
  try {
    container_.unmap_dma(iova_, memory_.size());
  } catch (const VfioError&) {
  }
}

}  // namespace irqrig::host::vfio

#include "host/vfio/owners.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "host/vfio/error.h"

namespace irqrig::host::vfio {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(std::exchange(other.fd_, -1));
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void Mapping::reset() {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

Mapping Mapping::anonymous(std::size_t size) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw_errno("cannot allocate " + std::to_string(size) + " bytes for a DMA buffer", errno);
  return Mapping(static_cast<std::byte*>(p), size);
}

Mapping Mapping::of_file(int fd, std::uint64_t offset, std::size_t size, bool writable) {
  const int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* p = ::mmap(nullptr, size, prot, MAP_SHARED, fd, static_cast<off_t>(offset));
  if (p == MAP_FAILED) return {};
  return Mapping(static_cast<std::byte*>(p), size);
}

}  // namespace irqrig::host::vfio

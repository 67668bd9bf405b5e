// RAII owners of the kernel objects the VFIO layer holds: file descriptors and memory mappings.
// Each owner closes or unmaps exactly once; copying is deleted, moving hands the object over.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace irqrig::host::vfio {

/// One open file descriptor (a container, group, device, eventfd or epoll instance).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

/// One mmap'd range: a BAR window of a device, or anonymous memory for DMA.
class Mapping {
 public:
  Mapping() = default;
  /// Anonymous, private, zero-filled, populated up front (DMA pins it anyway). Throws VfioError.
  static Mapping anonymous(std::size_t size);
  /// Shared mapping of `size` bytes of `fd` at `offset`; returns an empty Mapping when the kernel
  /// refuses (the caller falls back to pread/pwrite), so no error is thrown here.
  static Mapping of_file(int fd, std::uint64_t offset, std::size_t size, bool writable);
  ~Mapping() { reset(); }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  Mapping(Mapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  Mapping& operator=(Mapping&& other) noexcept;

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::span<std::byte> bytes() const { return {data_, size_}; }
  explicit operator bool() const { return data_ != nullptr; }
  void reset();

 private:
  Mapping(std::byte* data, std::size_t size) : data_(data), size_(size) {}
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace irqrig::host::vfio

// The kernel's pool as Driver Verifier sees it: every allocation with its size, tag and kind, so a
// free can be judged (not allocated, freed twice, wrong tag) and what a driver leaves behind listed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace irqrig::host {

/// One live allocation.
struct PoolBlock {
  std::size_t bytes = 0;
  std::uint32_t tag = 0;
  bool paged = false;
};

class Pool {
 public:
  /// x64's MEMORY_ALLOCATION_ALIGNMENT, and the cache line POOL_FLAG_CACHE_ALIGNED asks for.
  static constexpr std::size_t kAlignment = 16, kCacheLine = 64;
  /// What an uninitialized allocation holds: a fixed pattern, so a driver that reads it before
  /// writing behaves the same in every run (and not as if the pool were zeroed).
  static constexpr unsigned char kUninitialized = 0xCD;

  /// A new block of `bytes` (0 is allowed here; the DDI layer judges it) aligned to `alignment`
  /// (16 or 64), zeroed or filled with kUninitialized.
  void* allocate(std::size_t bytes, std::uint32_t tag, bool paged, std::size_t alignment, bool zeroed);

  enum class FreeCheck { kOk, kNotAllocated, kFreedAlready };
  /// What freeing `p` would be; the block when it is live.
  FreeCheck check_free(const void* p) const;
  std::optional<PoolBlock> block(const void* p) const;
  /// Frees a live block (check_free() == kOk).
  void free(void* p);

  std::size_t outstanding() const { return blocks_.size(); }
  std::size_t outstanding_bytes() const;
  /// The live blocks, oldest first.
  std::vector<PoolBlock> live() const;

  /// A tag as the debugger prints it: its four bytes as characters, low byte first ('Test' -> "Test").
  static std::string tag_name(std::uint32_t tag);

 private:
  struct Entry {
    PoolBlock block;
    std::uint64_t order;
    std::unique_ptr<std::byte[]> storage;  // over-allocated: `p` is aligned inside it
  };
  std::map<const void*, Entry> blocks_;
  std::unordered_set<const void*> freed_;  // addresses freed and not handed out again
  std::uint64_t order_ = 0;
};

}  // namespace irqrig::host

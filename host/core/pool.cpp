#include "host/core/pool.h"

#include <algorithm>
#include <cstring>

namespace irqrig::host {

void* Pool::allocate(std::size_t bytes, std::uint32_t tag, bool paged, std::size_t alignment, bool zeroed) {
  // One byte at least, so every allocation has an address of its own.
  const std::size_t size = std::max<std::size_t>(bytes, 1);
  auto storage = std::make_unique<std::byte[]>(size + alignment);
  const auto raw = reinterpret_cast<std::uintptr_t>(storage.get());
  void* p = reinterpret_cast<void*>((raw + alignment - 1) / alignment * alignment);
  std::memset(p, zeroed ? 0 : kUninitialized, size);
  freed_.erase(p);
  blocks_.emplace(p, Entry{PoolBlock{bytes, tag, paged}, order_++, std::move(storage)});
  return p;
}

Pool::FreeCheck Pool::check_free(const void* p) const {
  if (blocks_.count(p)) return FreeCheck::kOk;
  return freed_.count(p) ? FreeCheck::kFreedAlready : FreeCheck::kNotAllocated;
}

std::optional<PoolBlock> Pool::block(const void* p) const {
  const auto it = blocks_.find(p);
  if (it == blocks_.end()) return std::nullopt;
  return it->second.block;
}

void Pool::free(void* p) {
  if (blocks_.erase(p)) freed_.insert(p);
}

std::size_t Pool::outstanding_bytes() const {
  std::size_t n = 0;
  for (const auto& [p, e] : blocks_) n += e.block.bytes;
  return n;
}

std::vector<PoolBlock> Pool::live() const {
  std::vector<const Entry*> entries;
  for (const auto& [p, e] : blocks_) entries.push_back(&e);
  std::sort(entries.begin(), entries.end(), [](const Entry* a, const Entry* b) { return a->order < b->order; });
  std::vector<PoolBlock> out;
  for (const Entry* e : entries) out.push_back(e->block);
  return out;
}

std::string Pool::tag_name(std::uint32_t tag) {
  std::string name;
  for (unsigned b = 0; b < 4; ++b) {
    const auto c = static_cast<char>((tag >> (8 * b)) & 0xFF);
    name += c >= 0x20 && c < 0x7F ? c : '.';
  }
  return name;
}

}  // namespace irqrig::host

// The receive side of a wire-protocol stream: bytes read ahead in blocks, cut into whole messages.
// Shared by the server's connection and the client's link, which differ only in how they read.
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <vector>

#include "sim/remote/proto.h"

namespace irqrig::sim::remote {

/// Bytes received and not yet taken as messages. A peer may send several messages at once, or a
/// message in pieces: read into space(), report it with filled(), take whole messages with take().
class ReceiveBuffer {
 public:
  explicit ReceiveBuffer(std::size_t messages = 64) : bytes_(messages * proto::kMessageSize) {}

  /// Whether a whole message is waiting.
  bool has_message() const { return pending() >= proto::kMessageSize; }
  /// Bytes received that do not make a message yet (for "truncated: N of 128 bytes").
  std::size_t pending() const { return end_ - begin_; }

  /// Where the next read goes: the part of a message already here moves to the front first, so a
  /// read always has room for at least the rest of a message.
  std::span<std::byte> space() {
    if (begin_ > 0) {
      std::memmove(bytes_.data(), bytes_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    return {bytes_.data() + end_, bytes_.size() - end_};
  }
  /// `n` bytes were read into space().
  void filled(std::size_t n) { end_ += n; }

  /// The next whole message's bytes (has_message() must be true); valid until the next space().
  std::span<const std::byte> take() {
    const std::span<const std::byte> m(bytes_.data() + begin_, proto::kMessageSize);
    begin_ += proto::kMessageSize;
    return m;
  }

 private:
  std::vector<std::byte> bytes_;
  std::size_t begin_ = 0, end_ = 0;
};

}  // namespace irqrig::sim::remote

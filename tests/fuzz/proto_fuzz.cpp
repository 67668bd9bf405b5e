// libFuzzer target: the wire protocol's decoder and device-write reassembly, fed arbitrary bytes
// as a stream of 128-byte messages. Anything but a ProtoError escaping is a finding, and a message
// that decodes must re-encode to the very same bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "sim/remote/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace irqrig::sim::proto;
  const auto bytes = std::as_bytes(std::span(data, size));
  UpstreamAssembler assembler;
  std::uint32_t sequence = 0;
  for (std::size_t at = 0; at < bytes.size(); at += kMessageSize) {
    const auto one = bytes.subspan(at, std::min(kMessageSize, bytes.size() - at));
    Message m;
    try {
      // The stream's own sequence numbers, so framing checks do not stop every input at once.
      std::uint32_t claimed = 0;
      if (one.size() >= 8) std::memcpy(&claimed, one.data() + 4, 4);
      m = decode(one, at == 0 ? claimed : sequence);
      sequence = m.header.sequence + 1;
    } catch (const ProtoError&) {
      return 0;
    }
    Wire again;
    std::memcpy(again.data(), &m, again.size());
    if (std::memcmp(again.data(), one.data(), kMessageSize) != 0) __builtin_trap();
    if (m.header.type == Type::kDmaWrite || m.header.type == Type::kInterrupt) {
      try {
        if (const auto w = assembler.add(m)) {
          // What reassembles must split back into messages carrying the same data.
          std::size_t dws = 0;
          for (const Message& back : to_messages(*w))
            dws += back.header.type == Type::kInterrupt ? 1 : back.dma_write.dw_count;
          if (dws != w->data.size()) __builtin_trap();
        }
      } catch (const ProtoError&) {
        return 0;
      }
    }
    if (m.header.type == Type::kHello) (void)token_of(m.hello);
    if (m.header.type == Type::kError) (void)text_of(m.error);
  }
  return 0;
}

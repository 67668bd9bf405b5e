// libFuzzer target: the wire protocol's decoder and device-write reassembly, fed arbitrary bytes
// as a stream of 128-byte messages. Anything but a ProtoError escaping is a finding, and every device
// write that reassembles must make the whole trip again - split into messages, stamped, decoded by a
// fresh reader, reassembled - and come back as the very same write.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "sim/remote/codec.h"

namespace {

using namespace irqrig::sim::proto;
using irqrig::sim::UpstreamWrite;

bool same(const UpstreamWrite& a, const UpstreamWrite& b) {
  return a.time_ps == b.time_ps && a.address == b.address && a.data == b.data && a.first_be == b.first_be &&
         a.last_be == b.last_be && a.requester_id == b.requester_id;
}

// The write `w` sent again over a new connection: what the far side reassembles. A ProtoError on the
// way back is itself a finding - the decoder accepted something the encoder cannot say.
void check_round_trip(const UpstreamWrite& w) {
  Sequencer out, in;
  UpstreamAssembler assembler;
  std::optional<UpstreamWrite> back;
  const auto msgs = to_messages(w);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    if (back) __builtin_trap();  // the write completed before its last message
    try {
      back = assembler.add(in.accept(out.stamp(msgs[i])));
    } catch (const ProtoError&) {
      __builtin_trap();
    }
  }
  if (!back || !same(*back, w) || !assembler.idle()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
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
    if (m.header.type == Type::kDmaWrite || m.header.type == Type::kInterrupt) {
      std::optional<UpstreamWrite> w;
      try {
        w = assembler.add(m);
      } catch (const ProtoError&) {
        return 0;
      }
      if (w) check_round_trip(*w);
    }
    if (m.header.type == Type::kHello) (void)token_of(m.hello);
    if (m.header.type == Type::kError) (void)text_of(m.error);
  }
  return 0;
}

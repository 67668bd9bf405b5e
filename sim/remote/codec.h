// Turns protocol messages into wire bytes and back, checking every field a peer could get wrong,
// and maps the device's upstream writes onto DmaWrite/Interrupt messages and back.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <cstring>
#include <string>
#include <vector>

#include "sim/device/device.h"
#include "sim/remote/proto.h"

namespace irqrig::sim::proto {

/// A message that breaks the protocol: the text names the message type and the field. The peer's
/// connection is closed with it; nothing else is affected.
class ProtoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Wire = std::array<std::byte, kMessageSize>;

/// "Hello", "BarRead", ...; "type 0x2a" for an unknown byte.
std::string type_name(std::uint8_t type);

/// A zeroed message of `type` at `time_ps` (sequence 0: the Writer stamps it).
Message make(Type type, std::uint64_t time_ps = 0);
/// `text`, cut to fit, into an Error message.
Message make_error(std::uint32_t code, const std::string& text, std::uint64_t time_ps = 0);
/// The Hello a client sends; throws ProtoError when the token does not fit.
Message make_hello(const std::string& token);
/// The NUL-terminated text of an Error / token of a Hello (decode has checked the terminator).
std::string text_of(const Error& e);
std::string token_of(const Hello& h);

/// Checks one message's bytes: length, known type, zero reserved fields, the sequence number the
/// reader expects, and each field's range for its type. Throws ProtoError.
Message decode(std::span<const std::byte> bytes, std::uint32_t expected_sequence);

/// One direction of a connection: stamps outgoing sequence numbers, checks incoming ones.
class Sequencer {
 public:
  Wire stamp(Message m) {
    m.header.sequence = next_out_++;
    Wire w;
    static_assert(sizeof(m) == w.size());
    std::memcpy(w.data(), &m, w.size());
    return w;
  }
  Message accept(std::span<const std::byte> bytes) { return decode(bytes, next_in_++); }

 private:
  std::uint32_t next_out_ = 0;
  std::uint32_t next_in_ = 0;
};

/// Whether a device write is an interrupt message: one full DW to the local APICs' window.
bool is_interrupt(const UpstreamWrite& w);
/// The messages that carry `w`: one Interrupt, or DmaWrites of up to kMaxDmaDws each.
std::vector<Message> to_messages(const UpstreamWrite& w);

/// Reassembles device writes from Interrupt/DmaWrite messages (continued writes across messages).
class UpstreamAssembler {
 public:
  /// The write `m` completes, if it does. Throws ProtoError for a continuation that does not fit
  /// the write before it, or that makes it longer than kMaxWriteDws.
  std::optional<UpstreamWrite> add(const Message& m);
  bool idle() const { return !partial_; }

 private:
  std::optional<UpstreamWrite> partial_;
};

}  // namespace irqrig::sim::proto

#include "sim/remote/codec.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace irqrig::sim::proto {
namespace {

constexpr const char* kTypeNames[] = {"Hello",    "HelloAck",   "ConfigRead", "ConfigReadDone", "ConfigWrite",
                                      "BarRead",  "BarReadDone", "BarWrite",  "Advance",        "Advanced",
                                      "DmaWrite", "Interrupt",  "Error",      "Goodbye"};

[[noreturn]] void fail(const Message& m, const std::string& what) {
  throw ProtoError(fmt::format("{} #{}: {}", type_name(static_cast<std::uint8_t>(m.header.type)), m.header.sequence, what));
}

bool terminated(const char* s, std::size_t n) { return std::memchr(s, '\0', n) != nullptr; }

bool valid_size(std::uint8_t size) { return size == 1 || size == 2 || size == 4 || size == 8; }

void check_bar(const Message& m, std::uint8_t bar, std::uint8_t size, std::uint64_t offset) {
  if (bar > 5) fail(m, fmt::format("bar {} is not 0..5", bar));
  if (!valid_size(size)) fail(m, fmt::format("size {} is not 1, 2, 4 or 8 bytes", size));
  if (offset % size != 0) fail(m, fmt::format("offset {:#x} is not aligned to its size {}", offset, size));
}

void check_body(const Message& m) {
  switch (m.header.type) {
    case Type::kHello:
      if (m.hello.magic != kMagic) fail(m, fmt::format("magic {:#010x} is not 'IRQR'", m.hello.magic));
      if (m.hello.reserved != 0) fail(m, "reserved bytes set");
      if (!terminated(m.hello.token, kTokenSize)) fail(m, "token is not NUL-terminated");
      break;
    case Type::kHelloAck:
      if (m.hello_ack.magic != kMagic) fail(m, fmt::format("magic {:#010x} is not 'IRQR'", m.hello_ack.magic));
      if (m.hello_ack.backend != Backend::kSim && m.hello_ack.backend != Backend::kVfio)
        fail(m, fmt::format("backend {} is not 1 (sim) or 2 (vfio)", static_cast<int>(m.hello_ack.backend)));
      if (m.hello_ack.reserved != 0) fail(m, "reserved bytes set");
      if (m.hello_ack.cycle_ps == 0) fail(m, "cycle_ps is 0");
      break;
    case Type::kConfigRead:
      if (m.config_read.offset > 4092 || m.config_read.offset % 4)
        fail(m, fmt::format("offset {:#x} is not a DW of the 4 KiB config space", m.config_read.offset));
      break;
    case Type::kConfigWrite:
      if (m.config_write.offset > 4092 || m.config_write.offset % 4)
        fail(m, fmt::format("offset {:#x} is not a DW of the 4 KiB config space", m.config_write.offset));
      if (m.config_write.byte_enable == 0 || m.config_write.byte_enable > 0xF)
        fail(m, fmt::format("byte_enable {:#x} is not 1..0xF", m.config_write.byte_enable));
      if (m.config_write.reserved != 0) fail(m, "reserved bytes set");
      break;
    case Type::kBarRead:
      check_bar(m, m.bar_read.bar, m.bar_read.size, m.bar_read.offset);
      if (m.bar_read.reserved != 0 || m.bar_read.reserved2 != 0) fail(m, "reserved bytes set");
      break;
    case Type::kBarWrite:
      check_bar(m, m.bar_write.bar, m.bar_write.size, m.bar_write.offset);
      if (m.bar_write.reserved != 0 || m.bar_write.reserved2 != 0) fail(m, "reserved bytes set");
      break;
    case Type::kDmaWrite:
      if (m.dma_write.dw_count == 0 || m.dma_write.dw_count > kMaxDmaDws)
        fail(m, fmt::format("dw_count {} is not 1..{}", m.dma_write.dw_count, kMaxDmaDws));
      if (m.dma_write.address % 4) fail(m, fmt::format("address {:#x} is not DW-aligned", m.dma_write.address));
      if (m.dma_write.first_be > 0xF || m.dma_write.last_be > 0xF) fail(m, "byte enables beyond 4 bits");
      if (std::any_of(std::begin(m.dma_write.reserved), std::end(m.dma_write.reserved), [](std::uint8_t b) { return b != 0; }))
        fail(m, "reserved bytes set");
      break;
    case Type::kInterrupt:
      if (m.interrupt.address % 4) fail(m, fmt::format("address {:#x} is not DW-aligned", m.interrupt.address));
      break;
    case Type::kError:
      if (!terminated(m.error.text, kTextSize)) fail(m, "text is not NUL-terminated");
      break;
    case Type::kConfigReadDone:
    case Type::kBarReadDone:
    case Type::kAdvance:
    case Type::kAdvanced:
    case Type::kGoodbye:
      break;
  }
}

}  // namespace

std::string type_name(std::uint8_t type) {
  return known_type(type) ? kTypeNames[type - 1] : fmt::format("type {:#04x}", type);
}

Message make(Type type, std::uint64_t time_ps) {
  Message m;
  std::memset(&m, 0, sizeof m);
  m.header.type = type;
  m.header.time_ps = time_ps;
  return m;
}

Message make_error(std::uint32_t code, const std::string& text, std::uint64_t time_ps) {
  Message m = make(Type::kError, time_ps);
  m.error.code = code;
  std::memcpy(m.error.text, text.data(), std::min(text.size(), kTextSize - 1));
  return m;
}

Message make_hello(const std::string& token) {
  if (token.size() >= kTokenSize) throw ProtoError(fmt::format("token of {} bytes: at most {}", token.size(), kTokenSize - 1));
  Message m = make(Type::kHello);
  m.hello.magic = kMagic;
  m.hello.version = kVersion;
  std::memcpy(m.hello.token, token.data(), token.size());
  return m;
}

std::string text_of(const Error& e) { return std::string(e.text, strnlen(e.text, kTextSize)); }
std::string token_of(const Hello& h) { return std::string(h.token, strnlen(h.token, kTokenSize)); }

Message decode(std::span<const std::byte> bytes, std::uint32_t expected_sequence) {
  if (bytes.size() != kMessageSize)
    throw ProtoError(fmt::format("truncated message: {} of {} bytes", bytes.size(), kMessageSize));
  Message m;
  std::memcpy(&m, bytes.data(), sizeof m);
  const auto type = static_cast<std::uint8_t>(m.header.type);
  if (!known_type(type)) throw ProtoError(fmt::format("#{}: unknown message type {:#04x}", m.header.sequence, type));
  if (m.header.reserved != 0) fail(m, "reserved header bits set");
  if (m.header.sequence != expected_sequence)
    fail(m, fmt::format("sequence {} where {} was due (a message lost or repeated)", m.header.sequence, expected_sequence));
  if (m.header.type != Type::kDmaWrite && m.header.flags != 0) fail(m, fmt::format("flags {:#x} on a message without any", m.header.flags));
  if (m.header.flags & ~Header::kContinued) fail(m, fmt::format("unknown flags {:#x}", m.header.flags));
  check_body(m);
  return m;
}

bool is_interrupt(const UpstreamWrite& w) {
  return (w.address >> 20) == 0xFEE && w.data.size() == 1 && w.first_be == 0xF;
}

std::vector<Message> to_messages(const UpstreamWrite& w) {
  std::vector<Message> out;
  if (is_interrupt(w)) {
    Message m = make(Type::kInterrupt, w.time_ps);
    m.interrupt.address = w.address;
    m.interrupt.data = w.data[0];
    m.interrupt.requester_id = w.requester_id;
    m.interrupt.vector = Interrupt::kNoVector;
    out.push_back(m);
    return out;
  }
  if (w.data.empty()) throw ProtoError(fmt::format("device write to {:#x} carries no data", w.address));
  for (std::size_t at = 0; at < w.data.size(); at += kMaxDmaDws) {
    const std::size_t n = std::min(kMaxDmaDws, w.data.size() - at);
    Message m = make(Type::kDmaWrite, w.time_ps);
    m.dma_write.address = w.address + at * 4;
    m.dma_write.requester_id = w.requester_id;
    m.dma_write.first_be = w.first_be;
    m.dma_write.last_be = w.last_be;
    m.dma_write.dw_count = static_cast<std::uint8_t>(n);
    std::copy_n(w.data.begin() + static_cast<std::ptrdiff_t>(at), n, m.dma_write.data);
    if (at + n < w.data.size()) m.header.flags = Header::kContinued;
    out.push_back(m);
  }
  return out;
}

std::optional<UpstreamWrite> UpstreamAssembler::add(const Message& m) {
  if (m.header.type == Type::kInterrupt) {
    if (partial_) fail(m, "an interrupt inside a continued DMA write");
    UpstreamWrite w;
    w.time_ps = m.header.time_ps;
    w.address = m.interrupt.address;
    w.data = {m.interrupt.data};
    w.first_be = 0xF;
    w.last_be = 0;
    w.requester_id = m.interrupt.requester_id;
    return w;
  }
  if (m.header.type != Type::kDmaWrite) fail(m, "not a device write");
  const DmaWrite& d = m.dma_write;
  if (partial_) {
    const UpstreamWrite& p = *partial_;
    if (d.address != p.address + 4 * p.data.size() || d.requester_id != p.requester_id || m.header.time_ps != p.time_ps)
      fail(m, "continuation does not follow the write before it");
  } else {
    partial_ = UpstreamWrite{};
    partial_->time_ps = m.header.time_ps;
    partial_->address = d.address;
    partial_->first_be = d.first_be;
    partial_->last_be = d.last_be;
    partial_->requester_id = d.requester_id;
  }
  // A hostile or broken peer could continue one write forever; no PCIe write is longer than this.
  if (partial_->data.size() + d.dw_count > kMaxWriteDws) {
    partial_.reset();
    fail(m, fmt::format("continued DMA write longer than {} DWs (the largest PCIe payload)", kMaxWriteDws));
  }
  partial_->data.insert(partial_->data.end(), d.data, d.data + d.dw_count);
  if (m.header.flags & Header::kContinued) return std::nullopt;
  std::optional<UpstreamWrite> done = std::move(partial_);
  partial_.reset();
  // PCIe: a one-DW write's Last DW BE is 0. Allowing another value would also make a one-DW write
  // into the APIC window come back from to_messages() as an Interrupt with a different last_be.
  if (done->data.size() == 1 && done->last_be != 0)
    fail(m, fmt::format("last_be {:#x} on a one-DW write (must be 0)", done->last_be));
  return done;
}

}  // namespace irqrig::sim::proto

// The wire protocol's codec: every message type round-trips, device writes map onto messages and
// back, and each way a peer can break the protocol is refused naming the type and field.
#include <cstring>
#include <optional>

#include <gtest/gtest.h>

#include "sim/remote/codec.h"

namespace irqrig::sim::proto {
namespace {

Wire bytes_of(const Message& m) {
  Wire w;
  std::memcpy(w.data(), &m, w.size());
  return w;
}

std::string decode_error(const Message& m, std::uint32_t sequence = 0) {
  const Wire w = bytes_of(m);
  try {
    decode(w, sequence);
  } catch (const ProtoError& e) {
    return e.what();
  }
  return "";
}

TEST(Proto, EveryTypeRoundTripsThroughTheSequencer) {
  Sequencer out, in;
  std::vector<Message> sent;
  sent.push_back(make_hello("secret"));
  Message ack = make(Type::kHelloAck, 42);
  ack.hello_ack.magic = kMagic;
  ack.hello_ack.version = kVersion;
  ack.hello_ack.backend = Backend::kSim;
  ack.hello_ack.cycle_ps = 4000;
  ack.hello_ack.num_vectors = 2048;
  sent.push_back(ack);
  Message cr = make(Type::kConfigRead, 1);
  cr.config_read.offset = 0x40;
  sent.push_back(cr);
  Message bw = make(Type::kBarWrite, 2);
  bw.bar_write.bar = 0;
  bw.bar_write.size = 8;
  bw.bar_write.offset = 0x40;
  bw.bar_write.value = 0x1234'5678'9ABC'DEF0ull;
  sent.push_back(bw);
  sent.push_back(make(Type::kAdvance, 1'000'000));
  sent.push_back(make_error(4, "no completion for BAR0 read at 0x58"));
  sent.push_back(make(Type::kGoodbye));
  for (const Message& m : sent) {
    const Wire w = out.stamp(m);
    const Message back = in.accept(w);
    EXPECT_EQ(back.header.type, m.header.type);
    EXPECT_EQ(back.header.time_ps, m.header.time_ps);
    EXPECT_EQ(std::memcmp(back.raw, m.raw, kBodySize), 0) << type_name(static_cast<std::uint8_t>(m.header.type));
  }
  EXPECT_EQ(token_of(sent[0].hello), "secret");
  EXPECT_EQ(text_of(sent[5].error), "no completion for BAR0 read at 0x58");
}

TEST(Proto, AnInterruptIsItsOwnMessageAndComesBackAsTheSameWrite) {
  UpstreamWrite msi{123'000, 0xFEE01000, {0x4925}, 0xF, 0, 0x0100};
  const auto msgs = to_messages(msi);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].header.type, Type::kInterrupt);
  EXPECT_EQ(msgs[0].interrupt.vector, Interrupt::kNoVector);
  UpstreamAssembler a;
  const auto back = a.add(msgs[0]);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->address, msi.address);
  EXPECT_EQ(back->data, msi.data);
  EXPECT_EQ(back->time_ps, msi.time_ps);
  EXPECT_EQ(back->requester_id, msi.requester_id);
}

TEST(Proto, ALongDmaWriteSpansMessagesAndIsReassembled) {
  UpstreamWrite w{5'000, 0x1'0000'0000ull, {}, 0xF, 0x3, 0x0100};
  for (std::uint32_t i = 0; i < 37; ++i) w.data.push_back(i * 0x01010101u);
  const auto msgs = to_messages(w);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].header.flags, Header::kContinued);
  EXPECT_EQ(msgs[2].header.flags, 0);
  EXPECT_EQ(msgs[2].dma_write.dw_count, 37 - 2 * kMaxDmaDws);
  UpstreamAssembler a;
  EXPECT_FALSE(a.add(msgs[0]));
  EXPECT_FALSE(a.add(msgs[1]));
  EXPECT_FALSE(a.idle());
  const auto back = a.add(msgs[2]);
  ASSERT_TRUE(back);
  EXPECT_TRUE(a.idle());
  EXPECT_EQ(back->data, w.data);
  EXPECT_EQ(back->address, w.address);
  EXPECT_EQ(back->last_be, w.last_be);
}

TEST(Proto, AWriteOutsideTheApicWindowOrPartialIsDma) {
  EXPECT_FALSE(is_interrupt(UpstreamWrite{0, 0xFED00000, {1}, 0xF, 0, 0}));
  EXPECT_FALSE(is_interrupt(UpstreamWrite{0, 0xFEE00000, {1, 2}, 0xF, 0xF, 0}));
  EXPECT_FALSE(is_interrupt(UpstreamWrite{0, 0xFEE00000, {1}, 0x3, 0, 0}));
  EXPECT_TRUE(is_interrupt(UpstreamWrite{0, 0xFEEFF00C, {1}, 0xF, 0, 0}));
}

TEST(Proto, TruncatedAndUnknownMessagesAreRefused) {
  const Wire w = bytes_of(make(Type::kGoodbye));
  try {
    decode(std::span<const std::byte>(w.data(), 100), 0);
    FAIL();
  } catch (const ProtoError& e) {
    EXPECT_STREQ(e.what(), "truncated message: 100 of 128 bytes");
  }
  Message m = make(Type::kGoodbye);
  reinterpret_cast<std::uint8_t&>(m.header.type) = 0x2A;
  EXPECT_EQ(decode_error(m), "#0: unknown message type 0x2a");
  reinterpret_cast<std::uint8_t&>(m.header.type) = 0;
  EXPECT_NE(decode_error(m).find("unknown message type 0x00"), std::string::npos);
}

TEST(Proto, SequenceGapsReservedBitsAndStrayFlagsAreRefused) {
  Message m = make(Type::kAdvance);
  m.header.sequence = 3;
  EXPECT_EQ(decode_error(m, 2), "Advance #3: sequence 3 where 2 was due (a message lost or repeated)");
  m.header.sequence = 0;
  m.header.reserved = 1;
  EXPECT_EQ(decode_error(m), "Advance #0: reserved header bits set");
  m.header.reserved = 0;
  m.header.flags = Header::kContinued;
  EXPECT_EQ(decode_error(m), "Advance #0: flags 0x1 on a message without any");
  Message d = make(Type::kDmaWrite);
  d.dma_write.dw_count = 1;
  d.header.flags = 0x80;
  EXPECT_EQ(decode_error(d), "DmaWrite #0: unknown flags 0x80");
}

TEST(Proto, FieldsOutOfRangeNameTheField) {
  Message h = make_hello("");
  h.hello.magic = 0x12345678;
  EXPECT_EQ(decode_error(h), "Hello #0: magic 0x12345678 is not 'IRQR'");
  h = make_hello("");
  std::memset(h.hello.token, 'x', kTokenSize);
  EXPECT_EQ(decode_error(h), "Hello #0: token is not NUL-terminated");

  Message r = make(Type::kBarRead);
  r.bar_read.bar = 6;
  r.bar_read.size = 4;
  EXPECT_EQ(decode_error(r), "BarRead #0: bar 6 is not 0..5");
  r.bar_read.bar = 0;
  r.bar_read.size = 3;
  EXPECT_EQ(decode_error(r), "BarRead #0: size 3 is not 1, 2, 4 or 8 bytes");
  r.bar_read.size = 4;
  r.bar_read.offset = 2;
  EXPECT_EQ(decode_error(r), "BarRead #0: offset 0x2 is not aligned to its size 4");

  Message c = make(Type::kConfigWrite);
  c.config_write.offset = 4096;
  c.config_write.byte_enable = 0xF;
  EXPECT_EQ(decode_error(c), "ConfigWrite #0: offset 0x1000 is not a DW of the 4 KiB config space");
  c.config_write.offset = 0;
  c.config_write.byte_enable = 0;
  EXPECT_EQ(decode_error(c), "ConfigWrite #0: byte_enable 0x0 is not 1..0xF");

  Message d = make(Type::kDmaWrite);
  d.dma_write.dw_count = kMaxDmaDws + 1;
  EXPECT_EQ(decode_error(d), "DmaWrite #0: dw_count 17 is not 1..16");

  Message e = make(Type::kError);
  std::memset(e.error.text, 'y', kTextSize);
  EXPECT_EQ(decode_error(e), "Error #0: text is not NUL-terminated");

  Message a = make(Type::kHelloAck);
  a.hello_ack.magic = kMagic;
  a.hello_ack.backend = Backend::kSim;
  EXPECT_EQ(decode_error(a), "HelloAck #0: cycle_ps is 0");
}

TEST(Proto, AContinuationThatDoesNotFollowIsRefused) {
  UpstreamWrite w{0, 0x1000, std::vector<std::uint32_t>(20, 7), 0xF, 0xF, 1};
  auto msgs = to_messages(w);
  UpstreamAssembler a;
  a.add(msgs[0]);
  msgs[1].dma_write.address += 4;
  EXPECT_THROW(a.add(msgs[1]), ProtoError);
  UpstreamAssembler b;
  b.add(msgs[0]);
  Message irq = make(Type::kInterrupt);
  irq.interrupt.address = 0xFEE00000;
  EXPECT_THROW(b.add(irq), ProtoError);
  EXPECT_THROW(to_messages(UpstreamWrite{0, 0x1000, {}, 0xF, 0, 0}), ProtoError);
  EXPECT_THROW(make_hello(std::string(kTokenSize, 't')), ProtoError);
}

TEST(Proto, AWriteContinuedPastTheLargestPciePayloadIsRefused) {
  // 1024 DWs is the most one PCIe write carries: that still reassembles...
  UpstreamWrite w{0, 0x1000, std::vector<std::uint32_t>(kMaxWriteDws, 7), 0xF, 0xF, 1};
  UpstreamAssembler a;
  std::optional<UpstreamWrite> back;
  for (const Message& m : to_messages(w)) back = a.add(m);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->data.size(), kMaxWriteDws);
  // ...but a peer that keeps continuing is cut off instead of growing the buffer forever.
  w.data.push_back(8);
  UpstreamAssembler b;
  auto msgs = to_messages(w);
  for (std::size_t i = 0; i + 1 < msgs.size(); ++i) b.add(msgs[i]);
  try {
    b.add(msgs.back());
    FAIL() << "no ProtoError";
  } catch (const ProtoError& e) {
    EXPECT_EQ(std::string(e.what()), "DmaWrite #0: continued DMA write longer than 1024 DWs (the largest PCIe payload)");
  }
  EXPECT_TRUE(b.idle());
}

// Found by proto_fuzz: this write came back through to_messages() as an Interrupt with last_be 0.
TEST(Proto, AOneDwWriteWithALastByteEnableIsRefused) {
  Message d = make(Type::kDmaWrite);
  d.dma_write.address = 0xFEE00000;
  d.dma_write.first_be = 0xF;
  d.dma_write.last_be = 0xF;
  d.dma_write.dw_count = 1;
  UpstreamAssembler a;
  try {
    a.add(d);
    FAIL() << "no ProtoError";
  } catch (const ProtoError& e) {
    EXPECT_EQ(std::string(e.what()), "DmaWrite #0: last_be 0xf on a one-DW write (must be 0)");
  }
  EXPECT_TRUE(a.idle());
}

TEST(Proto, ReservedBodyBytesAreRefused) {
  Message h = make_hello("");
  h.hello.reserved = 1;
  EXPECT_EQ(decode_error(h), "Hello #0: reserved bytes set");
  Message a = make(Type::kHelloAck);
  a.hello_ack.magic = kMagic;
  a.hello_ack.backend = Backend::kSim;
  a.hello_ack.cycle_ps = 4000;
  a.hello_ack.reserved = 2;
  EXPECT_EQ(decode_error(a), "HelloAck #0: reserved bytes set");
  Message c = make(Type::kConfigWrite);
  c.config_write.byte_enable = 0xF;
  c.config_write.reserved = 1;
  EXPECT_EQ(decode_error(c), "ConfigWrite #0: reserved bytes set");
  Message r = make(Type::kBarRead);
  r.bar_read.size = 4;
  r.bar_read.reserved2 = 1;
  EXPECT_EQ(decode_error(r), "BarRead #0: reserved bytes set");
  Message bw = make(Type::kBarWrite);
  bw.bar_write.size = 4;
  bw.bar_write.reserved = 1;
  EXPECT_EQ(decode_error(bw), "BarWrite #0: reserved bytes set");
  Message d = make(Type::kDmaWrite);
  d.dma_write.dw_count = 1;
  d.dma_write.reserved[2] = 1;
  EXPECT_EQ(decode_error(d), "DmaWrite #0: reserved bytes set");
}

}  // namespace
}  // namespace irqrig::sim::proto

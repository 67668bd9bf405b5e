// The interrupt-acknowledge mode of the core (IRQ_CTRL.ACK_MODE, IRQ_ACK, CNT_ACK_SUPPRESSED): a
// message for an outstanding vector is suppressed and counted, IRQ_ACK re-arms the vector, masks
// and moderation act before the gate, ACK_MODE off is the old behaviour, and the driver bug the
// mode exists to expose (acknowledge after draining) strands an event.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "tests/rtl/core_tb.h"

namespace irqrig::rtl_test {
namespace {

std::uint64_t MsiAddr(unsigned v) { return kMsiBase | (std::uint64_t{v} << 4); }
std::uint32_t VectorCtrl(unsigned v) { return regs::kMsixTableOffset + v * kMsixEntryBytes + kMsixVectorCtrl; }
std::uint32_t PbaWord(unsigned v) { return regs::kMsixPbaOffset + (v / 32) * 4; }

// "Vectors2048": the table size a case ran at.
std::string VectorsName(const ::testing::TestParamInfo<unsigned>& p) {
  std::string name = "Vectors";
  name += std::to_string(p.param);
  return name;
}

class AckModeTest : public ::testing::TestWithParam<unsigned> {
 protected:
  explicit AckModeTest(TbOptions opt = TbOptions{.num_vectors = GetParam()}) : tb_(opt) {}
  void SetUp() override {
    tb_.Enumerate();
    ConfigureRing(tb_, ring_);
    SetMsixControl(tb_, true, false);
  }
  unsigned n() const { return GetParam(); }
  unsigned last() const { return n() - 1; }
  void Program(unsigned v, bool masked = false) { WriteMsixEntry(tb_, v, MsiAddr(v), 0x40 + v, masked); }
  void AckMode(bool on) { tb_.Write32(regs::IRQ_CTRL, on ? regs::IRQ_CTRL_ACK_MODE_MASK : 0u); }
  void Ack(std::uint32_t v) { tb_.Write32(regs::IRQ_ACK, v); }
  void WaitIdle() {
    tb_.RunUntil([&] { return (tb_.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
  }
  // Runs `events` events round robin over `vectors` to the end; returns the messages they sent.
  std::size_t Burst(std::vector<std::uint16_t> vectors, std::uint32_t events, std::uint32_t gap = 0) {
    const std::size_t before = Messages();
    ConfigureBurst(tb_, {events, gap, Pattern::kRoundRobin, 0, std::move(vectors)});
    Ctrl(tb_, regs::CTRL_START_MASK);
    WaitIdle();
    return Messages() - before;
  }
  std::size_t Messages() const { return Classify(tb_.writes(), ring_).msis.size(); }
  std::size_t Records() const { return Classify(tb_.writes(), ring_).records.size(); }
  // Messages so far per vector, told apart by their table address.
  std::size_t MessagesFor(unsigned v) const {
    std::size_t k = 0;
    for (std::size_t i : Classify(tb_.writes(), ring_).msis) k += tb_.writes()[i].address() == MsiAddr(v);
    return k;
  }
  std::uint32_t Suppressed() { return tb_.Read32(regs::CNT_ACK_SUPPRESSED); }

  CoreTb tb_;
  RingConfig ring_{0x3'0000'0000ull, 10, 0};
};

// ---- At every table size ---------------------------------------------------------------------

using AckModeSweep = AckModeTest;

TEST_P(AckModeSweep, RegistersResetAndReadBack) {
  EXPECT_EQ(tb_.Read32(regs::IRQ_CTRL), 0u);
  EXPECT_EQ(tb_.Read32(regs::IRQ_ACK), 0u);
  EXPECT_EQ(Suppressed(), 0u);
  tb_.Write32(regs::IRQ_CTRL, 0xFFFFFFFFu);  // only ACK_MODE is kept
  EXPECT_EQ(tb_.Read32(regs::IRQ_CTRL), regs::IRQ_CTRL_ACK_MODE_MASK);
  tb_.Write32(regs::IRQ_ACK, last());  // write-only
  EXPECT_EQ(tb_.Read32(regs::IRQ_ACK), 0u);
  tb_.Write32(regs::IRQ_CTRL, 0xFFFFFFFEu);
  EXPECT_EQ(tb_.Read32(regs::IRQ_CTRL), 0u);
}

TEST_P(AckModeSweep, OffSendsEveryMessageAndIgnoresAcks) {
  Program(last());
  Ack(last());
  EXPECT_EQ(Burst({static_cast<std::uint16_t>(last())}, 4), 4u);
  Ack(last());
  EXPECT_EQ(Burst({static_cast<std::uint16_t>(last())}, 2), 2u);
  EXPECT_EQ(Suppressed(), 0u);
  EXPECT_EQ(tb_.Read32(regs::CNT_MSI_SENT), 6u);
}

TEST_P(AckModeSweep, OutstandingLastVectorSuppressesUntilAcknowledged) {
  Program(last());
  AckMode(true);
  const auto v = static_cast<std::uint16_t>(last());
  EXPECT_EQ(Burst({v}, 3), 1u);
  EXPECT_EQ(Records(), 3u);  // records are written as always
  EXPECT_EQ(Suppressed(), 2u);
  EXPECT_EQ(tb_.Read32(regs::CNT_MOD_FIRED), 3u);
  EXPECT_EQ(tb_.Read32(regs::CNT_MSI_SENT), 1u);
  EXPECT_EQ(tb_.Read32(regs::CNT_MSI_PENDED), 0u);
  Ack(v);
  EXPECT_EQ(Burst({v}, 2), 1u);
  EXPECT_EQ(Suppressed(), 3u);
}

TEST_P(AckModeSweep, AcknowledgeOutsideTheTableIsIgnored) {
  Program(last());
  AckMode(true);
  const auto v = static_cast<std::uint16_t>(last());
  EXPECT_EQ(Burst({v}, 1), 1u);
  // Numbers whose low bits name the vector but which are past the table (or past 11 bits).
  for (std::uint32_t bad : {n(), last() + 2048u, last() | 0x10000u, 0xFFFFFFFFu}) Ack(bad);
  if (n() < 2048) Ack(last() + n());  // aliases the last vector's bit below 2048
  EXPECT_EQ(Burst({v}, 1), 0u);
  EXPECT_EQ(Suppressed(), 1u);
  Ack(v);
  EXPECT_EQ(Burst({v}, 1), 1u);
}

TEST_P(AckModeSweep, LeavingTheModeForgetsOutstandingVectors) {
  Program(0);
  AckMode(true);
  EXPECT_EQ(Burst({0}, 2), 1u);
  AckMode(false);
  AckMode(true);
  EXPECT_EQ(Burst({0}, 2), 1u);
  EXPECT_EQ(Suppressed(), 2u);
}

INSTANTIATE_TEST_SUITE_P(TableSizes, AckModeSweep, ::testing::Values(1u, 4u, 32u, 2048u),
                         VectorsName);

// ---- The 2048-vector core --------------------------------------------------------------------

using AckModeCore = AckModeTest;

TEST_P(AckModeCore, AcknowledgeOfAVectorNotOutstandingIsHarmless) {
  Program(5);
  Program(6);
  AckMode(true);
  Ack(5);  // never signalled
  Ack(5);
  EXPECT_EQ(Burst({5}, 1), 1u);
  Ack(6);  // another vector's acknowledge does not re-arm 5
  EXPECT_EQ(Burst({5}, 1), 0u);
  Ack(5);
  Ack(5);  // twice is once
  EXPECT_EQ(Burst({5}, 2), 1u);
  EXPECT_EQ(Suppressed(), 2u);
}

TEST_P(AckModeCore, VectorsAreOutstandingIndependentlyAcrossWords) {
  // 0 and 31 share a word, 32 and 2047 are in others.
  const std::vector<std::uint16_t> vs{0, 31, 32, 2047};
  for (unsigned v : vs) Program(v);
  AckMode(true);
  EXPECT_EQ(Burst(vs, 8), 4u);
  for (unsigned v : vs) EXPECT_EQ(MessagesFor(v), 1u) << v;
  EXPECT_EQ(Suppressed(), 4u);
  Ack(31);
  Ack(32);
  EXPECT_EQ(Burst(vs, 4), 2u);
  EXPECT_EQ(MessagesFor(0), 1u);
  EXPECT_EQ(MessagesFor(31), 2u);
  EXPECT_EQ(MessagesFor(32), 2u);
  EXPECT_EQ(MessagesFor(2047), 1u);
}

TEST_P(AckModeCore, MaskedMessagePendsOnceAndKeepsTheVectorOutstanding) {
  Program(7, true);
  AckMode(true);
  // The first message meets the mask: PBA, as without the mode; the rest are suppressed.
  EXPECT_EQ(Burst({7}, 3), 0u);
  EXPECT_EQ(tb_.Read32(PbaWord(7)), 1u << 7);
  EXPECT_EQ(tb_.Read32(regs::CNT_MSI_PENDED), 1u);
  EXPECT_EQ(Suppressed(), 2u);
  // Unmasking releases exactly the one pending message.
  tb_.Write32(VectorCtrl(7), 0);
  tb_.Run(400);
  EXPECT_EQ(Messages(), 1u);
  EXPECT_EQ(tb_.Read32(PbaWord(7)), 0u);
  // Pended counts as signalled: the vector stays outstanding until acknowledged.
  EXPECT_EQ(Burst({7}, 1), 0u);
  EXPECT_EQ(Suppressed(), 3u);
  Ack(7);
  EXPECT_EQ(Burst({7}, 1), 1u);
  // An acknowledge while masked re-arms too: the next message pends again.
  tb_.Write32(VectorCtrl(7), 1);
  Ack(7);
  EXPECT_EQ(Burst({7}, 2), 0u);
  EXPECT_EQ(tb_.Read32(PbaWord(7)), 1u << 7);
  EXPECT_EQ(tb_.Read32(regs::CNT_MSI_PENDED), 2u);
  EXPECT_EQ(Suppressed(), 4u);
}

TEST_P(AckModeCore, ModerationDecidesBeforeTheGate) {
  Program(3);
  SetModeration(tb_, 3, 2, 0);  // FRAMES 2
  AckMode(true);
  EXPECT_EQ(Burst({3}, 4), 1u);
  EXPECT_EQ(tb_.Read32(regs::CNT_MOD_FIRED), 2u);
  EXPECT_EQ(tb_.Read32(regs::CNT_MOD_COALESCED), 2u);
  EXPECT_EQ(Suppressed(), 1u);
  Ack(3);
  EXPECT_EQ(Burst({3}, 1), 0u);  // held by moderation, not by the gate
  EXPECT_EQ(Suppressed(), 1u);
  EXPECT_EQ(Burst({3}, 1), 1u);
  // ITR: the message at the end of an interval is suppressed when the vector is outstanding.
  SetModeration(tb_, 3, 1, 0, 4);  // 4 x 256 ns
  EXPECT_EQ(Burst({3}, 3, 20), 0u);
  tb_.Run(600);
  EXPECT_EQ(Messages(), 2u);
  EXPECT_EQ(Suppressed(), 3u);
}

TEST_P(AckModeCore, ClearZeroesTheSuppressedCounter) {
  Program(1);
  AckMode(true);
  EXPECT_EQ(Burst({1}, 3), 1u);
  EXPECT_EQ(Suppressed(), 2u);
  Ctrl(tb_, regs::CTRL_CLEAR_MASK);
  EXPECT_EQ(Suppressed(), 0u);
  // CLEAR is not an acknowledge.
  EXPECT_EQ(Burst({1}, 1), 0u);
  EXPECT_EQ(Suppressed(), 1u);
}

TEST_P(AckModeCore, ByteEnablesFormTheVectorNumber) {
  Program(3);
  AckMode(true);
  EXPECT_EQ(Burst({3}, 1), 1u);
  tb_.Write32(regs::IRQ_ACK, 0xFFFFFF03u, 0x0);  // no byte: nothing
  EXPECT_EQ(Burst({3}, 1), 0u);
  tb_.Write32(regs::IRQ_ACK, 0xFFFFFF03u, 0x1);  // byte 0 alone: vector 3
  EXPECT_EQ(Burst({3}, 1), 1u);
}

// The driver bug the mode exposes. Event A signals; the DPC drains the ring (one record); event B
// lands; the DPC acknowledges. B's message was suppressed, so B sits in the ring unannounced.
TEST_P(AckModeCore, AcknowledgeAfterDrainStrandsTheEventBetween) {
  Program(2);
  AckMode(true);
  EXPECT_EQ(Burst({2}, 1), 1u);           // A: message
  EXPECT_EQ(tb_.Read32(regs::RING_PROD), 1u);  // the drain sees A only
  EXPECT_EQ(Burst({2}, 1), 0u);           // B, between drain and acknowledge
  Ack(2);
  tb_.Run(2000);
  EXPECT_EQ(Records(), 2u);
  EXPECT_EQ(Messages(), 1u);  // nothing ever announces B
  EXPECT_EQ(Suppressed(), 1u);
}

// The correct order: acknowledge, then drain; an event after the acknowledge signals again.
TEST_P(AckModeCore, AcknowledgeBeforeDrainMissesNothing) {
  Program(2);
  AckMode(true);
  EXPECT_EQ(Burst({2}, 1), 1u);  // A
  Ack(2);
  EXPECT_EQ(tb_.Read32(regs::RING_PROD), 1u);  // drain: A
  EXPECT_EQ(Burst({2}, 1), 1u);                // B signals: the next DPC drains it
  EXPECT_EQ(Suppressed(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Core2048, AckModeCore, ::testing::Values(2048u),
                         VectorsName);

// ---- Acknowledges racing messages under backpressure -----------------------------------------

class AckModeStress : public AckModeTest {
 protected:
  AckModeStress() : AckModeTest(TbOptions{.num_vectors = GetParam(), .seed = 7, .random_stalls = true}) {}
};

// The harness acknowledges each message 0 to 80 cycles after it sees it, so acknowledges land at
// every point of the device's pipeline, before and after further events of the vector (the RTL's
// own assertions check the gate each cycle). Every fired message is either sent or suppressed,
// and once all is acknowledged every vector signals again.
TEST_P(AckModeStress, AcknowledgesRacingMessagesKeepTheCountsAndReArm) {
  const std::vector<std::uint16_t> vs{0, static_cast<std::uint16_t>(last())};
  for (unsigned v : vs) Program(v);
  AckMode(true);
  constexpr std::uint32_t kEvents = 300;
  ConfigureBurst(tb_, {kEvents, 3, Pattern::kRandom, 0x1234, vs});
  Ctrl(tb_, regs::CTRL_START_MASK);
  std::mt19937 rng(11);
  std::uniform_int_distribution<std::uint64_t> lag(0, 80);
  std::deque<std::pair<std::uint64_t, std::uint32_t>> due;  // (cycle, vector), in cycle order
  std::size_t seen = 0, records = 0, sent = 0;
  for (std::uint64_t c = 0; c < 200000 && (records < kEvents || !due.empty() || !tb_.RxIdle()); ++c) {
    tb_.Tick();
    for (; seen < tb_.writes().size(); ++seen) {
      const Tlp& t = tb_.writes()[seen];
      if (!IsMsi(t)) {
        ++records;
        continue;
      }
      ++sent;
      const std::uint64_t at = tb_.cycle() + lag(rng);
      const auto v = static_cast<std::uint32_t>((t.address() - kMsiBase) >> 4);
      due.insert(std::upper_bound(due.begin(), due.end(), std::make_pair(at, v)), {at, v});
    }
    while (!due.empty() && due.front().first <= tb_.cycle()) {
      Ack(due.front().second);
      due.pop_front();
    }
  }
  WaitIdle();
  EXPECT_EQ(Records(), kEvents);
  EXPECT_EQ(Messages(), sent);
  EXPECT_GE(sent, vs.size());
  const std::uint32_t suppressed = Suppressed();
  EXPECT_GT(suppressed, 0u);  // events 3 cycles apart outrun the acknowledges
  EXPECT_EQ(tb_.Read32(regs::CNT_MOD_FIRED), sent + suppressed);
  EXPECT_EQ(tb_.Read32(regs::CNT_MSI_SENT), sent);
  // Everything acknowledged: one more event on each vector signals.
  for (unsigned v : vs) {
    const std::size_t before = MessagesFor(v);
    EXPECT_EQ(Burst({static_cast<std::uint16_t>(v)}, 1), 1u) << v;
    EXPECT_EQ(MessagesFor(v), before + 1) << v;
  }
}

INSTANTIATE_TEST_SUITE_P(TableSizes, AckModeStress, ::testing::Values(4u, 2048u),
                         VectorsName);

}  // namespace
}  // namespace irqrig::rtl_test

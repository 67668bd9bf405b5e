// Tests of the UltraScale+ interrupt adapter (firmware/rtl/usp_irq_adapter.sv): irqrig_core as a
// board builds it (HardIp) with the adapter, against the behavioural model of the hard IP's
// interrupt interface (tests/firmware/usp_irq_model.sv), at every parameter point verilated.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "Vusp_irq_tb_n2048.h"
#include "Vusp_irq_tb_n32.h"
#include "Vusp_irq_tb_n4.h"
#include "irqrig/regs.h"
#include "verilated.h"

namespace irqrig::firmware_test {
namespace {

namespace r = irqrig::regs;

// TLP fields the bench builds and reads (PCIe Base Spec 2.2).
constexpr std::uint32_t kFmt3dw = 0b000;
constexpr std::uint32_t kFmt3dwData = 0b010;
constexpr std::uint32_t kTypeMem = 0b00000;
constexpr std::uint32_t kTypeCpl = 0b01010;
constexpr std::uint64_t kRingBase = 0x10000000u;
constexpr std::uint32_t kRingLog2 = 10;
constexpr std::uint32_t kCtrlStart = 1u << r::CTRL_START_SHIFT;

std::uint32_t Dw0(std::uint32_t fmt, std::uint32_t type, std::uint32_t len) {
  return fmt << 29 | type << 24 | (len & 0x3FF);
}

/// One message the model's link saw.
struct Message {
  bool msix = false;
  unsigned vector = 0;  // MSI: the vector the adapter requested
  std::uint64_t addr = 0;
  std::uint32_t data = 0;
};

/// The host's side of PF0's config space, held by the hard IP (the model).
struct HostCfg {
  bool mem_en = true;
  bool bme = true;
  bool msi_en = false;
  unsigned mme = 0;
  std::uint32_t msi_mask = 0;
  std::uint64_t msi_addr = 0xFEE00000u;
  std::uint16_t msi_data = 0x4920;
  bool msix_en = false;
  bool msix_fmask = false;
};

/// Parameter point of one verilated test top.
template <class M, unsigned N, unsigned Msi, unsigned Fails, unsigned Gap>
struct Point {
  using Model = M;
  static constexpr unsigned kNumVectors = N;
  static constexpr unsigned kMsiVectors = Msi;
  static constexpr unsigned kMaxFails = Fails;
  static constexpr unsigned kRetryGap = Gap;
};

/// Owns the context and the test top; moves TLPs, plays the IP's host side and its knobs.
template <class P>
class UspTb {
 public:
  explicit UspTb(std::uint64_t seed = 1)
      : context_(std::make_unique<VerilatedContext>()), rng_(seed) {
    context_->debug(0);
    context_->randReset(0);
    context_->fatalOnError(false);  // a failed RTL assertion fails the test, see Tick
    top_ = std::make_unique<typename P::Model>(context_.get(), "tb");
    top_->clk_i = 0;
    top_->rst_ni = 0;
    ApplyHost();
    top_->latency_i = 1;
    top_->eval();
    for (int i = 0; i < 4; ++i) Edge();
    top_->rst_ni = 1;
    top_->eval();
  }
  ~UspTb() { top_->final(); }
  UspTb(const UspTb&) = delete;
  UspTb& operator=(const UspTb&) = delete;

  HostCfg& host() { return host_; }
  // Knobs: answer latency range, a fail probability, a number of fails to force next, stalls.
  void SetLatency(unsigned lo, unsigned hi) {
    lat_lo_ = lo;
    lat_hi_ = hi;
  }
  void SetFailProbability(double p) { fail_prob_ = p; }
  void ForceFails(unsigned n) { force_fails_ = n; }
  void SetStalls(bool on) { stalls_ = on; }

  void Tick() {
    ApplyHost();
    std::uniform_int_distribution<unsigned> lat(lat_lo_, lat_hi_);
    std::bernoulli_distribution fail(fail_prob_);
    std::bernoulli_distribution ready(stalls_ ? 0.6 : 1.0);
    std::bernoulli_distribution gap(stalls_ ? 0.5 : 1.0);
    top_->latency_i = static_cast<std::uint8_t>(lat(rng_));
    top_->fail_i = force_fails_ > 0 || fail(rng_);
    if (!rx_active_ && !rx_queue_.empty() && gap(rng_)) rx_active_ = true;
    top_->s_axis_rx_tvalid = rx_active_;
    top_->s_axis_rx_tdata = rx_active_ ? rx_queue_.front()[rx_pos_] : 0xDEADBEEF;
    top_->s_axis_rx_tlast = rx_active_ && rx_pos_ + 1 == rx_queue_.front().size();
    top_->m_axis_tx_tready = ready(rng_);
    top_->clk_i = 0;
    top_->eval();

    if (top_->msg_valid_o) {
      messages_.push_back({bool(top_->msg_msix_o), top_->msg_vector_o, top_->msg_addr_o, top_->msg_data_o});
    }
    if (top_->cnt_fail_o) {
      ++fails_;
      last_fail_cycle_ = cycle_;
      if (force_fails_ > 0) --force_fails_;
    }
    if (top_->cnt_drop_o) ++drops_;
    if (top_->msi_int_o || top_->msix_int_o) {
      ++issues_;
      if (last_fail_cycle_) min_retry_gap_ = std::min(min_retry_gap_, cycle_ - *last_fail_cycle_);
      last_fail_cycle_.reset();
    }
    const bool rx_hs = top_->s_axis_rx_tvalid && top_->s_axis_rx_tready;
    const bool tx_hs = top_->m_axis_tx_tvalid && top_->m_axis_tx_tready;
    const std::uint32_t tx_data = top_->m_axis_tx_tdata;
    const bool tx_last = top_->m_axis_tx_tlast;

    Edge();
    ++cycle_;
    if (context_->gotError() && !assertion_failed_) {
      assertion_failed_ = true;
      ADD_FAILURE() << "an RTL assertion failed at cycle " << cycle_ << " (its message is above)";
    }
    if (rx_hs && ++rx_pos_ == rx_queue_.front().size()) {
      rx_queue_.pop_front();
      rx_pos_ = 0;
      rx_active_ = false;
    }
    if (tx_hs) {
      tx_cur_.push_back(tx_data);
      if (tx_last) {
        if (((tx_cur_[0] >> 24) & 0x1F) == kTypeCpl) {
          completions_.push_back(std::move(tx_cur_));
        } else {
          writes_.push_back(std::move(tx_cur_));
        }
        tx_cur_.clear();
      }
    }
  }

  template <class Pred>
  bool RunUntil(Pred pred, std::uint64_t limit = 200000) {
    for (std::uint64_t i = 0; i < limit; ++i) {
      if (pred()) return true;
      Tick();
    }
    ADD_FAILURE() << "timed out after " << limit << " cycles";
    return false;
  }
  void Run(std::uint64_t cycles) {
    for (std::uint64_t i = 0; i < cycles; ++i) Tick();
  }

  // BAR0 accesses: the request bridge hands the core offsets inside BAR0 (BAR0 reads as 0).
  void Write32(std::uint32_t offset, std::uint32_t value) {
    rx_queue_.push_back({Dw0(kFmt3dwData, kTypeMem, 1), 0x0000000Fu, offset & ~3u, value});  // 1 DW: Last BE 0
    RunUntil([&] { return rx_queue_.empty() && !rx_active_; });
  }
  std::uint32_t Read32(std::uint32_t offset) {
    const std::uint8_t tag = tag_++;
    rx_queue_.push_back({Dw0(kFmt3dw, kTypeMem, 1), std::uint32_t{tag} << 8 | 0x0Fu, offset & ~3u});
    const std::size_t before = completions_.size();
    RunUntil([&] { return completions_.size() > before; });
    const auto& c = completions_.back();
    EXPECT_EQ((c[2] >> 8) & 0xFF, tag);
    EXPECT_EQ(c.size(), 4u) << "a CplD with one DW";
    return c.size() == 4 ? c[3] : 0;
  }

  void WriteMsixEntry(unsigned v, std::uint64_t addr, std::uint32_t data, bool masked) {
    const std::uint32_t e = r::kMsixTableOffset + 16 * v;
    Write32(e + 0, static_cast<std::uint32_t>(addr));
    Write32(e + 4, static_cast<std::uint32_t>(addr >> 32));
    Write32(e + 8, data);
    Write32(e + 12, masked ? 1u : 0u);
  }
  /// Ring, burst over `vectors` round robin, `events` events, then START.
  void StartBurst(const std::vector<std::uint16_t>& vectors, std::uint32_t events, std::uint32_t gap = 0) {
    Write32(r::RING_BASE_LO, static_cast<std::uint32_t>(kRingBase));
    Write32(r::RING_BASE_HI, 0);
    Write32(r::RING_LOG2, kRingLog2);
    Write32(r::VLIST_IDX, 0);
    for (auto v : vectors) Write32(r::VLIST_DATA, v);
    Write32(r::VLIST_LEN, static_cast<std::uint32_t>(vectors.size()));
    Write32(r::BURST_EVENTS, events);
    Write32(r::BURST_GAP, gap);
    Write32(r::BURST_PATTERN, 0);
    Write32(r::CTRL, kCtrlStart);
  }
  /// Until the core is not busy and the adapter holds nothing.
  void WaitIdle() {
    RunUntil([&] {
      if (top_->adapter_busy_o) return false;
      return (Read32(r::STATUS) & r::STATUS_BUSY_MASK) == 0 && !top_->adapter_busy_o;
    });
  }

  const std::vector<Message>& messages() const { return messages_; }
  const std::vector<std::vector<std::uint32_t>>& writes() const { return writes_; }
  unsigned fails() const { return fails_; }
  unsigned drops() const { return drops_; }
  unsigned issues() const { return issues_; }
  std::uint64_t min_retry_gap() const { return min_retry_gap_; }
  std::uint32_t ip_msi_pending() const { return top_->ip_msi_pending_o; }
  unsigned protocol_error() const { return top_->protocol_error_o; }
  bool msix_int() const { return top_->msix_int_o; }
  bool msi_int() const { return top_->msi_int_o; }
  std::uint64_t cycle() const { return cycle_; }

 private:
  void Edge() {
    top_->clk_i = 1;
    top_->eval();
    context_->timeInc(1);
    top_->clk_i = 0;
    top_->eval();
    context_->timeInc(1);
  }
  void ApplyHost() {
    top_->host_mem_en_i = host_.mem_en;
    top_->host_bme_i = host_.bme;
    top_->host_msi_en_i = host_.msi_en;
    top_->host_msi_mme_i = host_.mme;
    top_->host_msi_mask_i = host_.msi_mask;
    top_->host_msi_addr_i = host_.msi_addr;
    top_->host_msi_data_i = host_.msi_data;
    top_->host_msix_en_i = host_.msix_en;
    top_->host_msix_fmask_i = host_.msix_fmask;
  }

  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<typename P::Model> top_;
  std::mt19937_64 rng_;
  HostCfg host_;
  unsigned lat_lo_ = 1, lat_hi_ = 1;
  double fail_prob_ = 0;
  unsigned force_fails_ = 0;
  bool stalls_ = false;
  std::uint64_t cycle_ = 0;
  std::uint8_t tag_ = 0;
  std::deque<std::vector<std::uint32_t>> rx_queue_;
  bool rx_active_ = false;
  std::size_t rx_pos_ = 0;
  std::vector<std::uint32_t> tx_cur_;
  std::vector<std::vector<std::uint32_t>> writes_, completions_;
  std::vector<Message> messages_;
  unsigned fails_ = 0, drops_ = 0, issues_ = 0;
  std::optional<std::uint64_t> last_fail_cycle_;
  std::uint64_t min_retry_gap_ = ~std::uint64_t{0};
  bool assertion_failed_ = false;
};

template <class P>
class UspIrqAdapterTest : public ::testing::Test {
 protected:
  static constexpr unsigned kN = P::kNumVectors;
  static constexpr unsigned kMsi = P::kMsiVectors;
  static unsigned Log2(unsigned x) { return x <= 1 ? 0 : 1 + Log2(x / 2); }
  static std::uint64_t EntryAddr(unsigned v) { return 0x0000000123450000ull + 0x40ull * v; }
  static std::uint32_t EntryData(unsigned v) { return 0xA5000000u | v; }

  /// MSI-X enabled in the IP, entries 0..count-1 programmed and unmasked.
  void EnableMsix(unsigned count) {
    tb_.host().msix_en = true;
    for (unsigned v = 0; v < count; ++v) tb_.WriteMsixEntry(v, EntryAddr(v), EntryData(v), false);
  }
  void EnableMsi(unsigned mme) {
    tb_.host().msi_en = true;
    tb_.host().mme = mme;
    tb_.host().msi_addr = 0x00000002FEE01000ull;
    tb_.host().msi_data = 0x4927;
  }
  /// Nothing wrote to an MSI/MSI-X address through the core's stream: the IP sends messages.
  void ExpectOnlyRingWrites() {
    for (const auto& w : tb_.writes()) {
      const std::uint64_t addr = w[2];
      EXPECT_GE(addr, kRingBase) << "a write outside the ring reached the stream";
      EXPECT_LT(addr, kRingBase + (16u << kRingLog2) + 64);
    }
  }
  void TearDown() override { EXPECT_EQ(tb_.protocol_error(), 0u) << "the model saw a protocol error"; }

  UspTb<P> tb_;
};

using Points = ::testing::Types<Point<Vusp_irq_tb_n32, 32, 32, 0, 16>, Point<Vusp_irq_tb_n4, 4, 4, 3, 1>,
                                Point<Vusp_irq_tb_n2048, 2048, 32, 1, 200>>;
TYPED_TEST_SUITE(UspIrqAdapterTest, Points);

// One MSI-X message: the table entry's 64-bit address and data reach the IP unchanged, one pulse.
TYPED_TEST(UspIrqAdapterTest, MsixSingleMessagePassesAddressAndData) {
  auto& tb = this->tb_;
  const unsigned v = TestFixture::kN - 1;
  tb.host().msix_en = true;
  tb.WriteMsixEntry(v, 0xFFFFFFFF12345678ull & ~3ull, 0xCAFEF00Du, false);
  tb.StartBurst({static_cast<std::uint16_t>(v)}, 1);
  tb.WaitIdle();
  ASSERT_EQ(tb.messages().size(), 1u);
  EXPECT_TRUE(tb.messages()[0].msix);
  EXPECT_EQ(tb.messages()[0].addr, 0xFFFFFFFF12345678ull & ~3ull);
  EXPECT_EQ(tb.messages()[0].data, 0xCAFEF00Du);
  EXPECT_EQ(tb.issues(), 1u);
  EXPECT_EQ(tb.Read32(r::CNT_MSI_SENT), 1u);
  EXPECT_EQ(tb.writes().size(), 1u) << "the record only: no message TLP on the stream";
  this->ExpectOnlyRingWrites();
}

// Every vector's entry, random answer latency: each message carries its own entry, in order.
TYPED_TEST(UspIrqAdapterTest, MsixAddressDataPassThroughPerVector) {
  auto& tb = this->tb_;
  const unsigned count = std::min(TestFixture::kN, 16u);
  this->EnableMsix(count);
  std::vector<std::uint16_t> list;
  for (unsigned v = 0; v < count; ++v) list.push_back(static_cast<std::uint16_t>(count - 1 - v));
  tb.SetLatency(1, 24);
  tb.StartBurst(list, 2 * count);
  tb.WaitIdle();
  ASSERT_EQ(tb.messages().size(), 2 * count);
  for (unsigned i = 0; i < 2 * count; ++i) {
    const unsigned v = list[i % count];
    EXPECT_TRUE(tb.messages()[i].msix);
    EXPECT_EQ(tb.messages()[i].addr, TestFixture::EntryAddr(v)) << "message " << i;
    EXPECT_EQ(tb.messages()[i].data, TestFixture::EntryData(v)) << "message " << i;
  }
  this->ExpectOnlyRingWrites();
}

// Back-to-back requests at the shortest answer: one in flight at a time (the model flags a
// second request before the answer), none lost, one pulse per message.
TYPED_TEST(UspIrqAdapterTest, BackToBackRequestsOneInFlight) {
  auto& tb = this->tb_;
  const unsigned count = std::min(TestFixture::kN, 4u);
  this->EnableMsix(count);
  std::vector<std::uint16_t> list;
  for (unsigned v = 0; v < count; ++v) list.push_back(static_cast<std::uint16_t>(v));
  tb.StartBurst(list, 64, 0);
  tb.WaitIdle();
  EXPECT_EQ(tb.messages().size(), 64u);
  EXPECT_EQ(tb.issues(), 64u);
  EXPECT_EQ(tb.fails(), 0u);
  EXPECT_EQ(tb.Read32(r::CNT_MSI_SENT), 64u);
}

// Fails the IP reports for an enabled, unmasked vector are retried after RetryGap cycles; after
// MaxFails fails (when the adapter has a limit) the message is dropped, counted, not sent, and
// the next message goes out normally.
TYPED_TEST(UspIrqAdapterTest, FailIsRetriedThenDroppedAtTheLimit) {
  auto& tb = this->tb_;
  this->EnableMsix(2);
  const unsigned limit = TypeParam::kMaxFails;
  const unsigned forced = limit == 0 ? 5 : limit;  // without a limit: retried however often
  tb.ForceFails(forced);
  tb.StartBurst({0}, 1);
  tb.WaitIdle();
  EXPECT_EQ(tb.fails(), forced);
  if (limit == 0) {
    ASSERT_EQ(tb.messages().size(), 1u);
    EXPECT_EQ(tb.messages()[0].data, TestFixture::EntryData(0));
    EXPECT_EQ(tb.drops(), 0u);
    EXPECT_EQ(tb.issues(), forced + 1);
    EXPECT_EQ(tb.Read32(r::CNT_MSI_SENT), 1u);
  } else {
    EXPECT_TRUE(tb.messages().empty());
    EXPECT_EQ(tb.drops(), 1u);
    EXPECT_EQ(tb.issues(), forced);
    EXPECT_EQ(tb.Read32(r::CNT_MSI_SENT), 0u) << "a dropped message is not counted as sent";
    EXPECT_EQ(tb.Read32(r::CNT_MSI_PENDED), 0u);
  }
  if (forced > 1) {
    EXPECT_GE(tb.min_retry_gap(), TypeParam::kRetryGap) << "retried before RetryGap";
  }
  // Fewer fails than the limit: sent after them.
  tb.ForceFails(limit > 1 ? limit - 1 : 0);
  tb.StartBurst({1}, 1);
  tb.WaitIdle();
  ASSERT_FALSE(tb.messages().empty());
  EXPECT_EQ(tb.messages().back().data, TestFixture::EntryData(1));
}

// MSI Multiple Message Enable: vector v is message v mod 2^MME, the IP puts it in the data's low
// bits (0x4927 with 4 messages, vector 5 -> 0x4925); the IP's own Message Address is used.
TYPED_TEST(UspIrqAdapterTest, MsiMultipleMessageVectorEncoding) {
  auto& tb = this->tb_;
  const unsigned mme = std::min(2u, TestFixture::Log2(TestFixture::kMsi));
  this->EnableMsi(mme);
  const unsigned n = std::min(TestFixture::kN, 8u);
  std::vector<std::uint16_t> list;
  for (unsigned v = 0; v < n; ++v) list.push_back(static_cast<std::uint16_t>(v));
  tb.SetLatency(1, 8);
  tb.StartBurst(list, n);
  tb.WaitIdle();
  ASSERT_EQ(tb.messages().size(), n);
  const unsigned count = 1u << mme;
  for (unsigned v = 0; v < n; ++v) {
    const auto& m = tb.messages()[v];
    EXPECT_FALSE(m.msix);
    EXPECT_EQ(m.vector, v % count);
    EXPECT_EQ(m.addr, 0x00000002FEE01000ull);
    EXPECT_EQ(m.data, (0x4927u & ~(count - 1)) | (v % count)) << "vector " << v;
  }
  this->ExpectOnlyRingWrites();
}

// An MSI vector masked in the IP's capability (seen on cfg_interrupt_msi_data) is not requested:
// the core pends it, the IP's Pending register shows it; unmasking sends it exactly once.
TYPED_TEST(UspIrqAdapterTest, MsiMaskedVectorPendsInTheIpAndIsReleasedOnce) {
  auto& tb = this->tb_;
  this->EnableMsi(TestFixture::Log2(TestFixture::kMsi));
  const unsigned v = std::min(TestFixture::kMsi, TestFixture::kN) - 1;
  tb.host().msi_mask = 1u << v;
  tb.StartBurst({static_cast<std::uint16_t>(v)}, 1);
  tb.WaitIdle();
  EXPECT_TRUE(tb.messages().empty());
  EXPECT_EQ(tb.issues(), 0u) << "a masked vector is not requested of the IP";
  EXPECT_EQ(tb.Read32(r::CNT_MSI_PENDED), 1u);
  EXPECT_EQ(tb.ip_msi_pending(), 1u << v);
  tb.host().msi_mask = 0;
  tb.RunUntil([&] { return !tb.messages().empty(); });
  tb.Run(50);
  ASSERT_EQ(tb.messages().size(), 1u);
  EXPECT_EQ(tb.messages()[0].vector, v);
  EXPECT_EQ(tb.ip_msi_pending(), 0u);
  EXPECT_EQ(tb.Read32(r::CNT_MSI_SENT), 1u);
}

// The host masks the MSI vector while its request waits for the IP's answer: the IP fails it,
// the adapter hands it back, it pends (not dropped, whatever MaxFails), and unmasking sends it.
TYPED_TEST(UspIrqAdapterTest, MsiMaskedWhileInFlightPends) {
  auto& tb = this->tb_;
  this->EnableMsi(0);
  tb.SetLatency(40, 40);
  tb.StartBurst({0}, 1);
  tb.RunUntil([&] { return tb.msi_int(); });
  tb.host().msi_mask = 1;
  tb.WaitIdle();
  EXPECT_TRUE(tb.messages().empty());
  EXPECT_EQ(tb.fails(), 1u);
  EXPECT_EQ(tb.drops(), 0u);
  EXPECT_EQ(tb.ip_msi_pending(), 1u);
  tb.host().msi_mask = 0;
  tb.RunUntil([&] { return !tb.messages().empty(); });
  tb.WaitIdle();
  ASSERT_EQ(tb.messages().size(), 1u);
  EXPECT_EQ(tb.ip_msi_pending(), 0u);
}

// MSI-X disabled while a request is in flight: fail, handed back, PBA bit set in the core's
// BAR0; enabling again releases it exactly once and clears the bit. Function Mask likewise.
TYPED_TEST(UspIrqAdapterTest, MsixDisableOrFunctionMaskWhilePending) {
  auto& tb = this->tb_;
  const unsigned v = TestFixture::kN > 1 ? 1 : 0;
  this->EnableMsix(v + 1);
  tb.SetLatency(30, 30);
  tb.StartBurst({static_cast<std::uint16_t>(v)}, 1);
  tb.RunUntil([&] { return tb.msix_int(); });
  tb.host().msix_en = false;
  tb.WaitIdle();
  EXPECT_TRUE(tb.messages().empty());
  EXPECT_EQ(tb.drops(), 0u);
  EXPECT_EQ(tb.Read32(r::kMsixPbaOffset), 1u << v);
  EXPECT_EQ(tb.Read32(r::CNT_MSI_PENDED), 1u);
  tb.host().msix_en = true;
  tb.RunUntil([&] { return !tb.messages().empty(); });
  tb.WaitIdle();
  ASSERT_EQ(tb.messages().size(), 1u);
  EXPECT_EQ(tb.messages()[0].data, TestFixture::EntryData(v));
  EXPECT_EQ(tb.Read32(r::kMsixPbaOffset), 0u);

  tb.StartBurst({static_cast<std::uint16_t>(v)}, 1);
  tb.RunUntil([&] { return tb.msix_int(); });
  tb.host().msix_fmask = true;
  tb.WaitIdle();
  EXPECT_EQ(tb.messages().size(), 1u);
  EXPECT_EQ(tb.Read32(r::kMsixPbaOffset), 1u << v);
  tb.host().msix_fmask = false;
  tb.RunUntil([&] { return tb.messages().size() == 2; });
  tb.WaitIdle();
  EXPECT_EQ(tb.messages().size(), 2u);
  EXPECT_EQ(tb.Read32(r::CNT_MSI_SENT), 2u);
}

// Requests before MSI-X is enabled pend (A7 under the IP's enables) and go out once enabled.
TYPED_TEST(UspIrqAdapterTest, NeitherCapabilityEnabledPendsUntilMsixEnabled) {
  auto& tb = this->tb_;
  tb.WriteMsixEntry(0, TestFixture::EntryAddr(0), TestFixture::EntryData(0), false);
  tb.StartBurst({0}, 3);
  tb.WaitIdle();
  EXPECT_TRUE(tb.messages().empty());
  EXPECT_EQ(tb.issues(), 0u);
  EXPECT_EQ(tb.Read32(r::kMsixPbaOffset), 1u);
  tb.host().msix_en = true;
  tb.RunUntil([&] { return !tb.messages().empty(); });
  tb.WaitIdle();
  EXPECT_EQ(tb.messages().size(), 1u) << "three events on a pending vector: one message";
}

// Random answer latency, random fails, random stalls on both streams: every event's message is
// sent (or, with a fail limit, sent or dropped and counted), in order, each with its own entry.
TYPED_TEST(UspIrqAdapterTest, RandomStallsAndFails) {
  auto& tb = this->tb_;
  const unsigned count = std::min(TestFixture::kN, 8u);
  this->EnableMsix(count);
  std::vector<std::uint16_t> list;
  for (unsigned v = 0; v < count; ++v) list.push_back(static_cast<std::uint16_t>(v));
  tb.SetLatency(1, 30);
  tb.SetFailProbability(0.2);
  tb.SetStalls(true);
  constexpr unsigned kEvents = 120;
  tb.StartBurst(list, kEvents, 3);
  tb.WaitIdle();
  EXPECT_EQ(tb.messages().size() + tb.drops(), kEvents);
  if (TypeParam::kMaxFails == 0) {
    EXPECT_EQ(tb.drops(), 0u) << "without a fail limit nothing is dropped";
  }
  EXPECT_GT(tb.fails(), 0u) << "the fail knob should have fired";
  EXPECT_EQ(tb.Read32(r::CNT_MSI_SENT), tb.messages().size());
  // Without drops the order is the burst's; with drops each message still carries a listed entry.
  for (std::size_t i = 0; i < tb.messages().size(); ++i) {
    const auto& m = tb.messages()[i];
    const unsigned v = m.data & 0xFFFF;
    ASSERT_LT(v, count);
    EXPECT_EQ(m.addr, TestFixture::EntryAddr(v));
    if (tb.drops() == 0) {
      EXPECT_EQ(v, list[i % count]) << "message " << i;
    }
  }
  this->ExpectOnlyRingWrites();
}

}  // namespace
}  // namespace irqrig::firmware_test

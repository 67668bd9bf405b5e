// End-to-end tests of the vendor-free board core (firmware/rtl/irqrig_usp_core.sv) as the hard IP
// sees it: register accesses as CQ descriptors, completions on CC, records on RQ, messages through
// the interrupt adapter into the behavioural model of the IP's interrupt interface.
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "Vusp_core_tb.h"
#include "irqrig/regs.h"
#include "tests/firmware/pg213_descriptors.h"
#include "verilated.h"

namespace irqrig::firmware_test {
namespace {

namespace r = irqrig::regs;

constexpr std::uint64_t kBarBase = 0x00000038F7A00000ull;  // where the host put BAR0
constexpr std::uint64_t kRingBase = 0x20000000u;
constexpr std::uint32_t kIdValue = 0x49525152u;  // 'IRQR'

struct Message {
  bool msix;
  unsigned vector;
  std::uint64_t addr;
  std::uint32_t data;
};

/// The IP's side of the board core: its streams, the host's configuration, the model's knobs.
class BoardTb {
 public:
  explicit BoardTb(bool stalls, std::uint64_t seed = 3)
      : context_(std::make_unique<VerilatedContext>()), top_(std::make_unique<Vusp_core_tb>(context_.get())),
        rng_(seed), stalls_(stalls) {
    context_->fatalOnError(false);
    top_->clk_i = 0;
    top_->rst_ni = 0;
    top_->host_mem_en_i = 1;
    top_->host_bme_i = 1;
    top_->latency_i = 3;
    top_->eval();
    for (int i = 0; i < 4; ++i) Edge();
    top_->rst_ni = 1;
    top_->eval();
  }
  ~BoardTb() { top_->final(); }
  BoardTb(const BoardTb&) = delete;
  BoardTb& operator=(const BoardTb&) = delete;

  Vusp_core_tb& top() { return *top_; }

  void Tick() {
    std::bernoulli_distribution p(stalls_ ? 0.5 : 1.0);
    std::uniform_int_distribution<unsigned> lat(1, stalls_ ? 20 : 3);
    const bool cq_valid = !cq_.empty() && (cq_held_ || p(rng_));
    cq_held_ = cq_valid;
    top_->s_axis_cq_tvalid = cq_valid;
    if (cq_valid) {
      const Beat& b = cq_.front();
      for (int i = 0; i < 4; ++i) top_->s_axis_cq_tdata[i] = b.dw[i];
      top_->s_axis_cq_tkeep = b.keep;
      top_->s_axis_cq_tlast = b.last;
      top_->s_axis_cq_tuser[0] = static_cast<std::uint32_t>(b.user);
      top_->s_axis_cq_tuser[1] = static_cast<std::uint32_t>(b.user >> 32);
      top_->s_axis_cq_tuser[2] = 0;
    }
    top_->m_axis_cc_tready = p(rng_);
    top_->m_axis_rq_tready = p(rng_);
    top_->latency_i = static_cast<std::uint8_t>(lat(rng_));
    top_->clk_i = 0;
    top_->eval();
    if (top_->msg_valid_o) {
      messages_.push_back({bool(top_->msg_msix_o), top_->msg_vector_o, top_->msg_addr_o, top_->msg_data_o});
    }
    const bool cq_hs = cq_valid && top_->s_axis_cq_tready;
    Collect(top_->m_axis_cc_tvalid && top_->m_axis_cc_tready, top_->m_axis_cc_tdata.data(), top_->m_axis_cc_tkeep,
            top_->m_axis_cc_tlast, top_->m_axis_cc_tuser, cc_cur_, cc_);
    Collect(top_->m_axis_rq_tvalid && top_->m_axis_rq_tready, top_->m_axis_rq_tdata.data(), top_->m_axis_rq_tkeep,
            top_->m_axis_rq_tlast, top_->m_axis_rq_tuser, rq_cur_, rq_);
    Edge();
    if (context_->gotError() && !failed_) {
      failed_ = true;
      ADD_FAILURE() << "an RTL assertion failed (its message is above)";
    }
    if (cq_hs) {
      cq_.pop_front();
      cq_held_ = false;
    }
  }
  template <class Pred>
  bool RunUntil(Pred pred, std::uint64_t limit = 100000) {
    for (std::uint64_t i = 0; i < limit; ++i) {
      if (pred()) return true;
      Tick();
    }
    ADD_FAILURE() << "timed out after " << limit << " cycles";
    return false;
  }

  void Write32(std::uint32_t offset, std::uint32_t value) {
    CqReq q;
    q.rtype = 1;
    q.addr = kBarBase + offset;
    q.last_be = 0;
    q.payload = {value};
    for (auto& b : CqBeats(q)) cq_.push_back(b);
    RunUntil([&] { return cq_.empty(); });
  }
  std::uint32_t Read32(std::uint32_t offset) {
    CqReq q;
    q.addr = kBarBase + offset;
    q.tag = tag_++;
    q.last_be = 0;
    const std::size_t before = cc_.size();
    for (auto& b : CqBeats(q)) cq_.push_back(b);
    RunUntil([&] { return cc_.size() > before; });
    const auto& c = cc_.back();
    const CcDesc d = DecodeCc(c[0]);
    EXPECT_EQ(d.tag, q.tag);
    EXPECT_EQ(d.status, 0u);
    EXPECT_EQ(d.count, 1u);
    return c[0].dw[3];
  }
  void WaitIdle() {
    RunUntil([&] { return (Read32(r::STATUS) & r::STATUS_BUSY_MASK) == 0; });
  }

  const std::vector<Message>& messages() const { return messages_; }
  const std::vector<std::vector<Beat>>& rq() const { return rq_; }

 private:
  void Edge() {
    top_->clk_i = 1;
    top_->eval();
    context_->timeInc(1);
    top_->clk_i = 0;
    top_->eval();
    context_->timeInc(1);
  }
  static void Collect(bool hs, const std::uint32_t* data, unsigned keep, bool last, std::uint64_t user,
                      std::vector<Beat>& cur, std::vector<std::vector<Beat>>& out) {
    if (!hs) return;
    Beat b;
    for (int i = 0; i < 4; ++i) b.dw[i] = data[i];
    b.keep = keep;
    b.last = last;
    b.user = user;
    cur.push_back(b);
    if (last) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }

  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Vusp_core_tb> top_;
  std::mt19937_64 rng_;
  bool stalls_;
  std::uint8_t tag_ = 0;
  std::deque<Beat> cq_;
  bool cq_held_ = false;
  std::vector<Beat> cc_cur_, rq_cur_;
  std::vector<std::vector<Beat>> cc_, rq_;
  std::vector<Message> messages_;
  bool failed_ = false;
};

class UspCoreTest : public ::testing::TestWithParam<bool> {  // random stalls and latency or not
 protected:
  void StartBurst(const std::vector<std::uint16_t>& vectors, std::uint32_t events) {
    tb_.Write32(r::RING_BASE_LO, static_cast<std::uint32_t>(kRingBase));
    tb_.Write32(r::RING_BASE_HI, 0);
    tb_.Write32(r::RING_LOG2, 8);
    tb_.Write32(r::VLIST_IDX, 0);
    for (auto v : vectors) tb_.Write32(r::VLIST_DATA, v);
    tb_.Write32(r::VLIST_LEN, static_cast<std::uint32_t>(vectors.size()));
    tb_.Write32(r::BURST_EVENTS, events);
    tb_.Write32(r::CTRL, 1u << r::CTRL_START_SHIFT);
  }
  void TearDown() override {
    EXPECT_EQ(tb_.top().protocol_error_o, 0u) << "the model saw a protocol error";
    EXPECT_EQ(tb_.top().status_o & 0x7u, 0u) << "a dropped request/TLP, a fail or a dropped message";
  }

  BoardTb tb_{GetParam()};
};

// Register reads and writes arrive as CQ descriptors at a 64-bit BAR above 4 GiB and complete on
// CC; a burst's records leave on RQ in order, each event's MSI-X message through the adapter.
TEST_P(UspCoreTest, MsixBurstThroughTheBoardCore) {
  EXPECT_EQ(tb_.Read32(r::ID), kIdValue);
  EXPECT_EQ(tb_.Read32(r::REGMAP_HASH), r::kRegmapHash);
  tb_.top().host_msix_en_i = 1;
  for (unsigned v = 0; v < 8; ++v) {
    const std::uint32_t e = r::kMsixTableOffset + 16 * v;
    tb_.Write32(e + 0, 0xFEE00000u + 0x1000 * v);
    tb_.Write32(e + 4, v);  // upper address: 64-bit addresses pass through
    tb_.Write32(e + 8, 0x4000u + v);
    tb_.Write32(e + 12, 0);
  }
  const std::vector<std::uint16_t> list{5, 0, 7, 2, 3, 6, 1, 4};
  StartBurst(list, 24);
  tb_.WaitIdle();
  ASSERT_EQ(tb_.rq().size(), 24u) << "one record write per event";
  ASSERT_EQ(tb_.messages().size(), 24u);
  for (unsigned i = 0; i < 24; ++i) {
    const unsigned v = list[i % 8];
    const RqDesc d = DecodeRq(tb_.rq()[i][0]);
    EXPECT_EQ(d.addr, kRingBase + 16 * i);
    EXPECT_EQ(d.count, 4u);
    const Dws rec = PayloadAfter(tb_.rq()[i], 4);
    ASSERT_EQ(rec.size(), 4u);
    EXPECT_EQ(rec[1] & 0xFFFF, v) << "record " << i;
    const Message& m = tb_.messages()[i];
    EXPECT_TRUE(m.msix);
    EXPECT_EQ(m.addr, (std::uint64_t{v} << 32) | (0xFEE00000u + 0x1000 * v)) << "message " << i;
    EXPECT_EQ(m.data, 0x4000u + v);
  }
  EXPECT_EQ(tb_.Read32(r::CNT_MSI_SENT), 24u);
  EXPECT_EQ(tb_.Read32(r::CNT_EVENTS), 24u);
}

// MSI through the IP: the IP's Message Address/Data with the message number in the low bits; a
// vector the host masks in the IP pends (the IP's Pending register shows it) until unmasked.
TEST_P(UspCoreTest, MsiMaskPendAndReleaseThroughTheBoardCore) {
  auto& top = tb_.top();
  top.host_msi_en_i = 1;
  top.host_msi_mme_i = 3;
  top.host_msi_addr_i = 0xFEE0F00Cull;
  top.host_msi_data_i = 0x4920;
  top.host_msi_mask_i = 1u << 2;
  StartBurst({1, 2, 10}, 3);  // vector 10 is message 2 under MME 3
  tb_.WaitIdle();
  ASSERT_EQ(tb_.messages().size(), 1u);
  EXPECT_FALSE(tb_.messages()[0].msix);
  EXPECT_EQ(tb_.messages()[0].addr, 0xFEE0F00Cull);
  EXPECT_EQ(tb_.messages()[0].data, 0x4921u);
  EXPECT_EQ(top.ip_msi_pending_o, 1u << 2);
  EXPECT_EQ(tb_.Read32(r::CNT_MSI_PENDED), 2u);
  top.host_msi_mask_i = 0;
  tb_.RunUntil([&] { return tb_.messages().size() == 2; });
  tb_.WaitIdle();
  ASSERT_EQ(tb_.messages().size(), 2u) << "two events on a pending message: one message";
  EXPECT_EQ(tb_.messages()[1].data, 0x4922u);
  EXPECT_EQ(top.ip_msi_pending_o, 0u);
}

// Bus Master Enable comes from the IP's cfg_function_status: without it neither a record nor a
// message leaves; with it both follow.
TEST_P(UspCoreTest, BusMasterEnableFromTheIpGatesRecordsAndMessages) {
  auto& top = tb_.top();
  top.host_msix_en_i = 1;
  tb_.Write32(r::kMsixTableOffset + 0, 0xFEE00000u);
  tb_.Write32(r::kMsixTableOffset + 8, 0x51);
  tb_.Write32(r::kMsixTableOffset + 12, 0);
  top.host_bme_i = 0;
  StartBurst({0}, 2);
  for (int i = 0; i < 300; ++i) tb_.Tick();
  EXPECT_TRUE(tb_.rq().empty());
  EXPECT_TRUE(tb_.messages().empty());
  top.host_bme_i = 1;
  tb_.WaitIdle();
  EXPECT_EQ(tb_.rq().size(), 2u);
  EXPECT_EQ(tb_.messages().size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Stalls, UspCoreTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "RandomStalls" : "NoStalls"; });

}  // namespace
}  // namespace irqrig::firmware_test

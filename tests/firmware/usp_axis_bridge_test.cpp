// Tests of the request/completion bridge (firmware/rtl/usp_axis_bridge.sv) between the
// UltraScale+ PCIe hard IP's 128-bit CQ/CC/RQ streams and irqrig_core's one-DW TLP streams. The
// descriptors are built and read here from PG213's field tables; every stream gets random stalls.
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "Vusp_axis_bridge.h"
#include "tests/firmware/pg213_descriptors.h"
#include "verilated.h"

namespace irqrig::firmware_test {
namespace {

/// The raw TLP the core should see for a CQ request (3-DW header, BAR offset).
Dws RawRequest(const CqReq& r, std::uint32_t fmt, std::uint32_t type) {
  const std::uint32_t mask = r.bar_aperture >= 32 ? 0xFFFFFFFFu : (1u << r.bar_aperture) - 1;
  Dws t{fmt << 29 | type << 24 | (r.tc & 7) << 20 | (r.attr & 3) << 12 | (r.count & 0x3FF),
        std::uint32_t{r.rid} << 16 | std::uint32_t{r.tag} << 8 | (r.last_be & 0xF) << 4 | (r.first_be & 0xF),
        static_cast<std::uint32_t>(r.addr) & mask & ~3u};
  t.insert(t.end(), r.payload.begin(), r.payload.end());
  return t;
}

/// A raw completion from the core: 3-DW header, optional data.
Dws RawCpl(unsigned status, unsigned byte_count, std::uint16_t rid, std::uint8_t tag, unsigned lower,
           const Dws& data, unsigned tc = 0, unsigned attr = 0) {
  const std::uint32_t fmt = data.empty() ? 0b000 : 0b010;
  Dws t{fmt << 29 | 0b01010u << 24 | (tc & 7) << 20 | (attr & 3) << 12 | static_cast<std::uint32_t>(data.size()),
        0x0300u << 16 | (status & 7) << 13 | (byte_count & 0xFFF),
        std::uint32_t{rid} << 16 | std::uint32_t{tag} << 8 | (lower & 0x7F)};
  t.insert(t.end(), data.begin(), data.end());
  return t;
}

/// A raw MemWr from the core (3DW below 4 GiB, 4DW above).
Dws RawMemWr(std::uint64_t addr, const Dws& data, std::uint8_t tag = 0, unsigned first_be = 0xF,
             unsigned last_be = 0xF) {
  const bool four = (addr >> 32) != 0;
  const auto len = static_cast<std::uint32_t>(data.size());
  Dws t{(four ? 0b011u : 0b010u) << 29 | len, 0x0300u << 16 | std::uint32_t{tag} << 8 |
                                                  (len == 1 ? 0 : last_be & 0xF) << 4 | (first_be & 0xF)};
  if (four) t.push_back(static_cast<std::uint32_t>(addr >> 32));
  t.push_back(static_cast<std::uint32_t>(addr) & ~3u);
  t.insert(t.end(), data.begin(), data.end());
  return t;
}

// ---- bench -----------------------------------------------------------------------------------

class BridgeTb {
 public:
  explicit BridgeTb(bool stalls = false, std::uint64_t seed = 7)
      : context_(std::make_unique<VerilatedContext>()), top_(std::make_unique<Vusp_axis_bridge>(context_.get())),
        rng_(seed), stalls_(stalls) {
    context_->fatalOnError(false);
    top_->clk_i = 0;
    top_->rst_ni = 0;
    top_->eval();
    for (int i = 0; i < 3; ++i) Edge();
    top_->rst_ni = 1;
    top_->eval();
  }
  ~BridgeTb() { top_->final(); }
  BridgeTb(const BridgeTb&) = delete;
  BridgeTb& operator=(const BridgeTb&) = delete;

  void SendCq(const CqReq& r) {
    for (auto& b : CqBeats(r)) cq_.push_back(b);
  }
  void SendTlp(const Dws& t) { tlp_.push_back(t); }

  void Tick() {
    std::bernoulli_distribution p(stalls_ ? 0.5 : 1.0);
    const bool cq_valid = !cq_.empty() && (cq_held_ || p(rng_));
    cq_held_ = cq_valid;
    const bool tlp_valid = !tlp_.empty() && (tlp_held_ || p(rng_));
    tlp_held_ = tlp_valid;
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
    top_->s_axis_tlp_tvalid = tlp_valid;
    if (tlp_valid) {
      top_->s_axis_tlp_tdata = tlp_.front()[tlp_pos_];
      top_->s_axis_tlp_tlast = tlp_pos_ + 1 == tlp_.front().size();
    }
    top_->m_axis_req_tready = p(rng_);
    top_->m_axis_cc_tready = p(rng_);
    top_->m_axis_rq_tready = p(rng_);
    top_->clk_i = 0;
    top_->eval();

    if (top_->cq_drop_o) ++cq_drops_;
    if (top_->tlp_drop_o) ++tlp_drops_;
    const bool cq_hs = cq_valid && top_->s_axis_cq_tready;
    const bool tlp_hs = tlp_valid && top_->s_axis_tlp_tready;
    if (top_->m_axis_req_tvalid && top_->m_axis_req_tready) {
      req_cur_.push_back(top_->m_axis_req_tdata);
      if (top_->m_axis_req_tlast) {
        requests_.push_back(std::move(req_cur_));
        req_cur_.clear();
      }
    }
    Collect(top_->m_axis_cc_tvalid && top_->m_axis_cc_tready, top_->m_axis_cc_tdata.data(), top_->m_axis_cc_tkeep,
            top_->m_axis_cc_tlast, top_->m_axis_cc_tuser, cc_cur_, cc_);
    Collect(top_->m_axis_rq_tvalid && top_->m_axis_rq_tready, top_->m_axis_rq_tdata.data(), top_->m_axis_rq_tkeep,
            top_->m_axis_rq_tlast, top_->m_axis_rq_tuser, rq_cur_, rq_);
    Edge();
    if (context_->gotError() && !failed_) {
      failed_ = true;
      ADD_FAILURE() << "an RTL assertion failed";
    }
    if (cq_hs) {
      cq_.pop_front();
      cq_held_ = false;
    }
    if (tlp_hs) {
      tlp_held_ = false;
      if (++tlp_pos_ == tlp_.front().size()) {
        tlp_.pop_front();
        tlp_pos_ = 0;
      }
    }
  }
  void Drain(std::uint64_t extra = 50) {
    std::uint64_t n = 0;
    while ((!cq_.empty() || !tlp_.empty()) && n++ < 100000) Tick();
    EXPECT_TRUE(cq_.empty() && tlp_.empty()) << "the bridge stopped taking beats";
    for (std::uint64_t i = 0; i < extra * (stalls_ ? 4 : 1); ++i) Tick();
  }

  const std::vector<Dws>& requests() const { return requests_; }
  const std::vector<std::vector<Beat>>& cc() const { return cc_; }
  const std::vector<std::vector<Beat>>& rq() const { return rq_; }
  unsigned cq_drops() const { return cq_drops_; }
  unsigned tlp_drops() const { return tlp_drops_; }

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
  std::unique_ptr<Vusp_axis_bridge> top_;
  std::mt19937_64 rng_;
  bool stalls_;
  std::deque<Beat> cq_;
  bool cq_held_ = false;
  std::deque<Dws> tlp_;
  std::size_t tlp_pos_ = 0;
  bool tlp_held_ = false;
  Dws req_cur_;
  std::vector<Dws> requests_;
  std::vector<Beat> cc_cur_, rq_cur_;
  std::vector<std::vector<Beat>> cc_, rq_;
  unsigned cq_drops_ = 0, tlp_drops_ = 0;
  bool failed_ = false;
};

Dws Counting(unsigned n, std::uint32_t base) {
  Dws d;
  for (unsigned i = 0; i < n; ++i) d.push_back(base + i);
  return d;
}

class UspAxisBridgeTest : public ::testing::TestWithParam<bool> {};  // random stalls or not

TEST_P(UspAxisBridgeTest, MemRdBecomesA3DwHeaderWithTheBarOffset) {
  BridgeTb tb(GetParam());
  CqReq r;
  r.addr = 0x00000038F7A01234ull;  // a 64-bit BAR above 4 GiB: only the offset reaches the core
  r.tag = 0x2A;
  r.tc = 3;
  r.attr = 2;
  tb.SendCq(r);
  r.bar_aperture = 12;
  r.tag = 0x2B;
  r.count = 16;
  r.last_be = 0x3;
  tb.SendCq(r);
  tb.Drain();
  ASSERT_EQ(tb.requests().size(), 2u);
  CqReq first = r;
  first.bar_aperture = 16, first.tag = 0x2A, first.count = 1, first.last_be = 0;
  EXPECT_EQ(tb.requests()[0], RawRequest(first, 0b000, 0b00000));
  EXPECT_EQ(tb.requests()[1], RawRequest(r, 0b000, 0b00000));
  EXPECT_EQ(tb.requests()[1][2], 0x234u);
}

TEST_P(UspAxisBridgeTest, MemWrPayloadOfEveryLengthFollowsItsHeader) {
  BridgeTb tb(GetParam());
  std::vector<CqReq> sent;
  for (unsigned n : {1u, 2u, 3u, 4u, 5u, 8u, 9u, 16u}) {
    CqReq r;
    r.rtype = 1;
    r.addr = 0xF7A00000u + 0x40 * n;
    r.count = n;
    r.last_be = n == 1 ? 0 : 0xF;
    r.payload = Counting(n, 0x1000 * n);
    sent.push_back(r);
    tb.SendCq(r);
  }
  tb.Drain();
  ASSERT_EQ(tb.requests().size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(tb.requests()[i], RawRequest(sent[i], 0b010, 0b00000)) << "length " << sent[i].count;
  }
}

TEST_P(UspAxisBridgeTest, IoAtomicAndLockedRequestsKeepTheirTypeForTheCoresUr) {
  BridgeTb tb(GetParam());
  CqReq io;
  io.rtype = 2;
  CqReq iow;
  iow.rtype = 3;
  iow.payload = {0x11};
  CqReq fa;
  fa.rtype = 4;
  fa.count = 1;
  fa.payload = {0x22};
  CqReq lk;
  lk.rtype = 7;
  for (auto* r : {&io, &iow, &fa, &lk}) tb.SendCq(*r);
  tb.Drain();
  ASSERT_EQ(tb.requests().size(), 4u);
  EXPECT_EQ(tb.requests()[0], RawRequest(io, 0b000, 0b00010));
  EXPECT_EQ(tb.requests()[1], RawRequest(iow, 0b010, 0b00010));
  EXPECT_EQ(tb.requests()[2], RawRequest(fa, 0b010, 0b01100));
  EXPECT_EQ(tb.requests()[3], RawRequest(lk, 0b000, 0b00001));
}

TEST_P(UspAxisBridgeTest, MessagesAreDroppedAndCountedAndTheNextRequestPasses) {
  BridgeTb tb(GetParam());
  CqReq msg;
  msg.rtype = 12;
  msg.count = 6;
  msg.payload = Counting(6, 0xAA00);
  tb.SendCq(msg);
  CqReq rd;
  rd.tag = 9;
  tb.SendCq(rd);
  tb.Drain();
  EXPECT_EQ(tb.cq_drops(), 1u);
  ASSERT_EQ(tb.requests().size(), 1u);
  EXPECT_EQ(tb.requests()[0], RawRequest(rd, 0b000, 0b00000));
}

TEST_P(UspAxisBridgeTest, CompletionsBecomeCcDescriptorsWithDataPacked) {
  BridgeTb tb(GetParam());
  tb.SendTlp(RawCpl(0, 4, 0x0100, 0x2A, 0x34, {0xDEADBEEF}, 3, 2));
  tb.SendTlp(RawCpl(1, 4, 0x0100, 0x2B, 0, {}));  // UR: no data
  const Dws sixteen = Counting(16, 0x5000);
  tb.SendTlp(RawCpl(0, 64, 0x0200, 0x2C, 0x40, sixteen));
  tb.SendTlp(RawCpl(0, 0, 0x0200, 0x2D, 0, Counting(3, 7)));  // Byte Count 0 means 4096
  tb.Drain();
  ASSERT_EQ(tb.cc().size(), 4u);
  EXPECT_TRUE(tb.rq().empty());

  const auto& a = tb.cc()[0];
  ASSERT_EQ(a.size(), 1u);
  const CcDesc da = DecodeCc(a[0]);
  EXPECT_EQ(da.lower, 0x34u);
  EXPECT_EQ(da.byte_count, 4u);
  EXPECT_EQ(da.count, 1u);
  EXPECT_EQ(da.status, 0u);
  EXPECT_EQ(da.rid, 0x0100);
  EXPECT_EQ(da.tag, 0x2Au);
  EXPECT_EQ(da.tc, 3u);
  EXPECT_EQ(da.attr, 2u);
  EXPECT_FALSE(da.id_enable) << "the IP's own Completer ID";
  EXPECT_EQ(a[0].keep, 0xFu);
  EXPECT_EQ(a[0].dw[3], 0xDEADBEEFu);

  const auto& b = tb.cc()[1];
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].keep, 0x7u);
  EXPECT_EQ(DecodeCc(b[0]).count, 0u);
  EXPECT_EQ(DecodeCc(b[0]).status, 1u);

  const auto& c = tb.cc()[2];
  EXPECT_EQ(c.size(), 5u);  // 3 descriptor DWs + 16 data DWs = 19 DWs
  EXPECT_EQ(DecodeCc(c[0]).count, 16u);
  EXPECT_EQ(DecodeCc(c[0]).byte_count, 64u);
  EXPECT_EQ(PayloadAfter(c, 3), sixteen);
  EXPECT_EQ(c.back().keep, 0x7u);

  EXPECT_EQ(DecodeCc(tb.cc()[3][0]).byte_count, 0x1000u);
}

TEST_P(UspAxisBridgeTest, MemWritesBecomeRqDescriptorsWithByteEnablesInUser) {
  BridgeTb tb(GetParam());
  tb.SendTlp(RawMemWr(0x10000040u, Counting(4, 0x100), 0, 0xF, 0xF));
  tb.SendTlp(RawMemWr(0x0000001234567880ull, {0xCAFE}, 0, 0xF));
  tb.SendTlp(RawMemWr(0x10000100u, Counting(5, 0x200), 0, 0xE, 0x3));
  tb.Drain();
  ASSERT_EQ(tb.rq().size(), 3u);
  EXPECT_TRUE(tb.cc().empty());
  const RqDesc d0 = DecodeRq(tb.rq()[0][0]);
  EXPECT_EQ(d0.addr, 0x10000040u);
  EXPECT_EQ(d0.count, 4u);
  EXPECT_EQ(d0.rtype, 1u) << "Memory Write";
  EXPECT_FALSE(d0.rid_enable) << "the IP's own Requester ID";
  EXPECT_EQ(tb.rq()[0][0].user & 0xFF, 0xFFu);
  EXPECT_EQ(PayloadAfter(tb.rq()[0], 4), Counting(4, 0x100));
  EXPECT_EQ(tb.rq()[0].size(), 2u);

  const RqDesc d1 = DecodeRq(tb.rq()[1][0]);
  EXPECT_EQ(d1.addr, 0x0000001234567880ull);
  EXPECT_EQ(d1.count, 1u);
  EXPECT_EQ(tb.rq()[1][0].user & 0xFF, 0x0Fu) << "one DW: last BE 0";
  EXPECT_EQ(PayloadAfter(tb.rq()[1], 4), Dws{0xCAFE});
  EXPECT_EQ(tb.rq()[1].back().keep, 0x1u);

  EXPECT_EQ(tb.rq()[2][0].user & 0xFF, 0x3Eu);
  EXPECT_EQ(PayloadAfter(tb.rq()[2], 4), Counting(5, 0x200));
}

TEST_P(UspAxisBridgeTest, OtherTlpsFromTheCoreAreDroppedAndCounted) {
  BridgeTb tb(GetParam());
  tb.SendTlp({0x00000001u, 0x03000000u, 0x10000000u});  // a MemRd, which the core never sends
  tb.SendTlp(RawMemWr(0x10000000u, {1}));
  tb.Drain();
  EXPECT_EQ(tb.tlp_drops(), 1u);
  EXPECT_EQ(tb.rq().size(), 1u);
}

TEST_P(UspAxisBridgeTest, InterleavedTrafficInBothDirections) {
  BridgeTb tb(GetParam(), 99);
  std::mt19937 rng(5);
  std::vector<CqReq> reqs;
  std::vector<Dws> cpls, wrs;
  for (unsigned i = 0; i < 40; ++i) {
    CqReq r;
    r.rtype = i % 2;
    r.count = 1 + rng() % 16;
    r.tag = static_cast<std::uint8_t>(i);
    r.last_be = r.count == 1 ? 0 : 0xF;
    if (r.rtype == 1) r.payload = Counting(r.count, i << 16);
    reqs.push_back(r);
    tb.SendCq(r);
    cpls.push_back(RawCpl(0, 4 * (1 + i % 16), 0x0100, static_cast<std::uint8_t>(i), 0, Counting(1 + i % 16, i << 8)));
    tb.SendTlp(cpls.back());
    wrs.push_back(RawMemWr(0x10000000u + 16 * i, Counting(4, i << 4)));
    tb.SendTlp(wrs.back());
  }
  tb.Drain(200);
  ASSERT_EQ(tb.requests().size(), reqs.size());
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(tb.requests()[i], RawRequest(reqs[i], reqs[i].rtype ? 0b010 : 0b000, 0)) << i;
  }
  ASSERT_EQ(tb.cc().size(), cpls.size());
  ASSERT_EQ(tb.rq().size(), wrs.size());
  for (std::size_t i = 0; i < cpls.size(); ++i) {
    EXPECT_EQ(PayloadAfter(tb.cc()[i], 3), Dws(cpls[i].begin() + 3, cpls[i].end())) << i;
    EXPECT_EQ(DecodeCc(tb.cc()[i][0]).tag, i);
    EXPECT_EQ(PayloadAfter(tb.rq()[i], 4), Dws(wrs[i].begin() + 3, wrs[i].end())) << i;
    EXPECT_EQ(DecodeRq(tb.rq()[i][0]).addr, 0x10000000u + 16 * i);
  }
}

INSTANTIATE_TEST_SUITE_P(Stalls, UspAxisBridgeTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "RandomStalls" : "NoStalls"; });

}  // namespace
}  // namespace irqrig::firmware_test

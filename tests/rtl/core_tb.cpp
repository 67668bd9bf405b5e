#include "tests/rtl/core_tb.h"

namespace irqrig::rtl_test {

std::uint32_t Dw0(std::uint32_t fmt, std::uint32_t type, std::uint32_t length, std::uint32_t tc,
                  std::uint32_t attr) {
  return fmt << 29 | type << 24 | tc << 20 | attr << 12 | (length & 0x3FF);
}

static std::uint32_t ReqDw1(std::uint16_t rid, std::uint8_t tag, std::uint32_t last_be,
                            std::uint32_t first_be) {
  return std::uint32_t{rid} << 16 | std::uint32_t{tag} << 8 | (last_be & 0xF) << 4 | (first_be & 0xF);
}

static std::uint32_t CfgDw2(std::uint8_t bus, std::uint8_t dev, std::uint8_t func, std::uint16_t reg) {
  return std::uint32_t{bus} << 24 | std::uint32_t(dev & 0x1F) << 19 | std::uint32_t(func & 0x7) << 16 |
         (reg & 0xFFCu);
}

std::vector<std::uint32_t> CfgRd0(std::uint16_t rid, std::uint8_t tag, std::uint8_t bus, std::uint8_t dev,
                                  std::uint8_t func, std::uint16_t reg, std::uint32_t be) {
  return {Dw0(kFmt3dw, kTypeCfg0, 1), ReqDw1(rid, tag, 0, be), CfgDw2(bus, dev, func, reg)};
}

std::vector<std::uint32_t> CfgWr0(std::uint16_t rid, std::uint8_t tag, std::uint8_t bus, std::uint8_t dev,
                                  std::uint8_t func, std::uint16_t reg, std::uint32_t value,
                                  std::uint32_t be) {
  return {Dw0(kFmt3dwData, kTypeCfg0, 1), ReqDw1(rid, tag, 0, be), CfgDw2(bus, dev, func, reg), value};
}

std::vector<std::uint32_t> MemRd(std::uint16_t rid, std::uint8_t tag, std::uint64_t addr, std::uint32_t len,
                                 std::uint32_t first_be, std::uint32_t last_be, bool force_4dw,
                                 std::uint32_t tc, std::uint32_t attr) {
  const bool four = force_4dw || (addr >> 32) != 0;
  std::vector<std::uint32_t> t{Dw0(four ? kFmt4dw : kFmt3dw, kTypeMem, len, tc, attr),
                               ReqDw1(rid, tag, last_be, first_be)};
  if (four) t.push_back(static_cast<std::uint32_t>(addr >> 32));
  t.push_back(static_cast<std::uint32_t>(addr) & ~3u);
  return t;
}

std::vector<std::uint32_t> MemWr(std::uint16_t rid, std::uint64_t addr, const std::vector<std::uint32_t>& data,
                                 std::uint32_t first_be, std::uint32_t last_be, bool force_4dw) {
  const bool four = force_4dw || (addr >> 32) != 0;
  const auto len = static_cast<std::uint32_t>(data.size());
  std::vector<std::uint32_t> t{Dw0(four ? kFmt4dwData : kFmt3dwData, kTypeMem, len),
                               ReqDw1(rid, 0, len == 1 ? 0 : last_be, first_be)};
  if (four) t.push_back(static_cast<std::uint32_t>(addr >> 32));
  t.push_back(static_cast<std::uint32_t>(addr) & ~3u);
  t.insert(t.end(), data.begin(), data.end());
  return t;
}

CoreTb::CoreTb(TbOptions opt)
    : opt_(opt), context_(std::make_unique<VerilatedContext>()), rng_(opt.seed) {
  context_->debug(0);
  context_->randReset(0);
  // A failed RTL assertion fails the test (Tick checks) instead of aborting the binary.
  context_->fatalOnError(false);
  model_ = sim::CoreModel::create(*context_, opt.num_vectors);
  const sim::CorePorts& p = model_->ports();
  *p.clk = 0;
  *p.rst_n = 0;
  *p.rx_tvalid = 0;
  *p.rx_tdata = 0;
  *p.rx_tlast = 0;
  *p.tx_tready = 0;
  model_->eval();
  for (int i = 0; i < 4; ++i) {
    *p.clk = 1;
    model_->eval();
    context_->timeInc(1);
    *p.clk = 0;
    model_->eval();
    context_->timeInc(1);
  }
  *p.rst_n = 1;
  model_->eval();
}

CoreTb::~CoreTb() { model_->final(); }

void CoreTb::Tick() {
  const sim::CorePorts& p = model_->ports();
  std::bernoulli_distribution tx_ready(opt_.random_stalls ? opt_.tx_ready_prob : 1.0);
  std::bernoulli_distribution rx_valid(opt_.random_stalls ? opt_.rx_valid_prob : 1.0);

  // Inputs for this cycle (clock low).
  if (!rx_active_ && !rx_queue_.empty() && rx_valid(rng_)) rx_active_ = true;
  if (rx_active_) {
    const auto& t = rx_queue_.front();
    *p.rx_tvalid = 1;
    *p.rx_tdata = t[rx_pos_];
    *p.rx_tlast = rx_pos_ + 1 == t.size();
  } else {
    *p.rx_tvalid = 0;
    *p.rx_tdata = 0xDEADBEEF;
    *p.rx_tlast = 0;
  }
  *p.tx_tready = tx_ready(rng_);
  model_->eval();

  // AXI-Stream rule on the device's output: an offered beat stays, unchanged, until taken.
  if (tx_was_stalled_) {
    EXPECT_TRUE(*p.tx_tvalid) << "tvalid dropped under backpressure at cycle " << cycle_;
    EXPECT_EQ(*p.tx_tdata, tx_stalled_data_) << "tdata changed under backpressure";
    EXPECT_EQ(bool(*p.tx_tlast), tx_stalled_last_) << "tlast changed under backpressure";
  }
  const bool rx_hs = *p.rx_tvalid && *p.rx_tready;
  const bool tx_hs = *p.tx_tvalid && *p.tx_tready;
  const std::uint32_t tx_data = *p.tx_tdata;
  const bool tx_last = *p.tx_tlast;
  tx_was_stalled_ = *p.tx_tvalid && !*p.tx_tready;
  tx_stalled_data_ = tx_data;
  tx_stalled_last_ = tx_last;

  *p.clk = 1;
  model_->eval();
  context_->timeInc(1);
  ++cycle_;
  if (context_->gotError() && !assertion_failed_) {
    assertion_failed_ = true;
    ADD_FAILURE() << "an RTL assertion failed at cycle " << cycle_ << " (its message is above)";
  }

  if (rx_hs) {
    if (++rx_pos_ == rx_queue_.front().size()) {
      rx_queue_.pop_front();
      rx_pos_ = 0;
      rx_active_ = false;
    }
  }
  if (tx_hs) {
    tx_cur_.push_back(tx_data);
    if (tx_last) {
      Tlp t{std::move(tx_cur_), cycle_};
      tx_cur_.clear();
      const std::size_t expect = t.header_dws() + (t.has_data() ? (t.length() ? t.length() : 1024) : 0);
      EXPECT_EQ(t.dw.size(), expect) << "TLP framing: beats do not match Fmt/Length";
      if (t.is_cpl()) {
        completions_.push_back(std::move(t));
      } else {
        writes_.push_back(std::move(t));
      }
    }
  }

  *p.clk = 0;
  model_->eval();
  context_->timeInc(1);
}

void CoreTb::Run(std::uint64_t cycles) {
  for (std::uint64_t i = 0; i < cycles; ++i) Tick();
}

Tlp CoreTb::Request(std::vector<std::uint32_t> tlp) {
  const std::uint8_t tag = (tlp[1] >> 8) & 0xFF;
  const std::size_t seen = completions_.size();
  Send(std::move(tlp));
  std::optional<Tlp> got;
  RunUntil([&] {
    for (std::size_t i = seen; i < completions_.size(); ++i) {
      if (completions_[i].cpl_tag() == tag) {
        got = completions_[i];
        return true;
      }
    }
    return false;
  });
  if (!got) return Tlp{{0, 0, 0}, cycle_};
  return *got;
}

std::uint32_t CoreTb::CfgRead(std::uint16_t reg) {
  const Tlp c = Request(CfgRd0(kHostId, NextTag(), bus_, dev_, 0, reg));
  EXPECT_EQ(c.status(), kCplSc) << "CfgRd0 of " << reg;
  EXPECT_EQ(c.dw.size(), 4u);
  return c.dw.size() == 4 ? c.dw[3] : 0;
}

void CoreTb::CfgWrite(std::uint16_t reg, std::uint32_t value, std::uint32_t be) {
  const Tlp c = Request(CfgWr0(kHostId, NextTag(), bus_, dev_, 0, reg, value, be));
  EXPECT_EQ(c.status(), kCplSc) << "CfgWr0 of " << reg;
  EXPECT_FALSE(c.has_data());
}

std::uint32_t CoreTb::Read32(std::uint32_t bar_offset) {
  const Tlp c = Request(MemRd(kHostId, NextTag(), bar0_ + bar_offset, 1, 0xF, 0));
  EXPECT_EQ(c.status(), kCplSc) << "MemRd of BAR0+" << bar_offset;
  EXPECT_EQ(c.dw.size(), 4u);
  return c.dw.size() == 4 ? c.dw[3] : 0;
}

void CoreTb::Write32(std::uint32_t bar_offset, std::uint32_t value, std::uint32_t be) {
  Send(MemWr(kHostId, bar0_ + bar_offset, {value}, be, 0));
}

void CoreTb::Enumerate(std::uint32_t bar0, std::uint8_t bus, std::uint8_t dev) {
  bus_ = bus;
  dev_ = dev;
  bar0_ = bar0;
  CfgWrite(regs::kCfgBar0, bar0);
  CfgWrite(regs::kCfgCommand, kPciCommandMemory | kPciCommandMaster);
}

void WriteMsixEntry(CoreTb& tb, unsigned v, std::uint64_t addr, std::uint32_t data, bool masked) {
  const std::uint32_t e = regs::kMsixTableOffset + v * kMsixEntryBytes;
  tb.Write32(e + 0, static_cast<std::uint32_t>(addr));
  tb.Write32(e + 4, static_cast<std::uint32_t>(addr >> 32));
  tb.Write32(e + 8, data);
  tb.Write32(e + kMsixVectorCtrl, masked ? 1u : 0u);
}

void SetMsixControl(CoreTb& tb, bool enable, bool function_mask) {
  // Message Control lives in bytes 2-3 of the capability's first DW; write only byte 3.
  tb.CfgWrite(regs::kCfgMsixCap + kPciMsixFlags,
              (enable ? kMsixFlagsEnable : 0u) | (function_mask ? kMsixFlagsMask : 0u), 0x8);
}

void SetMsiControl(CoreTb& tb, bool enable, unsigned mme) {
  tb.CfgWrite(regs::kCfgMsiCap + kPciMsiFlags, (enable ? kMsiFlagsEnable : 0u) | mme << kMsiQsizeShift, 0x4);
}

void ProgramMsi(CoreTb& tb, std::uint64_t addr, std::uint16_t data) {
  tb.CfgWrite(regs::kCfgMsiCap + kPciMsiAddressLo, static_cast<std::uint32_t>(addr));
  tb.CfgWrite(regs::kCfgMsiCap + kPciMsiAddressHi, static_cast<std::uint32_t>(addr >> 32));
  tb.CfgWrite(regs::kCfgMsiCap + kPciMsiData, data);
}

void SetModeration(CoreTb& tb, unsigned vector, std::uint16_t frames, std::uint16_t usecs, std::uint16_t itr) {
  tb.Write32(regs::MOD_IDX, vector);
  tb.Write32(regs::MOD_CFG, std::uint32_t{usecs} << regs::MOD_CFG_USECS_SHIFT | frames);
  tb.Write32(regs::MOD_ITR, itr);
}

void ConfigureRing(CoreTb& tb, const RingConfig& ring) {
  tb.Write32(regs::RING_BASE_LO, static_cast<std::uint32_t>(ring.base));
  tb.Write32(regs::RING_BASE_HI, static_cast<std::uint32_t>(ring.base >> 32));
  tb.Write32(regs::RING_LOG2, ring.log2);
  tb.Write32(regs::RING_PROD_ADDR_LO, static_cast<std::uint32_t>(ring.prod_addr));
  tb.Write32(regs::RING_PROD_ADDR_HI, static_cast<std::uint32_t>(ring.prod_addr >> 32));
}

void ConfigureBurst(CoreTb& tb, const BurstConfig& burst) {
  tb.Write32(regs::BURST_EVENTS, burst.events);
  tb.Write32(regs::BURST_GAP, burst.gap);
  tb.Write32(regs::BURST_PATTERN, static_cast<std::uint32_t>(burst.pattern));
  tb.Write32(regs::BURST_SEED, burst.seed);
  tb.Write32(regs::BURST_REPEAT, burst.repeat);
  tb.Write32(regs::BURST_PAUSE, burst.pause);
  tb.Write32(regs::VLIST_LEN, static_cast<std::uint32_t>(burst.vectors.size()));
  tb.Write32(regs::VLIST_IDX, 0);
  for (std::uint16_t v : burst.vectors) tb.Write32(regs::VLIST_DATA, v);
}

void Ctrl(CoreTb& tb, std::uint32_t bits) { tb.Write32(regs::CTRL, bits); }

bool IsMsi(const Tlp& t) { return (t.address() >> 20) == (kMsiBase >> 20); }

EngineOutput Classify(const std::vector<Tlp>& writes, const RingConfig& ring) {
  EngineOutput out;
  const std::uint64_t ring_end = ring.base + (std::uint64_t{1} << ring.log2) * regs::kRecordBytes;
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const Tlp& t = writes[i];
    const auto pay = t.payload();
    if (t.address() >= ring.base && t.address() < ring_end) {
      EXPECT_EQ(pay.size(), regs::kRecordBytes / 4);
      if (pay.size() != 4) continue;
      out.records.push_back({pay[0], static_cast<std::uint16_t>(pay[1] & 0xFFFF),
                             static_cast<std::uint16_t>(pay[1] >> 16),
                             std::uint64_t{pay[3]} << 32 | pay[2], t.address(), i});
    } else if (ring.prod_addr != 0 && t.address() == ring.prod_addr) {
      out.prod_writes.emplace_back(pay.at(0), i);
    } else if (IsMsi(t)) {
      out.msis.push_back(i);
    } else {
      ADD_FAILURE() << "write to unexpected address 0x" << std::hex << t.address();
    }
  }
  return out;
}

void RunConsumer(CoreTb& tb, const RingConfig& ring, std::size_t records, std::uint64_t limit) {
  std::size_t handed_back = 0;
  const std::uint64_t start = tb.cycle();
  while (tb.cycle() - start < limit) {
    tb.Run(64);
    const std::size_t seen = Classify(tb.writes(), ring).records.size();
    if (seen > handed_back) {
      handed_back = seen;
      tb.Write32(regs::RING_CONS, static_cast<std::uint32_t>(handed_back));
    }
    if (seen >= records && (tb.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0) return;
  }
  ADD_FAILURE() << "consumer timed out with " << handed_back << " of " << records << " records";
}

}  // namespace irqrig::rtl_test

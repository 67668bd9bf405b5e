// Tests of the behavioural model of the hard IP's interrupt interface (usp_irq_model.sv) on its
// own, so that the adapter tests' "no protocol error" and "sent/fail" checks mean something: the
// answer timing, what makes an answer a fail, the MSI data it sends, and every protocol error it
// is meant to flag.
#include <cstdint>
#include <memory>

#include <gtest/gtest.h>

#include "Vusp_irq_model.h"
#include "verilated.h"

namespace irqrig::firmware_test {
namespace {

class ModelTb {
 public:
  ModelTb() : context_(std::make_unique<VerilatedContext>()), m_(std::make_unique<Vusp_irq_model>(context_.get())) {
    m_->clk_i = 0;
    m_->rst_ni = 0;
    m_->host_mem_en_i = 1;
    m_->host_bme_i = 1;
    m_->latency_i = 4;
    m_->eval();
    Edge();
    Edge();
    m_->rst_ni = 1;
    m_->eval();
  }
  ~ModelTb() { m_->final(); }
  ModelTb(const ModelTb&) = delete;
  ModelTb& operator=(const ModelTb&) = delete;

  Vusp_irq_model& m() { return *m_; }
  /// One cycle with the inputs as set; returns whether sent (1), fail (2) or nothing (0) was
  /// answered in it, as seen before the clock edge.
  int Cycle() {
    m_->clk_i = 0;
    m_->eval();
    const int answer = m_->cfg_interrupt_msi_sent_o ? 1 : m_->cfg_interrupt_msi_fail_o ? 2 : 0;
    EXPECT_FALSE(m_->cfg_interrupt_msi_sent_o && m_->cfg_interrupt_msi_fail_o);
    if (m_->msg_valid_o) {
      ++messages_;
      last_addr_ = m_->msg_addr_o;
      last_data_ = m_->msg_data_o;
    }
    Edge();
    return answer;
  }
  /// Pulses one MSI bit (or MSI-X) for a cycle, then waits for the answer; returns the answer and
  /// how many cycles after the request's it came.
  std::pair<int, int> Request(bool msix, unsigned vector = 0) {
    if (msix) {
      m_->cfg_interrupt_msix_int_i = 1;
    } else {
      m_->cfg_interrupt_msi_int_i = 1u << vector;
    }
    int a = Cycle();
    m_->cfg_interrupt_msix_int_i = 0;
    m_->cfg_interrupt_msi_int_i = 0;
    for (int n = 1; n < 300; ++n) {
      if (a != 0) return {a, n - 1};
      a = Cycle();
    }
    return {0, 300};
  }

 private:
  void Edge() {
    m_->clk_i = 1;
    m_->eval();
    context_->timeInc(1);
    m_->clk_i = 0;
    m_->eval();
    context_->timeInc(1);
  }

  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Vusp_irq_model> m_;

 public:
  int messages_ = 0;  // messages that went out, and the last one's address and data
  std::uint64_t last_addr_ = 0;
  std::uint32_t last_data_ = 0;
};

TEST(UspIrqModelTest, AnswersAfterLatencyWithSentOrFail) {
  ModelTb tb;
  tb.m().host_msix_en_i = 1;
  tb.m().latency_i = 7;
  tb.m().cfg_interrupt_msix_address_i = 0x123456780ull;
  tb.m().cfg_interrupt_msix_data_i = 0x77;
  const auto [a, n] = tb.Request(true);
  EXPECT_EQ(a, 1);
  EXPECT_EQ(n, 7) << "the answer comes latency_i cycles after the request's cycle";
  EXPECT_EQ(tb.messages_, 1);
  EXPECT_EQ(tb.last_addr_, 0x123456780ull);
  EXPECT_EQ(tb.last_data_, 0x77u);
  tb.m().host_msix_fmask_i = 1;
  EXPECT_EQ(tb.Request(true).first, 2) << "function-masked: fail";
  tb.m().host_msix_fmask_i = 0;
  tb.m().host_msix_en_i = 0;
  EXPECT_EQ(tb.Request(true).first, 2) << "MSI-X disabled: fail";
  tb.m().host_msix_en_i = 1;
  tb.m().fail_i = 1;
  EXPECT_EQ(tb.Request(true).first, 2) << "forced fail";
  EXPECT_EQ(tb.m().protocol_error_o, 0u);
}

TEST(UspIrqModelTest, MsiFailsWhenMaskedOrOutsideTheBlockAndSubstitutesTheData) {
  ModelTb tb;
  auto& m = tb.m();
  m.host_msi_en_i = 1;
  m.host_msi_mme_i = 2;
  m.host_msi_data_i = 0x4927;
  m.host_msi_addr_i = 0xFEE01000u;
  m.host_msi_mask_i = 1u << 1;
  EXPECT_EQ(tb.Request(false, 1).first, 2) << "masked";
  EXPECT_EQ(tb.Request(false, 4).first, 2) << "message 4 outside an enabled block of 4";
  EXPECT_EQ(tb.messages_, 0) << "a fail sends nothing";
  EXPECT_EQ(tb.Request(false, 2).first, 1);
  EXPECT_EQ(tb.messages_, 1);
  EXPECT_EQ(tb.last_data_, 0x4926u) << "low MME bits replaced by the vector";
  EXPECT_EQ(tb.last_addr_, 0xFEE01000u);
  // A mask change is announced for one cycle and shown on cfg_interrupt_msi_data (select 0).
  m.host_msi_mask_i = 0x5;
  m.eval();
  EXPECT_TRUE(m.cfg_interrupt_msi_mask_update_o);
  EXPECT_EQ(m.cfg_interrupt_msi_data_o, 0x5u);
  tb.Cycle();
  EXPECT_FALSE(m.cfg_interrupt_msi_mask_update_o);
  m.cfg_interrupt_msi_select_i = 1;
  m.eval();
  EXPECT_EQ(m.cfg_interrupt_msi_data_o, 0u) << "only PF0 is modelled";
  EXPECT_EQ(m.protocol_error_o, 0u);
}

// Each misuse of the interface sets its own sticky code.
struct Misuse {
  const char* name;
  unsigned code;
  void (*act)(ModelTb&);
};

class UspIrqModelMisuseTest : public ::testing::TestWithParam<Misuse> {};

TEST_P(UspIrqModelMisuseTest, IsFlagged) {
  ModelTb tb;
  tb.m().host_msi_en_i = 1;
  tb.m().host_msi_mme_i = 5;
  tb.m().host_msix_en_i = 1;
  tb.m().latency_i = 10;
  GetParam().act(tb);
  for (int i = 0; i < 3; ++i) tb.Cycle();
  EXPECT_EQ(tb.m().protocol_error_o, GetParam().code);
}

INSTANTIATE_TEST_SUITE_P(
    Codes, UspIrqModelMisuseTest,
    ::testing::Values(
        Misuse{"TwoMsiBits", 1, [](ModelTb& tb) {
                 tb.m().cfg_interrupt_msi_int_i = 0x3;
                 tb.Cycle();
               }},
        Misuse{"RequestWhileInFlight", 2, [](ModelTb& tb) {
                 tb.m().cfg_interrupt_msi_int_i = 0x1;
                 tb.Cycle();
                 tb.m().cfg_interrupt_msi_int_i = 0;
                 tb.Cycle();
                 tb.m().cfg_interrupt_msix_int_i = 1;
                 tb.Cycle();
                 tb.m().cfg_interrupt_msix_int_i = 0;
               }},
        Misuse{"MsiAndMsixTogether", 3, [](ModelTb& tb) {
                 tb.m().cfg_interrupt_msi_int_i = 0x1;
                 tb.m().cfg_interrupt_msix_int_i = 1;
                 tb.Cycle();
               }},
        Misuse{"NotPf0", 4, [](ModelTb& tb) {
                 tb.m().cfg_interrupt_msi_function_number_i = 1;
                 tb.m().cfg_interrupt_msi_int_i = 0x1;
                 tb.Cycle();
               }},
        Misuse{"MsixIntHeld", 2, [](ModelTb& tb) {  // the second cycle is a second request
                 tb.m().cfg_interrupt_msix_int_i = 1;
                 tb.Cycle();
                 tb.Cycle();
               }},
        Misuse{"PendingForAnotherFunction", 5, [](ModelTb& tb) {
                 tb.m().cfg_interrupt_msi_pending_status_data_enable_i = 1;
                 tb.m().cfg_interrupt_msi_pending_status_function_num_i = 2;
                 tb.Cycle();
               }}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace irqrig::firmware_test

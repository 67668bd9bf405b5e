#include "sim/verilated/core_model.h"

#include <array>

#include <fmt/format.h>

#include "Virqrig_core.h"
#include "Virqrig_sweep.h"
#include "sim/device/device.h"
#include "verilated.h"
#include "verilated_fst_c.h"

namespace irqrig::sim {
namespace {

constexpr std::array<unsigned, 4> kTableSizes{1, 4, 32, 2048};

// Verilator 5.006 reaches the thread's current context, not the model's own, when it erases a
// model's scopes (it has some: the RTL's assertions name their instance) and when an assertion
// fails. With several models on a thread, that pointer may name another model's context or one
// already destroyed; point it at the model's own before each use.
void adopt_context(VerilatedContext& context) { Verilated::threadContextp(&context); }

// The board-sized core: the model's own top-level ports.
class FullCore final : public CoreModel {
 public:
  explicit FullCore(std::unique_ptr<Virqrig_core> m)
      : CoreModel(bind(*m), 2048), context_(*m->contextp()), m_(std::move(m)) {}
  ~FullCore() override { adopt_context(context_); }
  void eval() override {
    adopt_context(context_);
    m_->eval();
  }
  void final() override { m_->final(); }
  void trace(VerilatedFstC& fst, int levels) override { m_->trace(&fst, levels); }

 private:
  static CorePorts bind(Virqrig_core& m) {
    return {&m.clk_i,           &m.rst_ni,          &m.s_axis_rx_tdata, &m.s_axis_rx_tvalid,
            &m.s_axis_rx_tready, &m.s_axis_rx_tlast, &m.m_axis_tx_tdata, &m.m_axis_tx_tvalid,
            &m.m_axis_tx_tready, &m.m_axis_tx_tlast, &m.time_o};
  }
  VerilatedContext& context_;
  std::unique_ptr<Virqrig_core> m_;
};

// One core of the sweep wrapper; the others stay unclocked and cost nothing but their triggers.
class SweepCore final : public CoreModel {
 public:
  SweepCore(std::unique_ptr<Virqrig_sweep> m, unsigned n)
      : CoreModel(bind(*m, n), n), context_(*m->contextp()), m_(std::move(m)) {}
  ~SweepCore() override { adopt_context(context_); }
  void eval() override {
    adopt_context(context_);
    m_->eval();
  }
  void final() override { m_->final(); }
  void trace(VerilatedFstC& fst, int levels) override { m_->trace(&fst, levels); }

 private:
  static CorePorts bind(Virqrig_sweep& m, unsigned n) {
    switch (n) {
      case 1:
        return {&m.n1_clk_i,           &m.n1_rst_ni,          &m.n1_s_axis_rx_tdata, &m.n1_s_axis_rx_tvalid,
                &m.n1_s_axis_rx_tready, &m.n1_s_axis_rx_tlast, &m.n1_m_axis_tx_tdata, &m.n1_m_axis_tx_tvalid,
                &m.n1_m_axis_tx_tready, &m.n1_m_axis_tx_tlast, &m.n1_time_o};
      case 4:
        return {&m.n4_clk_i,           &m.n4_rst_ni,          &m.n4_s_axis_rx_tdata, &m.n4_s_axis_rx_tvalid,
                &m.n4_s_axis_rx_tready, &m.n4_s_axis_rx_tlast, &m.n4_m_axis_tx_tdata, &m.n4_m_axis_tx_tvalid,
                &m.n4_m_axis_tx_tready, &m.n4_m_axis_tx_tlast, &m.n4_time_o};
      default:
        return {&m.n32_clk_i,           &m.n32_rst_ni,          &m.n32_s_axis_rx_tdata, &m.n32_s_axis_rx_tvalid,
                &m.n32_s_axis_rx_tready, &m.n32_s_axis_rx_tlast, &m.n32_m_axis_tx_tdata, &m.n32_m_axis_tx_tvalid,
                &m.n32_m_axis_tx_tready, &m.n32_m_axis_tx_tlast, &m.n32_time_o};
    }
  }
  VerilatedContext& context_;
  std::unique_ptr<Virqrig_sweep> m_;
};

}  // namespace

std::span<const unsigned> CoreModel::table_sizes() { return kTableSizes; }

std::unique_ptr<CoreModel> CoreModel::create(VerilatedContext& context, unsigned num_vectors) {
  switch (num_vectors) {
    case 2048:
      return std::make_unique<FullCore>(std::make_unique<Virqrig_core>(&context, "irqrig"));
    case 1:
    case 4:
    case 32:
      return std::make_unique<SweepCore>(std::make_unique<Virqrig_sweep>(&context, "irqrig"), num_vectors);
    default:
      throw DeviceError(fmt::format("no Verilated core with {} vectors: built are 1, 4, 32 and 2048", num_vectors));
  }
}

}  // namespace irqrig::sim

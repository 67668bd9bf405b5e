#include "sim/verilated/core_model.h"

#include <array>

#include <fmt/format.h>

#include "Virqrig_core.h"
#include "Virqrig_core_n1.h"
#include "Virqrig_core_n32.h"
#include "Virqrig_core_n4.h"
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

// One Verilated model of irqrig_core; every table size has the same ports.
template <class Model>
class Core final : public CoreModel {
 public:
  Core(VerilatedContext& context, unsigned num_vectors)
      : Core(context, std::make_unique<Model>(&context, "irqrig"), num_vectors) {}
  ~Core() override { adopt_context(context_); }

  void eval() override {
    adopt_context(context_);
    m_->eval();
  }
  void final() override { m_->final(); }
  void trace(VerilatedFstC& fst, int levels) override {
    // Only the board-sized core is built with tracing (it is what --waves records).
    if constexpr (requires(Model& m) { m.trace(&fst, levels); }) {
      m_->trace(&fst, levels);
    } else {
      throw DeviceError(fmt::format("the {}-vector core is built without waves; they exist for 2048", num_vectors()));
    }
  }

 private:
  Core(VerilatedContext& context, std::unique_ptr<Model> m, unsigned num_vectors)
      : CoreModel(CorePorts{&m->clk_i, &m->rst_ni, &m->s_axis_rx_tdata, &m->s_axis_rx_tvalid, &m->s_axis_rx_tready,
                            &m->s_axis_rx_tlast, &m->m_axis_tx_tdata, &m->m_axis_tx_tvalid, &m->m_axis_tx_tready,
                            &m->m_axis_tx_tlast, &m->time_o},
                  num_vectors),
        context_(context),
        m_(std::move(m)) {}

  VerilatedContext& context_;
  std::unique_ptr<Model> m_;
};

}  // namespace

std::span<const unsigned> CoreModel::table_sizes() { return kTableSizes; }

std::unique_ptr<CoreModel> CoreModel::create(VerilatedContext& context, unsigned num_vectors) {
  switch (num_vectors) {
    case 1:
      return std::make_unique<Core<Virqrig_core_n1>>(context, 1);
    case 4:
      return std::make_unique<Core<Virqrig_core_n4>>(context, 4);
    case 32:
      return std::make_unique<Core<Virqrig_core_n32>>(context, 32);
    case 2048:
      return std::make_unique<Core<Virqrig_core>>(context, 2048);
    default:
      throw DeviceError(fmt::format("no Verilated core with {} vectors: built are 1, 4, 32 and 2048", num_vectors));
  }
}

}  // namespace irqrig::sim

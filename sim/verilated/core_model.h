// One Verilated irqrig_core behind a handle that does not depend on its table size: the ports as
// pointers, eval, trace. Cores exist with 2048 vectors (as on a board) and 1, 4 and 32 (sweeps).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

class VerilatedContext;
class VerilatedFstC;

namespace irqrig::sim {

/// The core's ports inside its Verilated model; the harness drives inputs and reads outputs.
struct CorePorts {
  std::uint8_t* clk = nullptr;
  std::uint8_t* rst_n = nullptr;
  std::uint32_t* rx_tdata = nullptr;
  std::uint8_t* rx_tvalid = nullptr;
  const std::uint8_t* rx_tready = nullptr;
  std::uint8_t* rx_tlast = nullptr;
  const std::uint32_t* tx_tdata = nullptr;
  const std::uint8_t* tx_tvalid = nullptr;
  std::uint8_t* tx_tready = nullptr;
  const std::uint8_t* tx_tlast = nullptr;
  const std::uint64_t* time = nullptr;
};

class CoreModel {
 public:
  /// The MSI-X table sizes (NumVectors) a Verilated core is built for.
  static std::span<const unsigned> table_sizes();
  /// The core with `num_vectors` vectors on `context`; throws DeviceError for a size not built.
  static std::unique_ptr<CoreModel> create(VerilatedContext& context, unsigned num_vectors);

  virtual ~CoreModel() = default;
  CoreModel(const CoreModel&) = delete;
  CoreModel& operator=(const CoreModel&) = delete;

  virtual void eval() = 0;
  virtual void final() = 0;
  virtual void trace(VerilatedFstC& fst, int levels) = 0;

  const CorePorts& ports() const { return ports_; }
  unsigned num_vectors() const { return num_vectors_; }

 protected:
  CoreModel(CorePorts ports, unsigned num_vectors) : ports_(ports), num_vectors_(num_vectors) {}

 private:
  CorePorts ports_;
  unsigned num_vectors_;
};

}  // namespace irqrig::sim

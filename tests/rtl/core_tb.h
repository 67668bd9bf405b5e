// Test bench for the raw Verilated irqrig_core: hand-built TLP DW streams in, TLPs out.
// It plays the root complex: config and memory requests, the host's memory, stream stalls.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "sim/verilated/core_model.h"
#include "verilated.h"

namespace irqrig::rtl_test {

// Offsets fixed by the PCI Local Bus Spec 3.0 (6.1, 6.8.2), named as in Linux pci_regs.h; the
// offsets the register description chooses come from irqrig/regs.h.
inline constexpr std::uint16_t kPciVendorId = 0x00;
inline constexpr std::uint16_t kPciClassRevision = 0x08;
inline constexpr std::uint16_t kPciHeaderType = 0x0C;  // DW holding the header type at byte 2
inline constexpr std::uint16_t kPciMsixFlags = 0x0;    // relative to the MSI-X capability
inline constexpr std::uint16_t kPciMsixTable = 0x4;
inline constexpr std::uint16_t kPciMsixPba = 0x8;
inline constexpr std::uint32_t kPciCommandMemory = 1u << 1;
inline constexpr std::uint32_t kPciCommandMaster = 1u << 2;
inline constexpr std::uint32_t kPciCommandIntxDisable = 1u << 10;
inline constexpr std::uint32_t kPciStatusCapList = 1u << 4;  // in the Status half (bits 31:16)
inline constexpr std::uint32_t kMsixFlagsEnable = 1u << 31;  // Message Control bit 15 in the DW
inline constexpr std::uint32_t kMsixFlagsMask = 1u << 30;    // Message Control bit 14 in the DW
inline constexpr std::uint16_t kPciMsiFlags = 0x0;  // relative to the MSI capability (64-bit layout)
inline constexpr std::uint16_t kPciMsiAddressLo = 0x4;
inline constexpr std::uint16_t kPciMsiAddressHi = 0x8;
inline constexpr std::uint16_t kPciMsiData = 0xC;
inline constexpr std::uint16_t kPciMsiMask = 0x10;
inline constexpr std::uint16_t kPciMsiPending = 0x14;
inline constexpr std::uint32_t kMsiFlagsEnable = 1u << 16;  // Message Control bit 0 in the DW
inline constexpr std::uint32_t kMsiQmaskShift = 17;         // Multiple Message Capable, bits 3:1
inline constexpr std::uint32_t kMsiQsizeShift = 20;         // Multiple Message Enable, bits 6:4
inline constexpr std::uint32_t kMsiFlags64Bit = 1u << 23;
inline constexpr std::uint32_t kMsiFlagsMaskBit = 1u << 24;
inline constexpr std::uint32_t kMsixEntryBytes = 16;
inline constexpr std::uint32_t kMsixVectorCtrl = 12;  // vector control DW inside an entry

inline constexpr std::uint32_t kNumVectors = 2048;  // the default core (a board's)
inline constexpr std::uint32_t kClkMhz = 250;

// Fmt/Type of the TLPs the bench builds or expects.
enum : std::uint32_t {
  kFmt3dw = 0b000,
  kFmt4dw = 0b001,
  kFmt3dwData = 0b010,
  kFmt4dwData = 0b011,
  kTypeMem = 0b00000,
  kTypeIo = 0b00010,
  kTypeCfg0 = 0b00100,
  kTypeCpl = 0b01010,
};
inline constexpr std::uint32_t kCplSc = 0b000;
inline constexpr std::uint32_t kCplUr = 0b001;

/// One TLP as DWs, with field accessors for the formats the device sends.
struct Tlp {
  std::vector<std::uint32_t> dw;
  std::uint64_t cycle = 0;  // when its last beat was taken

  std::uint32_t fmt() const { return dw[0] >> 29; }
  std::uint32_t type() const { return (dw[0] >> 24) & 0x1F; }
  std::uint32_t tc() const { return (dw[0] >> 20) & 0x7; }
  std::uint32_t attr() const { return (dw[0] >> 12) & 0x3; }
  std::uint32_t length() const { return dw[0] & 0x3FF; }
  bool has_data() const { return (fmt() & 0b010) != 0; }
  unsigned header_dws() const { return (fmt() & 0b001) ? 4 : 3; }
  bool is_cpl() const { return type() == kTypeCpl; }
  bool is_memwr() const { return type() == kTypeMem && has_data(); }
  // Completion fields
  std::uint16_t completer_id() const { return dw[1] >> 16; }
  std::uint32_t status() const { return (dw[1] >> 13) & 0x7; }
  std::uint32_t byte_count() const { return dw[1] & 0xFFF; }
  std::uint16_t cpl_requester_id() const { return dw[2] >> 16; }
  std::uint8_t cpl_tag() const { return (dw[2] >> 8) & 0xFF; }
  std::uint32_t lower_address() const { return dw[2] & 0x7F; }
  // Request fields
  std::uint16_t requester_id() const { return dw[1] >> 16; }
  std::uint32_t first_be() const { return dw[1] & 0xF; }
  std::uint32_t last_be() const { return (dw[1] >> 4) & 0xF; }
  std::uint64_t address() const {
    return header_dws() == 4 ? (std::uint64_t{dw[2]} << 32) | (dw[3] & ~3u) : (dw[2] & ~3u);
  }
  std::vector<std::uint32_t> payload() const {
    return {dw.begin() + header_dws(), dw.end()};
  }
};

// Small TLP builders (PCIe header DWs, payload little-endian).
std::uint32_t Dw0(std::uint32_t fmt, std::uint32_t type, std::uint32_t length, std::uint32_t tc = 0,
                  std::uint32_t attr = 0);
std::vector<std::uint32_t> CfgRd0(std::uint16_t rid, std::uint8_t tag, std::uint8_t bus, std::uint8_t dev,
                                  std::uint8_t func, std::uint16_t reg, std::uint32_t be = 0xF);
std::vector<std::uint32_t> CfgWr0(std::uint16_t rid, std::uint8_t tag, std::uint8_t bus, std::uint8_t dev,
                                  std::uint8_t func, std::uint16_t reg, std::uint32_t value,
                                  std::uint32_t be = 0xF);
std::vector<std::uint32_t> MemRd(std::uint16_t rid, std::uint8_t tag, std::uint64_t addr, std::uint32_t len,
                                 std::uint32_t first_be, std::uint32_t last_be, bool force_4dw = false,
                                 std::uint32_t tc = 0, std::uint32_t attr = 0);
std::vector<std::uint32_t> MemWr(std::uint16_t rid, std::uint64_t addr, const std::vector<std::uint32_t>& data,
                                 std::uint32_t first_be = 0xF, std::uint32_t last_be = 0xF,
                                 bool force_4dw = false);

struct TbOptions {
  unsigned num_vectors = kNumVectors;  // which Verilated core: 1, 4, 32 or 2048
  std::uint64_t seed = 1;
  bool random_stalls = false;  // random m_axis_tx_tready and random s_axis_rx_tvalid gaps
  double tx_ready_prob = 0.6;
  double rx_valid_prob = 0.5;
};

/// Owns the context and the model; advances the clock and moves TLPs in both directions.
class CoreTb {
 public:
  explicit CoreTb(TbOptions opt = {});
  ~CoreTb();
  CoreTb(const CoreTb&) = delete;
  CoreTb& operator=(const CoreTb&) = delete;

  void Tick();
  void Run(std::uint64_t cycles);
  /// Ticks until pred() holds; fails the test after `limit` cycles.
  template <class Pred>
  bool RunUntil(Pred pred, std::uint64_t limit = 200000) {
    for (std::uint64_t i = 0; i < limit; ++i) {
      if (pred()) return true;
      Tick();
    }
    ADD_FAILURE() << "timed out after " << limit << " cycles";
    return false;
  }

  void Send(std::vector<std::uint32_t> tlp) { rx_queue_.push_back(std::move(tlp)); }
  bool RxIdle() const { return rx_queue_.empty() && !rx_active_; }
  /// Sends a non-posted request and waits for its completion (matched by tag).
  Tlp Request(std::vector<std::uint32_t> tlp);

  // Root-complex view of the function.
  std::uint8_t NextTag() { return tag_++; }
  std::uint32_t CfgRead(std::uint16_t reg);
  void CfgWrite(std::uint16_t reg, std::uint32_t value, std::uint32_t be = 0xF);
  std::uint32_t Read32(std::uint32_t bar_offset);
  void Write32(std::uint32_t bar_offset, std::uint32_t value, std::uint32_t be = 0xF);
  /// Assigns bus/device, BAR0 and sets Memory Space and Bus Master Enable.
  void Enumerate(std::uint32_t bar0 = 0xF0000000u, std::uint8_t bus = 0x5A, std::uint8_t dev = 3);
  std::uint16_t DeviceId() const { return static_cast<std::uint16_t>(bus_ << 8 | dev_ << 3); }
  std::uint32_t bar0() const { return bar0_; }

  // Device-originated TLPs (everything but completions), in wire order.
  const std::vector<Tlp>& writes() const { return writes_; }
  const std::vector<Tlp>& completions() const { return completions_; }
  std::uint64_t cycle() const { return cycle_; }
  /// The core's free-running clock (time_o).
  std::uint64_t time() const { return *model_->ports().time; }
  unsigned num_vectors() const { return model_->num_vectors(); }

  static constexpr std::uint16_t kHostId = 0x0000;  // requester ID of the root port

 private:
  void Eval();

  TbOptions opt_;
  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<sim::CoreModel> model_;
  std::mt19937_64 rng_;
  std::uint64_t cycle_ = 0;
  std::uint8_t tag_ = 0;
  std::uint8_t bus_ = 0;
  std::uint8_t dev_ = 0;
  std::uint32_t bar0_ = 0;

  std::deque<std::vector<std::uint32_t>> rx_queue_;
  bool rx_active_ = false;  // a beat is being offered and must stay until taken
  std::size_t rx_pos_ = 0;

  std::vector<std::uint32_t> tx_cur_;
  std::vector<Tlp> writes_;
  std::vector<Tlp> completions_;
  bool tx_was_stalled_ = false;  // last cycle offered a beat that was not taken
  std::uint32_t tx_stalled_data_ = 0;
  bool tx_stalled_last_ = false;
  bool assertion_failed_ = false;
};

// ---- Programming helpers shared by the suites ------------------------------------------------

inline constexpr std::uint64_t kMsiBase = 0xFEE00000u;

/// Writes MSI-X table entry v (address, data, vector control).
void WriteMsixEntry(CoreTb& tb, unsigned v, std::uint64_t addr, std::uint32_t data, bool masked);
void SetMsixControl(CoreTb& tb, bool enable, bool function_mask);
/// MSI Message Control: Enable and Multiple Message Enable (byte 2 of the capability's first DW).
void SetMsiControl(CoreTb& tb, bool enable, unsigned mme);
void ProgramMsi(CoreTb& tb, std::uint64_t addr, std::uint16_t data);
/// MOD_IDX, then MOD_CFG {usecs, frames} and MOD_ITR.
void SetModeration(CoreTb& tb, unsigned vector, std::uint16_t frames, std::uint16_t usecs, std::uint16_t itr = 0);

struct RingConfig {
  std::uint64_t base = 0;
  std::uint32_t log2 = 4;
  std::uint64_t prod_addr = 0;
};
void ConfigureRing(CoreTb& tb, const RingConfig& ring);

enum class Pattern : std::uint32_t { kRoundRobin = 0, kRandom = 1, kFixed = 2 };
struct BurstConfig {
  std::uint32_t events = 0;
  std::uint32_t gap = 0;
  Pattern pattern = Pattern::kRoundRobin;
  std::uint32_t seed = 0;
  std::vector<std::uint16_t> vectors;
  std::uint32_t repeat = 1;
  std::uint32_t pause = 0;
};
void ConfigureBurst(CoreTb& tb, const BurstConfig& burst);
void Ctrl(CoreTb& tb, std::uint32_t bits);

/// The device-originated writes sorted by what they are.
struct EngineOutput {
  struct Record {
    std::uint32_t seq;
    std::uint16_t vector;
    std::uint16_t flags;
    std::uint64_t timestamp;
    std::uint64_t address;
    std::size_t wire_index;  // position among all device-originated writes
  };
  std::vector<Record> records;
  std::vector<std::pair<std::uint32_t, std::size_t>> prod_writes;  // value, wire index
  std::vector<std::size_t> msis;                                    // wire indexes
};
EngineOutput Classify(const std::vector<Tlp>& writes, const RingConfig& ring);
bool IsMsi(const Tlp& t);

/// Plays the driver's consumer: hands ring slots back as records arrive, until the engine is idle
/// and `records` records have arrived.
void RunConsumer(CoreTb& tb, const RingConfig& ring, std::size_t records, std::uint64_t limit = 400000);

}  // namespace irqrig::rtl_test

#include "sim/verilated/verilated_device.h"

#include <fmt/format.h>

#include "irqrig/regs.h"
#include "verilated.h"
#include "verilated_fst_c.h"

namespace irqrig::sim {
namespace {

constexpr std::uint16_t kRootPortId = 0x0000;
constexpr std::uint32_t kCmdMemorySpace = 1u << 1, kCmdBusMaster = 1u << 2;

// Byte enables of an access of `size` bytes at `offset` within its first DW.
std::uint8_t lane_enables(std::uint64_t offset, unsigned size) {
  return static_cast<std::uint8_t>(((1u << size) - 1) << (offset & 3));
}

void check_access(std::uint64_t offset, unsigned size) {
  if (size != 1 && size != 2 && size != 4 && size != 8)
    throw DeviceError(fmt::format("MMIO access of {} bytes: only 1, 2, 4 and 8 exist", size));
  if (offset % size) throw DeviceError(fmt::format("MMIO access of {} bytes at {:#x} is misaligned", size, offset));
}

}  // namespace

VerilatedDevice::VerilatedDevice(VerilatedDeviceOptions options)
    : options_(std::move(options)), context_(std::make_unique<VerilatedContext>()), stall_rng_(options_.stall_seed) {
  context_->debug(0);
  context_->randReset(0);
  // A failed RTL assertion stops the device with a DeviceError rather than aborting the process.
  context_->fatalOnError(false);
  if (!options_.waves_path.empty()) context_->traceEverOn(true);
  top_ = CoreModel::create(*context_, options_.num_vectors);
  if (!options_.waves_path.empty()) {
    trace_ = std::make_unique<VerilatedFstC>();
    top_->trace(*trace_, 99);
    trace_->open(options_.waves_path.c_str());
    if (!trace_->isOpen()) throw DeviceError(fmt::format("cannot open waves file '{}'", options_.waves_path));
  }
  reset();
  enumerate();
}

VerilatedDevice::~VerilatedDevice() {
  top_->final();
  if (trace_) trace_->close();
}

void VerilatedDevice::reset() {
  const CorePorts& p = top_->ports();
  *p.clk = 0;
  *p.rst_n = 0;
  *p.rx_tvalid = 0;
  *p.tx_tready = 1;
  for (int i = 0; i < 4; ++i) tick();
  *p.rst_n = 1;
  tick();
}

void VerilatedDevice::enumerate() {
  const std::uint32_t id = config_read(0x00);
  if ((id & 0xFFFF) != regs::kVendorId || (id >> 16) != regs::kDeviceId)
    throw DeviceError(fmt::format("config space ID {:08x} is not the irqrig endpoint {:04x}:{:04x}", id,
                                  regs::kVendorId, regs::kDeviceId));
  config_write(regs::kCfgBar0, 0xFFFFFFFF);
  const std::uint32_t probe = config_read(regs::kCfgBar0);
  const std::uint64_t size = std::uint64_t{~(probe & ~0xFu)} + 1;
  if (size != (std::uint64_t{1} << regs::kBar0SizeLog2))
    throw DeviceError(fmt::format("BAR0 sizes to {:#x} bytes, the register description says {:#x}", size,
                                  std::uint64_t{1} << regs::kBar0SizeLog2));
  config_write(regs::kCfgBar0, static_cast<std::uint32_t>(options_.bar0_address));
  config_write(regs::kCfgCommand, kCmdMemorySpace | kCmdBusMaster, 0x3);
  const std::uint32_t hash = bar_read32(0, regs::REGMAP_HASH);
  if (hash != regs::kRegmapHash)
    throw DeviceError(fmt::format("device REGMAP_HASH {:08x} differs from the host header's {:08x}: rebuild both "
                                  "from one rtl/regs/irqrig_regs.json",
                                  hash, regs::kRegmapHash));
  const std::uint32_t caps = bar_read32(0, regs::CAPS);
  const std::uint32_t mhz = (caps & regs::CAPS_CLK_MHZ_MASK) >> regs::CAPS_CLK_MHZ_SHIFT;
  if (mhz == 0) throw DeviceError("CAPS.CLK_MHZ reads 0");
  cycle_ps_ = 1'000'000 / mhz;
}

void VerilatedDevice::tick() {
  const CorePorts& p = top_->ports();
  if (!rx_beats_.empty()) {
    *p.rx_tdata = rx_beats_.front().first;
    *p.rx_tlast = rx_beats_.front().second;
    *p.rx_tvalid = 1;
  } else {
    *p.rx_tvalid = 0;
    *p.rx_tlast = 0;
  }
  bool ready = true;
  if (options_.tx_stall_probability > 0.0) {
    ready = std::uniform_real_distribution<double>(0.0, 1.0)(stall_rng_) >= options_.tx_stall_probability;
  }
  *p.tx_tready = ready;
  *p.clk = 0;
  top_->eval();
  if (trace_) trace_->dump(context_->time());
  context_->timeInc(cycle_ps_ / 2);
  // Handshakes complete at the rising edge: sample them with this cycle's settled values.
  const bool rx_fire = *p.rx_tvalid && *p.rx_tready;
  const bool tx_fire = *p.tx_tvalid && *p.tx_tready;
  const std::uint32_t tx_data = *p.tx_tdata;
  const bool tx_last = *p.tx_tlast;
  *p.clk = 1;
  top_->eval();
  if (trace_) trace_->dump(context_->time());
  context_->timeInc(cycle_ps_ - cycle_ps_ / 2);
  ++cycle_;
  if (context_->gotError())
    throw DeviceError(fmt::format("the endpoint RTL failed an assertion at cycle {} (its message is above)", cycle_));
  if (rx_fire) rx_beats_.pop_front();
  if (tx_fire) {
    tx_beats_.push_back(tx_data);
    if (tx_last) on_tx_tlp();
  }
}

void VerilatedDevice::on_tx_tlp() {
  Tlp tlp;
  try {
    tlp = decode(tx_beats_);
  } catch (const TlpError& e) {
    throw DeviceError(fmt::format("device sent a malformed TLP at cycle {}: {}", cycle_, e.what()));
  }
  tx_beats_.clear();
  switch (tlp.kind) {
    case TlpKind::kCpl:
    case TlpKind::kCplD:
      completion_ = std::move(tlp);
      break;
    case TlpKind::kMemWr: {
      UpstreamWrite w;
      w.time_ps = now_ps();
      w.address = tlp.address;
      w.data = std::move(tlp.payload);
      w.first_be = tlp.first_be;
      w.last_be = tlp.last_be;
      w.requester_id = tlp.requester_id;
      emit(std::move(w));
      break;
    }
    default:
      throw DeviceError(fmt::format("device sent {} which an endpoint never originates", to_string(tlp)));
  }
}

void VerilatedDevice::run_cycles(std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; ++i) tick();
}

void VerilatedDevice::advance_to(std::uint64_t time_ps) {
  while (now_ps() < time_ps) tick();
}

void VerilatedDevice::send(const Tlp& tlp) {
  const auto dws = encode(tlp);
  for (std::size_t i = 0; i < dws.size(); ++i) rx_beats_.emplace_back(dws[i], i + 1 == dws.size());
}

Tlp VerilatedDevice::await_completion(std::uint8_t tag) {
  completion_.reset();
  for (unsigned i = 0; i < options_.completion_timeout_cycles; ++i) {
    tick();
    if (completion_) {
      Tlp c = std::move(*completion_);
      completion_.reset();
      if (c.tag != tag)
        throw DeviceError(fmt::format("completion carries tag {} while tag {} is outstanding", c.tag, tag));
      if (c.requester_id != kRootPortId)
        throw DeviceError(fmt::format("completion addressed to {:04x}, not the root port", c.requester_id));
      return c;
    }
  }
  throw DeviceError(fmt::format("no completion for tag {} within {} cycles", tag, options_.completion_timeout_cycles));
}

std::uint32_t VerilatedDevice::config_read(std::uint16_t offset) {
  const std::uint8_t tag = next_tag_++;
  send(make_cfg_read(options_.bus_device, offset, kRootPortId, tag));
  const Tlp c = await_completion(tag);
  if (c.status != CplStatus::kSuccess || c.kind != TlpKind::kCplD)
    throw DeviceError(fmt::format("CfgRd0 of {:#x} completed with {}", offset, to_string(c)));
  return c.payload.at(0);
}

void VerilatedDevice::config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable) {
  const std::uint8_t tag = next_tag_++;
  send(make_cfg_write(options_.bus_device, offset, value, kRootPortId, tag, byte_enable));
  const Tlp c = await_completion(tag);
  if (c.status != CplStatus::kSuccess || c.kind != TlpKind::kCpl)
    throw DeviceError(fmt::format("CfgWr0 of {:#x} completed with {}", offset, to_string(c)));
}

std::uint64_t VerilatedDevice::bar_read(unsigned bar, std::uint64_t offset, unsigned size) {
  if (bar != 0) throw DeviceError(fmt::format("BAR{} is not implemented by the endpoint", bar));
  check_access(offset, size);
  const std::uint8_t tag = next_tag_++;
  const std::uint64_t addr = options_.bar0_address + (offset & ~std::uint64_t{3});
  if (size == 8) {
    send(make_mem_read(addr, 2, kRootPortId, tag, 0xF, 0xF));
  } else {
    send(make_mem_read(addr, 1, kRootPortId, tag, lane_enables(offset, size)));
  }
  const Tlp c = await_completion(tag);
  if (c.status != CplStatus::kSuccess || c.kind != TlpKind::kCplD)
    throw DeviceError(fmt::format("MemRd of BAR{}+{:#x} completed with {}", bar, offset, to_string(c)));
  if (size == 8) {
    if (c.payload.size() != 2) throw DeviceError("8-byte MMIO read completed with the wrong length");
    return std::uint64_t{c.payload[1]} << 32 | c.payload[0];
  }
  const std::uint32_t dw = c.payload.at(0) >> (8 * (offset & 3));
  return size == 4 ? dw : dw & ((1u << (8 * size)) - 1);
}

void VerilatedDevice::bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) {
  if (bar != 0) throw DeviceError(fmt::format("BAR{} is not implemented by the endpoint", bar));
  check_access(offset, size);
  const std::uint64_t addr = options_.bar0_address + (offset & ~std::uint64_t{3});
  if (size == 8) {
    send(make_mem_write(addr, {static_cast<std::uint32_t>(value), static_cast<std::uint32_t>(value >> 32)},
                        kRootPortId, 0xF, 0xF));
  } else {
    send(make_mem_write(addr, {static_cast<std::uint32_t>(value << (8 * (offset & 3)))}, kRootPortId,
                        lane_enables(offset, size)));
  }
}

}  // namespace irqrig::sim

#include "sim/tlm/irqrig_tlm.h"

#include <algorithm>
#include <functional>
#include <bit>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "irqrig/regs.h"

namespace irqrig::sim::systemc {
namespace {

constexpr const char* kMsgType = "irqrig/tlm";
constexpr std::uint64_t kConfigBytes = 0x1000;  // one function's extended configuration space
constexpr std::uint64_t kBar0Bytes = std::uint64_t{1} << regs::kBar0SizeLog2;

using ::tlm::tlm_generic_payload;
using ::tlm::tlm_response_status;

/// Which of the access's bytes the initiator enabled, or nullopt for a malformed byte-enable
/// array (TLM-2.0: 0x00 or 0xFF per byte, applied cyclically, never empty).
std::optional<std::uint8_t> enabled_bytes(const tlm_generic_payload& trans) {
  const unsigned length = trans.get_data_length();
  const unsigned char* be = trans.get_byte_enable_ptr();
  if (!be) return static_cast<std::uint8_t>((1u << length) - 1);
  const unsigned be_length = trans.get_byte_enable_length();
  if (be_length == 0) return std::nullopt;
  std::uint8_t mask = 0;
  for (unsigned i = 0; i < length; ++i) {
    const unsigned char b = be[i % be_length];
    if (b == TLM_BYTE_ENABLED) {
      mask |= static_cast<std::uint8_t>(1u << i);
    } else if (b != TLM_BYTE_DISABLED) {
      return std::nullopt;
    }
  }
  return mask;
}

/// Checks what both spaces share: a known command, no streaming, a size PCIe carries, natural
/// alignment, inside the space. TLM_OK_RESPONSE when the access may go on.
tlm_response_status check_shape(const tlm_generic_payload& trans, std::uint64_t space_bytes, unsigned max_size) {
  const unsigned length = trans.get_data_length();
  const std::uint64_t address = trans.get_address();
  if (trans.get_streaming_width() < length) return ::tlm::TLM_BURST_ERROR_RESPONSE;
  if (length == 0 || length > max_size || !std::has_single_bit(length)) return ::tlm::TLM_BURST_ERROR_RESPONSE;
  if (address >= space_bytes || space_bytes - address < length) return ::tlm::TLM_ADDRESS_ERROR_RESPONSE;
  if (address % length) return ::tlm::TLM_ADDRESS_ERROR_RESPONSE;
  return ::tlm::TLM_OK_RESPONSE;
}

std::uint64_t gather(const unsigned char* data, unsigned from, unsigned count) {
  std::uint64_t v = 0;
  for (unsigned i = 0; i < count; ++i) v |= std::uint64_t{data[from + i]} << (8 * i);
  return v;
}

void scatter(unsigned char* data, unsigned from, unsigned count, std::uint64_t v) {
  for (unsigned i = 0; i < count; ++i) data[from + i] = static_cast<unsigned char>(v >> (8 * i));
}

}  // namespace

IrqrigEndpoint::IrqrigEndpoint(const sc_core::sc_module_name& name, TlmEndpointOptions options)
    : IrqrigEndpoint(name, std::make_unique<VerilatedDevice>(options.device), options) {}

IrqrigEndpoint::IrqrigEndpoint(const sc_core::sc_module_name& name, std::unique_ptr<Device> device,
                               TlmEndpointOptions options)
    : sc_module(name),
      config("config"),
      bar0("bar0"),
      upstream("upstream"),
      owned_(device ? std::move(device) : throw TlmConfigError("IrqrigEndpoint: the device is null")),
      device_(*owned_),
      options_(std::move(options)) {
  init();
}

IrqrigEndpoint::IrqrigEndpoint(const sc_core::sc_module_name& name, Device& device, TlmEndpointOptions options)
    : sc_module(name),
      config("config"),
      bar0("bar0"),
      upstream("upstream"),
      device_(device),
      options_(std::move(options)) {
  init();
}

IrqrigEndpoint::~IrqrigEndpoint() {
  // A borrowed device outlives the module: it must not write into a queue that is gone.
  device_.set_upstream_sink(nullptr);
}

void IrqrigEndpoint::init() {
  const unsigned split = options_.max_write_bytes;
  if (split != 0 && (split < 4 || !std::has_single_bit(split)))
    throw TlmConfigError(fmt::format("max_write_bytes {}: a power of two of at least 4, or 0", split));
  // Device times are picoseconds; the kernel's resolution has to represent each one exactly.
  const double resolution_fs = sc_core::sc_get_time_resolution().to_seconds() * 1e15;
  const auto fs = static_cast<std::uint64_t>(std::llround(resolution_fs));
  if (fs == 0 || 1000 % fs != 0)
    throw TlmConfigError(fmt::format("SystemC time resolution {} cannot hold the device's picoseconds: use 1 ps "
                                     "(the default) or a divisor of it",
                                     sc_core::sc_get_time_resolution().to_string()));
  units_per_ps_ = 1000 / fs;

  device_.set_upstream_sink([this](UpstreamWrite&& w) { pending_.push_back(std::move(w)); });
  bar0_base_ = device_.config_read(regs::kCfgBar0) & ~0xFu;

  config.register_b_transport(this, &IrqrigEndpoint::config_transport);
  config.register_transport_dbg(this, &IrqrigEndpoint::config_debug);
  config.register_get_direct_mem_ptr(this, &IrqrigEndpoint::refuse_config_dmi);
  bar0.register_b_transport(this, &IrqrigEndpoint::bar0_transport);
  bar0.register_transport_dbg(this, &IrqrigEndpoint::bar0_debug);
  bar0.register_get_direct_mem_ptr(this, &IrqrigEndpoint::refuse_bar0_dmi);
  SC_THREAD(device_thread);
}

sc_core::sc_time IrqrigEndpoint::at_ps(std::uint64_t ps) const { return sc_core::sc_time::from_value(ps * units_per_ps_); }

std::uint64_t IrqrigEndpoint::ps_of(const sc_core::sc_time& t) const { return t.value() / units_per_ps_; }

// ---- The device's clock -------------------------------------------------------------------------

void IrqrigEndpoint::device_thread() {
  try {
    keeper_.reset();
    for (;;) {
      // To the end of this global quantum (one cycle when there is none): the device runs ahead of
      // everyone else by at most that much, then waits for SystemC time to catch up.
      const sc_core::sc_time quantum = ::tlm::tlm_global_quantum::instance().compute_local_quantum();
      const std::uint64_t horizon =
          std::max(ps_of(sc_core::sc_time_stamp() + quantum), ps_of(sc_core::sc_time_stamp()) + device_.cycle_ps());
      device_.advance_to(horizon);
      flush_upstream();
      // A platform target may have waited inside b_transport: only wait when the device is ahead.
      const sc_core::sc_time device_now = at_ps(device_.now_ps());
      if (device_now > sc_core::sc_time_stamp()) {
        keeper_.set(device_now - sc_core::sc_time_stamp());
        keeper_.sync();
      } else {
        keeper_.reset();
      }
    }
  } catch (const DeviceError& e) {
    last_error_ = e.what();
    SC_REPORT_ERROR(kMsgType, fmt::format("{}: the device failed and stops: {}", name(), e.what()).c_str());
  }
}

void IrqrigEndpoint::catch_up(const sc_core::sc_time& delay) {
  const std::uint64_t access_ps = ps_of(sc_core::sc_time_stamp() + delay);
  if (device_.now_ps() < access_ps) device_.advance_to(access_ps);
}

// ---- Target side --------------------------------------------------------------------------------

template <typename Access>
tlm_response_status IrqrigEndpoint::guarded(Access&& access) {
  try {
    return access();
  } catch (const DeviceError& e) {
    last_error_ = e.what();
    SC_REPORT_WARNING(kMsgType, fmt::format("{}: {}", name(), e.what()).c_str());
    return ::tlm::TLM_GENERIC_ERROR_RESPONSE;
  }
}

void IrqrigEndpoint::config_transport(tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const tlm_response_status status = guarded([&] {
    catch_up(delay);
    return config_access(trans);
  });
  trans.set_response_status(status);
  flush_upstream();
  // Configuration requests are non-posted: the initiator waits for the completion.
  const sc_core::sc_time device_now = at_ps(device_.now_ps());
  if (device_now > sc_core::sc_time_stamp() + delay) delay = device_now - sc_core::sc_time_stamp();
}

void IrqrigEndpoint::bar0_transport(tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const tlm_response_status status = guarded([&] {
    catch_up(delay);
    return bar0_access(trans);
  });
  trans.set_response_status(status);
  flush_upstream();
  // A memory write is posted (the initiator goes on at once); a read waits for its completion.
  if (!trans.is_read()) return;
  const sc_core::sc_time device_now = at_ps(device_.now_ps());
  if (device_now > sc_core::sc_time_stamp() + delay) delay = device_now - sc_core::sc_time_stamp();
}

tlm_response_status IrqrigEndpoint::config_access(tlm_generic_payload& trans) {
  if (const tlm_response_status shape = check_shape(trans, kConfigBytes, 4); shape != ::tlm::TLM_OK_RESPONSE)
    return shape;
  const std::optional<std::uint8_t> enabled = enabled_bytes(trans);
  if (!enabled) return ::tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
  if (trans.get_command() == ::tlm::TLM_IGNORE_COMMAND) return ::tlm::TLM_OK_RESPONSE;
  const std::uint64_t address = trans.get_address();
  const auto dw = static_cast<std::uint16_t>(address & ~std::uint64_t{3});
  const unsigned lane = address & 3;
  const unsigned length = trans.get_data_length();
  unsigned char* data = trans.get_data_ptr();
  const auto lanes = static_cast<std::uint8_t>(*enabled << lane);
  if (trans.is_read()) {
    const std::uint32_t value = device_.config_read(dw);
    for (unsigned i = 0; i < length; ++i)
      if (*enabled >> i & 1) data[i] = static_cast<unsigned char>(value >> (8 * (lane + i)));
    return ::tlm::TLM_OK_RESPONSE;
  }
  std::uint32_t value = 0;
  for (unsigned i = 0; i < length; ++i)
    if (*enabled >> i & 1) value |= std::uint32_t{data[i]} << (8 * (lane + i));
  if (dw == regs::kCfgBar0 && lanes != 0) {
    // The backend placed BAR0 and answers its accesses there; the platform places the BAR in its own
    // map by routing to `bar0`. Sizing (all ones) and writing back the assigned base are what an
    // enumerator does; any other base would detach the device from its own BAR.
    std::uint32_t lane_mask = 0;
    for (unsigned b = 0; b < 4; ++b)
      if (lanes >> b & 1) lane_mask |= 0xFFu << (8 * b);
    const bool sizing = (value & lane_mask) == lane_mask;
    const bool restoring = ((bar0_base_ & ~lane_mask) | (value & lane_mask)) >> 4 == bar0_base_ >> 4;
    if (!sizing && !restoring) return ::tlm::TLM_COMMAND_ERROR_RESPONSE;
  }
  device_.config_write(dw, value, lanes);
  return ::tlm::TLM_OK_RESPONSE;
}

tlm_response_status IrqrigEndpoint::bar0_access(tlm_generic_payload& trans) {
  if (const tlm_response_status shape = check_shape(trans, kBar0Bytes, 8); shape != ::tlm::TLM_OK_RESPONSE)
    return shape;
  const std::optional<std::uint8_t> enabled = enabled_bytes(trans);
  if (!enabled) return ::tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
  if (trans.get_command() == ::tlm::TLM_IGNORE_COMMAND || *enabled == 0) return ::tlm::TLM_OK_RESPONSE;
  // The enabled bytes have to be one naturally aligned access: a register write cannot be split
  // (VLIST_DATA counts each write), and a MemRd's byte enables cannot skip a byte inside a DW pair.
  const unsigned first = static_cast<unsigned>(std::countr_zero(*enabled));
  const unsigned count = static_cast<unsigned>(std::popcount(*enabled));
  const std::uint64_t address = trans.get_address() + first;
  if (static_cast<unsigned>(*enabled >> first) != (1u << count) - 1 || !std::has_single_bit(count) || address % count)
    return ::tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
  unsigned char* data = trans.get_data_ptr();
  if (trans.is_read()) {
    scatter(data, first, count, device_.bar_read(0, address, count));
  } else {
    device_.bar_write(0, address, gather(data, first, count), count);
  }
  return ::tlm::TLM_OK_RESPONSE;
}

unsigned IrqrigEndpoint::debug_read(tlm_generic_payload& trans, std::uint64_t space_bytes,
                                    const std::function<std::uint32_t(std::uint64_t)>& read_dw) {
  // Reads only, any length, one DW request at a time; the RTL answers them, so its clock moves on by
  // the completion's cycles like for any read (documented).
  if (!trans.is_read()) return 0;
  const std::uint64_t address = trans.get_address();
  if (address >= space_bytes) return 0;
  const auto length = static_cast<unsigned>(std::min<std::uint64_t>(trans.get_data_length(), space_bytes - address));
  try {
    std::uint64_t cached_dw = ~std::uint64_t{0};
    std::uint32_t value = 0;
    for (unsigned i = 0; i < length; ++i) {
      const std::uint64_t a = address + i;
      if ((a & ~std::uint64_t{3}) != cached_dw) {
        cached_dw = a & ~std::uint64_t{3};
        value = read_dw(cached_dw);
      }
      trans.get_data_ptr()[i] = static_cast<unsigned char>(value >> (8 * (a & 3)));
    }
  } catch (const DeviceError& e) {
    last_error_ = e.what();
    return 0;
  }
  return length;
}

unsigned IrqrigEndpoint::config_debug(tlm_generic_payload& trans) {
  return debug_read(trans, kConfigBytes,
                    [this](std::uint64_t dw) { return device_.config_read(static_cast<std::uint16_t>(dw)); });
}

unsigned IrqrigEndpoint::bar0_debug(tlm_generic_payload& trans) {
  return debug_read(trans, kBar0Bytes,
                    [this](std::uint64_t dw) { return static_cast<std::uint32_t>(device_.bar_read(0, dw, 4)); });
}

bool IrqrigEndpoint::refuse_config_dmi(tlm_generic_payload&, ::tlm::tlm_dmi& dmi) {
  // Every access has to reach the RTL: refuse DMI for the whole space so nobody asks again.
  dmi.allow_none();
  dmi.set_start_address(0);
  dmi.set_end_address(kConfigBytes - 1);
  return false;
}

bool IrqrigEndpoint::refuse_bar0_dmi(tlm_generic_payload&, ::tlm::tlm_dmi& dmi) {
  dmi.allow_none();
  dmi.set_start_address(0);
  dmi.set_end_address(kBar0Bytes - 1);
  return false;
}

// ---- Initiator side -----------------------------------------------------------------------------

void IrqrigEndpoint::flush_upstream() {
  // A target may wait inside b_transport and let another thread flush meanwhile: each write is
  // taken off the queue before it is issued, so every write goes out once and in order.
  while (!pending_.empty()) {
    const UpstreamWrite w = std::move(pending_.front());
    pending_.pop_front();
    issue(w);
  }
}

void IrqrigEndpoint::issue(const UpstreamWrite& w) {
  const unsigned length = static_cast<unsigned>(w.data.size() * 4);
  if (length == 0) return;
  std::vector<std::uint8_t> bytes(length);
  std::vector<std::uint8_t> enables(length, TLM_BYTE_ENABLED);
  for (std::size_t d = 0; d < w.data.size(); ++d) {
    // First DW takes First DW BE, the last one Last DW BE (a 1-DW TLP has only the first).
    const std::uint8_t be = d == 0 ? w.first_be : (d + 1 == w.data.size() ? w.last_be : 0xF);
    for (unsigned b = 0; b < 4; ++b) {
      bytes[4 * d + b] = static_cast<std::uint8_t>(w.data[d] >> (8 * b));
      enables[4 * d + b] = (be >> b & 1) ? TLM_BYTE_ENABLED : TLM_BYTE_DISABLED;
    }
  }
  const unsigned split = options_.max_write_bytes;
  unsigned offset = 0;
  while (offset < length) {
    unsigned piece = length - offset;
    if (split) {
      const auto to_boundary = static_cast<unsigned>(split - ((w.address + offset) & (split - 1)));
      piece = std::min(piece, to_boundary);
    }
    issue_piece(w.time_ps, w.address + offset, bytes.data() + offset, enables.data() + offset, piece);
    offset += piece;
  }
}

void IrqrigEndpoint::issue_piece(std::uint64_t time_ps, std::uint64_t address, const std::uint8_t* data,
                                 const std::uint8_t* enables, unsigned length) {
  // A payload of its own per write: a target that waits inside b_transport may see another write
  // issued meanwhile, and must not find this one changed under it.
  std::vector<unsigned char> buffer(data, data + length);
  std::vector<unsigned char> be(enables, enables + length);
  const bool all_enabled = std::all_of(be.begin(), be.end(), [](unsigned char b) { return b == TLM_BYTE_ENABLED; });
  tlm_generic_payload trans;
  trans.set_command(::tlm::TLM_WRITE_COMMAND);
  trans.set_address(address);
  trans.set_data_ptr(buffer.data());
  trans.set_data_length(length);
  trans.set_streaming_width(length);
  trans.set_byte_enable_ptr(all_enabled ? nullptr : be.data());
  trans.set_byte_enable_length(all_enabled ? 0 : length);
  trans.set_dmi_allowed(false);
  trans.set_response_status(::tlm::TLM_INCOMPLETE_RESPONSE);
  const sc_core::sc_time at = at_ps(time_ps);
  sc_core::sc_time delay = at > sc_core::sc_time_stamp() ? at - sc_core::sc_time_stamp() : sc_core::SC_ZERO_TIME;
  upstream->b_transport(trans, delay);
  ++upstream_writes_;
  if (trans.is_response_error()) {
    ++upstream_errors_;
    SC_REPORT_WARNING(kMsgType, fmt::format("{}: the platform answered the device's write of {} bytes at {:#x} with "
                                            "{}",
                                            name(), length, address, trans.get_response_string())
                                    .c_str());
  }
}

}  // namespace irqrig::sim::systemc

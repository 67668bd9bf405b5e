// The irqrig endpoint as a loosely timed SystemC/TLM-2.0 module, for users' own virtual platforms:
// target sockets for config space and BAR0, an initiator socket for its DMA and MSI/MSI-X writes.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "sim/device/device.h"
#include "sim/verilated/verilated_device.h"

namespace irqrig::sim::systemc {

/// The module cannot be built as asked (a time resolution the device's picoseconds do not fit, a
/// split size that is not a power of two...). Thrown during elaboration.
class TlmConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct TlmEndpointOptions {
  /// The backend built when the module owns its device (the constructor without a Device).
  VerilatedDeviceOptions device;
  /// Largest TLM write the initiator socket issues, in bytes: a power of two >= 4, or 0 for one
  /// transaction per TLP. A longer write is cut at multiples of this size (like a bus that bursts
  /// at most this much), every piece at the TLP's time and with its own byte enables.
  unsigned max_write_bytes = 0;
};

/// One irqrig PCIe endpoint in a TLM-2.0 platform.
///
/// Address map: two target sockets, because PCI keeps them apart. `config` takes a function's
/// 4 KiB configuration space at address 0 (an ECAM-style router strips its window's base and the
/// bus/device/function bits); `bar0` takes BAR0 at address 0, 64 KiB (the platform's router places
/// the BAR wherever its memory map wants it and strips the base). Accesses: 1, 2, 4 or 8 bytes
/// naturally aligned on `bar0`, 1, 2 or 4 bytes within one DW on `config`; byte enables are
/// honoured where the access stays expressible as one PCIe request. Errors:
/// TLM_ADDRESS_ERROR_RESPONSE (outside the space, misaligned), TLM_BURST_ERROR_RESPONSE (a size or
/// streaming width PCIe cannot carry), TLM_BYTE_ENABLE_ERROR_RESPONSE, TLM_COMMAND_ERROR_RESPONSE
/// (moving BAR0: see docs/systemc.md), TLM_GENERIC_ERROR_RESPONSE (the device failed: last_error()).
/// DMI is refused: every access has to reach the RTL.
///
/// Timing (loosely timed): SystemC time is device time. The module's thread runs the device to the
/// end of each global quantum (tlm_global_quantum; 0 means one device clock cycle at a time) and
/// sends what it wrote through `upstream`, each write annotated with its own device time relative
/// to sc_time_stamp(). An access reaches the device at the initiator's local time, or at the
/// device's time when the device has run ahead; a read's delay comes back as its completion time.
/// A read never passes the device's posted writes: every write the device sent before the
/// completion has gone through `upstream` before b_transport returns (PCIe ordering).
///
/// Interrupts are writes, not sc_out<bool> wires: MSI and MSI-X are memory writes to 0xFEEx_xxxx
/// that the platform's interrupt controller decodes, and a message travels behind the DMA writes
/// of the records it announces; a wire would lose that ordering. The endpoint has no INTx.
class IrqrigEndpoint : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<IrqrigEndpoint> config;
  tlm_utils::simple_target_socket<IrqrigEndpoint> bar0;
  tlm_utils::simple_initiator_socket<IrqrigEndpoint> upstream;

  /// Owns a VerilatedDevice built from `options.device`.
  explicit IrqrigEndpoint(const sc_core::sc_module_name& name, TlmEndpointOptions options = {});
  /// Owns `device`, any backend.
  IrqrigEndpoint(const sc_core::sc_module_name& name, std::unique_ptr<Device> device,
                 TlmEndpointOptions options = {});
  /// Drives `device`, which must outlive the module.
  IrqrigEndpoint(const sc_core::sc_module_name& name, Device& device, TlmEndpointOptions options = {});
  ~IrqrigEndpoint() override;
  IrqrigEndpoint(const IrqrigEndpoint&) = delete;
  IrqrigEndpoint& operator=(const IrqrigEndpoint&) = delete;

  const char* kind() const override { return "irqrig::sim::systemc::IrqrigEndpoint"; }

  Device& device() { return device_; }
  /// The text of the last device failure answered with TLM_GENERIC_ERROR_RESPONSE ("" if none).
  const std::string& last_error() const { return last_error_; }
  /// Upstream writes the platform answered with an error (a posted write has nobody to tell).
  std::uint64_t upstream_errors() const { return upstream_errors_; }
  /// TLM write transactions issued through `upstream`.
  std::uint64_t upstream_writes() const { return upstream_writes_; }

 private:
  SC_HAS_PROCESS(IrqrigEndpoint);
  void init();
  void device_thread();
  void config_transport(::tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void bar0_transport(::tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned config_debug(::tlm::tlm_generic_payload& trans);
  unsigned bar0_debug(::tlm::tlm_generic_payload& trans);
  /// A debug read of `space_bytes` bytes of one space, DW by DW through `read_dw`.
  unsigned debug_read(::tlm::tlm_generic_payload& trans, std::uint64_t space_bytes,
                      const std::function<std::uint32_t(std::uint64_t)>& read_dw);
  bool refuse_config_dmi(::tlm::tlm_generic_payload& trans, ::tlm::tlm_dmi& dmi);
  bool refuse_bar0_dmi(::tlm::tlm_generic_payload& trans, ::tlm::tlm_dmi& dmi);

  /// Runs the device to SystemC time plus `delay` if it is behind, so an access lands at the
  /// later of the initiator's and the device's time.
  void catch_up(const sc_core::sc_time& delay);
  /// Checks and carries out one access; returns the TLM response. A read fills the enabled bytes only.
  ::tlm::tlm_response_status config_access(::tlm::tlm_generic_payload& trans);
  ::tlm::tlm_response_status bar0_access(::tlm::tlm_generic_payload& trans);
  /// Runs `access`, turning a device failure into TLM_GENERIC_ERROR_RESPONSE.
  template <typename Access>
  ::tlm::tlm_response_status guarded(Access&& access);
  /// Issues every write the device has sent so far, in order.
  void flush_upstream();
  void issue(const UpstreamWrite& w);
  void issue_piece(std::uint64_t time_ps, std::uint64_t address, const std::uint8_t* data,
                   const std::uint8_t* enables, unsigned length);

  sc_core::sc_time at_ps(std::uint64_t ps) const;
  std::uint64_t ps_of(const sc_core::sc_time& t) const;

  std::unique_ptr<Device> owned_;
  Device& device_;
  TlmEndpointOptions options_;
  tlm_utils::tlm_quantumkeeper keeper_;
  std::deque<UpstreamWrite> pending_;
  std::uint32_t bar0_base_ = 0;  // BAR0 as the backend assigned it
  std::uint64_t units_per_ps_ = 1;
  std::string last_error_;
  std::uint64_t upstream_errors_ = 0;
  std::uint64_t upstream_writes_ = 0;
};

}  // namespace irqrig::sim::systemc

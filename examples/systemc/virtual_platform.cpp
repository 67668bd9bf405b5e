// A minimal virtual platform around the irqrig endpoint's TLM-2.0 module: a CPU-like initiator
// enumerates it over ECAM, programs a ring, MSI-X and a burst, and drains the ring on every MSI.
//
// Memory map (the router's): RAM 0x0000_0000 (1 MiB), ECAM 0xE000_0000 (256 MiB, the endpoint at
// bus 1 device 0), BAR0 0xF000_0000 (64 KiB), interrupt controller 0xFEE0_0000 (1 MiB).
// Exit code 0 when every check holds: each sequence number seen exactly once, events == records,
// MSIs > 0 and as many as the device sent.

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "irqrig/regs.h"
#include "sim/tlm/irqrig_tlm.h"

namespace irqrig::examples {

using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

constexpr std::uint64_t kRamBase = 0x0000'0000, kRamBytes = 1 << 20;
constexpr std::uint64_t kEcamBase = 0xE000'0000, kEcamBytes = 256ull << 20;
constexpr std::uint64_t kBar0Base = 0xF000'0000, kBar0Bytes = 1 << 16;
constexpr std::uint64_t kPicBase = 0xFEE0'0000, kPicBytes = 1 << 20;
constexpr unsigned kEndpointBus = 1, kEndpointDevice = 0;

/// A failed check of the example; sc_main prints it and exits 1.
class CheckFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// RAM: an array behind a target socket, byte enables honoured.
class Memory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Memory> socket{"socket"};

  Memory(const sc_core::sc_module_name& name, std::size_t bytes) : sc_module(name), bytes_(bytes, 0) {
    socket.register_b_transport(this, &Memory::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
    const std::uint64_t address = trans.get_address();
    const unsigned length = trans.get_data_length();
    if (address >= bytes_.size() || bytes_.size() - address < length) {
      trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (trans.get_streaming_width() < length) {
      trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
      return;
    }
    const unsigned char* be = trans.get_byte_enable_ptr();
    const unsigned be_length = trans.get_byte_enable_length();
    for (unsigned i = 0; i < length; ++i) {
      if (be && be[i % be_length] != TLM_BYTE_ENABLED) continue;
      if (trans.is_read()) trans.get_data_ptr()[i] = bytes_[address + i];
      if (trans.is_write()) bytes_[address + i] = trans.get_data_ptr()[i];
    }
    delay += sc_time(20, SC_NS);
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
  }

  std::vector<std::uint8_t> bytes_;
};

/// The 0xFEEx_xxxx window: decodes an MSI (destination APIC ID in address bits 19:12, vector in
/// data bits 7:0), counts it per vector and wakes the CPU at the message's arrival time.
class InterruptController : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<InterruptController> socket{"socket"};

  struct Arrival {
    sc_time at;
    unsigned destination;
    unsigned vector;
  };

  explicit InterruptController(const sc_core::sc_module_name& name) : sc_module(name) {
    socket.register_b_transport(this, &InterruptController::b_transport);
  }

  const sc_core::sc_event& arrived() const { return arrived_.default_event(); }
  /// Messages that have arrived by `t` (one may be announced for later: the device runs ahead).
  std::size_t arrived_by(const sc_time& t) const {
    std::size_t n = 0;
    for (const Arrival& a : arrivals_) n += a.at <= t ? 1 : 0;
    return n;
  }
  const std::vector<Arrival>& arrivals() const { return arrivals_; }
  unsigned count(unsigned vector) const {
    const auto it = per_vector_.find(vector);
    return it == per_vector_.end() ? 0 : it->second;
  }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
    if (!trans.is_write()) {
      trans.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return;
    }
    if (trans.get_data_length() != 4 || trans.get_byte_enable_ptr() || (trans.get_address() & 3)) {
      trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
      return;
    }
    const unsigned char* d = trans.get_data_ptr();
    const std::uint32_t data = d[0] | d[1] << 8 | d[2] << 16 | static_cast<std::uint32_t>(d[3]) << 24;
    const sc_time at = sc_core::sc_time_stamp() + delay;
    arrivals_.push_back({at, static_cast<unsigned>(trans.get_address() >> 12 & 0xFF), data & 0xFF});
    ++per_vector_[data & 0xFF];
    arrived_.notify(delay);
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
  }

  std::vector<Arrival> arrivals_;
  std::map<unsigned, unsigned> per_vector_;
  sc_core::sc_event_queue arrived_{"arrived"};
};

/// The interconnect: the CPU reaches everything; the endpoint's writes reach RAM and the interrupt
/// controller only (no peer-to-peer). ECAM accesses to the endpoint's bus/device/function go to its
/// `config` socket, other functions read as all ones like an empty slot.
class Router : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Router> cpu_side{"cpu_side"};
  tlm_utils::simple_target_socket<Router> device_side{"device_side"};
  tlm_utils::simple_initiator_socket<Router> ram{"ram"};
  tlm_utils::simple_initiator_socket<Router> pic{"pic"};
  tlm_utils::simple_initiator_socket<Router> config{"config"};
  tlm_utils::simple_initiator_socket<Router> bar0{"bar0"};

  explicit Router(const sc_core::sc_module_name& name) : sc_module(name) {
    cpu_side.register_b_transport(this, &Router::from_cpu);
    device_side.register_b_transport(this, &Router::from_device);
  }

 private:
  static bool within(std::uint64_t a, std::uint64_t base, std::uint64_t bytes) { return a >= base && a - base < bytes; }

  static void forward(tlm_utils::simple_initiator_socket<Router>& out, std::uint64_t base,
                      tlm::tlm_generic_payload& trans, sc_time& delay) {
    const std::uint64_t address = trans.get_address();
    trans.set_address(address - base);
    out->b_transport(trans, delay);
    trans.set_address(address);
  }

  void from_device(tlm::tlm_generic_payload& trans, sc_time& delay) {
    const std::uint64_t a = trans.get_address();
    if (within(a, kRamBase, kRamBytes)) return forward(ram, kRamBase, trans, delay);
    if (within(a, kPicBase, kPicBytes)) return forward(pic, kPicBase, trans, delay);
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  }

  void from_cpu(tlm::tlm_generic_payload& trans, sc_time& delay) {
    const std::uint64_t a = trans.get_address();
    if (within(a, kRamBase, kRamBytes)) return forward(ram, kRamBase, trans, delay);
    if (within(a, kBar0Base, kBar0Bytes)) return forward(bar0, kBar0Base, trans, delay);
    if (within(a, kEcamBase, kEcamBytes)) {
      const std::uint64_t function = (a - kEcamBase) >> 12;
      if (function == (kEndpointBus << 8 | kEndpointDevice << 3)) {
        return forward(config, kEcamBase + (function << 12), trans, delay);
      }
      if (trans.is_read()) std::fill_n(trans.get_data_ptr(), trans.get_data_length(), 0xFF);
      trans.set_response_status(tlm::TLM_OK_RESPONSE);
      return;
    }
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  }
};

struct CpuOptions {
  std::uint32_t events = 64;
  std::uint32_t gap_cycles = 40;
  unsigned ring_log2 = 4;  // 16 records: the burst only completes if the CPU keeps draining
  std::string trace_path;
};

/// A CPU-like initiator, loosely timed with its own quantum keeper: enumeration, set-up, then an
/// interrupt-driven loop that drains the ring.
class Cpu : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Cpu> socket{"socket"};

  Cpu(const sc_core::sc_module_name& name, const InterruptController& pic, const sim::systemc::IrqrigEndpoint& endpoint,
      CpuOptions options)
      : sc_module(name), pic_(pic), endpoint_(endpoint), options_(std::move(options)) {
    SC_THREAD(run);
  }

  bool passed() const { return passed_; }
  const std::string& failure() const { return failure_; }
  const std::string& summary() const { return summary_; }

 private:
  SC_HAS_PROCESS(Cpu);

  static constexpr std::uint64_t kRing = kRamBase + 0x1000, kProducer = kRamBase + 0x800;
  static constexpr unsigned kVectors = 4, kFirstVector = 0x30;

  void access(tlm::tlm_command command, std::uint64_t address, unsigned char* data, unsigned length) {
    tlm::tlm_generic_payload trans;
    trans.set_command(command);
    trans.set_address(address);
    trans.set_data_ptr(data);
    trans.set_data_length(length);
    trans.set_streaming_width(length);
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = keeper_.get_local_time();
    socket->b_transport(trans, delay);
    if (trans.is_response_error())
      throw CheckFailed(fmt::format("{} of {} bytes at {:#x}: {}", command == tlm::TLM_READ_COMMAND ? "read" : "write",
                                    length, address, trans.get_response_string()));
    keeper_.set(delay);
    if (keeper_.need_sync()) keeper_.sync();
  }
  std::uint32_t read(std::uint64_t address, unsigned length = 4) {
    unsigned char d[4] = {};
    access(tlm::TLM_READ_COMMAND, address, d, length);
    return d[0] | d[1] << 8 | d[2] << 16 | static_cast<std::uint32_t>(d[3]) << 24;
  }
  void write(std::uint64_t address, std::uint32_t value, unsigned length = 4) {
    unsigned char d[4] = {static_cast<unsigned char>(value), static_cast<unsigned char>(value >> 8),
                          static_cast<unsigned char>(value >> 16), static_cast<unsigned char>(value >> 24)};
    access(tlm::TLM_WRITE_COMMAND, address, d, length);
  }
  static std::uint64_t ecam(unsigned bus, unsigned device, unsigned reg) {
    return kEcamBase + (std::uint64_t{bus} << 20 | std::uint64_t{device} << 15 | reg);
  }
  void check(bool ok, const std::string& what) {
    if (!ok) throw CheckFailed(what);
  }

  void run() {
    try {
      const std::uint64_t bar = enumerate();
      program(bar);
      drain(bar);
      verify(bar);
      passed_ = true;
    } catch (const std::exception& e) {
      failure_ = e.what();
    }
    sc_core::sc_stop();
  }

  // Finds the endpoint on bus 1, its MSI-X capability and BAR0, the way firmware and a driver do.
  std::uint64_t enumerate() {
    unsigned found = 32;
    for (unsigned dev = 0; dev < 32 && found == 32; ++dev) {
      const std::uint32_t id = read(ecam(kEndpointBus, dev, 0x00));
      if ((id & 0xFFFF) == regs::kVendorId && id >> 16 == regs::kDeviceId) found = dev;
    }
    check(found < 32, "no irqrig endpoint on bus 1");
    auto cfg = [&](unsigned reg) { return ecam(kEndpointBus, found, reg); };
    check(read(cfg(0x06), 2) & 0x10, "Status: no capabilities list");
    unsigned cap = read(cfg(0x34), 1) & 0xFC;
    for (unsigned hops = 0; cap != 0 && hops < 48; ++hops) {
      if ((read(cfg(cap), 1)) == 0x11) break;  // MSI-X
      cap = read(cfg(cap + 1), 1) & 0xFC;
    }
    check(cap != 0, "no MSI-X capability");
    msix_cap_ = cfg(cap);
    const std::uint32_t control = read(msix_cap_ + 2, 2);
    table_size_ = (control & 0x7FF) + 1;
    const std::uint32_t table = read(msix_cap_ + 4);
    check((table & 7) == 0, "MSI-X table is not in BAR0");
    table_offset_ = table & ~7u;
    // Size BAR0 (all ones, read back, restore) and check the router maps it where the BAR says.
    const std::uint32_t assigned = read(cfg(0x10));
    write(cfg(0x10), 0xFFFFFFFF);
    const std::uint64_t bar_bytes = std::uint64_t{~(read(cfg(0x10)) & ~0xFu)} + 1;
    write(cfg(0x10), assigned);
    check((assigned & ~0xFu) == kBar0Base && bar_bytes == kBar0Bytes,
          fmt::format("BAR0 at {:#x} of {:#x} bytes, the router maps {:#x}", assigned & ~0xFu, bar_bytes, kBar0Base));
    write(cfg(0x04), 0x6, 2);  // Memory Space, Bus Master
    const std::uint64_t bar = kBar0Base;
    check(read(bar + regs::REGMAP_HASH) == regs::kRegmapHash, "REGMAP_HASH differs from irqrig/regs.h");
    cycle_ps_ = 1'000'000 / ((read(bar + regs::CAPS) & regs::CAPS_CLK_MHZ_MASK) >> regs::CAPS_CLK_MHZ_SHIFT);
    std::cout << fmt::format("enumerated {:04x}:{:04x} at 01:{:02x}.0, MSI-X cap {:#x} ({} vectors, table at BAR0+{:#x}), "
                             "BAR0 {:#x}\n",
                             regs::kVendorId, regs::kDeviceId, found, cap, table_size_, table_offset_, bar);
    return bar;
  }

  void program(std::uint64_t bar) {
    check(table_size_ >= kVectors, "fewer MSI-X vectors than the example uses");
    for (unsigned k = 0; k < kVectors; ++k) {
      const std::uint64_t entry = bar + table_offset_ + 16 * k;
      write(entry + 0, static_cast<std::uint32_t>(kPicBase));  // destination APIC ID 0
      write(entry + 4, 0);
      write(entry + 8, kFirstVector + k);
      write(entry + 12, 0);  // unmasked
    }
    const std::uint32_t control = read(msix_cap_ + 2, 2);
    write(msix_cap_ + 2, (control | 0x8000) & ~0x4000u, 2);  // Enable, no Function Mask

    write(bar + regs::CTRL, regs::CTRL_CLEAR_MASK);
    write(bar + regs::RING_BASE_LO, static_cast<std::uint32_t>(kRing));
    write(bar + regs::RING_BASE_HI, 0);
    write(bar + regs::RING_LOG2, options_.ring_log2);
    write(bar + regs::RING_PROD_ADDR_LO, static_cast<std::uint32_t>(kProducer));
    write(bar + regs::RING_PROD_ADDR_HI, 0);
    write(bar + regs::RING_CTRL, 0);  // stall on a full ring: nothing is lost
    consumer_ = read(bar + regs::RING_PROD);
    write(bar + regs::RING_CONS, consumer_);

    write(bar + regs::BURST_EVENTS, options_.events);
    write(bar + regs::BURST_GAP, options_.gap_cycles);
    write(bar + regs::BURST_PATTERN, 0);  // round robin
    write(bar + regs::BURST_SEED, 1);
    write(bar + regs::BURST_REPEAT, 1);
    write(bar + regs::BURST_PAUSE, 0);
    write(bar + regs::VLIST_LEN, kVectors);
    write(bar + regs::VLIST_IDX, 0);
    for (unsigned k = 0; k < kVectors; ++k) write(bar + regs::VLIST_DATA, k);
    write(bar + regs::CTRL, regs::CTRL_START_MASK);
  }

  // Sleeps until a message arrives, then takes every record up to the DMA'd producer index.
  void drain(std::uint64_t bar) {
    std::ofstream trace;
    if (!options_.trace_path.empty()) trace.open(options_.trace_path);
    const unsigned ring_records = 1u << options_.ring_log2;
    std::size_t handled = 0;
    while (seen_.size() < options_.events) {
      keeper_.sync();
      if (pic_.arrived_by(sc_core::sc_time_stamp()) == handled) {
        const sc_time deadline = sc_core::sc_time_stamp() + sc_time(200, SC_US);
        while (pic_.arrived_by(sc_core::sc_time_stamp()) == handled && sc_core::sc_time_stamp() < deadline)
          wait(deadline - sc_core::sc_time_stamp(), pic_.arrived());
        check(pic_.arrived_by(sc_core::sc_time_stamp()) > handled,
              fmt::format("no MSI for 200 us with {} of {} records seen", seen_.size(), options_.events));
      }
      handled = pic_.arrived_by(sc_core::sc_time_stamp());
      const std::uint32_t producer = read(kProducer);
      for (; consumer_ != producer; ++consumer_) {
        const std::uint64_t slot = kRing + 16ull * (consumer_ & (ring_records - 1));
        const std::uint32_t seq = read(slot), tag_vector = read(slot + 4);
        const std::uint64_t stamp = read(slot + 8) | std::uint64_t{read(slot + 12)} << 32;
        check(tag_vector >> 16 == 1, fmt::format("record {} has no valid tag", consumer_));
        check(seen_.insert(seq).second, fmt::format("sequence number {} seen twice", seq));
        const auto now_ps = static_cast<std::uint64_t>(keeper_.get_current_time() / sc_time(1, sc_core::SC_PS));
        // Loosely timed: RAM shows a DMA write at once, and the device runs at most one quantum
        // (plus the cycle that crosses it) ahead, so a record can be read that much before its event.
        const auto lead_ps = static_cast<std::uint64_t>(tlm_utils::tlm_quantumkeeper::get_global_quantum() /
                                                        sc_time(1, sc_core::SC_PS)) + cycle_ps_;
        check(stamp * cycle_ps_ <= now_ps + lead_ps,
              fmt::format("record {} read at {} ps, more than a quantum before its event at {} ps", seq, now_ps,
                          stamp * cycle_ps_));
        if (trace) trace << fmt::format("record seq {} vector {} stamp {} read_ps {}\n", seq, tag_vector & 0xFFFF, stamp, now_ps);
      }
      write(bar + regs::RING_CONS, consumer_);
    }
    // The last message may still be on its way: wait until the device has nothing in flight.
    for (unsigned polls = 0; read(bar + regs::STATUS) & regs::STATUS_BUSY_MASK; ++polls) {
      check(polls < 1000, "the device stays busy");
      keeper_.inc(sc_time(1, SC_US));
    }
    keeper_.sync();
    if (trace)
      for (const auto& a : pic_.arrivals()) trace << fmt::format("msi at {} dest {} vector {:#x}\n", a.at.to_string(), a.destination, a.vector);
  }

  void verify(std::uint64_t bar) {
    const std::uint32_t events = read(bar + regs::CNT_EVENTS);
    const std::uint32_t sent = read(bar + regs::CNT_MSI_SENT);
    keeper_.sync();
    const std::size_t msis = pic_.arrived_by(sc_core::sc_time_stamp());
    check(events == options_.events, fmt::format("CNT_EVENTS {} for a burst of {}", events, options_.events));
    check(seen_.size() == events, fmt::format("{} records seen for {} events", seen_.size(), events));
    check(*seen_.rbegin() - *seen_.begin() + 1 == seen_.size(), "the sequence numbers have a gap");
    check(msis > 0, "no MSI arrived");
    check(msis == sent && pic_.arrivals().size() == sent,
          fmt::format("{} MSIs arrived, the device sent {}", msis, sent));
    for (unsigned k = 0; k < kVectors; ++k) {
      const unsigned got = pic_.count(kFirstVector + k);
      check(got == options_.events / kVectors + (k < options_.events % kVectors ? 1 : 0),
            fmt::format("vector {:#x} interrupted {} times", kFirstVector + k, got));
    }
    check(endpoint_.upstream_errors() == 0, "the platform refused a device write");
    summary_ = fmt::format("events {} records {} duplicates 0 msis {} (device sent {}) per vector {}/{}/{}/{} "
                           "upstream writes {} sim time {}",
                           events, seen_.size(), msis, sent, pic_.count(kFirstVector), pic_.count(kFirstVector + 1),
                           pic_.count(kFirstVector + 2), pic_.count(kFirstVector + 3), endpoint_.upstream_writes(),
                           sc_core::sc_time_stamp().to_string());
  }

  const InterruptController& pic_;
  const sim::systemc::IrqrigEndpoint& endpoint_;
  CpuOptions options_;
  tlm_utils::tlm_quantumkeeper keeper_;
  std::uint64_t msix_cap_ = 0;
  unsigned table_size_ = 0;
  std::uint32_t table_offset_ = 0;
  std::uint64_t cycle_ps_ = 4000;
  std::uint32_t consumer_ = 0;
  std::set<std::uint32_t> seen_;
  bool passed_ = false;
  std::string failure_;
  std::string summary_;
};

}  // namespace irqrig::examples

int sc_main(int argc, char* argv[]) {
  using namespace irqrig;
  CLI::App app{"irqrig endpoint in a minimal SystemC/TLM-2.0 virtual platform"};
  examples::CpuOptions cpu_options;
  unsigned quantum_ns = 1000;
  sim::systemc::TlmEndpointOptions endpoint_options;
  endpoint_options.device.num_vectors = 32;
  app.add_option("--events", cpu_options.events, "events in the burst")->check(CLI::Range(1u, 100000u));
  app.add_option("--gap", cpu_options.gap_cycles, "device cycles between events");
  app.add_option("--quantum-ns", quantum_ns, "global quantum (0: the device steps one cycle at a time)");
  app.add_option("--split", endpoint_options.max_write_bytes, "largest TLM write the endpoint issues (0: whole TLPs)");
  app.add_option("--trace", cpu_options.trace_path, "write every record and MSI with its time to this file");
  CLI11_PARSE(app, argc, argv);

  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(quantum_ns, sc_core::SC_NS));

  sim::systemc::IrqrigEndpoint endpoint("endpoint", endpoint_options);
  examples::Memory ram("ram", examples::kRamBytes);
  examples::InterruptController pic("pic");
  examples::Router router("router");
  examples::Cpu cpu("cpu", pic, endpoint, cpu_options);
  cpu.socket.bind(router.cpu_side);
  endpoint.upstream.bind(router.device_side);  // DMA and MSI-X writes
  router.config.bind(endpoint.config);         // ECAM window of bus 1 device 0
  router.bar0.bind(endpoint.bar0);             // BAR0 window
  router.ram.bind(ram.socket);
  router.pic.bind(pic.socket);
  sc_core::sc_start(sc_core::sc_time(50, sc_core::SC_MS));

  if (!cpu.passed()) {
    std::cerr << "virtual_platform: FAILED: " << (cpu.failure().empty() ? "did not finish in 50 ms" : cpu.failure())
              << "\n";
    return 1;
  }
  std::cout << "virtual_platform: OK: " << cpu.summary() << "\n";
  return 0;
}

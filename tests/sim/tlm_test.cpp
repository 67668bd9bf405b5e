// The endpoint's SystemC/TLM-2.0 module: error responses for accesses PCIe cannot carry, timing
// annotation, the device's writes on the initiator socket (data, byte enables, times, splitting).
// SystemC elaborates once per process: ctest runs every case in its own (gtest_discover_tests).
#include "sim/tlm/irqrig_tlm.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "irqrig/regs.h"

namespace irqrig::sim::systemc {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

constexpr std::uint64_t kCyclePs = 4000;

std::uint64_t ps(const sc_time& t) { return static_cast<std::uint64_t>(t / sc_time(1, sc_core::SC_PS)); }

void one_elaboration_per_process() {
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION)
    throw std::logic_error("one TLM test per process: run with --gtest_filter=Suite.Test (ctest does)");
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);
}

/// A Device whose state and upstream writes the test scripts: every access is logged with the device
/// time it happened at; a read or a configuration write takes ten cycles, like a completion.
class ScriptedDevice final : public Device {
 public:
  struct Access {
    char kind;  // 'c' config read, 'C' config write, 'b' BAR read, 'B' BAR write
    std::uint64_t offset;
    std::uint64_t value;
    unsigned size_or_enables;
  };
  struct Advance {
    std::uint64_t sc_now_ps;
    std::uint64_t target_ps;
  };

  ScriptedDevice() {
    config_[regs::kCfgBar0 / 4] = 0xF0000000u;
    now_ = 25 * kCyclePs;  // enumeration took a few cycles before the simulation starts
  }

  std::uint32_t config_read(std::uint16_t offset) override {
    accesses.push_back({'c', offset, 0, 4});
    run(10);
    return config_.at(offset / 4);
  }
  void config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable) override {
    accesses.push_back({'C', offset, value, byte_enable});
    std::uint32_t& reg = config_.at(offset / 4);
    for (unsigned b = 0; b < 4; ++b)
      if (byte_enable >> b & 1) reg = (reg & ~(0xFFu << (8 * b))) | (value & (0xFFu << (8 * b)));
    run(10);
  }
  std::uint64_t bar_read(unsigned bar, std::uint64_t offset, unsigned size) override {
    accesses.push_back({'b', offset, 0, size});
    if (failing_offset && *failing_offset == offset) throw DeviceError("no completion for tag 3 within 100000 cycles");
    run(10);
    std::uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= std::uint64_t{bar_.at(offset + i)} << (8 * i);
    return v;
  }
  void bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) override {
    accesses.push_back({'B', offset, value, size});
    for (unsigned i = 0; i < size; ++i) bar_.at(offset + i) = static_cast<std::uint8_t>(value >> (8 * i));
  }
  void advance_to(std::uint64_t time_ps) override {
    advances.push_back({ps(sc_core::sc_time_stamp()), time_ps});
    while (now_ < time_ps) run(1);
  }
  std::uint64_t now_ps() const override { return now_; }
  std::uint64_t cycle_ps() const override { return kCyclePs; }
  std::uint64_t cycles() const override { return now_ / kCyclePs; }

  /// Sent once the device's clock passes its time_ps (in the order given, times nondecreasing).
  std::vector<UpstreamWrite> script;
  std::optional<std::uint64_t> failing_offset;
  std::vector<Access> accesses;
  std::vector<Advance> advances;

 private:
  void run(unsigned cycles) {
    for (unsigned i = 0; i < cycles; ++i) {
      now_ += kCyclePs;
      while (next_ < script.size() && script[next_].time_ps <= now_) emit(UpstreamWrite(script[next_++]));
    }
  }

  std::array<std::uint32_t, 1024> config_{};
  std::vector<std::uint8_t> bar_ = std::vector<std::uint8_t>(1 << 16, 0);
  std::uint64_t now_ = 0;
  std::size_t next_ = 0;
};

/// A loosely timed initiator on both target sockets, running `script` in its thread.
class Initiator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Initiator> config{"config"};
  tlm_utils::simple_initiator_socket<Initiator> bar0{"bar0"};

  struct Result {
    tlm::tlm_response_status status;
    sc_time start;  // the initiator's local time when it issued the access
    sc_time end;    // ... when the access came back
    std::vector<std::uint8_t> data;
  };

  Initiator(const sc_core::sc_module_name& name, std::function<void(Initiator&)> script)
      : sc_module(name), script_(std::move(script)) {
    SC_THREAD(run);
  }

  Result access(tlm_utils::simple_initiator_socket<Initiator>& socket, tlm::tlm_command command, std::uint64_t address,
                std::vector<std::uint8_t> data, std::vector<std::uint8_t> enables = {},
                std::optional<unsigned> streaming_width = std::nullopt) {
    tlm::tlm_generic_payload trans;
    trans.set_command(command);
    trans.set_address(address);
    trans.set_data_ptr(data.data());
    trans.set_data_length(static_cast<unsigned>(data.size()));
    trans.set_streaming_width(streaming_width.value_or(static_cast<unsigned>(data.size())));
    trans.set_byte_enable_ptr(enables.empty() ? nullptr : enables.data());
    trans.set_byte_enable_length(static_cast<unsigned>(enables.size()));
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = keeper.get_local_time();
    const sc_time start = sc_core::sc_time_stamp() + delay;
    socket->b_transport(trans, delay);
    keeper.set(delay);
    const sc_time end = keeper.get_current_time();
    if (sync_when_needed && keeper.need_sync()) keeper.sync();
    return {trans.get_response_status(), start, end, std::move(data)};
  }
  Result read(tlm_utils::simple_initiator_socket<Initiator>& socket, std::uint64_t address, unsigned size) {
    return access(socket, tlm::TLM_READ_COMMAND, address, std::vector<std::uint8_t>(size, 0xEE));
  }
  Result write(tlm_utils::simple_initiator_socket<Initiator>& socket, std::uint64_t address, std::uint64_t value,
               unsigned size) {
    std::vector<std::uint8_t> d(size);
    for (unsigned i = 0; i < size; ++i) d[i] = static_cast<std::uint8_t>(value >> (8 * i));
    return access(socket, tlm::TLM_WRITE_COMMAND, address, std::move(d));
  }
  static std::uint64_t value(const Result& r) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < r.data.size(); ++i) v |= std::uint64_t{r.data[i]} << (8 * i);
    return v;
  }

  tlm_utils::tlm_quantumkeeper keeper;
  /// False: the initiator never yields, so only its own accesses run the device.
  bool sync_when_needed = true;
  bool finished = false;

 private:
  SC_HAS_PROCESS(Initiator);
  void run() {
    if (!script_) return;  // only there to bind the target sockets
    keeper.reset();
    script_(*this);
    finished = true;
    sc_core::sc_stop();
  }
  std::function<void(Initiator&)> script_;
};

/// The platform side of `upstream`: keeps every write with its arrival time.
class Sink : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Sink> socket{"socket"};

  struct Write {
    sc_time at;
    std::uint64_t address;
    std::vector<std::uint8_t> data;
    std::vector<std::uint8_t> enables;  // empty: all bytes enabled
  };

  explicit Sink(const sc_core::sc_module_name& name) : sc_module(name) {
    socket.register_b_transport(this, &Sink::b_transport);
  }

  std::vector<Write> writes;
  /// Addresses answered with TLM_ADDRESS_ERROR_RESPONSE.
  std::optional<std::uint64_t> refused;
  std::function<void(const Write&)> on_write;

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
    EXPECT_EQ(trans.get_command(), tlm::TLM_WRITE_COMMAND);
    EXPECT_EQ(trans.get_streaming_width(), trans.get_data_length());
    Write w{sc_core::sc_time_stamp() + delay, trans.get_address(),
            std::vector<std::uint8_t>(trans.get_data_ptr(), trans.get_data_ptr() + trans.get_data_length()),
            {}};
    if (trans.get_byte_enable_ptr())
      w.enables.assign(trans.get_byte_enable_ptr(), trans.get_byte_enable_ptr() + trans.get_byte_enable_length());
    if (refused && *refused == w.address) {
      trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    writes.push_back(w);
    if (on_write) on_write(writes.back());
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

/// The module, an initiator on both target sockets and a sink on `upstream`, wired.
template <typename... EndpointArgs>
struct Bench {
  IrqrigEndpoint endpoint;
  Initiator cpu;
  Sink sink{"sink"};

  Bench(std::function<void(Initiator&)> script, EndpointArgs&&... args)
      : endpoint("endpoint", std::forward<EndpointArgs>(args)...), cpu("cpu", std::move(script)) {
    cpu.config.bind(endpoint.config);
    cpu.bar0.bind(endpoint.bar0);
    endpoint.upstream.bind(sink.socket);
  }
};

VerilatedDeviceOptions small_device() {
  VerilatedDeviceOptions o;
  o.num_vectors = 32;
  return o;
}

TlmEndpointOptions verilated(unsigned max_write_bytes = 0) {
  TlmEndpointOptions o;
  o.device = small_device();
  o.max_write_bytes = max_write_bytes;
  return o;
}

std::vector<std::uint8_t> bytes(std::initializer_list<int> list) {
  std::vector<std::uint8_t> v;
  for (int b : list) v.push_back(static_cast<std::uint8_t>(b));
  return v;
}

TEST(TlmEndpoint, BadAccessesGetTlmErrorResponses) {
  one_elaboration_per_process();
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, SC_US));
  Bench<TlmEndpointOptions> bench(
      [](Initiator& c) {
        using tlm::TLM_READ_COMMAND, tlm::TLM_WRITE_COMMAND;
        // Unmapped: past the 4 KiB config space, past the 64 KiB BAR, an 8-byte access over its end.
        EXPECT_EQ(c.read(c.config, 0x1000, 4).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(c.read(c.bar0, 0x10000, 4).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(c.write(c.bar0, 0x1'0000'0000ull, 0, 4).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        // Sizes PCIe does not carry as one request.
        EXPECT_EQ(c.read(c.bar0, regs::SCRATCH, 3).status, tlm::TLM_BURST_ERROR_RESPONSE);
        EXPECT_EQ(c.read(c.bar0, regs::SCRATCH, 16).status, tlm::TLM_BURST_ERROR_RESPONSE);
        EXPECT_EQ(c.read(c.bar0, regs::SCRATCH, 0).status, tlm::TLM_BURST_ERROR_RESPONSE);
        EXPECT_EQ(c.read(c.config, 0x00, 8).status, tlm::TLM_BURST_ERROR_RESPONSE);
        EXPECT_EQ(c.access(c.bar0, TLM_READ_COMMAND, regs::SCRATCH, std::vector<std::uint8_t>(4), {}, 1).status,
                  tlm::TLM_BURST_ERROR_RESPONSE);
        // Misaligned.
        EXPECT_EQ(c.read(c.bar0, regs::SCRATCH + 2, 4).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(c.read(c.bar0, 0x4, 8).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(c.read(c.config, 0x03, 2).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        // Byte enables: split lanes on BAR0, a value other than 0x00/0xFF, an empty array.
        EXPECT_EQ(c.access(c.bar0, TLM_WRITE_COMMAND, regs::SCRATCH, bytes({1, 2, 3, 4}), bytes({0xFF, 0, 0xFF, 0}))
                      .status,
                  tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        EXPECT_EQ(c.access(c.bar0, TLM_WRITE_COMMAND, regs::SCRATCH, bytes({1, 2, 3, 4}), bytes({0x0F})).status,
                  tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        // Moving BAR0 would detach the backend from its own BAR.
        EXPECT_EQ(c.write(c.config, regs::kCfgBar0, 0xE0000000u, 4).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
        // None of that reached the device: SCRATCH still reads its reset value, BAR0 is where it was.
        EXPECT_EQ(Initiator::value(c.read(c.bar0, regs::SCRATCH, 4)), 0u);
        EXPECT_EQ(Initiator::value(c.read(c.config, regs::kCfgBar0, 4)) & ~0xFu, 0xF0000000u);
        // The accesses around them work.
        const auto id = c.read(c.config, 0x00, 4);
        EXPECT_EQ(id.status, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(Initiator::value(id), std::uint64_t{regs::kDeviceId} << 16 | regs::kVendorId);
        EXPECT_EQ(Initiator::value(c.read(c.config, 0x02, 2)), regs::kDeviceId);
        EXPECT_EQ(Initiator::value(c.read(c.bar0, regs::REGMAP_HASH, 4)), regs::kRegmapHash);
        // Sizing BAR0 and writing its base back is what an enumerator does: allowed.
        EXPECT_EQ(c.write(c.config, regs::kCfgBar0, 0xFFFFFFFFu, 4).status, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(Initiator::value(c.read(c.config, regs::kCfgBar0, 4)) & ~0xFu,
                  ~((std::uint64_t{1} << regs::kBar0SizeLog2) - 1) & 0xFFFFFFF0u);
        EXPECT_EQ(c.write(c.config, regs::kCfgBar0, 0xF0000000u, 4).status, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(Initiator::value(c.read(c.bar0, regs::REGMAP_HASH, 4)), regs::kRegmapHash);
        // Byte enables that make one aligned access are honoured, the disabled bytes of a read untouched.
        EXPECT_EQ(c.write(c.bar0, regs::SCRATCH, 0x11223344u, 4).status, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(c.access(c.bar0, TLM_WRITE_COMMAND, regs::SCRATCH, bytes({0x01, 0x02, 0xBB, 0xAA}),
                           bytes({0, 0, 0xFF, 0xFF}))
                      .status,
                  tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(Initiator::value(c.read(c.bar0, regs::SCRATCH, 4)), 0xAABB3344u);
        const auto lane = c.access(c.bar0, TLM_READ_COMMAND, regs::SCRATCH, bytes({0x55, 0x55, 0x55, 0x55}),
                                   bytes({0, 0xFF, 0, 0}));
        EXPECT_EQ(lane.status, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(lane.data, bytes({0x55, 0x33, 0x55, 0x55}));
        EXPECT_EQ(c.write(c.bar0, regs::SCRATCH + 1, 0x77, 1).status, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(Initiator::value(c.read(c.bar0, regs::SCRATCH, 4)), 0xAABB7744u);
        EXPECT_EQ(Initiator::value(c.read(c.bar0, regs::SCRATCH, 2)), 0x7744u);
        EXPECT_EQ(Initiator::value(c.read(c.bar0, regs::SCRATCH + 3, 1)), 0xAAu);
        // TLM_IGNORE_COMMAND is checked like any access and otherwise does nothing.
        EXPECT_EQ(c.access(c.bar0, tlm::TLM_IGNORE_COMMAND, regs::SCRATCH, std::vector<std::uint8_t>(4)).status,
                  tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(c.access(c.bar0, tlm::TLM_IGNORE_COMMAND, 0x10000, std::vector<std::uint8_t>(4)).status,
                  tlm::TLM_ADDRESS_ERROR_RESPONSE);
        // DMI is refused for the whole space of each socket.
        tlm::tlm_generic_payload trans;
        tlm::tlm_dmi dmi;
        EXPECT_FALSE(c.bar0->get_direct_mem_ptr(trans, dmi));
        EXPECT_EQ(dmi.get_end_address(), (std::uint64_t{1} << regs::kBar0SizeLog2) - 1);
        EXPECT_EQ(dmi.get_granted_access(), tlm::tlm_dmi::DMI_ACCESS_NONE);
        EXPECT_FALSE(c.config->get_direct_mem_ptr(trans, dmi));
        EXPECT_EQ(dmi.get_end_address(), 0xFFFu);
      },
      verilated());
  sc_core::sc_start(sc_time(1, sc_core::SC_MS));
  EXPECT_TRUE(bench.cpu.finished);
}

TEST(TlmEndpoint, RefusedAccessesNeverReachTheDeviceAndConfigByteEnablesDo) {
  one_elaboration_per_process();
  ScriptedDevice device;
  Bench<ScriptedDevice&> bench(
      [&](Initiator& c) {
        const std::size_t before = device.accesses.size();
        EXPECT_EQ(c.read(c.bar0, 0x10000, 4).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(c.read(c.bar0, 0x2, 4).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(c.read(c.bar0, 0x0, 3).status, tlm::TLM_BURST_ERROR_RESPONSE);
        EXPECT_EQ(c.write(c.config, regs::kCfgBar0, 0x12345670u, 4).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
        EXPECT_EQ(device.accesses.size(), before);
        // A 2-byte config write at +2 is the DW's upper lanes; any lane pattern is a legal CfgWr.
        EXPECT_EQ(c.write(c.config, 0x42, 0xBEEF, 2).status, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(c.access(c.config, tlm::TLM_WRITE_COMMAND, 0x48, bytes({0x11, 0x22, 0x33, 0x44}),
                           bytes({0xFF, 0, 0xFF, 0}))
                      .status,
                  tlm::TLM_OK_RESPONSE);
        // An 8-byte BAR access stays one access; a byte-enabled half of it becomes a 4-byte one.
        EXPECT_EQ(c.write(c.bar0, 0x100, 0x1122334455667788ull, 8).status, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(c.access(c.bar0, tlm::TLM_WRITE_COMMAND, 0x200, bytes({1, 2, 3, 4, 5, 6, 7, 8}),
                           bytes({0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF}))
                      .status,
                  tlm::TLM_OK_RESPONSE);
        ASSERT_EQ(device.accesses.size(), before + 4);
        const auto& a = device.accesses;
        EXPECT_EQ(a[before].kind, 'C');
        EXPECT_EQ(a[before].offset, 0x40u);
        EXPECT_EQ(a[before].value, 0xBEEF0000u);
        EXPECT_EQ(a[before].size_or_enables, 0xCu);
        EXPECT_EQ(a[before + 1].offset, 0x48u);
        EXPECT_EQ(a[before + 1].value, 0x00330011u);
        EXPECT_EQ(a[before + 1].size_or_enables, 0x5u);
        EXPECT_EQ(a[before + 2].kind, 'B');
        EXPECT_EQ(a[before + 2].value, 0x1122334455667788ull);
        EXPECT_EQ(a[before + 2].size_or_enables, 8u);
        EXPECT_EQ(a[before + 3].offset, 0x204u);
        EXPECT_EQ(a[before + 3].value, 0x08070605u);
        EXPECT_EQ(a[before + 3].size_or_enables, 4u);
      },
      device);
  sc_core::sc_start(sc_time(1, sc_core::SC_MS));
  EXPECT_TRUE(bench.cpu.finished);
}

TEST(TlmEndpoint, ReadDelayIsItsCompletionTimeAndMonotonic) {
  one_elaboration_per_process();
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(500, SC_NS));
  std::uint64_t device_start_ps = 0;
  Bench<TlmEndpointOptions> bench(
      [&](Initiator& c) {
        // The device starts ahead (its enumeration ran before SystemC time 0): the first read
        // completes at the device's time, not the initiator's.
        const auto first = c.read(c.bar0, regs::SCRATCH, 4);
        EXPECT_EQ(first.start, sc_core::SC_ZERO_TIME);
        EXPECT_GT(ps(first.end), device_start_ps);
        sc_time last = first.end;
        for (unsigned i = 0; i < 40; ++i) {
          const auto r = i % 3 == 2 ? c.write(c.config, 0x04, 0x6, 2)  // CfgWr: non-posted
                                    : c.read(c.bar0, i % 2 ? regs::REGMAP_HASH : regs::TIME_LO, 4);
          EXPECT_EQ(r.status, tlm::TLM_OK_RESPONSE);
          EXPECT_GE(r.start, last);
          EXPECT_GE(r.end, r.start + sc_time(kCyclePs, sc_core::SC_PS)) << "a completion takes device cycles";
          last = r.end;
          c.keeper.inc(sc_time(37, SC_NS));  // the initiator's own work between accesses
          if (c.keeper.need_sync()) c.keeper.sync();
        }
        // A posted write costs the initiator nothing: its local time stays where it was.
        const auto posted = c.write(c.bar0, regs::SCRATCH, 1, 4);
        EXPECT_EQ(posted.end, posted.start);
        // The device's TIME counter agrees with the completion times: it never runs backwards and
        // the read completes after the cycle it samples.
        const auto t1 = c.read(c.bar0, regs::TIME_LO, 4);
        const auto t2 = c.read(c.bar0, regs::TIME_LO, 4);
        EXPECT_GT(Initiator::value(t2), Initiator::value(t1));
        EXPECT_LE(Initiator::value(t2) * kCyclePs, ps(t2.end));
      },
      verilated());
  device_start_ps = bench.endpoint.device().now_ps();
  EXPECT_GT(device_start_ps, 0u);
  sc_core::sc_start(sc_time(1, sc_core::SC_MS));
  EXPECT_TRUE(bench.cpu.finished);
}

TEST(TlmEndpoint, AccessRunsTheDeviceToTheInitiatorsLocalTimeAndAnnotatesItsCompletion) {
  one_elaboration_per_process();
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::SC_ZERO_TIME);  // the device steps in lockstep
  ScriptedDevice device;
  Bench<ScriptedDevice&> bench(
      [&](Initiator& c) {
        c.sync_when_needed = false;
        // The initiator has run 10 us ahead: the device catches up to that time, then a read takes
        // the scripted device's ten cycles.
        c.keeper.inc(sc_time(10, SC_US));
        const auto r1 = c.read(c.bar0, 0x10, 4);
        EXPECT_EQ(r1.status, tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(ps(r1.start), 10'000'000u);
        EXPECT_EQ(ps(r1.end), 10'000'000u + 10 * kCyclePs);
        const auto r2 = c.write(c.config, 0x04, 0x6, 2);
        EXPECT_EQ(ps(r2.end), ps(r1.end) + 10 * kCyclePs) << "a config write is non-posted";
        const auto w = c.write(c.bar0, 0x10, 1, 4);
        EXPECT_EQ(w.end, w.start) << "a BAR write is posted";
        const auto r3 = c.read(c.bar0, 0x10, 4);
        EXPECT_EQ(ps(r3.end), ps(r2.end) + 10 * kCyclePs);
        EXPECT_EQ(device.now_ps(), ps(r3.end));
      },
      device);
  sc_core::sc_start(sc_time(1, sc_core::SC_MS));
  EXPECT_TRUE(bench.cpu.finished);
}

TEST(TlmEndpoint, DeviceRunsAtMostOneQuantumAheadAndInLockstepWithoutOne) {
  one_elaboration_per_process();
  const sc_time quantum(100, SC_NS);
  tlm_utils::tlm_quantumkeeper::set_global_quantum(quantum);
  ScriptedDevice device;
  Bench<ScriptedDevice&> bench({}, device);
  sc_core::sc_start(sc_time(2, SC_US));
  ASSERT_GE(device.advances.size(), 19u);
  for (const auto& a : device.advances) {
    EXPECT_EQ(a.target_ps % ps(quantum), 0u) << "the device stops on quantum boundaries";
    EXPECT_LE(a.target_ps - a.sc_now_ps, ps(quantum));
    EXPECT_GT(a.target_ps, a.sc_now_ps);
  }
  // Without a global quantum the device steps one cycle at a time.
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::SC_ZERO_TIME);
  device.advances.clear();
  sc_core::sc_start(sc_time(1, SC_US));
  ASSERT_GE(device.advances.size(), 200u);
  for (const auto& a : device.advances) EXPECT_EQ(a.target_ps - a.sc_now_ps, kCyclePs);
}

TEST(TlmEndpoint, DeviceWritesReachTheInitiatorSocketIntactAtTheirTimes) {
  one_elaboration_per_process();
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, SC_US));
  ScriptedDevice device;
  UpstreamWrite partial;
  partial.time_ps = 200'000;
  partial.address = 0x1000;
  partial.data = {0x44332211u, 0x88776655u};
  partial.first_be = 0xE;
  partial.last_be = 0x7;
  UpstreamWrite msi;
  msi.time_ps = 208'000;
  msi.address = 0xFEE01000;
  msi.data = {0x4031};
  msi.first_be = 0xF;
  msi.last_be = 0;
  UpstreamWrite high;
  high.time_ps = 1'604'000;  // in the second quantum
  high.address = 0x1'2345'6780ull;
  high.data = {1, 2, 3};
  high.last_be = 0xF;
  device.script = {partial, msi, high};
  Bench<ScriptedDevice&> bench({}, device);
  const Sink& sink = bench.sink;
  sc_core::sc_start(sc_time(3, SC_US));
  ASSERT_EQ(sink.writes.size(), 3u);
  EXPECT_EQ(bench.endpoint.upstream_writes(), 3u);
  const auto& w0 = sink.writes[0];
  EXPECT_EQ(ps(w0.at), 200'000u);
  EXPECT_EQ(w0.address, 0x1000u);
  EXPECT_EQ(w0.data, bytes({0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}));
  EXPECT_EQ(w0.enables, bytes({0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0}));
  const auto& w1 = sink.writes[1];
  EXPECT_EQ(ps(w1.at), 208'000u);
  EXPECT_EQ(w1.address, 0xFEE01000u);
  EXPECT_EQ(w1.data, bytes({0x31, 0x40, 0, 0}));
  EXPECT_TRUE(w1.enables.empty()) << "a write with every byte enabled carries no byte-enable array";
  const auto& w2 = sink.writes[2];
  EXPECT_EQ(ps(w2.at), 1'604'000u);
  EXPECT_EQ(w2.address, 0x1'2345'6780ull);
  EXPECT_EQ(w2.data.size(), 12u);
  EXPECT_TRUE(w2.enables.empty());
}

TEST(TlmEndpoint, LongWriteIsSplitAtMaxWriteBytesBoundaries) {
  one_elaboration_per_process();
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, SC_US));
  ScriptedDevice device;
  UpstreamWrite dma;
  dma.time_ps = 300'000;
  dma.address = 0x1008;
  for (std::uint32_t i = 0; i < 16; ++i) dma.data.push_back(0x03020100u + 0x04040404u * i);  // bytes 0, 1, 2...
  dma.first_be = 0xC;
  dma.last_be = 0x3;
  device.script = {dma};
  TlmEndpointOptions options;
  options.max_write_bytes = 32;
  Bench<ScriptedDevice&, TlmEndpointOptions> bench({}, device, std::move(options));
  const Sink& sink = bench.sink;
  sc_core::sc_start(sc_time(2, SC_US));
  ASSERT_EQ(sink.writes.size(), 3u);
  const std::vector<std::pair<std::uint64_t, std::size_t>> pieces = {{0x1008, 24}, {0x1020, 32}, {0x1040, 8}};
  std::vector<std::uint8_t> joined;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const auto& w = sink.writes[i];
    EXPECT_EQ(w.address, pieces[i].first);
    EXPECT_EQ(w.data.size(), pieces[i].second);
    EXPECT_EQ(ps(w.at), 300'000u) << "every piece carries the TLP's time";
    joined.insert(joined.end(), w.data.begin(), w.data.end());
  }
  for (std::size_t i = 0; i < joined.size(); ++i) EXPECT_EQ(joined[i], i) << "byte " << i;
  std::vector<std::uint8_t> first(24, 0xFF), last(8, 0xFF);
  first[0] = first[1] = 0;
  last[6] = last[7] = 0;
  EXPECT_EQ(sink.writes[0].enables, first);
  EXPECT_TRUE(sink.writes[1].enables.empty());
  EXPECT_EQ(sink.writes[2].enables, last);
}

TEST(TlmEndpoint, ReadCompletionDoesNotPassPostedWrites) {
  one_elaboration_per_process();
  // The initiator never yields: its reads, not the module's thread, run the device and bring the
  // records out, so a record still queued in the module when its read returns would be caught.
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, sc_core::SC_MS));
  constexpr std::uint64_t kRing = 0x10000, kProducer = 0x8000;
  constexpr std::uint32_t kEvents = 32;
  unsigned records = 0;
  Bench<TlmEndpointOptions> bench(
      [&](Initiator& c) {
        c.sync_when_needed = false;
        auto w = [&](std::uint32_t reg, std::uint32_t v) { EXPECT_EQ(c.write(c.bar0, reg, v, 4).status, tlm::TLM_OK_RESPONSE); };
        w(regs::RING_BASE_LO, kRing);
        w(regs::RING_BASE_HI, 0);
        w(regs::RING_LOG2, 6);
        w(regs::RING_PROD_ADDR_LO, kProducer);
        w(regs::RING_PROD_ADDR_HI, 0);
        w(regs::BURST_EVENTS, kEvents);
        w(regs::BURST_GAP, 20);
        w(regs::VLIST_LEN, 1);
        w(regs::VLIST_IDX, 0);
        w(regs::VLIST_DATA, 0);
        w(regs::CTRL, regs::CTRL_START_MASK);
        unsigned nonzero = 0;
        std::uint64_t producer = 0;
        for (unsigned i = 0; i < 400 && producer < kEvents; ++i) {
          producer = Initiator::value(c.read(c.bar0, regs::RING_PROD, 4));
          // PCIe ordering: the records below RING_PROD are in memory when the read returns.
          EXPECT_GE(records, producer) << "read " << i;
          nonzero += producer > 0 ? 1 : 0;
          c.keeper.inc(sc_time(50, SC_NS));
        }
        EXPECT_EQ(producer, kEvents);
        EXPECT_GT(nonzero, 5u) << "the reads have to overlap the burst to test anything";
      },
      verilated());
  bench.sink.on_write = [&](const Sink::Write& wr) {
    if (wr.address >= kRing && wr.address < kRing + 64 * 16) ++records;
  };
  sc_core::sc_start(sc_time(10, sc_core::SC_MS));
  EXPECT_TRUE(bench.cpu.finished);
  EXPECT_EQ(records, kEvents);
}

TEST(TlmEndpoint, MsiXMessageLeavesAsAWriteAfterItsRecord) {
  one_elaboration_per_process();
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(200, SC_NS));
  Bench<TlmEndpointOptions> bench(
      [](Initiator& c) {
        auto w = [&](auto& s, std::uint32_t reg, std::uint32_t v, unsigned size = 4) {
          EXPECT_EQ(c.write(s, reg, v, size).status, tlm::TLM_OK_RESPONSE);
        };
        w(c.bar0, regs::kMsixTableOffset + 16 * 2 + 0, 0xFEE03000u);
        w(c.bar0, regs::kMsixTableOffset + 16 * 2 + 4, 0);
        w(c.bar0, regs::kMsixTableOffset + 16 * 2 + 8, 0x52);
        w(c.bar0, regs::kMsixTableOffset + 16 * 2 + 12, 0);
        w(c.config, regs::kCfgMsixCap + 2, 0x8000, 2);  // MSI-X Enable
        w(c.bar0, regs::RING_BASE_LO, 0x4000);
        w(c.bar0, regs::RING_LOG2, 4);
        w(c.bar0, regs::BURST_EVENTS, 1);
        w(c.bar0, regs::VLIST_LEN, 1);
        w(c.bar0, regs::VLIST_IDX, 0);
        w(c.bar0, regs::VLIST_DATA, 2);
        w(c.bar0, regs::CTRL, regs::CTRL_START_MASK);
        c.keeper.inc(sc_time(5, SC_US));
        c.keeper.sync();
      },
      verilated());
  sc_core::sc_start(sc_time(1, sc_core::SC_MS));
  EXPECT_TRUE(bench.cpu.finished);
  ASSERT_EQ(bench.sink.writes.size(), 2u);
  const auto& record = bench.sink.writes[0];
  const auto& message = bench.sink.writes[1];
  EXPECT_EQ(record.address, 0x4000u);
  EXPECT_EQ(record.data.size(), 16u);
  EXPECT_EQ(record.data[4], 2) << "the record names vector 2";
  EXPECT_EQ(message.address, 0xFEE03000u);
  EXPECT_EQ(message.data, bytes({0x52, 0, 0, 0}));
  EXPECT_TRUE(message.enables.empty());
  EXPECT_GT(message.at, record.at);
  EXPECT_EQ(bench.endpoint.upstream_errors(), 0u);
}

TEST(TlmEndpoint, DeviceFailureIsAGenericErrorWithItsReason) {
  one_elaboration_per_process();
  ScriptedDevice device;
  device.failing_offset = 0x40;
  Bench<ScriptedDevice&> bench(
      [](Initiator& c) {
        EXPECT_EQ(c.read(c.bar0, 0x40, 4).status, tlm::TLM_GENERIC_ERROR_RESPONSE);
        EXPECT_EQ(c.read(c.bar0, 0x44, 4).status, tlm::TLM_OK_RESPONSE) << "the next access goes on";
      },
      device);
  sc_core::sc_start(sc_time(1, sc_core::SC_MS));
  EXPECT_TRUE(bench.cpu.finished);
  EXPECT_NE(bench.endpoint.last_error().find("no completion"), std::string::npos) << bench.endpoint.last_error();
}

TEST(TlmEndpoint, UpstreamWriteThePlatformRefusesIsCounted) {
  one_elaboration_per_process();
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, SC_US));
  ScriptedDevice device;
  UpstreamWrite w;
  w.time_ps = 150'000;
  w.address = 0xDEAD0000;
  w.data = {7};
  UpstreamWrite ok = w;
  ok.time_ps = 160'000;
  ok.address = 0x1000;
  device.script = {w, ok};
  Bench<ScriptedDevice&> bench({}, device);
  bench.sink.refused = 0xDEAD0000;
  sc_core::sc_start(sc_time(1, SC_US));
  EXPECT_EQ(bench.endpoint.upstream_errors(), 1u);
  EXPECT_EQ(bench.endpoint.upstream_writes(), 2u);
  ASSERT_EQ(bench.sink.writes.size(), 1u);
  EXPECT_EQ(bench.sink.writes[0].address, 0x1000u);
}

unsigned debug(tlm_utils::simple_initiator_socket<Initiator>& socket, tlm::tlm_command command, std::uint64_t address,
               std::vector<std::uint8_t>& data) {
  tlm::tlm_generic_payload trans;
  trans.set_command(command);
  trans.set_address(address);
  trans.set_data_ptr(data.data());
  trans.set_data_length(static_cast<unsigned>(data.size()));
  return socket->transport_dbg(trans);
}

TEST(TlmEndpoint, DebugTransportReadsConfigAndBar0) {
  one_elaboration_per_process();
  Bench<TlmEndpointOptions> bench(
      [](Initiator& c) {
        std::vector<std::uint8_t> header(6);
        ASSERT_EQ(debug(c.config, tlm::TLM_READ_COMMAND, 0x01, header), 6u);
        EXPECT_EQ(header, bytes({regs::kVendorId >> 8, regs::kDeviceId & 0xFF, regs::kDeviceId >> 8, 0x06, 0x00, 0x10}))
            << "vendor high byte, device ID, Command (memory + bus master), Status (capabilities)";
        std::vector<std::uint8_t> hash(4);
        ASSERT_EQ(debug(c.bar0, tlm::TLM_READ_COMMAND, regs::REGMAP_HASH, hash), 4u);
        EXPECT_EQ(hash[0] | hash[1] << 8 | hash[2] << 16 | static_cast<std::uint32_t>(hash[3]) << 24, regs::kRegmapHash);
        std::vector<std::uint8_t> tail(8);
        EXPECT_EQ(debug(c.bar0, tlm::TLM_READ_COMMAND, (1u << regs::kBar0SizeLog2) - 4, tail), 4u)
            << "a debug read stops at the end of the space";
        EXPECT_EQ(debug(c.bar0, tlm::TLM_READ_COMMAND, 1u << regs::kBar0SizeLog2, tail), 0u);
        EXPECT_EQ(debug(c.config, tlm::TLM_READ_COMMAND, 0x1000, tail), 0u);
        EXPECT_EQ(debug(c.bar0, tlm::TLM_WRITE_COMMAND, regs::SCRATCH, hash), 0u) << "debug writes are refused";
        EXPECT_EQ(debug(c.config, tlm::TLM_WRITE_COMMAND, 0x04, hash), 0u);
        std::vector<std::uint8_t> scratch(4, 0xEE);
        ASSERT_EQ(debug(c.bar0, tlm::TLM_READ_COMMAND, regs::SCRATCH, scratch), 4u);
        EXPECT_EQ(scratch, bytes({0, 0, 0, 0}));
      },
      verilated());
  sc_core::sc_start(sc_time(1, sc_core::SC_MS));
  EXPECT_TRUE(bench.cpu.finished);
}

TEST(TlmEndpoint, ConstructionRefusesBadOptions) {
  one_elaboration_per_process();
  ScriptedDevice device;
  TlmEndpointOptions odd;
  odd.max_write_bytes = 24;
  EXPECT_THROW(IrqrigEndpoint("odd", device, odd), TlmConfigError);
  TlmEndpointOptions tiny;
  tiny.max_write_bytes = 2;
  EXPECT_THROW(IrqrigEndpoint("tiny", device, tiny), TlmConfigError);
  EXPECT_THROW(IrqrigEndpoint("none", std::unique_ptr<Device>{}), TlmConfigError);
}

}  // namespace
}  // namespace irqrig::sim::systemc

// Fault injection (docs/faults.md): the root complex's MSI jitter and drops, the OS re-writing an
// MSI-X entry (affinity change, rebalance), the hardware-loss verdict, and the timeline player.
#include "host/platform/fault_injection.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>

#include "host/core/msi.h"
#include "irqrig/rig.h"
#include "sim/device/endpoint.h"

namespace irqrig::host {
namespace {

sc_core::sc_time ps(std::uint64_t v) { return sc_core::sc_time::from_value(v); }

// The storm's worker: its context is the time it spends on each CPU.
ULONG_PTR storm_worker(ULONG_PTR worker_ps) {
  Platform::current().current_cpu().consume_ps(worker_ps);
  return 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The root complex: jitter and drops

void Platform::inject_msi_faults(Upstream& u) {
  MsiFaultState& st = *msi_faults_;
  const MsiFaultConfig& cfg = config_.msi_faults;
  const std::uint64_t number = ++st.writes;
  const sim::UpstreamWrite& w = u.write;
  if (u.target < 0) {
    // A record landing in the ring: which write put it there, to order it against the messages.
    const std::uint64_t ring_bytes = std::uint64_t{config_.ring_entries} * 16;
    if (!is_msi_address(w.address) && w.address >= config_.dma_base && w.address - config_.dma_base < ring_bytes) {
      const std::uint64_t off = w.address - config_.dma_base;
      for (std::uint64_t r = off / 16; r * 16 < off + w.data.size() * 4 && r < config_.ring_entries; ++r)
        st.record_write[r] = number;
    }
    return;
  }
  ++st.msis;
  bool drop = false;
  while (st.next_nth < cfg.drop_nth.size() && cfg.drop_nth[st.next_nth] < st.msis) ++st.next_nth;
  if (st.next_nth < cfg.drop_nth.size() && cfg.drop_nth[st.next_nth] == st.msis) drop = true;
  // A draw for every message, dropped by number or not, so `nth` does not shift the random ones.
  if (cfg.drop_probability > 0) {
    const double x = static_cast<double>(st.drop_rng() >> 11) * 0x1.0p-53;
    drop = drop || x < cfg.drop_probability;
  }
  // The message this write came from. The root complex sees only its address and data, i.e. the
  // (CPU, IDT vector) chain: the message is known when one message alone sits on that chain. When
  // several share it (more messages than a CPU has vectors, D3), the write cannot be tied to one:
  // a sent write counts as sent for each of them (no record of theirs is blamed on the hardware
  // past it), a dropped one for none (their unprocessed records stay the driver's loss). Keyed on
  // the chain, a dropped MSI of message A would move message B's records into hardware loss.
  std::optional<ULONG> only;
  bool shared = false;
  for (const InterruptObject* io : vectors_[static_cast<unsigned>(u.target)][u.msi.vector]) {
    if (!io->message_routine || io->message_id >= st.last_sent.size()) continue;
    if (!drop) st.last_sent[io->message_id] = number;
    if (only && *only != io->message_id) shared = true;
    only = io->message_id;
  }
  if (drop && only && !shared) st.last_dropped[*only] = number;
  if (drop) {
    u.dropped = true;
    ++fault_counters_.msi_dropped;
    return;
  }
  if (cfg.jitter_ps) {
    const std::uint64_t delay = st.jitter_rng() % (cfg.jitter_ps + 1);
    // One path per local APIC: a later message never overtakes a delayed one to the same CPU.
    std::uint64_t& last_arrival = st.last_arrival_ps[static_cast<unsigned>(u.target)];
    const std::uint64_t arrival = std::max(u.write.time_ps + delay, last_arrival);
    if (arrival > u.write.time_ps) ++fault_counters_.msi_jittered;
    u.write.time_ps = last_arrival = arrival;
  }
}

std::uint64_t Platform::lost_to_dropped_msi() {
  if (!msi_faults_ || fault_counters_.msi_dropped == 0) return 0;
  sync_upstream();
  const MsiFaultState& st = *msi_faults_;
  const std::vector<std::uint32_t> sample = accounting_.outstanding_sample(accounting_.outstanding());
  std::unordered_set<std::uint32_t> outstanding(sample.begin(), sample.end());
  std::uint64_t lost = 0;
  const std::size_t messages = st.last_sent.size();
  // An unprocessed record still sits in its ring slot: nobody released it.
  for (std::uint32_t slot = 0; slot < config_.ring_entries && !outstanding.empty(); ++slot) {
    IRQRIG_EVENT_RECORD rec;
    std::memcpy(&rec, &memory_[std::size_t{slot} * 16], sizeof rec);
    if (!(rec.Flags & 1) || !outstanding.erase(rec.Sequence) || messages == 0) continue;
    const std::size_t m = rec.Vector % messages;  // A2: under MSI the message number is the vector's low bits
    const std::uint64_t written = st.record_write[slot];
    if (st.last_dropped[m] > written && st.last_sent[m] < written) ++lost;
  }
  return lost;
}

// ---------------------------------------------------------------------------------------------
// The OS re-writing an MSI-X entry

bool Platform::mask_message_for_rewrite(unsigned message) {
  sim::Endpoint endpoint(device_);
  const bool was_masked = endpoint.message_masked(message);
  endpoint.set_message_mask(message, true);
  return was_masked;
}

void Platform::rewrite_message(unsigned message, std::optional<unsigned> cpu, bool was_masked) {
  PIO_INTERRUPT_MESSAGE_INFO info = nullptr;
  for (auto it = message_tables_.rbegin(); it != message_tables_.rend() && !info; ++it) {
    auto* t = reinterpret_cast<PIO_INTERRUPT_MESSAGE_INFO>(it->storage.get());
    if (it->mode == MessageMode::kMsix && message < t->MessageCount) info = t;
  }
  sim::Endpoint endpoint(device_);
  if (!info) {
    endpoint.set_message_mask(message, was_masked);
    fault("faults", fmt::format("{} of message {}: the driver has no MSI-X connection with that message",
                                cpu ? "affinity change" : "table rewrite", message));
    return;
  }
  IO_INTERRUPT_MESSAGE_INFO_ENTRY& e = info->MessageInfo[message];
  auto* io = reinterpret_cast<InterruptObject*>(e.InterruptObject);
  const auto old_cpu = static_cast<unsigned>(std::countr_zero(io->cpus));
  if (cpu && *cpu != old_cpu) {
    // A vector of its own on the new CPU, in a class the connection's SynchronizeIrql still covers.
    const unsigned top = std::min<unsigned>((unsigned{io->synchronize_irql} << 4) | 0xF, (kHighestDeviceIrql << 4) | 0xF);
    std::optional<std::uint8_t> vector;
    for (unsigned v = config_.first_vector; v <= top && !vector; ++v)
      if (vectors_[*cpu][v].empty()) vector = static_cast<std::uint8_t>(v);
    if (!vector) {
      endpoint.set_message_mask(message, was_masked);
      fault("faults", fmt::format("affinity change of message {} to CPU {}: no free vector from {:#04x} to {:#04x} "
                                  "there", message, *cpu, config_.first_vector, top));
      return;
    }
    // Messages already on their way (or in the old CPU's IRR) still find their ISR there.
    io->former.emplace_back(old_cpu, io->vector);
    io->vector = *vector;
    io->irql = irql_of_vector(*vector);
    io->cpus = KAFFINITY{1} << *cpu;
    vectors_[*cpu][*vector].push_back(io);
    e.MessageAddress.QuadPart = static_cast<LONGLONG>(msi_address(static_cast<std::uint8_t>(*cpu)));
    e.TargetProcessorSet = io->cpus;
    e.MessageData = msi_data(*vector);
    e.Vector = *vector;
    e.Irql = io->irql;
  }
  ++(cpu ? fault_counters_.affinity_changes : fault_counters_.table_rewrites);
  endpoint.program_message(message, static_cast<std::uint64_t>(e.MessageAddress.QuadPart), e.MessageData, true);
  // The mask bit the entry had before the rewrite, not a plain unmask: a vector the scenario or
  // the driver masked stays masked.
  endpoint.set_message_mask(message, was_masked);
}

// ---------------------------------------------------------------------------------------------
// The timeline

FaultInjector::FaultInjector(const sc_core::sc_module_name& name, Platform& platform, FaultPlan plan,
                             const sc_core::sc_event& start)
    : sc_module(name), platform_(platform), plan_(std::move(plan)), start_(start) {
  if (!plan_.holds.empty()) SC_THREAD(play_holds);
  if (plan_.storm) SC_THREAD(play_storm);
  if (!plan_.rewrites.empty()) SC_THREAD(play_rewrites);
  std::stable_sort(plan_.holds.begin(), plan_.holds.end(), [](const auto& a, const auto& b) { return a.from_ps < b.from_ps; });
  std::stable_sort(plan_.rewrites.begin(), plan_.rewrites.end(),
                   [](const auto& a, const auto& b) { return a.at_ps < b.at_ps; });
}

void FaultInjector::wait_until(std::uint64_t offset_ps) {
  if (!started_) {
    wait(start_);
    started_ = true;
    origin_ps_ = platform_.now_ps();
  }
  const std::uint64_t at = origin_ps_ + offset_ps;
  if (at > platform_.now_ps()) wait(ps(at - platform_.now_ps()));
}

void FaultInjector::play_holds() {
  platform_.guard([this] {
    for (const FaultPlan::Hold& h : plan_.holds) {
      wait_until(h.from_ps);
      platform_.cpu(h.cpu).request_hold(h.irql, platform_.now_ps() + h.for_ps);
    }
  });
}

void FaultInjector::play_storm() {
  platform_.guard([this] {
    const FaultPlan::Storm& s = *plan_.storm;
    for (std::uint64_t t = s.from_ps; t < s.from_ps + s.for_ps; t += s.period_ps) {
      wait_until(t);
      // What host.ipi's broadcasts do (a PASSIVE_LEVEL thread calling KeIpiGenericCall), counted
      // once the call has returned.
      platform_.cpu(s.caller).queue_passive([this, worker = s.worker_ps] {
        KeIpiGenericCall(&storm_worker, static_cast<ULONG_PTR>(worker));
        ++platform_.fault_counters().ipi_storm_broadcasts;
      });
    }
  });
}

void FaultInjector::play_rewrites() {
  platform_.guard([this] {
    for (const FaultPlan::Rewrite& r : plan_.rewrites) {
      wait_until(r.at_ps);
      const bool was_masked = platform_.mask_message_for_rewrite(r.message);
      wait(ps(plan_.rewrite_masked_ps));
      platform_.rewrite_message(r.message, r.cpu, was_masked);
    }
  });
}

}  // namespace irqrig::host

#include "host/drivers/mutants/registry.h"

#include <array>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "host/drivers/mutants/mutants_c.h"

namespace irqrig::host {
namespace {

constexpr std::array kMutants = std::to_array<Mutant>({
    {"one_event_per_dpc", "the DPC handles one event record per run, however many the ring holds",
     "scenarios/default.yaml", "exactly_once", &IrqrigMutantOneEventPerDpc},
    {"claims_foreign_message", "the ISR claims every call, though its messages share IDT vectors on a crowded CPU",
     "scenarios/many_vectors_one_cpu.yaml", "isr_balance", &IrqrigMutantClaimsForeignMessage},
    {"leaves_vector_masked", "the ISR masks its MSI-X vector; the DPC unmasks only the message it was queued with",
     "scenarios/vectors_in_turn.yaml", "exactly_once", &IrqrigMutantLeavesVectorMasked},
    {"consumer_before_read", "the DPC gives a ring slot back to the device (RING_CONS) before reading its record",
     "scenarios/default.yaml", "record_integrity", &IrqrigMutantConsumerBeforeRead},
    {"ring_wrap", "the DPC walks slot indices up to the producer's slot, which stops at the ring's first wrap",
     "scenarios/default.yaml", "exactly_once", &IrqrigMutantRingWrap},
    {"unsynchronized_counter", "ISR and DPC update a count of pending records on different CPUs without a lock",
     "scenarios/default.yaml", "exactly_once", &IrqrigMutantUnsynchronizedCounter},
    {"dpc_requeues_forever", "the DPC queues itself again at the end of every run",
     "scenarios/one_cpu_flood.yaml", "dpc_watchdog", &IrqrigMutantDpcRequeuesForever},
    {"ipi_worker_caller_only", "the DPC drains the ring in a KeIpiGenericCall worker, which runs on every CPU at once",
     "scenarios/default.yaml", "exactly_once", &IrqrigMutantIpiWorkerCallerOnly},
    {"ack_after_drain", "in the device's acknowledge mode, the DPC acknowledges its vectors after draining the ring",
     "scenarios/one_cpu_flood.yaml", "exactly_once", &IrqrigMutantAckAfterDrain},
});

}  // namespace

std::span<const Mutant> mutants() { return kMutants; }

const Mutant* find_mutant(std::string_view name) {
  for (const Mutant& m : kMutants)
    if (m.name == name) return &m;
  return nullptr;
}

std::string mutant_names() {
  std::vector<std::string_view> names;
  for (const Mutant& m : kMutants) names.push_back(m.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace irqrig::host

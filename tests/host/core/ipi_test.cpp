#include "host/core/ipi.h"

#include <gtest/gtest.h>

namespace irqrig::host {
namespace {

// SEMANTICS G1, G4: every processor, the caller included, runs the worker once; the result is the
// caller's worker's value, available only when all have returned.
TEST(IpiConformance, G1_G4_WorkerOncePerCpuAndTheCallersValue) {
  IpiRendezvous r(4, 2);
  for (unsigned cpu : {2u, 0u, 3u}) EXPECT_FALSE(r.arrive(cpu));
  EXPECT_TRUE(r.arrive(1));
  EXPECT_TRUE(r.all_arrived());
  r.worker_returned(0, 100);
  r.worker_returned(2, 222);
  r.worker_returned(1, 101);
  EXPECT_FALSE(r.complete());
  EXPECT_THROW(r.result(), IpiProtocolError);
  r.worker_returned(3, 103);
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.result(), 222u);
  EXPECT_THROW(r.worker_returned(3, 0), IpiProtocolError);  // G1: once
}

// SEMANTICS G3: nobody runs the worker before every processor is at the barrier.
TEST(IpiConformance, G3_BarrierBeforeAnyWorker) {
  IpiRendezvous r(3, 0);
  r.arrive(0);
  r.arrive(1);
  EXPECT_FALSE(r.all_arrived());
  EXPECT_THROW(r.worker_returned(0, 1), IpiProtocolError);
  EXPECT_THROW(r.arrive(1), IpiProtocolError);
  EXPECT_THROW(r.arrive(7), IpiProtocolError);
  EXPECT_TRUE(r.arrive(2));
  r.worker_returned(0, 1);
}

// SEMANTICS G1: a one-CPU host's broadcast is the caller alone.
TEST(IpiConformance, G1_SingleCpuBroadcast) {
  IpiRendezvous r(1, 0);
  EXPECT_TRUE(r.arrive(0));
  r.worker_returned(0, 42);
  EXPECT_EQ(r.result(), 42u);
  EXPECT_THROW(IpiRendezvous(0, 0), IpiProtocolError);
  EXPECT_THROW(IpiRendezvous(2, 2), IpiProtocolError);
}

// SEMANTICS G2: concurrent callers are serialized: one owns the gate, the others wait until it
// leaves, and only the owner may leave.
TEST(IpiConformance, G2_ConcurrentCallersAreSerialized) {
  IpiGate g;
  EXPECT_FALSE(g.owner());
  EXPECT_TRUE(g.try_enter(3));
  EXPECT_FALSE(g.try_enter(1));
  EXPECT_EQ(g.owner(), 3u);
  EXPECT_THROW(g.leave(1), IpiProtocolError);
  EXPECT_THROW(g.try_enter(3), IpiProtocolError);
  g.leave(3);
  EXPECT_TRUE(g.try_enter(1));
  EXPECT_EQ(g.owner(), 1u);
  g.leave(1);
  EXPECT_FALSE(g.owner());
}

}  // namespace
}  // namespace irqrig::host

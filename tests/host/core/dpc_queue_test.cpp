#include "host/core/dpc_queue.h"

#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace irqrig::host {
namespace {

constexpr bool kLocal = true, kRemote = false, kNormal = false, kThreaded = true;

// SEMANTICS E6: High importance at the head, others at the tail -> C, A, B.
TEST(DpcConformance, E6_HighImportanceInsertsAtHead) {
  int a, b, c;
  DpcQueue q;
  q.insert(&a, DpcImportance::kMedium);
  q.insert(&b, DpcImportance::kMedium);
  q.insert(&c, DpcImportance::kHigh);
  EXPECT_EQ(q.pop(), &c);
  EXPECT_EQ(q.pop(), &a);
  EXPECT_EQ(q.pop(), &b);
  EXPECT_EQ(q.pop(), nullptr);
}

// SEMANTICS E6: MediumHigh and Low go to the tail like Medium.
TEST(DpcConformance, E6_OnlyHighGoesToTheHead) {
  int a, b, c;
  DpcQueue q;
  q.insert(&a, DpcImportance::kLow);
  q.insert(&b, DpcImportance::kMediumHigh);
  q.insert(&c, DpcImportance::kMedium);
  EXPECT_EQ(q.pop(), &a);
  EXPECT_EQ(q.pop(), &b);
  EXPECT_EQ(q.pop(), &c);
}

// SEMANTICS E4
TEST(DpcConformance, E4_RemoveReportsWhetherItWasQueued) {
  int a, b;
  ProcessorDpcs p;
  p.insert(&a, DpcImportance::kMedium, kNormal, kLocal);
  EXPECT_TRUE(p.remove(&a));
  EXPECT_FALSE(p.remove(&a));
  EXPECT_FALSE(p.remove(&b));
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.next_normal(), nullptr);  // removed: it does not run
}

// SEMANTICS E7: with the request rate at MinimumDpcRate, three Low DPCs request nothing; the
// fourth reaches MaximumDpcQueueDepth and requests the drain of all four.
TEST(DpcConformance, E7_LowImportanceWaitsForDepthOrLowRate) {
  int d[4];
  ProcessorDpcs p;
  p.set_request_rate(3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(p.insert(&d[i], DpcImportance::kLow, kNormal, kLocal).signal, DpcSignal::kNone);
  EXPECT_FALSE(p.dispatch_requested());
  EXPECT_EQ(p.insert(&d[3], DpcImportance::kLow, kNormal, kLocal).signal, DpcSignal::kDispatchInterrupt);
  EXPECT_TRUE(p.dispatch_requested());
  EXPECT_EQ(p.depth(), 4u);
}

// SEMANTICS E7: below MinimumDpcRate even one Low DPC requests; other importances always do.
TEST(DpcConformance, E7_LowRateOrHigherImportanceRequestsAtOnce) {
  int a, b;
  ProcessorDpcs slow;
  slow.set_request_rate(2);
  EXPECT_EQ(slow.insert(&a, DpcImportance::kLow, kNormal, kLocal).signal, DpcSignal::kDispatchInterrupt);
  for (auto importance : {DpcImportance::kMedium, DpcImportance::kMediumHigh, DpcImportance::kHigh}) {
    ProcessorDpcs busy;
    busy.set_request_rate(100);
    EXPECT_EQ(busy.insert(&b, importance, kNormal, kLocal).signal, DpcSignal::kDispatchInterrupt);
  }
}

// SEMANTICS E7: a pending request or a running drain needs no second request.
TEST(DpcConformance, E7_NoSecondRequestWhilePendingOrDraining) {
  int a, b, c, d;
  ProcessorDpcs p;
  EXPECT_EQ(p.insert(&a, DpcImportance::kMedium, kNormal, kLocal).signal, DpcSignal::kDispatchInterrupt);
  EXPECT_EQ(p.insert(&b, DpcImportance::kHigh, kNormal, kLocal).signal, DpcSignal::kNone);
  p.begin_drain();
  EXPECT_FALSE(p.dispatch_requested());
  EXPECT_EQ(p.insert(&c, DpcImportance::kHigh, kNormal, kLocal).signal, DpcSignal::kNone);
  EXPECT_EQ(p.insert(&d, DpcImportance::kHigh, kNormal, kRemote).signal, DpcSignal::kNone);
}

// SEMANTICS E8: another CPU is interrupted only for High/MediumHigh or a deep queue.
TEST(DpcConformance, E8_RemoteInsertSendsIpiOnlyWhenUrgent) {
  int d[4], h, mh;
  ProcessorDpcs p;
  p.set_request_rate(0);  // a low rate matters only to local inserts
  for (int i = 0; i < 3; ++i) EXPECT_EQ(p.insert(&d[i], DpcImportance::kMedium, kNormal, kRemote).signal, DpcSignal::kNone);
  EXPECT_EQ(p.insert(&d[3], DpcImportance::kMedium, kNormal, kRemote).signal, DpcSignal::kIpi);
  ProcessorDpcs q;
  EXPECT_EQ(q.insert(&h, DpcImportance::kHigh, kNormal, kRemote).signal, DpcSignal::kIpi);
  ProcessorDpcs r;
  EXPECT_EQ(r.insert(&mh, DpcImportance::kMediumHigh, kNormal, kRemote).signal, DpcSignal::kIpi);
  ProcessorDpcs s;
  EXPECT_EQ(s.insert(&h, DpcImportance::kLow, kNormal, kRemote).signal, DpcSignal::kNone);
}

// SEMANTICS E8: what no one requested runs at the target's next clock tick.
TEST(DpcConformance, E8_TheClockTickRequestsTheDrainOfAWaitingQueue) {
  int a;
  ProcessorDpcs p;
  EXPECT_FALSE(p.tick());  // empty: nothing to do
  p.insert(&a, DpcImportance::kMedium, kNormal, kRemote);
  EXPECT_FALSE(p.dispatch_requested());
  EXPECT_TRUE(p.tick());
  EXPECT_TRUE(p.dispatch_requested());
  p.begin_drain();
  EXPECT_EQ(p.next_normal(), &a);
  EXPECT_FALSE(p.tick());  // a routine is active: the drain will finish the queue
  p.end_drain();
}

// SEMANTICS E8, E9: the request rate is the average of the last rate and the inserts since the
// last tick: (count - last + rate) / 2.
TEST(DpcConformance, E9_RequestRateIsAveragedPerTick) {
  std::vector<int> d(16);
  ProcessorDpcs p;
  for (int i = 0; i < 8; ++i) p.insert(&d[i], DpcImportance::kMedium, kNormal, kLocal);
  p.begin_drain();
  while (p.next_normal()) {
  }
  p.end_drain();
  p.tick();
  EXPECT_EQ(p.request_rate(), 4u);  // (8 + 0) / 2
  for (int i = 0; i < 4; ++i) p.insert(&d[i], DpcImportance::kMedium, kNormal, kLocal);
  p.begin_drain();
  while (p.next_normal()) {
  }
  p.end_drain();
  p.tick();
  EXPECT_EQ(p.request_rate(), 4u);  // (4 + 4) / 2
  p.tick();
  EXPECT_EQ(p.request_rate(), 2u);  // (0 + 4) / 2
  EXPECT_EQ(p.insert_count(), 12u);
}

// SEMANTICS E9 [choice]: off by default, MaximumDpcQueueDepth never moves.
TEST(DpcConformance, E9_DepthIsFixedUnlessAdaptive) {
  int a;
  ProcessorDpcs p;
  for (int t = 0; t < 50; ++t) {
    p.insert(&a, DpcImportance::kLow, kNormal, kRemote);
    p.tick();
    p.begin_drain();
    p.next_normal();
    p.end_drain();
  }
  EXPECT_EQ(p.maximum_depth(), 4u);
}

// SEMANTICS E9 [choice]: adaptive (ReactOS): a tick that finds a waiting queue at a low rate lowers
// the depth (not below 1); AdjustDpcThreshold idle ticks raise it back, not above the setting.
TEST(DpcConformance, E9_AdaptiveDepthFollowsReactOs) {
  DpcTuning tuning;
  tuning.adaptive_depth = true;
  tuning.adjust_threshold = 3;
  ProcessorDpcs p(tuning);
  int a;
  for (int t = 0; t < 5; ++t) {
    // Once the depth is down to 1 the insert itself requests (a deep queue, E8): that tick finds
    // the request pending and leaves everything alone.
    p.insert(&a, DpcImportance::kLow, kNormal, kRemote);
    EXPECT_EQ(p.tick(), t < 3) << "tick " << t;
    p.begin_drain();
    p.next_normal();
    p.end_drain();
  }
  EXPECT_EQ(p.maximum_depth(), 1u);
  for (int t = 0; t < 3; ++t) p.tick();
  EXPECT_EQ(p.maximum_depth(), 2u);
  for (int t = 0; t < 30; ++t) p.tick();
  EXPECT_EQ(p.maximum_depth(), 4u);
}

// SEMANTICS E9: a depth of 0 would make every queue "deep"; the tuning is rejected.
TEST(DpcConformance, E9_ZeroDepthOrThresholdIsRejected) {
  DpcTuning zero_depth;
  zero_depth.maximum_queue_depth = 0;
  EXPECT_THROW(ProcessorDpcs{zero_depth}, std::invalid_argument);
  DpcTuning zero_threshold;
  zero_threshold.adjust_threshold = 0;
  EXPECT_THROW(ProcessorDpcs{zero_threshold}, std::invalid_argument);
}

// SEMANTICS E10: a drain takes from the head until empty, including DPCs queued meanwhile.
TEST(DpcConformance, E10_DrainIncludesDpcsQueuedDuringIt) {
  int a, b, c;
  ProcessorDpcs p;
  p.insert(&a, DpcImportance::kMedium, kNormal, kLocal);
  p.begin_drain();
  EXPECT_EQ(p.next_normal(), &a);
  p.insert(&b, DpcImportance::kMedium, kNormal, kLocal);
  p.insert(&c, DpcImportance::kHigh, kNormal, kRemote);
  EXPECT_EQ(p.next_normal(), &c);
  EXPECT_EQ(p.next_normal(), &b);
  EXPECT_EQ(p.next_normal(), nullptr);
  p.end_drain();
  EXPECT_FALSE(p.routine_active());
}

// SEMANTICS E11: a normal and a threaded queue; an object is in exactly one of them.
TEST(DpcConformance, E11_NormalAndThreadedQueuesPerProcessor) {
  int n, t;
  ProcessorDpcs p;
  EXPECT_FALSE(p.insert(&n, DpcImportance::kMedium, kNormal, kLocal).threaded_queue);
  EXPECT_TRUE(p.insert(&t, DpcImportance::kMedium, kThreaded, kLocal).threaded_queue);
  EXPECT_EQ(p.depth(), 1u);
  EXPECT_EQ(p.threaded_depth(), 1u);
  p.begin_drain();
  EXPECT_EQ(p.next_normal(), &n);
  EXPECT_EQ(p.next_normal(), nullptr);
  p.end_drain();
  p.begin_thread();
  EXPECT_EQ(p.next_threaded(), &t);
  EXPECT_EQ(p.next_threaded(), nullptr);
  p.end_thread();
  EXPECT_TRUE(p.remove(&t) == false && p.empty());
}

// SEMANTICS E12: a threaded insert readies the DPC thread once; importance orders its queue only;
// the normal queue's request rules and rate do not see it.
TEST(DpcConformance, E12_ThreadedInsertReadiesTheThread) {
  int a, b, c;
  ProcessorDpcs p;
  p.set_request_rate(100);
  EXPECT_EQ(p.insert(&a, DpcImportance::kLow, kThreaded, kRemote).signal, DpcSignal::kReadyThread);
  EXPECT_EQ(p.insert(&b, DpcImportance::kMedium, kThreaded, kLocal).signal, DpcSignal::kNone);
  EXPECT_EQ(p.insert(&c, DpcImportance::kHigh, kThreaded, kLocal).signal, DpcSignal::kNone);
  EXPECT_TRUE(p.thread_requested());
  EXPECT_FALSE(p.dispatch_requested());
  EXPECT_EQ(p.insert_count(), 0u);
  p.begin_thread();
  EXPECT_EQ(p.next_threaded(), &c);
  EXPECT_EQ(p.next_threaded(), &a);
  EXPECT_EQ(p.next_threaded(), &b);
  p.end_thread();
}

// SEMANTICS E12: with threaded DPCs disabled a threaded DPC is an ordinary one.
TEST(DpcConformance, E12_DisabledThreadedDpcsUseTheNormalQueue) {
  int a;
  ProcessorDpcs p(DpcTuning{}, /*threaded_enabled=*/false);
  const auto in = p.insert(&a, DpcImportance::kMedium, kThreaded, kLocal);
  EXPECT_FALSE(in.threaded_queue);
  EXPECT_EQ(in.signal, DpcSignal::kDispatchInterrupt);
  EXPECT_EQ(p.depth(), 1u);
  EXPECT_EQ(p.threaded_depth(), 0u);
}

// SEMANTICS E13: a flush marker goes behind every DPC queued before it and requests the drain even
// for a queue that would wait for the tick; it is not a driver request.
TEST(DpcConformance, E13_FlushMarkerQueuesBehindEarlierDpcs) {
  int low, low2, marker, threaded, threaded_marker;
  ProcessorDpcs p;
  p.set_request_rate(100);
  p.insert(&low, DpcImportance::kLow, kNormal, kRemote);
  p.insert(&low2, DpcImportance::kLow, kNormal, kRemote);
  p.insert(&threaded, DpcImportance::kMedium, kThreaded, kRemote);
  p.begin_thread();
  p.end_thread();
  EXPECT_FALSE(p.dispatch_requested());
  p.append_marker(&marker, kNormal);
  p.append_marker(&threaded_marker, kThreaded);
  EXPECT_TRUE(p.dispatch_requested());
  EXPECT_TRUE(p.thread_requested());
  EXPECT_EQ(p.insert_count(), 2u);
  p.begin_drain();
  EXPECT_EQ(p.next_normal(), &low);
  EXPECT_EQ(p.next_normal(), &low2);
  EXPECT_EQ(p.next_normal(), &marker);
  p.end_drain();
  p.begin_thread();
  EXPECT_EQ(p.next_threaded(), &threaded);
  EXPECT_EQ(p.next_threaded(), &threaded_marker);
  p.end_thread();
}

// SEMANTICS E13: a High DPC queued before the flush sits at the head, ahead of the marker too.
TEST(DpcConformance, E13_FlushMarkerQueuesBehindHighImportanceToo) {
  int medium, high, marker;
  ProcessorDpcs p;
  p.insert(&medium, DpcImportance::kMedium, kNormal, kRemote);
  p.insert(&high, DpcImportance::kHigh, kNormal, kRemote);
  p.append_marker(&marker, kNormal);
  p.begin_drain();
  EXPECT_EQ(p.next_normal(), &high);
  EXPECT_EQ(p.next_normal(), &medium);
  EXPECT_EQ(p.next_normal(), &marker);
  EXPECT_EQ(p.next_normal(), nullptr);
  p.end_drain();
}

// SEMANTICS E9 (ReactOS KeUpdateRunTime): a tick that finds a DISPATCH request already pending
// neither requests again nor lowers MaximumDpcQueueDepth; it counts towards raising it instead.
TEST(DpcConformance, E9_PendingRequestKeepsTheAdaptiveDepth) {
  DpcTuning tuning;
  tuning.adaptive_depth = true;
  tuning.adjust_threshold = 2;
  ProcessorDpcs p(tuning);
  int a, b;
  p.set_request_rate(0);
  EXPECT_EQ(p.insert(&a, DpcImportance::kMedium, kNormal, kLocal).signal, DpcSignal::kDispatchInterrupt);
  EXPECT_FALSE(p.tick());  // the request is pending: the drain is coming anyway
  EXPECT_EQ(p.maximum_depth(), 4u);
  p.begin_drain();
  p.next_normal();
  p.end_drain();
  p.insert(&b, DpcImportance::kMedium, kNormal, kRemote);  // waits for the tick
  EXPECT_TRUE(p.tick());
  EXPECT_EQ(p.maximum_depth(), 3u);  // found waiting at a low rate: lowered
  EXPECT_TRUE(p.dispatch_requested());
  EXPECT_FALSE(p.tick());
  EXPECT_EQ(p.maximum_depth(), 3u);  // still requested: left alone
}

}  // namespace
}  // namespace irqrig::host

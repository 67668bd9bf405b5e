#include "host/core/dpc_queue.h"

#include <gtest/gtest.h>

namespace irqrig::host {
namespace {

// SEMANTICS E6: High importance at the head, others at the tail -> C, A, B.
TEST(DpcQueue, HighImportanceGoesToTheHead) {
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

// SEMANTICS E4
TEST(DpcQueue, RemoveReportsWhetherItWasQueued) {
  int a, b;
  DpcQueue q;
  q.insert(&a, DpcImportance::kMedium);
  EXPECT_TRUE(q.remove(&a));
  EXPECT_FALSE(q.remove(&a));
  EXPECT_FALSE(q.remove(&b));
  EXPECT_TRUE(q.empty());
}

// SEMANTICS E7: Low importance requests a DISPATCH interrupt only at depth >= maximum or low rate.
TEST(DpcQueue, LowImportanceWaitsForDepthOrLowRate) {
  const DpcTuning t;
  EXPECT_FALSE(DpcQueue::requests_interrupt_local(DpcImportance::kLow, 1, 3, t));
  EXPECT_FALSE(DpcQueue::requests_interrupt_local(DpcImportance::kLow, 3, 3, t));
  EXPECT_TRUE(DpcQueue::requests_interrupt_local(DpcImportance::kLow, 4, 3, t));
  EXPECT_TRUE(DpcQueue::requests_interrupt_local(DpcImportance::kLow, 1, 2, t));
  EXPECT_TRUE(DpcQueue::requests_interrupt_local(DpcImportance::kMedium, 1, 3, t));
}

// SEMANTICS E8
TEST(DpcQueue, RemoteInsertSendsIpiOnlyWhenUrgent) {
  const DpcTuning t;
  EXPECT_TRUE(DpcQueue::requests_interrupt_remote(DpcImportance::kHigh, 1, t));
  EXPECT_TRUE(DpcQueue::requests_interrupt_remote(DpcImportance::kMediumHigh, 1, t));
  EXPECT_FALSE(DpcQueue::requests_interrupt_remote(DpcImportance::kMedium, 3, t));
  EXPECT_TRUE(DpcQueue::requests_interrupt_remote(DpcImportance::kMedium, 4, t));
}

}  // namespace
}  // namespace irqrig::host

#include "host/core/timer_queue.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace irqrig::host {
namespace {

constexpr std::uint64_t kMs = TimerQueue::kUnitsPerMs;

// SEMANTICS E14: negative DueTime is relative to now, positive absolute, in 100 ns units.
TEST(TimerConformance, E14_RelativeAndAbsoluteDueTimes) {
  int rel, abs;
  TimerQueue q;
  EXPECT_FALSE(q.set(&rel, -500, 0, 1000));
  EXPECT_FALSE(q.set(&abs, 1200, 0, 1000));
  EXPECT_EQ(q.due(&rel), 1500u);
  EXPECT_EQ(q.due(&abs), 1200u);
  EXPECT_EQ(q.next_due(), 1200u);
  EXPECT_TRUE(q.expire(1199).empty());
  auto first = q.expire(1200);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].timer, &abs);
  auto second = q.expire(2000);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].timer, &rel);
  EXPECT_EQ(second[0].due, 1500u);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_FALSE(q.next_due());
}

// SEMANTICS E14: setting a set timer returns TRUE and cancels the old expiry.
TEST(TimerConformance, E14_ResettingReturnsTrueAndCancelsTheOldExpiry) {
  int t;
  TimerQueue q;
  EXPECT_FALSE(q.set(&t, -100, 0, 0));
  EXPECT_TRUE(q.set(&t, -300, 0, 0));
  EXPECT_TRUE(q.expire(200).empty());  // the old expiry at 100 is gone
  EXPECT_EQ(q.expire(300).size(), 1u);
  EXPECT_FALSE(q.set(&t, -100, 0, 300));  // expired: no longer set
}

// SEMANTICS E14: Period is in milliseconds; a periodic timer re-arms one period after its expiry
// is processed (ReactOS: relative to now), so a late expiry does not replay the periods it missed.
TEST(TimerConformance, E14_PeriodInMillisecondsReArmsFromTheExpiry) {
  int t;
  TimerQueue q;
  q.set(&t, -(2 * static_cast<std::int64_t>(kMs)), 5, 0);
  auto e = q.expire(2 * kMs);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(q.is_set(&t));
  EXPECT_EQ(q.due(&t), 7 * kMs);
  // Processed two periods late: one expiry, and the next one a period from now.
  e = q.expire(17 * kMs);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].due, 7 * kMs);
  EXPECT_EQ(q.due(&t), 22 * kMs);
  EXPECT_TRUE(q.cancel(&t));
  EXPECT_FALSE(q.cancel(&t));
  EXPECT_TRUE(q.expire(100 * kMs).empty());
}

// SEMANTICS E14: an absolute time already past expires at the next look; ties keep setting order.
TEST(TimerConformance, E14_PastDueAndTiesInSettingOrder) {
  int a, b, c;
  TimerQueue q;
  q.set(&a, 0, 0, 5000);
  q.set(&b, -10, 0, 90);
  q.set(&c, 100, 0, 5000);
  const auto e = q.expire(5000);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].timer, &a);
  EXPECT_EQ(e[1].timer, &b);
  EXPECT_EQ(e[2].timer, &c);
}

// SEMANTICS E14: the most negative DueTime is a far-away relative time, not an overflow.
TEST(TimerConformance, E14_MostNegativeDueTimeIsFarAway) {
  int t;
  TimerQueue q;
  q.set(&t, INT64_MIN, 0, 10);
  EXPECT_EQ(q.due(&t), 10 + (std::uint64_t{1} << 63));
  EXPECT_TRUE(q.expire(1'000'000'000).empty());
}

}  // namespace
}  // namespace irqrig::host

#include "host/core/histogram.h"

#include <gtest/gtest.h>

namespace irqrig::host {
namespace {

TEST(Histogram, ExactBelow128) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.add(v);
  EXPECT_EQ(h.quantile(0.5), 50u);
  EXPECT_EQ(h.quantile(0.99), 99u);
  EXPECT_EQ(h.max(), 100u);
}

TEST(Histogram, LargeValuesWithinOneBucket) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100000; ++v) h.add(v * 1000);
  const auto p50 = h.quantile(0.5);
  EXPECT_GE(p50, 50'000'000u);
  EXPECT_LE(p50, 50'000'000ull * 102 / 100);
  EXPECT_EQ(h.quantile(1.0), 100'000'000u);
  EXPECT_EQ(h.count(), 100000u);
}

TEST(Histogram, EmptyIsZeroAndHugeValuesFit) {
  Histogram h;
  EXPECT_EQ(h.quantile(0.5), 0u);
  h.add(~std::uint64_t{0});
  EXPECT_EQ(h.quantile(0.5), ~std::uint64_t{0});
}

}  // namespace
}  // namespace irqrig::host

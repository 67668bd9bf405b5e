#include "host/core/histogram.h"

#include <algorithm>

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

TEST(Histogram, BucketsAreTheNonEmptyOnesInOrder) {
  Histogram h;
  EXPECT_TRUE(h.buckets().empty());
  h.add(5);
  h.add(5);
  h.add(100);
  h.add(1000);
  const auto b = h.buckets();
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], (Histogram::Bucket{5, 2}));
  EXPECT_EQ(b[1], (Histogram::Bucket{100, 1}));
  // Above 128 a bucket's upper is the top of its 1/64-octave range.
  EXPECT_GE(b[2].upper, 1000u);
  EXPECT_LE(b[2].upper, 1000u * 102 / 100);
  EXPECT_EQ(b[2].count, 1u);
}

TEST(Histogram, CoarsenedBucketsKeepEveryCountAndStayOrdered) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 200000; v += 7) h.add(v);
  const auto fine = h.buckets();
  ASSERT_GT(fine.size(), 64u);
  const auto coarse = h.buckets(64);
  ASSERT_LE(coarse.size(), 64u);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < coarse.size(); ++i) {
    total += coarse[i].count;
    if (i) {
      EXPECT_LT(coarse[i - 1].upper, coarse[i].upper);
    }
  }
  EXPECT_EQ(total, h.count());
  // Every merged bin's upper is one of the buckets' (the largest it took), so the top is kept.
  for (const auto& b : coarse) {
    EXPECT_NE(std::find_if(fine.begin(), fine.end(), [&](const auto& f) { return f.upper == b.upper; }), fine.end());
  }
  EXPECT_EQ(coarse.back().upper, fine.back().upper);
  // Values 1..200000 span 18 octaves: bins of 1/2 octave (36 bins) are the finest that fit 64.
  EXPECT_GE(coarse.size(), 32u);
  // Fewer buckets than the limit are returned as they are.
  EXPECT_EQ(h.buckets(fine.size()), fine);
}

TEST(Histogram, CoarsenedZeroAndOneShareABin) {
  Histogram h;
  h.add(0);
  h.add(1);
  const auto b = h.buckets(1);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0], (Histogram::Bucket{1, 2}));
}

}  // namespace
}  // namespace irqrig::host

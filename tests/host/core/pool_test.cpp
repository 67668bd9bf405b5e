#include "host/core/pool.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace irqrig::host {
namespace {

TEST(Pool, BlocksAreAlignedZeroedOrPatternedAndTracked) {
  Pool pool;
  auto* zeroed = static_cast<unsigned char*>(pool.allocate(40, 0x74736554, false, Pool::kAlignment, true));
  auto* raw = static_cast<unsigned char*>(pool.allocate(24, 0x74736554, true, Pool::kCacheLine, false));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(zeroed) % Pool::kAlignment, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(raw) % Pool::kCacheLine, 0u);
  for (int i = 0; i < 40; ++i) ASSERT_EQ(zeroed[i], 0);
  for (int i = 0; i < 24; ++i) ASSERT_EQ(raw[i], Pool::kUninitialized);
  ASSERT_TRUE(pool.block(raw));
  EXPECT_EQ(pool.block(raw)->bytes, 24u);
  EXPECT_TRUE(pool.block(raw)->paged);
  EXPECT_EQ(pool.outstanding(), 2u);
  EXPECT_EQ(pool.outstanding_bytes(), 64u);
  ASSERT_EQ(pool.live().size(), 2u);
  EXPECT_EQ(pool.live()[0].bytes, 40u);  // oldest first
}

TEST(Pool, FreeingIsJudged) {
  Pool pool;
  int stack_variable = 0;
  void* p = pool.allocate(8, 1, false, Pool::kAlignment, true);
  EXPECT_EQ(pool.check_free(p), Pool::FreeCheck::kOk);
  EXPECT_EQ(pool.check_free(&stack_variable), Pool::FreeCheck::kNotAllocated);
  EXPECT_EQ(pool.check_free(nullptr), Pool::FreeCheck::kNotAllocated);
  EXPECT_EQ(pool.check_free(static_cast<char*>(p) + 1), Pool::FreeCheck::kNotAllocated);
  pool.free(p);
  EXPECT_EQ(pool.check_free(p), Pool::FreeCheck::kFreedAlready);
  EXPECT_FALSE(pool.block(p));
  EXPECT_EQ(pool.outstanding(), 0u);
}

TEST(Pool, ZeroBytesStillGetAnAddressOfTheirOwn) {
  Pool pool;
  void* a = pool.allocate(0, 1, false, Pool::kAlignment, true);
  void* b = pool.allocate(0, 1, false, Pool::kAlignment, true);
  EXPECT_NE(a, b);
  EXPECT_EQ(pool.outstanding_bytes(), 0u);
}

TEST(Pool, TagsPrintAsTheDebuggerShowsThem) {
  EXPECT_EQ(Pool::tag_name(0x6B61654C), "Leak");  // 'kaeL' as a multi-character constant
  EXPECT_EQ(Pool::tag_name(0x00410042), "B.A.");
}

}  // namespace
}  // namespace irqrig::host

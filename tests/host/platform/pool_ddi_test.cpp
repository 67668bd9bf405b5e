// ExAllocatePool2, ExAllocatePoolWithTag, ExFreePoolWithTag and ExFreePool on the platform: what they
// serve, and the misuse the kernel (BAD_POOL_CALLER) or Driver Verifier stops on.
#include <cstdint>
#include <cstring>

#include <gtest/gtest.h>

#include "tests/host/platform/rig.h"

namespace irqrig::host::testing {
namespace {

/// The tag that shows as `shown` (drivers write it reversed, 'tseT' for "Test").
constexpr ULONG pool_tag(const char (&shown)[5]) {
  return static_cast<ULONG>(static_cast<unsigned char>(shown[0])) |
         static_cast<ULONG>(static_cast<unsigned char>(shown[1])) << 8 |
         static_cast<ULONG>(static_cast<unsigned char>(shown[2])) << 16 |
         static_cast<ULONG>(static_cast<unsigned char>(shown[3])) << 24;
}
constexpr ULONG kTag = pool_tag("Test");

/// Runs `body` at PASSIVE_LEVEL on CPU 0 and returns the one fault it raised.
Fault only_fault_of(const std::function<void()>& body) {
  Rig rig(test_config(1));
  rig.at(0, 0, body);
  rig.at(5 * kUs, 0, [&] { rig.mark("went on"); });
  rig.run(10 * kUs);
  const auto& faults = rig.platform().faults();
  if (faults.size() != 1) throw std::runtime_error(std::to_string(faults.size()) + " faults, expected 1");
  if (!rig.marks().empty()) throw std::runtime_error("the run went on after the fault");
  return faults[0];
}

TEST(PoolDdi, AllocationsServeWhatWasAsked) {
  Rig rig(test_config(1));
  rig.at(0, 0, [&] {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    auto* np = static_cast<unsigned char*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, kTag));
    ASSERT_NE(np, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(np) % 16, 0u);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(np[i], 0) << "ExAllocatePool2 zeroes";
    auto* aligned = static_cast<unsigned char*>(
        ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED | POOL_FLAG_UNINITIALIZED, 10, kTag));
    ASSERT_NE(aligned, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(aligned) % 64, 0u);
    EXPECT_EQ(aligned[0], Pool::kUninitialized);
    auto* nx = static_cast<unsigned char*>(ExAllocatePoolWithTag(NonPagedPoolNx, 8, kTag));
    ASSERT_NE(nx, nullptr);
    EXPECT_EQ(nx[7], Pool::kUninitialized) << "ExAllocatePoolWithTag does not zero";
    // An optional flag it does not know is ignored; a required one fails the allocation.
    PVOID optional = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_SPECIAL_POOL, 8, kTag);
    EXPECT_NE(optional, nullptr);
    EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_SESSION, 8, kTag), nullptr);
    EXPECT_EQ(ExAllocatePool2(POOL_FLAG_USE_QUOTA, 8, kTag), nullptr);  // no pool type
    EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 8, kTag), nullptr);
    EXPECT_EQ(ExAllocatePoolWithTag(NonPagedPoolSession, 8, kTag), nullptr);
    ExFreePoolWithTag(np, kTag);
    ExFreePoolWithTag(aligned, kTag | 0x80000000u);  // PROTECTED_POOL is not part of the match
    ExFreePool(nx);
    ExFreePool(optional);
    KeLowerIrql(old);
    PVOID paged = ExAllocatePool2(POOL_FLAG_PAGED, 4096, kTag);
    ASSERT_NE(paged, nullptr);
    PVOID paged_old = ExAllocatePoolWithTag(PagedPoolCacheAligned, 4096, kTag);
    ASSERT_NE(paged_old, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(paged_old) % 64, 0u);
    ExFreePoolWithTag(paged, kTag);
    ExFreePoolWithTag(paged_old, kTag);
    rig.mark("done");
  });
  rig.run(10 * kUs);
  EXPECT_TRUE(rig.platform().faults().empty()) << rig.platform().faults()[0].describe();
  EXPECT_EQ(rig.marks("done").size(), 1u);
  EXPECT_EQ(rig.platform().pool().outstanding(), 0u);
}

TEST(PoolDdi, PagedPoolAtDispatchLevelIsABadPoolCaller) {
  const Fault f = only_fault_of([] {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ExAllocatePool2(POOL_FLAG_PAGED, 8, kTag);
  });
  EXPECT_EQ(f.rule, "BAD_POOL_CALLER");
  EXPECT_NE(f.detail.find("ExAllocatePool2 of paged pool at DISPATCH_LEVEL; it requires IRQL <= APC_LEVEL"),
            std::string::npos)
      << f.detail;
}

TEST(PoolDdi, NonPagedPoolAboveDispatchLevelIsABadPoolCaller) {
  const Fault f = only_fault_of([] {
    KIRQL old;
    KeRaiseIrql(5, &old);
    ExAllocatePoolWithTag(NonPagedPoolNx, 8, kTag);
  });
  EXPECT_EQ(f.rule, "BAD_POOL_CALLER");
  EXPECT_NE(f.detail.find("non-paged pool at DIRQL 5"), std::string::npos) << f.detail;
}

TEST(PoolDdi, FreeingPagedPoolAtDispatchLevelIsABadPoolCaller) {
  const Fault f = only_fault_of([] {
    PVOID p = ExAllocatePool2(POOL_FLAG_PAGED, 8, kTag);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ExFreePoolWithTag(p, kTag);
  });
  EXPECT_EQ(f.rule, "BAD_POOL_CALLER");
  EXPECT_NE(f.detail.find("ExFreePoolWithTag of paged pool at DISPATCH_LEVEL"), std::string::npos) << f.detail;
}

TEST(PoolDdi, FreeingWhatWasNotAllocatedIsABadPoolCaller) {
  const Fault f = only_fault_of([] {
    static_assert(sizeof(ULONG) == 4);
    ULONG on_the_stack = 0;
    ExFreePool(&on_the_stack);
  });
  EXPECT_EQ(f.rule, "BAD_POOL_CALLER");
  EXPECT_NE(f.detail.find("an address not allocated from pool"), std::string::npos) << f.detail;
}

TEST(PoolDdi, FreeingTwiceIsABadPoolCaller) {
  const Fault f = only_fault_of([] {
    PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, kTag);
    ExFreePoolWithTag(p, kTag);
    ExFreePoolWithTag(p, kTag);
  });
  EXPECT_EQ(f.rule, "BAD_POOL_CALLER");
  EXPECT_NE(f.detail.find("freed already"), std::string::npos) << f.detail;
}

TEST(PoolDdi, FreeingWithAnotherTagIsABadPoolCaller) {
  const Fault f = only_fault_of([] {
    PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, kTag);
    ExFreePoolWithTag(p, pool_tag("Othr"));
  });
  EXPECT_EQ(f.rule, "BAD_POOL_CALLER");
  EXPECT_NE(f.detail.find("with tag 'Othr'; it was allocated with tag 'Test'"), std::string::npos) << f.detail;
}

TEST(PoolDdi, ATagOfZeroIsABadPoolCaller) {
  const Fault f = only_fault_of([] { ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 0); });
  EXPECT_EQ(f.rule, "BAD_POOL_CALLER");
  EXPECT_NE(f.detail.find("tag of zero"), std::string::npos) << f.detail;
}

TEST(PoolDdi, ZeroBytesIsADriverVerifierViolation) {
  const Fault f = only_fault_of([] { ExAllocatePoolWithTag(NonPagedPoolNx, 0, kTag); });
  EXPECT_EQ(f.rule, "DRIVER_VERIFIER_DETECTED_VIOLATION");
  EXPECT_NE(f.detail.find("zero bytes"), std::string::npos) << f.detail;
}

TEST(PoolDdi, MustSucceedPoolIsABadPoolCaller) {
  const Fault f = only_fault_of([] { ExAllocatePoolWithTag(NonPagedPoolMustSucceed, 8, kTag); });
  EXPECT_EQ(f.rule, "BAD_POOL_CALLER");
  EXPECT_NE(f.detail.find("must-succeed"), std::string::npos) << f.detail;
}

// POOL_FLAG_RAISE_ON_FAILURE on a failing allocation raises an exception no driver frame handles.
TEST(PoolDdi, RaiseOnFailureIsAnUnhandledException) {
  const Fault f = only_fault_of([] { ExAllocatePool2(POOL_FLAG_SESSION | POOL_FLAG_RAISE_ON_FAILURE, 8, kTag); });
  EXPECT_EQ(f.rule, "KMODE_EXCEPTION_NOT_HANDLED");
  EXPECT_NE(f.detail.find("STATUS_INSUFFICIENT_RESOURCES"), std::string::npos) << f.detail;
}

// Pool left when a driver stops is a leak fault naming each block; the run goes on.
TEST(PoolDdi, LeakAtStopIsADriverVerifierViolation) {
  Rig rig(test_config(1));
  rig.at(0, 0, [&] {
    ExAllocatePool2(POOL_FLAG_NON_PAGED, 24, pool_tag("Leak"));
    ExAllocatePoolWithTag(PagedPool, 8, pool_tag("BTag"));
    ExFreePoolWithTag(ExAllocatePool2(POOL_FLAG_NON_PAGED, 4, kTag), kTag);
    rig.platform().report_pool_leaks("leaky");
    rig.mark("went on");
  });
  rig.run(10 * kUs);
  const auto& faults = rig.platform().faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].rule, "DRIVER_VERIFIER_DETECTED_VIOLATION");
  EXPECT_EQ(faults[0].detail,
            "driver leaky stopped with 2 pool allocations (32 bytes) not freed: 'Leak' 24 bytes, 'BTag' 8 bytes (paged)");
  EXPECT_EQ(faults[0].cpu, 0);
  EXPECT_EQ(rig.marks("went on").size(), 1u);
}

}  // namespace
}  // namespace irqrig::host::testing

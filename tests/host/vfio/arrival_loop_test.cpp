// The arrival loop over plain eventfds (what the kernel's VFIO interrupt handler signals): counts,
// vector order, timestamps, timeouts; and the fd/mapping owners underneath.
#include "host/vfio/arrival_loop.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host/vfio/container.h"
#include "host/vfio/error.h"
#include "host/vfio/group.h"
#include "host/vfio/owners.h"

namespace irqrig::host::vfio {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

UniqueFd make_eventfd() {
  return UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
}

void signal(const UniqueFd& fd, std::uint64_t times) {
  for (std::uint64_t i = 0; i < times; ++i) {
    const std::uint64_t one = 1;
    ASSERT_EQ(::write(fd.get(), &one, sizeof(one)), 8);
  }
}

TEST(ArrivalLoop, SignalsBeforeTheReadMergeIntoOneArrivalWithTheirCount) {
  UniqueFd v0 = make_eventfd(), v1 = make_eventfd();
  ArrivalLoop loop;
  loop.watch(v0.get(), 0);
  loop.watch(v1.get(), 1);
  signal(v1, 3);
  const std::uint64_t before = ArrivalLoop::now_ns();
  const auto arrivals = loop.wait(1000ms);
  const std::uint64_t after = ArrivalLoop::now_ns();
  ASSERT_EQ(arrivals.size(), 1u);
  EXPECT_EQ(arrivals[0].vector, 1u);
  EXPECT_EQ(arrivals[0].count, 3u);
  EXPECT_GE(arrivals[0].time_ns, before);
  EXPECT_LE(arrivals[0].time_ns, after);
  EXPECT_TRUE(loop.wait(0ms).empty()) << "the read drained the eventfd";
}

TEST(ArrivalLoop, ArrivalsOfOneWakeUpAreOrderedByVectorAndShareTheTimestamp) {
  std::vector<UniqueFd> fds;
  ArrivalLoop loop;
  for (unsigned v = 0; v < 4; ++v) {
    fds.push_back(make_eventfd());
    loop.watch(fds.back().get(), v);
  }
  signal(fds[3], 1);
  signal(fds[0], 2);
  signal(fds[2], 1);
  const auto arrivals = loop.wait(1000ms);
  ASSERT_EQ(arrivals.size(), 3u);
  EXPECT_EQ(arrivals[0].vector, 0u);
  EXPECT_EQ(arrivals[0].count, 2u);
  EXPECT_EQ(arrivals[1].vector, 2u);
  EXPECT_EQ(arrivals[2].vector, 3u);
  EXPECT_EQ(arrivals[0].time_ns, arrivals[2].time_ns);
}

TEST(ArrivalLoop, TimeoutReturnsNothingAndLaterArrivalsAreLater) {
  UniqueFd v0 = make_eventfd();
  ArrivalLoop loop;
  loop.watch(v0.get(), 0);
  EXPECT_TRUE(loop.wait(10ms).empty());
  signal(v0, 1);
  const auto first = loop.wait(1000ms);
  signal(v0, 1);
  const auto second = loop.wait(1000ms);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_GE(second[0].time_ns, first[0].time_ns);
}

TEST(ArrivalLoop, WatchingSomethingEpollCannotWatchIsAnError) {
  ArrivalLoop loop;
  EXPECT_THROW(loop.watch(-1, 0), VfioError);
}

TEST(ArrivalLoop, WaitingOnNothingIsAnErrorNotAHang) {
  ArrivalLoop loop;
  try {
    loop.wait(1000ms);
    ADD_FAILURE() << "waited on no eventfd";
  } catch (const VfioError& e) {
    EXPECT_THAT(e.what(), HasSubstr("watch a vector first"));
  }
}

TEST(UniqueFd, ClosesExactlyOnceAndMovesOwnership) {
  UniqueFd a = make_eventfd();
  const int raw = a.get();
  UniqueFd b = std::move(a);
  EXPECT_FALSE(a);
  EXPECT_EQ(b.get(), raw);
  EXPECT_NE(::fcntl(raw, F_GETFD), -1);
  b.reset();
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
}

TEST(Mapping, AnonymousMemoryIsZeroedAndMoves) {
  Mapping m = Mapping::anonymous(8192);
  ASSERT_EQ(m.size(), 8192u);
  for (std::byte b : m.bytes()) ASSERT_EQ(b, std::byte{0});
  Mapping n = std::move(m);
  EXPECT_FALSE(m);
  EXPECT_TRUE(n);
}

TEST(Container, MissingNodeSaysLoadTheModules) {
  try {
    Container c("/nonexistent/irqrig/vfio");
    ADD_FAILURE() << "opened a missing node";
  } catch (const VfioError& e) {
    EXPECT_THAT(e.what(), HasSubstr("modprobe vfio-pci"));
  }
}

TEST(Container, NodeThatIsNotVfioFailsTheVersionCheck) {
  try {
    Container c("/dev/null");
    ADD_FAILURE() << "took /dev/null for a VFIO container";
  } catch (const VfioError& e) {
    EXPECT_THAT(e.what(), HasSubstr("VFIO API version -1"));
  }
}

TEST(Group, MissingGroupNodeSaysBindTheDevice) {
  try {
    Group g(42, "/nonexistent/irqrig");
    ADD_FAILURE() << "opened a missing group";
  } catch (const VfioError& e) {
    EXPECT_THAT(e.what(), HasSubstr("irqrig-vfio bind"));
  }
}

}  // namespace
}  // namespace irqrig::host::vfio

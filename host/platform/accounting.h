// The rig's ledger of event records: what the device wrote into the ring, what the driver handed
// up, and the verdict that every sequence number was processed exactly once (DESIGN decision 6).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "host/core/histogram.h"

namespace irqrig::host {

class Accounting {
 public:
  /// How far past the highest sequence number written so far a record may be: sequence numbers
  /// skip only the events dropped on a full ring; a record further out is corrupt.
  static constexpr std::uint64_t kDefaultMaxAhead = std::uint64_t{1} << 20;
  explicit Accounting(std::uint64_t max_ahead = kDefaultMaxAhead) : max_ahead_(max_ahead) {}

  /// The device DMA'd the record for `seq` (its timestamp in device picoseconds). False when `seq`
  /// is more than max_ahead past the highest written: not entered (the ledger stays bounded), counted
  /// in corrupt().
  bool on_written(std::uint32_t seq, std::uint64_t device_time_ps);
  /// The driver processed the record for `seq` at host time `now_ps`.
  void on_processed(std::uint32_t seq, std::uint64_t now_ps);

  std::uint64_t written() const { return written_; }
  std::uint64_t processed() const { return processed_; }
  std::uint64_t duplicated() const { return duplicated_; }
  std::uint64_t unknown() const { return unknown_; }
  std::uint64_t rewritten() const { return rewritten_; }
  std::uint64_t corrupt() const { return corrupt_; }
  /// Written but never processed.
  std::uint64_t outstanding() const;
  /// The first few sequence numbers still outstanding, for the report's detail.
  std::vector<std::uint32_t> outstanding_sample(std::size_t n) const;
  const Histogram& event_to_processed() const { return latency_; }

 private:
  enum class State : std::uint8_t { kNone, kWritten, kDone };
  struct Slot {
    State state = State::kNone;
    std::uint64_t device_time_ps = 0;
  };
  void compact();

  // A sliding window from the oldest unfinished sequence number: memory stays flat over a long run.
  std::uint64_t base_ = 0;
  std::deque<Slot> window_;
  std::uint64_t max_ahead_;
  std::uint64_t written_ = 0, processed_ = 0, duplicated_ = 0, unknown_ = 0, rewritten_ = 0, corrupt_ = 0;
  Histogram latency_;
};

}  // namespace irqrig::host

// The rig's ledger of event records: what the device wrote into the ring, what the driver handed
// up, the verdict that every sequence number was processed exactly once (DESIGN decision 6), and per
// ring slot the evidence of record_integrity and late (docs/checks.md).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
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
  /// What on_processed found: the first processing of a written record, a second one, or a number
  /// the device never wrote.
  enum class Processed : std::uint8_t { kFirst, kDuplicate, kUnknown };
  /// The driver processed the record for `seq` at host time `now_ps`.
  Processed on_processed(std::uint32_t seq, std::uint64_t now_ps);

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

/// What the device wrote into each ring slot and what became of it since: the evidence of the
/// record_integrity check (a torn or stale record, a slot read after its release) and of `late`.
/// Memory is ring-sized: one entry per slot, plus a queue of records not yet judged.
class RingWatch {
 public:
  static constexpr std::size_t kRecordBytes = 16;
  using Record = std::array<std::uint8_t, kRecordBytes>;

  explicit RingWatch(std::uint32_t entries);

  /// The device's record reached ring slot `slot` (its bytes as written) at host time `time_ps`.
  void on_written(std::uint32_t slot, const Record& bytes, std::uint64_t time_ps);
  /// The driver wrote the consumer index (free-running, 32 bits): every slot between the previous
  /// value and `consumer` is the device's again. A step back, or the first write, moves the mark only.
  void on_released(std::uint32_t consumer);

  enum class Problem : std::uint8_t { kNone, kTorn, kStale, kAfterRelease };
  struct Verdict {
    Problem problem = Problem::kNone;
    std::string detail;  ///< what was wrong, naming the slot and the sequence numbers
  };
  /// The driver handed up `bytes` as a processed record: read from ring slot `slot`, or a copy
  /// outside the ring (`slot` absent), judged against the device's write of its sequence number.
  Verdict on_read(std::optional<std::uint32_t> slot, const Record& bytes);

  struct Late {
    std::uint32_t seq;
    std::uint32_t slot;
    std::uint64_t written_ps;
  };
  /// The records written at or before `deadline_ps` and still unprocessed, oldest first, each
  /// reported once (then forgotten by this check).
  std::vector<Late> take_late(std::uint64_t deadline_ps);

  std::uint64_t reads() const { return reads_; }

 private:
  struct Slot {
    Record bytes{};
    std::uint32_t seq = 0;
    std::uint64_t written_ps = 0;
    std::uint64_t generation = 0;  // 0: never written; else counts the writes to any slot
    bool processed = false;
    bool released = false;
  };
  struct Pending {
    std::uint32_t slot;
    std::uint64_t generation;
  };
  bool done(const Pending& p) const {
    const Slot& s = slots_[p.slot];
    return s.generation != p.generation || s.processed;
  }

  std::vector<Slot> slots_;
  std::unordered_map<std::uint32_t, std::uint32_t> slot_of_seq_;  // the records in the ring now
  std::deque<Pending> pending_;  // written order; finished ones leave from the front
  std::uint64_t generation_ = 0;
  std::optional<std::uint32_t> consumer_;
  std::uint64_t reads_ = 0;
};

}  // namespace irqrig::host

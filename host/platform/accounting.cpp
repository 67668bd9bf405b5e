#include "host/platform/accounting.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace irqrig::host {

bool Accounting::on_written(std::uint32_t seq, std::uint64_t device_time_ps) {
  if (seq < base_) {
    ++rewritten_;  // a record for a number already finished: the device repeated a sequence number
    return true;
  }
  const std::uint64_t i = seq - base_;
  // window_ ends at the highest number written so far.
  if (i >= window_.size() + max_ahead_) {
    ++corrupt_;
    return false;
  }
  if (i >= window_.size()) window_.resize(i + 1);
  Slot& s = window_[i];
  if (s.state != State::kNone) {
    ++rewritten_;
    return true;
  }
  s.state = State::kWritten;
  s.device_time_ps = device_time_ps;
  ++written_;
  return true;
}

Accounting::Processed Accounting::on_processed(std::uint32_t seq, std::uint64_t now_ps) {
  if (seq < base_) {
    ++duplicated_;
    return Processed::kDuplicate;
  }
  const std::uint64_t i = seq - base_;
  if (i >= window_.size() || window_[i].state == State::kNone) {
    ++unknown_;
    return Processed::kUnknown;
  }
  Slot& s = window_[i];
  if (s.state == State::kDone) {
    ++duplicated_;
    return Processed::kDuplicate;
  }
  s.state = State::kDone;
  ++processed_;
  latency_.add(now_ps > s.device_time_ps ? (now_ps - s.device_time_ps) / 1000 : 0);
  compact();
  return Processed::kFirst;
}

void Accounting::compact() {
  while (!window_.empty() && window_.front().state == State::kDone) {
    window_.pop_front();
    ++base_;
  }
}

std::uint64_t Accounting::outstanding() const {
  std::uint64_t n = 0;
  for (const Slot& s : window_) n += s.state == State::kWritten;
  return n;
}

std::vector<std::uint32_t> Accounting::outstanding_sample(std::size_t n) const {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < window_.size() && out.size() < n; ++i)
    if (window_[i].state == State::kWritten) out.push_back(static_cast<std::uint32_t>(base_ + i));
  return out;
}

// ---------------------------------------------------------------------------------------------
// RingWatch

namespace {

std::uint32_t sequence_of(const RingWatch::Record& bytes) {
  std::uint32_t seq;
  std::memcpy(&seq, bytes.data(), sizeof seq);
  return seq;
}

}  // namespace

RingWatch::RingWatch(std::uint32_t entries) : slots_(entries) {}

void RingWatch::on_written(std::uint32_t slot, const Record& bytes, std::uint64_t time_ps) {
  Slot& s = slots_.at(slot);
  if (s.generation) {
    const auto it = slot_of_seq_.find(s.seq);
    if (it != slot_of_seq_.end() && it->second == slot) slot_of_seq_.erase(it);
  }
  s.bytes = bytes;
  s.seq = sequence_of(bytes);
  s.written_ps = time_ps;
  s.generation = ++generation_;
  s.processed = false;
  s.released = false;
  slot_of_seq_[s.seq] = slot;
  pending_.push_back(Pending{slot, s.generation});
  // Finished records leave from the front as they go, so the queue stays about ring-sized even
  // when nobody asks for late ones.
  while (!pending_.empty() && done(pending_.front())) pending_.pop_front();
}

void RingWatch::on_released(std::uint32_t consumer) {
  const std::uint32_t from = consumer_.value_or(consumer);
  consumer_ = consumer;
  const std::uint32_t step = consumer - from;
  if (step == 0 || step > 0x8000'0000u) return;  // nothing released, or a step back (a reset)
  const std::uint64_t n = std::min<std::uint64_t>(step, slots_.size());
  for (std::uint64_t i = 0; i < n; ++i) slots_[(from + i) % slots_.size()].released = true;
}

RingWatch::Verdict RingWatch::on_read(std::optional<std::uint32_t> slot, const Record& bytes) {
  ++reads_;
  const std::uint32_t seq = sequence_of(bytes);
  Verdict v;
  if (!slot) {
    // A copy: judged against the device's record of the same number while that is still in the
    // ring. When the slot was taken back already, exactly_once judges the number alone.
    const auto it = slot_of_seq_.find(seq);
    if (it == slot_of_seq_.end()) return v;
    Slot& s = slots_[it->second];
    if (s.bytes != bytes) {
      v.problem = Problem::kTorn;
      v.detail = fmt::format("a copy of the record for sequence number {} (ring slot {}) differs from what the device "
                             "wrote: {:02x} read, {:02x} written",
                             seq, it->second, fmt::join(bytes, ""), fmt::join(s.bytes, ""));
    }
    s.processed = true;
    return v;
  }
  Slot& s = slots_.at(*slot);
  if (!s.generation) {
    v.problem = Problem::kStale;
    v.detail = fmt::format("ring slot {} was read (sequence number {}) but the device never wrote it", *slot, seq);
  } else if (s.processed) {
    v.problem = Problem::kStale;
    v.detail = fmt::format("ring slot {} was read again: its record (sequence number {}) was already processed and "
                           "the device has not rewritten the slot since",
                           *slot, s.seq);
  } else if (s.bytes != bytes) {
    v.problem = Problem::kTorn;
    v.detail = fmt::format("ring slot {} holds bytes the device did not write: {:02x} read, {:02x} written "
                           "(sequence number {})",
                           *slot, fmt::join(bytes, ""), fmt::join(s.bytes, ""), s.seq);
  } else if (s.released) {
    v.problem = Problem::kAfterRelease;
    v.detail = fmt::format("ring slot {} (sequence number {}) was read after the consumer index had released it to "
                           "the device",
                           *slot, s.seq);
  }
  s.processed = true;
  return v;
}

std::vector<RingWatch::Late> RingWatch::take_late(std::uint64_t deadline_ps) {
  std::vector<Late> late;
  while (!pending_.empty()) {
    const Pending p = pending_.front();
    if (!done(p)) {
      const Slot& s = slots_[p.slot];
      if (s.written_ps > deadline_ps) break;  // written in order: every later one is younger
      late.push_back(Late{s.seq, p.slot, s.written_ps});
    }
    pending_.pop_front();
  }
  return late;
}

}  // namespace irqrig::host

// Fixed-size log-linear latency histogram: memory does not grow with a run's length.
// Exact below 128, then 64 buckets per power of two (under 1.6 % relative error); max is exact.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace irqrig::host {

class Histogram {
 public:
  void add(std::uint64_t value);
  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  /// The value at quantile q in [0, 1]: the top of the bucket holding that rank, capped at max;
  /// 0 when empty.
  std::uint64_t quantile(double q) const;

  /// One bucket: `count` values at most `upper` (and above the previous bucket's upper).
  struct Bucket {
    std::uint64_t upper;
    std::uint64_t count;
    bool operator==(const Bucket&) const = default;
  };
  /// The non-empty buckets in ascending order. With `max_bins` > 0 and more buckets than that,
  /// neighbours are merged into at most `max_bins` log-spaced bins of 2, 4, 8, ... 1/64-octave steps
  /// (each keeps the largest upper of what it merged), so a plot or a report stays small however
  /// wide the distribution is.
  std::vector<Bucket> buckets(std::size_t max_bins = 0) const;

 private:
  static constexpr unsigned kLinear = 128;
  static constexpr unsigned kPerOctave = 64;
  static constexpr unsigned kBuckets = kLinear + (64 - 7) * kPerOctave;
  static unsigned index(std::uint64_t v);
  static std::uint64_t upper(unsigned index);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace irqrig::host

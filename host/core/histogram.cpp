#include "host/core/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace irqrig::host {

unsigned Histogram::index(std::uint64_t v) {
  if (v < kLinear) return static_cast<unsigned>(v);
  const unsigned msb = 63 - static_cast<unsigned>(std::countl_zero(v));  // >= 7
  const unsigned top = static_cast<unsigned>(v >> (msb - 6));            // 64..127
  return kLinear + (msb - 7) * kPerOctave + (top - kPerOctave);
}

std::uint64_t Histogram::upper(unsigned i) {
  if (i < kLinear) return i;
  const unsigned k = i - kLinear;
  const unsigned msb = k / kPerOctave + 7;
  const std::uint64_t top = kPerOctave + k % kPerOctave;
  const unsigned shift = msb - 6;
  if (top + 1 == 2 * kPerOctave && msb == 63) return std::numeric_limits<std::uint64_t>::max();
  return ((top + 1) << shift) - 1;
}

void Histogram::add(std::uint64_t value) {
  ++counts_[index(value)];
  ++count_;
  if (value > max_) max_ = value;
}

std::uint64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  const double clamped = q < 0 ? 0 : (q > 1 ? 1 : q);
  std::uint64_t rank = static_cast<std::uint64_t>(std::ceil(clamped * static_cast<double>(count_)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (unsigned i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t u = upper(i);
      return u < max_ ? u : max_;
    }
  }
  return max_;
}

std::vector<Histogram::Bucket> Histogram::buckets(std::size_t max_bins) const {
  std::vector<Bucket> out;
  for (unsigned i = 0; i < kBuckets; ++i)
    if (counts_[i]) out.push_back({upper(i), counts_[i]});
  if (max_bins == 0 || out.size() <= max_bins) return out;
  // Bins of equal width in log(upper) between the first and the last bucket; 0 counts as 1.
  const double lo = std::log(static_cast<double>(std::max<std::uint64_t>(out.front().upper, 1)));
  const double hi = std::log(static_cast<double>(out.back().upper));
  const double width = (hi - lo) / static_cast<double>(max_bins);
  std::vector<Bucket> merged;
  std::size_t current_bin = 0;
  for (const Bucket& b : out) {
    const double x = std::log(static_cast<double>(std::max<std::uint64_t>(b.upper, 1)));
    // Only buckets 0 and 1 can share a log (both count as 1): then there is one bin.
    const std::size_t bin = width > 0 ? std::min(max_bins - 1, static_cast<std::size_t>((x - lo) / width)) : 0;
    if (!merged.empty() && bin == current_bin) {
      merged.back().upper = b.upper;
      merged.back().count += b.count;
    } else {
      merged.push_back(b);
      current_bin = bin;
    }
  }
  return merged;
}

}  // namespace irqrig::host

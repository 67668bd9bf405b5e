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
  // Each bucket's place on the 1/64-octave grid: octave m (0 counts as 1) and step 0..63 in it.
  // Merging `steps` neighbouring steps keeps bins log-spaced and aligned to octaves, so the
  // resolution stays where the samples are, and a plot can split the bins further without aliasing.
  auto key = [](std::uint64_t v, std::uint64_t steps) -> std::uint64_t {
    v = std::max<std::uint64_t>(v, 1);
    const unsigned m = 63 - static_cast<unsigned>(std::countl_zero(v));
    const std::uint64_t step = (m >= 6 ? v >> (m - 6) : v << (6 - m)) - kPerOctave;
    const std::uint64_t position = std::uint64_t{m} * kPerOctave + step;
    return position / steps;
  };
  for (std::uint64_t steps = 2;; steps *= 2) {
    std::vector<Bucket> merged;
    std::uint64_t current = 0;
    for (const Bucket& b : out) {
      const std::uint64_t k = key(b.upper, steps);
      if (!merged.empty() && k == current) {
        merged.back().upper = b.upper;
        merged.back().count += b.count;
      } else {
        merged.push_back(b);
        current = k;
      }
    }
    if (merged.size() <= max_bins) return merged;
  }
}

}  // namespace irqrig::host

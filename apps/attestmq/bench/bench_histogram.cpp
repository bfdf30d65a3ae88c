#include "bench_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace attestmq::app::bench {

unsigned LatencyHistogram::index_of(std::uint64_t value) {
  if (value < kLinearBuckets) return static_cast<unsigned>(value);
  // Keep the 7 most significant bits: value >> shift lies in [64, 128).
  const unsigned shift = static_cast<unsigned>(std::bit_width(value)) - 7;
  return kSubBuckets * shift + static_cast<unsigned>(value >> shift);
}

std::uint64_t LatencyHistogram::upper_bound_of(unsigned index) {
  if (index < kLinearBuckets) return index;
  const unsigned shift = index / kSubBuckets - 1;
  const std::uint64_t mantissa = index % kSubBuckets + kSubBuckets;
  return ((mantissa + 1) << shift) - 1;
}

void LatencyHistogram::record(std::uint64_t value_ns) {
  ++buckets_[index_of(value_ns)];
  ++count_;
  sum_ += value_ns;
  max_ = std::max(max_, value_ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (unsigned i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t LatencyHistogram::value_at(double quantile) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(quantile * static_cast<double>(count_)));
  if (rank >= count_) return max_;
  std::uint64_t seen = 0;
  for (unsigned i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= std::max<std::uint64_t>(rank, 1)) return std::min(upper_bound_of(i), max_);
  }
  return max_;
}

}  // namespace attestmq::app::bench

#pragma once
// A latency histogram with logarithmic buckets (HdrHistogram's layout, 7 significant bits):
// fixed memory, O(1) record, relative error below 1%, so recording one sample per delivered
// message costs no allocation however long the run.
#include <array>
#include <cstdint>

namespace attestmq::app::bench {

inline double microseconds(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

class LatencyHistogram {
 public:
  void record(std::uint64_t value_ns);
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // The value below which `quantile` (0..1] of the samples lie, to the histogram's
  // precision; 0 when empty. The top quantile returns the exact maximum.
  std::uint64_t value_at(double quantile) const;

 private:
  // Values below 128 get a bucket each; above, each power of two is split into 64 buckets.
  static constexpr unsigned kLinearBuckets = 128;
  static constexpr unsigned kSubBuckets = 64;
  static constexpr unsigned kBucketCount = kLinearBuckets + kSubBuckets * 57;

  static unsigned index_of(std::uint64_t value);
  static std::uint64_t upper_bound_of(unsigned index);

  std::array<std::uint64_t, kBucketCount> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace attestmq::app::bench

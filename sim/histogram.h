#pragma once
// An HDR-style log-linear histogram of non-negative integers (latencies in ticks). Values
// below 256 are kept exactly; above, each power of two is split into 128 buckets, so a
// bucket is at most 1/128 of its values wide and a reported percentile (the bucket's
// midpoint, clamped to the observed min and max) is within 0.4% of an observed value.
// Histograms merge by adding counts, so per-run or per-shard results combine exactly.
#include <cstdint>
#include <span>
#include <vector>

namespace estate::sim {

class Histogram {
 public:
  static constexpr int kExactBits = 8;
  static constexpr int kSubBucketBits = 7;

  void record(std::int64_t value, std::uint64_t times = 1);
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  std::int64_t min() const { return count_ ? min_ : 0; }
  std::int64_t max() const { return count_ ? max_ : 0; }

  // Nearest-rank percentile, q in [0, 1]. 0 when empty.
  std::int64_t percentile(double q) const;
  // Several percentiles in one pass over the buckets; qs ascending.
  void percentiles(std::span<const double> qs, std::span<std::int64_t> out) const;

  // Calls f(low, width, count) for every non-empty bucket, in ascending order.
  template <class F>
  void for_each_bucket(F&& f) const {
    for (std::size_t i = 0; i < counts_.size(); ++i)
      if (counts_[i]) f(bucket_low(i), bucket_width(i), counts_[i]);
  }

  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t bucket_low(std::size_t index);
  static std::uint64_t bucket_width(std::size_t index);

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace estate::sim

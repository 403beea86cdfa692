#pragma once
// An HDR-style log-linear histogram of non-negative integers (latencies in ticks). Values
// below 2048 are kept exactly; above, each power of two is split into 1024 buckets, so a
// bucket is at most 1/1024 of its values wide and a reported percentile (the bucket's
// midpoint, clamped to the observed min and max) is within 1/2048 (0.05%) of an observed
// value: about three significant digits.
//
// Memory follows the data: the counts run only up to the highest bucket ever used (values
// up to 72 h in microseconds need about 30k buckets, 240 KB). Buckets are grouped in blocks
// of 64 with a count per block, and the lowest and highest buckets in use are tracked, so
// percentiles pass empty and passed blocks whole, and reset() clears only the blocks that
// hold something: a histogram reset every simulated minute costs about what its minute
// recorded, not its whole range.
// Histograms merge by adding counts, so per-run or per-shard results combine exactly.
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace estate::sim {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 10;
  static constexpr int kExactBits = kSubBucketBits + 1;
  static constexpr std::size_t kBlock = 64;  // buckets per block

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
    if (count_ == 0) return;
    for (std::size_t b = lo_ / kBlock; b <= hi_ / kBlock; ++b) {
      if (blocks_[b] == 0) continue;
      const std::size_t end = (b + 1) * kBlock < hi_ + 1 ? (b + 1) * kBlock : hi_ + 1;
      for (std::size_t i = b * kBlock < lo_ ? lo_ : b * kBlock; i < end; ++i)
        if (counts_[i]) f(bucket_low(i), bucket_width(i), counts_[i]);
    }
  }

  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t bucket_low(std::size_t index);
  static std::uint64_t bucket_width(std::size_t index);

  // What a histogram is, for writing it out and reading it back in another process: every
  // non-empty bucket as (index, count), ascending, and the exact sum, min and max. A histogram
  // rebuilt from its parts gives the same percentiles and merges the same as the original.
  struct Parts {
    std::vector<std::pair<std::size_t, std::uint64_t>> buckets;
    double sum = 0;
    std::int64_t min = 0, max = 0;
  };
  Parts parts() const;
  // Throws std::invalid_argument when the parts cannot be a histogram's (indices not
  // ascending or beyond the range of values, a zero count, min above max).
  static Histogram from_parts(const Parts& parts);

  // Buckets held (the memory bound): one past the highest bucket ever used.
  std::size_t buckets_held() const { return counts_.size(); }

 private:
  std::vector<std::uint64_t> counts_;  // per bucket, sized to the highest bucket ever used
  std::vector<std::uint64_t> blocks_;  // per block of kBlock buckets: the sum of its counts
  std::size_t lo_ = 0, hi_ = 0;        // lowest and highest non-empty bucket (when count_ > 0)
  std::uint64_t count_ = 0;
  double sum_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace estate::sim

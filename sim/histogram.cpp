#include "sim/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "sim/assert.h"

namespace estate::sim {
namespace {
constexpr std::uint64_t kExact = 1u << Histogram::kExactBits;
constexpr std::uint64_t kSub = 1u << Histogram::kSubBucketBits;
}  // namespace

std::size_t Histogram::index_of(std::uint64_t v) {
  if (v < kExact) return v;
  const int e = 63 - std::countl_zero(v);  // >= kExactBits
  const int shift = e - kSubBucketBits;
  return kExact + static_cast<std::size_t>(e - kExactBits) * kSub + ((v >> shift) - kSub);
}

std::uint64_t Histogram::bucket_low(std::size_t index) {
  if (index < kExact) return index;
  const std::size_t octave = (index - kExact) / kSub;
  const std::uint64_t sub = (index - kExact) % kSub + kSub;
  return sub << (octave + kExactBits - kSubBucketBits);
}

std::uint64_t Histogram::bucket_width(std::size_t index) {
  if (index < kExact) return 1;
  const std::size_t octave = (index - kExact) / kSub;
  return std::uint64_t{1} << (octave + kExactBits - kSubBucketBits);
}

void Histogram::record(std::int64_t value, std::uint64_t times) {
  ESTATE_ASSERT(value >= 0, "histogram: negative value");
  if (times == 0) return;
  const std::size_t i = index_of(static_cast<std::uint64_t>(value));
  if (i >= counts_.size()) counts_.resize(i + 1, 0);
  counts_[i] += times;
  if (count_ == 0 || value < min_) min_ = value;
  if (count_ == 0 || value > max_) max_ = value;
  count_ += times;
  sum_ += static_cast<double>(value) * static_cast<double>(times);
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size(), 0);
  for (std::size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  if (count_ == 0 || other.max_ > max_) max_ = other.max_;
  count_ += other.count_;
  sum_ += other.sum_;
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  sum_ = 0;
  min_ = max_ = 0;
}

std::int64_t Histogram::percentile(double q) const {
  std::int64_t out = 0;
  percentiles(std::span<const double>(&q, 1), std::span<std::int64_t>(&out, 1));
  return out;
}

void Histogram::percentiles(std::span<const double> qs, std::span<std::int64_t> out) const {
  ESTATE_ASSERT(qs.size() == out.size(), "histogram: percentiles size mismatch");
  if (count_ == 0) {
    std::fill(out.begin(), out.end(), 0);
    return;
  }
  std::size_t bucket = 0;
  std::uint64_t seen = 0;
  for (std::size_t k = 0; k < qs.size(); ++k) {
    ESTATE_ASSERT(k == 0 || qs[k] >= qs[k - 1], "histogram: percentiles must ascend");
    const double q = std::clamp(qs[k], 0.0, 1.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    while (seen + counts_[bucket] < rank) seen += counts_[bucket++];
    const std::uint64_t mid = bucket_low(bucket) + (bucket_width(bucket) - 1) / 2;
    out[k] = std::clamp(static_cast<std::int64_t>(mid), min_, max_);
  }
}

}  // namespace estate::sim

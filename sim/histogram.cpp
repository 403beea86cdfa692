#include "sim/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "sim/assert.h"

namespace estate::sim {
namespace {
constexpr std::uint64_t kExact = std::uint64_t{1} << Histogram::kExactBits;
constexpr std::uint64_t kSub = std::uint64_t{1} << Histogram::kSubBucketBits;
static_assert(Histogram::kExactBits > Histogram::kSubBucketBits);
static_assert(kExact % Histogram::kBlock == 0 && kSub % Histogram::kBlock == 0, "a block lies in one octave");
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
  if (i >= counts_.size()) {
    counts_.resize(i + 1, 0);
    blocks_.resize(i / kBlock + 1, 0);
  }
  counts_[i] += times;
  blocks_[i / kBlock] += times;
  if (count_ == 0) {
    lo_ = hi_ = i;
    min_ = max_ = value;
  } else {
    lo_ = std::min(lo_, i);
    hi_ = std::max(hi_, i);
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  count_ += times;
  sum_ += static_cast<double>(value) * static_cast<double>(times);
}

Histogram::Parts Histogram::parts() const {
  Parts p;
  if (count_ == 0) return p;
  for (std::size_t i = lo_; i <= hi_; ++i)
    if (counts_[i]) p.buckets.emplace_back(i, counts_[i]);
  p.sum = sum_;
  p.min = min_;
  p.max = max_;
  return p;
}

Histogram Histogram::from_parts(const Parts& p) {
  Histogram h;
  if (p.buckets.empty()) return h;
  const std::size_t limit = index_of(std::numeric_limits<std::uint64_t>::max()) + 1;
  std::size_t prev = 0;
  for (std::size_t k = 0; k < p.buckets.size(); ++k) {
    const auto [i, n] = p.buckets[k];
    if (i >= limit || (k > 0 && i <= prev)) throw std::invalid_argument("bucket indices must ascend within the range of values");
    if (n == 0) throw std::invalid_argument("a bucket's count must be at least 1");
    prev = i;
  }
  if (p.min < 0 || p.min > p.max) throw std::invalid_argument("min must be at least 0 and at most max");
  h.lo_ = p.buckets.front().first;
  h.hi_ = p.buckets.back().first;
  if (index_of(static_cast<std::uint64_t>(p.min)) != h.lo_ || index_of(static_cast<std::uint64_t>(p.max)) != h.hi_)
    throw std::invalid_argument("min and max must fall in the lowest and highest buckets");
  h.counts_.assign(h.hi_ + 1, 0);
  h.blocks_.assign(h.hi_ / kBlock + 1, 0);
  for (const auto& [i, n] : p.buckets) {
    h.counts_[i] = n;
    h.blocks_[i / kBlock] += n;
    h.count_ += n;
  }
  h.sum_ = p.sum;
  h.min_ = p.min;
  h.max_ = p.max;
  return h;
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  if (other.hi_ >= counts_.size()) {
    counts_.resize(other.hi_ + 1, 0);
    blocks_.resize(other.hi_ / kBlock + 1, 0);
  }
  for (std::size_t b = other.lo_ / kBlock; b <= other.hi_ / kBlock; ++b) {
    if (other.blocks_[b] == 0) continue;
    blocks_[b] += other.blocks_[b];
    const std::size_t end = std::min((b + 1) * kBlock, other.hi_ + 1);
    for (std::size_t i = std::max(b * kBlock, other.lo_); i < end; ++i) counts_[i] += other.counts_[i];
  }
  if (count_ == 0) {
    lo_ = other.lo_;
    hi_ = other.hi_;
    min_ = other.min_;
    max_ = other.max_;
  } else {
    lo_ = std::min(lo_, other.lo_);
    hi_ = std::max(hi_, other.hi_);
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  sum_ += other.sum_;
}

void Histogram::reset() {
  if (count_ > 0) {
    for (std::size_t b = lo_ / kBlock; b <= hi_ / kBlock; ++b) {
      if (blocks_[b] == 0) continue;
      blocks_[b] = 0;
      const auto first = counts_.begin() + static_cast<std::ptrdiff_t>(std::max(b * kBlock, lo_));
      const auto last = counts_.begin() + static_cast<std::ptrdiff_t>(std::min((b + 1) * kBlock, hi_ + 1));
      std::fill(first, last, 0);
    }
  }
  lo_ = hi_ = 0;
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
  // `seen` counts everything below bucket `i`. At the start of a block, or at lo_ (nothing
  // lies below it), the block's count is what remains of it, so a block the rank lies beyond
  // is passed whole.
  std::size_t i = lo_;
  std::uint64_t seen = 0;
  for (std::size_t k = 0; k < qs.size(); ++k) {
    ESTATE_ASSERT(k == 0 || qs[k] >= qs[k - 1], "histogram: percentiles must ascend");
    const double q = std::clamp(qs[k], 0.0, 1.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    while (seen + counts_[i] < rank) {
      if ((i % kBlock == 0 || i == lo_) && seen + blocks_[i / kBlock] < rank) {
        seen += blocks_[i / kBlock];
        i = (i / kBlock + 1) * kBlock;
        continue;
      }
      seen += counts_[i++];
    }
    const std::uint64_t mid = bucket_low(i) + (bucket_width(i) - 1) / 2;
    out[k] = std::clamp(static_cast<std::int64_t>(mid), min_, max_);
  }
}

}  // namespace estate::sim

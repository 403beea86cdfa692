#pragma once
// Small statistics helpers shared by the sim/ tests: sample moments, exact nearest-rank
// percentiles, batch means for autocorrelated simulation output, chi-square statistics.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace estate::sim::test {

inline double to_double(std::size_t n) { return static_cast<double>(n); }

inline double sample_mean(std::span<const double> xs) {
  double s = 0;
  for (double x : xs) s += x;
  return s / to_double(xs.size());
}

// Unbiased sample variance.
inline double sample_variance(std::span<const double> xs) {
  const double m = sample_mean(xs);
  double s = 0;
  for (double x : xs) s += (x - m) * (x - m);
  return s / to_double(xs.size() - 1);
}

// Nearest-rank percentile of sorted data, with the same rank rule as sim::Histogram:
// rank = ceil(q * n) clamped to [1, n].
template <class T>
T nearest_rank(const std::vector<T>& sorted, double q) {
  const auto n = static_cast<std::uint64_t>(sorted.size());
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
  rank = std::clamp<std::uint64_t>(rank, 1, n);
  return sorted[static_cast<std::size_t>(rank - 1)];
}

// Empirical q-quantile (nearest rank) of unsorted data; the data is copied.
inline double quantile(std::span<const double> xs, double q) {
  std::vector<double> v(xs.begin(), xs.end());
  std::sort(v.begin(), v.end());
  return nearest_rank(v, q);
}

// Batch means: splits a stationary but autocorrelated sequence into `batches` consecutive
// batches, applies `stat` to each, and reports the mean of the batch statistics and its
// standard error. With batches much longer than the correlation time the batch statistics
// are nearly independent, so the standard error is honest (Law & Kelton, ch. 9).
struct BatchEstimate {
  double mean = 0;
  double se = 0;
};

template <class Stat>
BatchEstimate batch_estimate(std::span<const double> xs, std::size_t batches, Stat stat) {
  const std::size_t per = xs.size() / batches;
  std::vector<double> values;
  for (std::size_t b = 0; b < batches; ++b) values.push_back(stat(xs.subspan(b * per, per)));
  BatchEstimate e;
  e.mean = sample_mean(values);
  e.se = std::sqrt(sample_variance(values) / to_double(batches));
  return e;
}

inline BatchEstimate batch_means(std::span<const double> xs, std::size_t batches) {
  return batch_estimate(xs, batches, [](std::span<const double> b) { return sample_mean(b); });
}

// Pearson chi-square statistic of observed counts against expected counts.
inline double chi_square(std::span<const std::uint64_t> observed,
                         std::span<const double> expected) {
  double chi2 = 0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    const double d = static_cast<double>(observed[i]) - expected[i];
    chi2 += d * d / expected[i];
  }
  return chi2;
}

// Upper critical value of chi-square with k degrees of freedom at significance ~1e-4, from
// the Wilson-Hilferty cube-root normal approximation (z = 3.719, accurate to ~1% for k >= 3).
inline double chi_square_critical_1e4(std::size_t dof) {
  const double k = to_double(dof);
  const double z = 3.719;
  const double t = 1.0 - 2.0 / (9.0 * k) + z * std::sqrt(2.0 / (9.0 * k));
  return k * t * t * t;
}

}  // namespace estate::sim::test

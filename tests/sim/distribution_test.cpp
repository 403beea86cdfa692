#include "sim/distribution.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/sim/test_stats.h"

namespace estate::sim {
namespace {

using test::to_double;

std::vector<double> draw(const Distribution& d, Rng& rng, std::size_t n) {
  std::vector<double> xs(n);
  for (auto& x : xs) x = d.sample(rng);
  return xs;
}

// Exact variance of a continuous empirical table: a point mass at the first value, then
// uniform pieces between consecutive points.
double empirical_variance(const std::vector<std::pair<double, double>>& t) {
  double m1 = t[0].first * t[0].second;
  double m2 = t[0].first * t[0].first * t[0].second;
  for (std::size_t i = 1; i < t.size(); ++i) {
    const double w = t[i].second - t[i - 1].second;
    const double a = t[i - 1].first, b = t[i].first;
    m1 += w * (a + b) / 2;
    m2 += w * (a * a + a * b + b * b) / 3;
  }
  return m2 - m1 * m1;
}

const std::vector<std::pair<double, double>> kContinuousTable = {
    {0.0, 0.2}, {0.5, 0.5}, {2.0, 0.9}, {10.0, 1.0}};
const std::vector<std::pair<double, double>> kDiscreteTable = {
    {1.0, 0.5}, {2.0, 0.8}, {5.0, 0.95}, {20.0, 1.0}};

TEST_CASE("distribution sample means match mean() for every kind", "[distribution]") {
  // Proves that for each kind the sample mean of 200k draws is within 5 standard errors of
  // mean(), the standard error coming from the kind's exact variance.
  struct Case {
    std::string name;
    Distribution d;
    double variance;
  };
  const double sigma = std::log(0.9 / 0.12) / 2.3263478740408408;
  const double ln_mean = std::exp(std::log(0.12) + sigma * sigma / 2);
  const std::vector<Case> cases = {
      {"uniform", Distribution::uniform(2.0, 5.0), 9.0 / 12.0},
      {"exponential", Distribution::exponential(0.3), 0.09},
      {"lognormal", Distribution::lognormal(0.12, 0.9),
       ln_mean * ln_mean * (std::exp(sigma * sigma) - 1)},
      {"gamma shape 0.5", Distribution::gamma(0.5, 2.0), 0.5 * 4.0 * 4.0},
      {"gamma shape 2.5", Distribution::gamma(2.5, 1.0), 2.5 * 0.4 * 0.4},
      {"erlang 3", Distribution::gamma(3.0, 1.5), 3.0 * 0.5 * 0.5},
      {"empirical continuous", Distribution::empirical(kContinuousTable, false),
       empirical_variance(kContinuousTable)},
      {"empirical discrete", Distribution::empirical(kDiscreteTable, true),
       0.5 * 1 + 0.3 * 4 + 0.15 * 25 + 0.05 * 400 - 2.85 * 2.85},
      {"geometric", Distribution::geometric(3.5), (1 - 1 / 3.5) * 3.5 * 3.5},
  };
  // Means known independently of mean(), so mean() itself is checked too.
  const std::map<std::string, double> exact_mean = {
      {"uniform", 3.5},
      {"exponential", 0.3},
      {"lognormal", ln_mean},
      {"gamma shape 0.5", 2.0},
      {"gamma shape 2.5", 1.0},
      {"erlang 3", 1.5},
      {"empirical continuous", 0.3 * 0.25 + 0.4 * 1.25 + 0.1 * 6.0},
      {"empirical discrete", 2.85},
      {"geometric", 3.5}};

  constexpr std::size_t n = 200000;
  Rng rng(77);
  for (const auto& c : cases) {
    const auto xs = draw(c.d, rng, n);
    const double mean = test::sample_mean(xs);
    const double se = std::sqrt(c.variance / to_double(n));
    INFO(c.name << ": sample mean " << mean << ", mean() " << c.d.mean() << ", se " << se);
    CHECK(c.d.mean() == Approx(exact_mean.at(c.name)).epsilon(1e-12));
    CHECK(std::abs(mean - c.d.mean()) < 5 * se);
    // The sample variance agrees with the exact one too (loose: 10%, far beyond sampling
    // error for these kinds at n = 200k), which guards the variances used above.
    CHECK(std::abs(test::sample_variance(xs) / c.variance - 1) < 0.1);
  }

  Rng r2(1);
  const auto k = Distribution::constant(4.25);
  for (int i = 0; i < 100; ++i) REQUIRE(k.sample(r2) == 4.25);
  CHECK(k.mean() == 4.25);
  CHECK(Distribution().sample(r2) == 0.0);
}

TEST_CASE("lognormal median and p99 match its parameters", "[distribution]") {
  // Proves lognormal(median, p99) has that median and 99th percentile. With n = 200k and
  // sigma = ln(p99/median)/z99, the standard error of the log of the sample median is
  // sqrt(pi/2)*sigma/sqrt(n) and of the log of the sample p99 is
  // sigma*sqrt(0.01*0.99/n)/phi(z99); we allow 5 of each.
  constexpr std::size_t n = 200000;
  const double median = 0.12, p99 = 0.9;
  const double sigma = std::log(p99 / median) / 2.3263478740408408;
  const auto d = Distribution::lognormal(median, p99);
  Rng rng(2);
  const auto xs = draw(d, rng, n);
  for (double x : xs) REQUIRE(x > 0);
  const double se_log_median = std::sqrt(M_PI / 2) * sigma / std::sqrt(to_double(n));
  const double phi_z99 =
      std::exp(-2.3263478740408408 * 2.3263478740408408 / 2) / std::sqrt(2 * M_PI);
  const double se_log_p99 = sigma * std::sqrt(0.01 * 0.99 / to_double(n)) / phi_z99;
  const double got_median = test::quantile(xs, 0.5);
  const double got_p99 = test::quantile(xs, 0.99);
  INFO("median " << got_median << ", p99 " << got_p99);
  CHECK(std::abs(std::log(got_median / median)) < 5 * se_log_median);  // about 1.2%
  CHECK(std::abs(std::log(got_p99 / p99)) < 5 * se_log_p99);           // about 3.6%
  CHECK(d.describe() == "lognormal(median 0.12, p99 0.9)");
}

TEST_CASE("exponential variance is mean squared", "[distribution]") {
  // Proves the exponential's variance is mean^2 (SE of the sample variance is
  // sqrt(8/n)*mean^2 since the fourth central moment is 9*mean^4; 5 SE allowed) and that
  // its CDF at the mean is 1 - 1/e.
  constexpr std::size_t n = 200000;
  const double mean = 0.25;
  Rng rng(3);
  const auto xs = draw(Distribution::exponential(mean), rng, n);
  std::size_t below_mean = 0;
  for (double x : xs) {
    REQUIRE(x > 0);
    if (x <= mean) ++below_mean;
  }
  CHECK(std::abs(test::sample_variance(xs) / (mean * mean) - 1) < 5 * std::sqrt(8.0 / n));
  const double p = 1 - std::exp(-1.0);
  CHECK(std::abs(to_double(below_mean) / n - p) < 5 * std::sqrt(p * (1 - p) / n));
}

TEST_CASE("gamma variance is shape times scale squared", "[distribution]") {
  // Proves gamma(shape, mean) has variance shape*scale^2 with scale = mean/shape, for shape
  // < 1 (boosted sampler) and an Erlang-3, and the right CDF at the mean. SE of the sample
  // variance is var*sqrt((2 + 6/shape)/n) (excess kurtosis 6/shape); 5 SE allowed.
  constexpr std::size_t n = 200000;
  struct Case {
    double shape, mean, cdf_at_mean;
  };
  // CDF at the mean: shape 0.5 is a scaled chi-square(1): erf(sqrt(1/2)); Erlang-3 at
  // 3*scale: 1 - e^-3 (1 + 3 + 9/2).
  for (const Case c :
       {Case{0.5, 2.0, std::erf(std::sqrt(0.5))}, Case{3.0, 1.5, 1 - std::exp(-3.0) * 8.5}}) {
    Rng rng(4);
    const auto xs = draw(Distribution::gamma(c.shape, c.mean), rng, n);
    const double scale = c.mean / c.shape;
    const double var = c.shape * scale * scale;
    std::size_t below_mean = 0;
    for (double x : xs) {
      REQUIRE(x > 0);
      if (x <= c.mean) ++below_mean;
    }
    INFO("shape " << c.shape);
    CHECK(std::abs(test::sample_variance(xs) / var - 1) < 5 * std::sqrt((2 + 6 / c.shape) / n));
    const double p = c.cdf_at_mean;
    CHECK(std::abs(to_double(below_mean) / n - p) < 5 * std::sqrt(p * (1 - p) / n));
  }
}

TEST_CASE("geometric has support 1, 2, ... and geometric frequencies", "[distribution]") {
  // Proves geometric(mean) returns positive integers only, with P(X = k) = (1-p)^(k-1) p
  // for p = 1/mean (each of the first 8 within 5 SE), and that mean 1 is the constant 1.
  constexpr std::size_t n = 200000;
  const double mean = 3.5, p = 1 / mean;
  Rng rng(5);
  const auto xs = draw(Distribution::geometric(mean), rng, n);
  std::vector<std::size_t> counts(9, 0);
  for (double x : xs) {
    REQUIRE(x >= 1);
    REQUIRE(x == std::floor(x));
    if (x <= 8) ++counts[static_cast<std::size_t>(x)];
  }
  for (std::size_t k = 1; k <= 8; ++k) {
    const double pk = std::pow(1 - p, to_double(k - 1)) * p;
    INFO("k = " << k);
    CHECK(std::abs(to_double(counts[k]) / n - pk) < 5 * std::sqrt(pk * (1 - pk) / n));
  }
  const auto one = Distribution::geometric(1.0);
  for (int i = 0; i < 100; ++i) REQUIRE(one.sample(rng) == 1.0);
  CHECK(one.mean() == 1.0);
}

TEST_CASE("discrete empirical returns only table values with the table's frequencies",
          "[distribution]") {
  // Proves a discrete table yields exactly its values, with frequencies equal to the
  // probability steps (chi-square at significance ~1e-4).
  constexpr std::size_t n = 200000;
  Rng rng(6);
  const auto d = Distribution::empirical(kDiscreteTable, true);
  std::map<double, std::uint64_t> seen;
  for (double x : draw(d, rng, n)) ++seen[x];
  REQUIRE(seen.size() == 4);
  std::vector<std::uint64_t> observed;
  std::vector<double> expected;
  double prev = 0;
  for (const auto& [value, cum] : kDiscreteTable) {
    REQUIRE(seen.count(value) == 1);
    observed.push_back(seen[value]);
    expected.push_back((cum - prev) * to_double(n));
    prev = cum;
  }
  CHECK(test::chi_square(observed, expected) < test::chi_square_critical_1e4(3));
}

TEST_CASE("continuous empirical interpolates its cumulative table", "[distribution]") {
  // Proves a continuous table reproduces its CDF: a point mass at the first value equal to
  // its probability, the CDF at every table point, and linear interpolation inside a piece
  // (P(X <= 1.25) = 0.5 + 0.4 * 0.75/1.5 = 0.7); each within 5 SE.
  constexpr std::size_t n = 200000;
  Rng rng(7);
  const auto xs = draw(Distribution::empirical(kContinuousTable, false), rng, n);
  auto frac = [&](auto pred) {
    std::size_t k = 0;
    for (double x : xs)
      if (pred(x)) ++k;
    return to_double(k) / n;
  };
  auto near = [&](double got, double p) {
    return std::abs(got - p) < 5 * std::sqrt(p * (1 - p) / n);
  };
  for (double x : xs) {
    REQUIRE(x >= 0.0);
    REQUIRE(x <= 10.0);
  }
  CHECK(near(frac([](double x) { return x == 0.0; }), 0.2));
  CHECK(near(frac([](double x) { return x <= 0.5; }), 0.5));
  CHECK(near(frac([](double x) { return x <= 1.25; }), 0.7));
  CHECK(near(frac([](double x) { return x <= 2.0; }), 0.9));
  CHECK(near(frac([](double x) { return x > 6.0; }), 0.05));
}

TEST_CASE("distribution sampling is deterministic for a given rng state", "[distribution]") {
  // Proves the same Rng seed gives the same variates for every kind.
  const std::vector<Distribution> ds = {Distribution::uniform(0, 1),
                                        Distribution::exponential(1),
                                        Distribution::lognormal(1, 5),
                                        Distribution::gamma(0.7, 1),
                                        Distribution::gamma(4, 1),
                                        Distribution::geometric(2),
                                        Distribution::empirical(kContinuousTable, false)};
  Rng a(9), b(9);
  for (int i = 0; i < 1000; ++i)
    for (const auto& d : ds) REQUIRE(d.sample(a) == d.sample(b));
}

}  // namespace
}  // namespace estate::sim

#include "sim/alias_table.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tests/sim/test_stats.h"

namespace estate::sim {
namespace {

using test::to_double;

// Samples n indices and returns their counts.
std::vector<std::uint64_t> counts_of(const AliasTable& t, Rng& rng, int n) {
  std::vector<std::uint64_t> counts(t.size(), 0);
  for (int i = 0; i < n; ++i) {
    const std::uint32_t k = t.sample(rng);
    REQUIRE(k < t.size());
    ++counts[k];
  }
  return counts;
}

TEST_CASE("alias table frequencies match the weights", "[alias_table]") {
  // Proves sampled index frequencies are proportional to the weights (chi-square over the
  // non-zero weights at significance ~1e-4, plus each within 5 SE) and zero weights are
  // never drawn, for several weight shapes.
  const std::vector<std::vector<double>> tables = {
      {1, 2, 3, 4, 0, 10},
      {5, 5, 5, 5, 5, 5, 5},                          // equal
      {1000, 1, 1, 1, 1, 1, 1, 1, 1, 1},              // one dominant
      {0.001, 0.002, 0.5, 0, 0, 0.3, 0.197, 0.0001},  // tiny and zero weights
  };
  constexpr int n = 200000;
  Rng rng(1);
  for (const auto& w : tables) {
    const AliasTable t(w);
    REQUIRE(t.size() == w.size());
    double total = 0;
    for (double x : w) total += x;
    const auto counts = counts_of(t, rng, n);
    std::vector<std::uint64_t> observed;
    std::vector<double> expected;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const double p = w[i] / total;
      INFO("table of " << w.size() << ", index " << i << ": p " << p << ", count " << counts[i]);
      if (w[i] == 0) {
        CHECK(counts[i] == 0);
        continue;
      }
      CHECK(std::abs(to_double(counts[i]) / n - p) <= 5 * std::sqrt(p * (1 - p) / n) + 1e-12);
      observed.push_back(counts[i]);
      expected.push_back(p * n);
    }
    if (observed.size() >= 3)
      CHECK(test::chi_square(observed, expected) <
            test::chi_square_critical_1e4(observed.size() - 1));
  }
}

TEST_CASE("alias table Zipf weights over many items", "[alias_table]") {
  // Proves a 1000-item Zipf(1) table (SKU popularity) reproduces the head frequencies and
  // the total mass of the tail (each within 5 SE).
  std::vector<double> w(1000);
  double total = 0;
  for (std::size_t i = 0; i < w.size(); ++i) total += (w[i] = 1.0 / to_double(i + 1));
  const AliasTable t(w);
  constexpr int n = 200000;
  Rng rng(2);
  const auto counts = counts_of(t, rng, n);
  for (std::size_t i = 0; i < 5; ++i) {
    const double p = w[i] / total;
    CHECK(std::abs(to_double(counts[i]) / n - p) < 5 * std::sqrt(p * (1 - p) / n));
  }
  double tail_p = 0;
  std::uint64_t tail = 0;
  for (std::size_t i = 500; i < w.size(); ++i) {
    tail_p += w[i] / total;
    tail += counts[i];
  }
  CHECK(std::abs(to_double(tail) / n - tail_p) < 5 * std::sqrt(tail_p * (1 - tail_p) / n));
}

TEST_CASE("alias table single item and determinism", "[alias_table]") {
  // Proves a one-item table always returns 0, and that tables built from the same weights
  // sample identically from the same seed.
  const std::vector<double> one = {3.5};
  const AliasTable single(one);
  Rng rng(3);
  for (int i = 0; i < 1000; ++i) REQUIRE(single.sample(rng) == 0);

  const std::vector<double> w = {0.3, 0.1, 0.6, 2.0, 0.0, 1.0};
  const AliasTable a(w), b(w);
  Rng ra(4), rb(4);
  for (int i = 0; i < 10000; ++i) REQUIRE(a.sample(ra) == b.sample(rb));
}

}  // namespace
}  // namespace estate::sim

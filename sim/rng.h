#pragma once
// Seeded random streams with our own variate code: the bits and the doubles they make are
// the same with every standard library, which std::*_distribution does not promise.
#include <cstdint>
#include <string_view>

namespace estate::sim {

// xoshiro256** (Blackman & Vigna), seeded through splitmix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0);

  // An independent stream for a named component: same (seed, name) => same stream.
  static Rng stream(std::uint64_t seed, std::string_view name);

  std::uint64_t next();
  // Uniform on [0, 1) with 53 random bits.
  double uniform01();
  // Uniform on (0, 1): safe to take the logarithm of.
  double uniform_open();
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }
  // Uniform integer on [0, n); n > 0. Lemire's nearly-divisionless method, unbiased.
  std::uint64_t below(std::uint64_t n);
  bool bernoulli(double p) { return p > 0.0 && uniform01() < p; }
  // Standard normal by inversion (one uniform per variate, no cached state).
  double normal();

 private:
  std::uint64_t s_[4];
};

// FNV-1a, for deriving stream seeds from names.
std::uint64_t hash_name(std::string_view name);
std::uint64_t splitmix64(std::uint64_t& state);
// Inverse of the standard normal CDF (Acklam, refined); p in (0, 1).
double normal_quantile(double p);

}  // namespace estate::sim

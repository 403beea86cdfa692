#pragma once
// Random variates written the way architects describe them ("lognormal, median 120 ms,
// p99 900 ms"). Values are plain doubles: seconds for durations, units for counts; the
// caller converts. Sampling is deterministic for a given Rng state on every platform that
// gives the same results for log/exp/sqrt (the same binary always does).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/rng.h"

namespace estate::sim {

class Distribution {
 public:
  enum class Kind : std::uint8_t { constant, uniform, exponential, lognormal, gamma, empirical, geometric };

  Distribution() : Distribution(Kind::constant, 0.0, 0.0) {}
  static Distribution constant(double value);
  static Distribution uniform(double lo, double hi);
  static Distribution exponential(double mean);
  // Lognormal from its median and 99th percentile (p99 >= median > 0).
  static Distribution lognormal(double median, double p99);
  // Gamma with the given shape and mean; an Erlang-k is gamma with integer shape k.
  static Distribution gamma(double shape, double mean);
  // Cumulative table of (value, P(X <= value)) points, probabilities non-decreasing from 0
  // to 1. Continuous tables interpolate linearly; discrete ones return table values only.
  static Distribution empirical(std::vector<std::pair<double, double>> points, bool discrete);
  // Geometric on {1, 2, 3, ...} with the given mean (>= 1): lines per order and the like.
  static Distribution geometric(double mean);

  double sample(Rng& rng) const;
  double mean() const;
  Kind kind() const { return kind_; }
  // A short human description, e.g. "lognormal(median 0.12, p99 0.9)".
  std::string describe() const;

 private:
  Distribution(Kind kind, double a, double b) : kind_(kind), a_(a), b_(b) {}
  double sample_gamma(Rng& rng) const;

  Kind kind_;
  double a_;  // constant: value; uniform: lo; exponential: mean; lognormal: mu; gamma: shape; geometric: log(1-p)
  double b_;  // uniform: hi; lognormal: sigma; gamma: scale; geometric: mean
  bool discrete_ = false;
  std::shared_ptr<const std::vector<std::pair<double, double>>> table_;
};

}  // namespace estate::sim

#pragma once
// A piecewise-constant rate function lambda(t) (events per second) and exact sampling of the
// next arrival of the non-homogeneous Poisson process it drives: draw E ~ Exp(1) and walk the
// segments until the integrated rate reaches E (time change; no thinning, no wasted draws).
#include <utility>
#include <vector>

#include "sim/rng.h"
#include "sim/time.h"

namespace estate::sim {

class RateProfile {
 public:
  RateProfile() = default;
  // A constant rate from time 0 until `end` (no arrivals at or after end).
  RateProfile(double rate_per_s, Tick end);

  // Multiplies the rate by `factor` on [from, to).
  void multiply(Tick from, Tick to, double factor);
  // The next arrival strictly after `after`, or kNever if none before the end.
  Tick next_arrival(Tick after, Rng& rng) const;
  double rate_at(Tick t) const;
  // Integral of the rate over [0, end): the expected number of arrivals.
  double expected_count() const;

  const std::vector<std::pair<Tick, double>>& segments() const { return segments_; }

 private:
  void split_at(Tick t);
  std::vector<std::pair<Tick, double>> segments_;  // (start, rate); the last starts at end with rate 0
  Tick end_ = 0;
};

}  // namespace estate::sim

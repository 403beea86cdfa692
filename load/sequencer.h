#pragma once
// Open-model load generation: requests are sent when they are *scheduled*, at a rate, never
// when an earlier reply comes back (so a slow target cannot slow the load down and hide its
// own latency: no coordinated omission). The sequencer says when each request is due; the
// late-send record says how far behind schedule each one actually left, the way Nighthawk
// and k6 report what a generator could not keep up with.
#include <cmath>
#include <cstdint>
#include <string>

#include "sim/histogram.h"
#include "sim/rng.h"

namespace estate::load {

enum class Arrivals : std::uint8_t { constant, poisson };

class Sequencer {
 public:
  Sequencer(double rate_per_s, Arrivals arrivals, std::uint64_t seed) : rate_(rate_per_s), arrivals_(arrivals), rng_(seed) {}
  // The instant (seconds from the start) the next request is due; strictly increasing.
  double next() {
    due_ += arrivals_ == Arrivals::constant ? 1.0 / rate_ : -std::log(rng_.uniform_open()) / rate_;
    return due_;
  }
  double rate() const { return rate_; }

 private:
  double rate_;
  Arrivals arrivals_;
  sim::Rng rng_;
  double due_ = 0;
};

// How far behind its scheduled instant each request was handed to the network.
class LateSends {
 public:
  explicit LateSends(double threshold_s = 0.001) : threshold_us_(static_cast<std::int64_t>(threshold_s * 1e6)) {}
  void record(double behind_s) {
    const auto us = static_cast<std::int64_t>(behind_s > 0 ? behind_s * 1e6 : 0);
    behind_.record(us);
    if (us > threshold_us_) ++late_;
  }
  std::uint64_t sends() const { return behind_.count(); }
  std::uint64_t late() const { return late_; }
  double threshold_s() const { return static_cast<double>(threshold_us_) / 1e6; }
  const sim::Histogram& behind_us() const { return behind_; }

 private:
  std::int64_t threshold_us_;
  sim::Histogram behind_;
  std::uint64_t late_ = 0;
};

}  // namespace estate::load

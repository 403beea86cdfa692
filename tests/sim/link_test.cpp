#include "sim/link.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tests/sim/test_stats.h"

namespace estate::sim {
namespace {

using test::to_double;

constexpr int kN = 200000;

bool near(double frac, double p, int n) {
  return std::abs(frac - p) < 5 * std::sqrt(p * (1 - p) / n);
}

TEST_CASE("link without faults delivers once after the latency", "[link]") {
  // Proves the default and a latency-only link deliver every message exactly once, with a
  // delay equal to the sampled latency, never flagged as duplicated.
  Rng rng(1);
  const Link plain;
  for (int i = 0; i < 100; ++i) {
    const Deliveries d = plain.transmit(rng);
    REQUIRE(d.count == 1);
    REQUIRE(d.delay[0] == 0);
    REQUIRE_FALSE(d.duplicated);
  }
  LinkConfig cfg;
  cfg.latency_s = Distribution::uniform(0.010, 0.020);
  const Link link(cfg);
  Rng a(2), b(2);
  for (int i = 0; i < 1000; ++i) {
    const Deliveries d = link.transmit(a);
    REQUIRE(d.count == 1);
    REQUIRE(d.delay[0] == from_seconds(cfg.latency_s.sample(b)));
  }
}

TEST_CASE("link loses messages at the configured rate", "[link]") {
  // Proves a lossy link delivers nothing for a fraction `loss` of messages (5 SE), and that
  // loss 1 delivers nothing at all.
  LinkConfig cfg;
  cfg.latency_s = Distribution::constant(0.001);
  cfg.loss = 0.2;
  Rng rng(3);
  const Link link(cfg);
  int lost = 0;
  for (int i = 0; i < kN; ++i) {
    const Deliveries d = link.transmit(rng);
    REQUIRE((d.count == 0 || d.count == 1));
    if (d.count == 0) ++lost;
  }
  CHECK(near(lost / static_cast<double>(kN), 0.2, kN));

  cfg.loss = 1.0;
  const Link dead(cfg);
  for (int i = 0; i < 1000; ++i) REQUIRE(dead.transmit(rng).count == 0);
}

TEST_CASE("link duplicates delivered messages at the configured rate, after the original",
          "[link]") {
  // Proves that with loss 0.1 and duplicate 0.25, a delivered message is duplicated with
  // probability 0.25 (5 SE), a duplicate is flagged and comes exactly the duplicate delay
  // after the original, and lost messages are never duplicated.
  LinkConfig cfg;
  cfg.latency_s = Distribution::exponential(0.05);
  cfg.loss = 0.1;
  cfg.duplicate = 0.25;
  cfg.duplicate_delay_s = Distribution::uniform(0.001, 0.010);
  const Link link(cfg);
  Rng rng(4);
  int delivered = 0, duplicated = 0, lost = 0;
  for (int i = 0; i < kN; ++i) {
    const Deliveries d = link.transmit(rng);
    if (d.count == 0) {
      ++lost;
      REQUIRE_FALSE(d.duplicated);
      continue;
    }
    ++delivered;
    REQUIRE(d.duplicated == (d.count == 2));
    if (d.count == 2) {
      ++duplicated;
      REQUIRE(d.delay[1] > d.delay[0]);
      REQUIRE(d.delay[1] - d.delay[0] >= 1000);
      REQUIRE(d.delay[1] - d.delay[0] <= 10000);
    }
  }
  CHECK(near(lost / static_cast<double>(kN), 0.1, kN));
  CHECK(near(duplicated / static_cast<double>(delivered), 0.25, delivered));

  // With duplicate 1 every message comes twice.
  cfg.loss = 0;
  cfg.duplicate = 1.0;
  const Link twice(cfg);
  for (int i = 0; i < 1000; ++i) REQUIRE(twice.transmit(rng).count == 2);
}

TEST_CASE("link reorder window bounds the delays and spreads them uniformly", "[link]") {
  // Proves each delay lies in [latency, latency + window), every tick of the window is
  // reachable (both ends are hit), and the extra delay is uniform over the window
  // (chi-square over 10 bins at significance ~1e-4).
  LinkConfig cfg;
  cfg.latency_s = Distribution::constant(0.005);
  cfg.reorder_window = 1000;
  const Link link(cfg);
  Rng rng(5);
  const Tick lo = 5000, hi = 6000;
  Tick seen_lo = kNever, seen_hi = 0;
  std::vector<std::uint64_t> bins(10, 0);
  for (int i = 0; i < kN; ++i) {
    const Deliveries d = link.transmit(rng);
    REQUIRE(d.count == 1);
    REQUIRE(d.delay[0] >= lo);
    REQUIRE(d.delay[0] < hi);
    seen_lo = std::min(seen_lo, d.delay[0]);
    seen_hi = std::max(seen_hi, d.delay[0]);
    ++bins[static_cast<std::size_t>((d.delay[0] - lo) / 100)];
  }
  CHECK(seen_lo == lo);
  CHECK(seen_hi == hi - 1);
  const std::vector<double> expected(10, kN / 10.0);
  CHECK(test::chi_square(bins, expected) < test::chi_square_critical_1e4(9));
}

TEST_CASE("link extra delay is added to every delivery", "[link]") {
  // Proves extra_delay shifts the original and the duplicate by exactly that amount,
  // consuming no randomness (the same seed gives otherwise identical deliveries).
  LinkConfig base;
  base.latency_s = Distribution::lognormal(0.02, 0.2);
  base.loss = 0.05;
  base.duplicate = 0.3;
  base.duplicate_delay_s = Distribution::exponential(0.01);
  base.reorder_window = millis(3);
  LinkConfig late = base;
  late.extra_delay = seconds(30);
  const Link a(base), b(late);
  Rng ra(6), rb(6);
  int compared = 0;
  for (int i = 0; i < 20000; ++i) {
    const Deliveries da = a.transmit(ra), db = b.transmit(rb);
    REQUIRE(da.count == db.count);
    REQUIRE(da.duplicated == db.duplicated);
    for (int k = 0; k < da.count; ++k) {
      REQUIRE(db.delay[k] == da.delay[k] + seconds(30));
      ++compared;
    }
  }
  CHECK(compared > 20000);  // duplicates were among them
}

TEST_CASE("link reordering lets messages overtake only within the window", "[link]") {
  // Proves that messages sent one tick apart over a constant-latency link with a window W
  // arrive out of order sometimes, but never by more than W - 1 ticks.
  LinkConfig cfg;
  cfg.latency_s = Distribution::constant(0.002);
  cfg.reorder_window = 50;
  const Link link(cfg);
  Rng rng(7);
  Tick latest_arrival = 0;
  int overtaken = 0;
  for (Tick sent = 0; sent < 20000; ++sent) {
    const Tick arrival = sent + link.transmit(rng).delay[0];
    if (arrival < latest_arrival) {
      ++overtaken;
      REQUIRE(latest_arrival - arrival < 50);
    }
    latest_arrival = std::max(latest_arrival, arrival);
  }
  CHECK(overtaken > 1000);
}

}  // namespace
}  // namespace estate::sim

#include "sim/rate_profile.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tests/sim/test_stats.h"

namespace estate::sim {
namespace {

using test::to_double;

// All arrivals of one realisation, starting before time 0.
std::vector<Tick> arrivals(const RateProfile& p, Rng& rng) {
  std::vector<Tick> out;
  for (Tick t = p.next_arrival(-1, rng); t != kNever; t = p.next_arrival(t, rng)) out.push_back(t);
  return out;
}

std::size_t count_in(const std::vector<Tick>& ts, Tick from, Tick to) {
  std::size_t n = 0;
  for (Tick t : ts) n += (t >= from && t < to) ? 1 : 0;
  return n;
}

TEST_CASE("rate profile constant rate gives Poisson counts", "[rate_profile]") {
  // Proves a constant rate of 20/s over 10,000 s gives per-second counts with mean 20
  // (SE sqrt(20/10000)) and variance 20 (SE sqrt((mu4 - sigma^4)/n) with the Poisson
  // mu4 = 20 (1 + 3*20)), and exponential gaps with mean 1/20 s; 5 SE each.
  const double rate = 20;
  const Tick end = seconds(10000);
  const RateProfile p(rate, end);
  Rng rng(1);
  const auto ts = arrivals(p, rng);
  std::vector<double> per_second(10000, 0.0);
  for (std::size_t i = 0; i < ts.size(); ++i) {
    REQUIRE(ts[i] >= 0);
    REQUIRE(ts[i] < end);
    if (i > 0) REQUIRE(ts[i] > ts[i - 1]);
    per_second[static_cast<std::size_t>(ts[i] / kTicksPerSecond)] += 1;
  }
  const double n = 10000;
  CHECK(std::abs(test::sample_mean(per_second) - rate) < 5 * std::sqrt(rate / n));
  CHECK(std::abs(test::sample_variance(per_second) - rate) <
        5 * std::sqrt((rate * (1 + 3 * rate) - rate * rate) / n));
  // Gaps: exponential with mean 1/rate (sd 1/rate).
  std::vector<double> gaps;
  for (std::size_t i = 1; i < ts.size(); ++i) gaps.push_back(to_seconds(ts[i] - ts[i - 1]));
  const double m = static_cast<double>(gaps.size());
  CHECK(std::abs(test::sample_mean(gaps) - 1 / rate) < 5 / rate / std::sqrt(m));
  CHECK(std::abs(test::quantile(gaps, 0.5) - std::log(2.0) / rate) < 0.02 * std::log(2.0) / rate);
}

TEST_CASE("rate profile multiply scales the count in its window", "[rate_profile]") {
  // Proves multiply(from, to, f) multiplies the arrival count in [from, to) by f and leaves
  // other windows alone (each count within 5 sqrt(expected), its Poisson SE), that factor 0
  // silences a window completely, and that expected_count() integrates the result.
  RateProfile p(10.0, seconds(5000));
  p.multiply(seconds(1000), seconds(2000), 3.0);
  p.multiply(seconds(3000), seconds(3500), 0.0);
  p.multiply(seconds(4000), seconds(4500), 0.5);
  p.multiply(seconds(4200), seconds(6000), 2.0);  // overlaps, and runs past the end (clamped)
  CHECK(p.rate_at(seconds(999)) == 10.0);
  CHECK(p.rate_at(seconds(1000)) == 30.0);
  CHECK(p.rate_at(seconds(2000) - 1) == 30.0);
  CHECK(p.rate_at(seconds(2000)) == 10.0);
  CHECK(p.rate_at(seconds(3200)) == 0.0);
  CHECK(p.rate_at(seconds(4100)) == 5.0);
  CHECK(p.rate_at(seconds(4300)) == 10.0);
  CHECK(p.rate_at(seconds(4600)) == 20.0);
  CHECK(p.rate_at(seconds(5000)) == 0.0);
  CHECK(p.rate_at(-1) == 0.0);
  const double expected_total =
      10 * 1000 + 30 * 1000 + 10 * 1000 + 0 * 500 + 10 * 500 + 5 * 200 + 10 * 300 + 20 * 500;
  CHECK(p.expected_count() == Approx(expected_total).epsilon(1e-12));

  Rng rng(2);
  const auto ts = arrivals(p, rng);
  struct Window {
    Tick from, to;
    double expected;
  };
  for (const Window w :
       {Window{0, seconds(1000), 10000}, Window{seconds(1000), seconds(2000), 30000},
        Window{seconds(2000), seconds(3000), 10000}, Window{seconds(3500), seconds(4000), 5000},
        Window{seconds(4000), seconds(4200), 1000}, Window{seconds(4200), seconds(4500), 3000},
        Window{seconds(4500), seconds(5000), 10000}}) {
    const double got = to_double(count_in(ts, w.from, w.to));
    INFO("window [" << w.from << ", " << w.to << "): " << got << " arrivals, expected "
                    << w.expected);
    CHECK(std::abs(got - w.expected) < 5 * std::sqrt(w.expected));
  }
  CHECK(count_in(ts, seconds(3000), seconds(3500)) == 0);
  CHECK(std::abs(to_double(ts.size()) - expected_total) < 5 * std::sqrt(expected_total));
}

TEST_CASE("rate profile has no arrivals at or after the end", "[rate_profile]") {
  // Proves every arrival is before the end and that asking from the end or beyond, or from
  // a default (empty) profile, gives kNever.
  const Tick end = seconds(100);
  const RateProfile p(50.0, end);
  Rng rng(3);
  for (int rep = 0; rep < 20; ++rep) {
    const auto ts = arrivals(p, rng);
    REQUIRE_FALSE(ts.empty());
    REQUIRE(ts.back() < end);
  }
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(p.next_arrival(end, rng) == kNever);
    REQUIRE(p.next_arrival(end + 12345, rng) == kNever);
  }
  const RateProfile none;
  CHECK(none.next_arrival(-1, rng) == kNever);
  CHECK(none.next_arrival(0, rng) == kNever);
  CHECK(none.expected_count() == 0.0);
  const RateProfile zero(0.0, end);
  CHECK(zero.next_arrival(-1, rng) == kNever);
  CHECK(zero.expected_count() == 0.0);
}

TEST_CASE("rate profile expected_count matches the mean count", "[rate_profile]") {
  // Proves expected_count() is the mean number of arrivals: over 200 realisations of a
  // profile with expected count 600, the mean count is within 5 SE (sqrt(600/200)).
  RateProfile p(2.0, seconds(200));
  p.multiply(seconds(50), seconds(100), 3.0);  // 2*150 + 6*50 = 600
  CHECK(p.expected_count() == Approx(600.0).epsilon(1e-12));
  Rng rng(4);
  double total = 0;
  const int reps = 200;
  for (int r = 0; r < reps; ++r) total += to_double(arrivals(p, rng).size());
  CHECK(std::abs(total / reps - 600.0) < 5 * std::sqrt(600.0 / reps));
}

TEST_CASE("rate profile next_arrival(-1) starts from time 0", "[rate_profile]") {
  // Proves the first arrival asked for from before the start is an Exp(rate) time from 0
  // (regression: next_arrival(-1, rng) used to return kNever): exactly the tick the time
  // change gives for the same uniform, and mean 1/rate over 20k draws (5 SE).
  const double rate = 4.0;
  const RateProfile p(rate, seconds(1000));
  Rng a(5), b(5);
  double sum = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const Tick t = p.next_arrival(-1, a);
    REQUIRE(t != kNever);
    REQUIRE(t >= 0);
    const double e = -std::log(b.uniform_open());
    REQUIRE(t == std::max<Tick>(from_seconds(e / rate), 0));
    sum += to_seconds(t);
  }
  CHECK(std::abs(sum / n - 1 / rate) < 5 / rate / std::sqrt(n));
  // From time 0 itself the arrival is strictly after 0.
  for (int i = 0; i < 1000; ++i) REQUIRE(p.next_arrival(0, a) > 0);
}

TEST_CASE("rate profile next_arrival is strictly after its argument at segment ends",
          "[rate_profile]") {
  // Proves next_arrival(after) > after even when `after` is the last tick of a segment, and
  // that no arrival lands at or after the end. (Regression: rounding used to clamp the
  // result to `after` itself, so a caller looping t = next_arrival(t) could emit several
  // arrivals at one tick, or never stop at very high rates.)
  const Tick end = seconds(1);
  RateProfile p(2000.0, end);
  p.multiply(millis(500), end, 1.0);  // an inner segment boundary at 500 ms
  Rng rng(6);
  int bad_end = 0, bad_inner = 0;
  for (int i = 0; i < 20000; ++i) {
    const Tick at_end = p.next_arrival(end - 1, rng);
    if (!(at_end > end - 1)) ++bad_end;
    const Tick inner = p.next_arrival(millis(500) - 1, rng);
    if (!(inner > millis(500) - 1)) ++bad_inner;
  }
  CHECK(bad_end == 0);
  CHECK(bad_inner == 0);
  // A very high rate makes it happen on nearly every call.
  const RateProfile fast(1e9, 100);
  CHECK(fast.next_arrival(99, rng) > 99);
  const Tick last = fast.next_arrival(98, rng);
  CHECK((last == 99 || last == kNever));
}

}  // namespace
}  // namespace estate::sim

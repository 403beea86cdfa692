#include "sim/distribution.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sim/assert.h"

namespace estate::sim {
namespace {
constexpr double kZ99 = 2.3263478740408408;  // standard normal 99th percentile
}

Distribution Distribution::constant(double value) { return {Kind::constant, value, value}; }

Distribution Distribution::uniform(double lo, double hi) {
  ESTATE_ASSERT(lo <= hi, "uniform needs lo <= hi");
  return {Kind::uniform, lo, hi};
}

Distribution Distribution::exponential(double mean) {
  ESTATE_ASSERT(mean > 0, "exponential needs mean > 0");
  return {Kind::exponential, mean, 0.0};
}

Distribution Distribution::lognormal(double median, double p99) {
  ESTATE_ASSERT(median > 0 && p99 >= median, "lognormal needs p99 >= median > 0");
  return {Kind::lognormal, std::log(median), std::log(p99 / median) / kZ99};
}

Distribution Distribution::gamma(double shape, double mean) {
  ESTATE_ASSERT(shape > 0 && mean > 0, "gamma needs shape > 0 and mean > 0");
  return {Kind::gamma, shape, mean / shape};
}

Distribution Distribution::empirical(std::vector<std::pair<double, double>> points, bool discrete) {
  ESTATE_ASSERT(points.size() >= 1, "empirical needs points");
  ESTATE_ASSERT(points.back().second == 1.0, "empirical table must end at probability 1");
  Distribution d{Kind::empirical, points.front().first, points.back().first};
  d.discrete_ = discrete;
  d.table_ = std::make_shared<const std::vector<std::pair<double, double>>>(std::move(points));
  return d;
}

Distribution Distribution::geometric(double mean) {
  ESTATE_ASSERT(mean >= 1.0, "geometric needs mean >= 1");
  if (mean == 1.0) return constant(1.0);
  return {Kind::geometric, std::log(1.0 - 1.0 / mean), mean};
}

double Distribution::sample(Rng& rng) const {
  switch (kind_) {
    case Kind::constant:
      return a_;
    case Kind::uniform:
      return rng.uniform(a_, b_);
    case Kind::exponential:
      return -a_ * std::log(rng.uniform_open());
    case Kind::lognormal:
      return std::exp(a_ + b_ * rng.normal());
    case Kind::gamma:
      return sample_gamma(rng);
    case Kind::geometric:
      return 1.0 + std::floor(std::log(rng.uniform_open()) / a_);
    case Kind::empirical: {
      const auto& t = *table_;
      const double u = rng.uniform01();
      auto it = std::lower_bound(t.begin(), t.end(), u,
                                 [](const auto& point, double p) { return point.second < p; });
      if (it == t.end()) it = std::prev(t.end());
      if (discrete_ || it == t.begin()) return it->first;
      const auto& lo = *std::prev(it);
      const double span = it->second - lo.second;
      if (span <= 0) return it->first;
      return lo.first + (it->first - lo.first) * (u - lo.second) / span;
    }
  }
  return a_;
}

double Distribution::sample_gamma(Rng& rng) const {
  // Marsaglia & Tsang (2000); shape < 1 boosted by U^(1/shape).
  double shape = a_;
  double boost = 1.0;
  if (shape < 1.0) {
    boost = std::pow(rng.uniform_open(), 1.0 / shape);
    shape += 1.0;
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (int i = 0; i < 1000; ++i) {
    double x;
    double v;
    do {
      x = rng.normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.uniform_open();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v * b_ * boost;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v * b_ * boost;
  }
  return shape * b_ * boost;  // unreachable in practice (acceptance rate > 95%)
}

double Distribution::mean() const {
  switch (kind_) {
    case Kind::constant:
      return a_;
    case Kind::uniform:
      return (a_ + b_) / 2;
    case Kind::exponential:
      return a_;
    case Kind::lognormal:
      return std::exp(a_ + b_ * b_ / 2);
    case Kind::gamma:
      return a_ * b_;
    case Kind::geometric:
      return b_;
    case Kind::empirical: {
      const auto& t = *table_;
      double m = t.front().first * t.front().second;
      for (std::size_t i = 1; i < t.size(); ++i) {
        const double w = t[i].second - t[i - 1].second;
        m += w * (discrete_ ? t[i].first : (t[i].first + t[i - 1].first) / 2);
      }
      return m;
    }
  }
  return a_;
}

std::string Distribution::describe() const {
  char buf[96];
  switch (kind_) {
    case Kind::constant:
      std::snprintf(buf, sizeof buf, "constant(%g)", a_);
      break;
    case Kind::uniform:
      std::snprintf(buf, sizeof buf, "uniform(%g, %g)", a_, b_);
      break;
    case Kind::exponential:
      std::snprintf(buf, sizeof buf, "exponential(mean %g)", a_);
      break;
    case Kind::lognormal:
      std::snprintf(buf, sizeof buf, "lognormal(median %g, p99 %g)", std::exp(a_), std::exp(a_ + b_ * kZ99));
      break;
    case Kind::gamma:
      std::snprintf(buf, sizeof buf, "gamma(shape %g, mean %g)", a_, a_ * b_);
      break;
    case Kind::geometric:
      std::snprintf(buf, sizeof buf, "geometric(mean %g)", b_);
      break;
    case Kind::empirical:
      std::snprintf(buf, sizeof buf, "empirical(%zu points)", table_->size());
      break;
  }
  return buf;
}

}  // namespace estate::sim

#include "sim/rate_profile.h"

#include <algorithm>
#include <cmath>

#include "sim/assert.h"

namespace estate::sim {

RateProfile::RateProfile(double rate_per_s, Tick end) : end_(end) {
  ESTATE_ASSERT(rate_per_s >= 0 && end >= 0, "rate profile: bad arguments");
  segments_ = {{0, rate_per_s}, {end, 0.0}};
}

void RateProfile::split_at(Tick t) {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), t,
                             [](Tick x, const auto& seg) { return x < seg.first; });
  ESTATE_ASSERT(it != segments_.begin(), "rate profile: split before start");
  if (std::prev(it)->first == t) return;
  segments_.insert(it, {t, std::prev(it)->second});
}

void RateProfile::multiply(Tick from, Tick to, double factor) {
  from = std::clamp<Tick>(from, 0, end_);
  to = std::clamp<Tick>(to, 0, end_);
  if (from >= to) return;
  split_at(from);
  split_at(to);
  for (auto& seg : segments_)
    if (seg.first >= from && seg.first < to) seg.second *= factor;
}

double RateProfile::rate_at(Tick t) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), t,
                             [](Tick x, const auto& seg) { return x < seg.first; });
  if (it == segments_.begin()) return 0.0;
  return std::prev(it)->second;
}

Tick RateProfile::next_arrival(Tick after, Rng& rng) const {
  double remaining = -std::log(rng.uniform_open());  // Exp(1) of integrated rate
  auto it = std::upper_bound(segments_.begin(), segments_.end(), after,
                             [](Tick x, const auto& seg) { return x < seg.first; });
  double t = to_seconds(after);
  if (it == segments_.begin()) {
    if (segments_.empty()) return kNever;
    t = to_seconds(segments_.front().first);  // before the profile starts: start at its start
  } else {
    --it;
  }
  for (; it != segments_.end(); ++it) {
    const auto next = std::next(it);
    if (next == segments_.end()) return kNever;  // past the end: rate 0
    const double seg_end = to_seconds(next->first);
    const double mass = it->second * (seg_end - t);
    if (it->second > 0 && mass >= remaining) {
      // Strictly after `after`; rounding to a tick may land on the boundary, which belongs
      // to the next segment, or is the end (no arrivals there).
      const Tick at = std::max(from_seconds(t + remaining / it->second), after + 1);
      if (at < next->first) return at;
      return std::next(next) == segments_.end() ? kNever : next->first;
    }
    remaining -= std::max(mass, 0.0);
    t = seg_end;
  }
  return kNever;
}

double RateProfile::expected_count() const {
  double total = 0;
  for (std::size_t i = 0; i + 1 < segments_.size(); ++i)
    total += segments_[i].second * to_seconds(segments_[i + 1].first - segments_[i].first);
  return total;
}

}  // namespace estate::sim

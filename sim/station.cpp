#include "sim/station.h"

#include "sim/assert.h"

namespace estate::sim {

void Station::advance(Tick now) {
  ESTATE_ASSERT(now >= last_, "station: time went backwards");
  const auto dt = static_cast<double>(now - last_);
  const auto waiting = static_cast<double>(queue_.size());
  stats_.area_waiting += dt * waiting;
  stats_.area_busy += dt * busy_;
  stats_.area_in_system += dt * (waiting + busy_);
  stats_.area_blocked += dt * blocked_;
  last_ = now;
}

void Station::block(Tick now) {
  advance(now);
  ESTATE_ASSERT(blocked_ < busy_, "station: blocking a server that is not busy");
  ++blocked_;
  ++stats_.blocked;
}

void Station::unblock(Tick now) {
  advance(now);
  ESTATE_ASSERT(blocked_ > 0, "station: unblocking with no server blocked");
  --blocked_;
}

void Station::hold_outside(Tick now) {
  advance(now);
  ++held_;
  ++stats_.held;
  if (held_ > stats_.peak_held) stats_.peak_held = held_;
}

void Station::unhold(Tick now) {
  advance(now);
  ESTATE_ASSERT(held_ > 0, "station: no job held outside");
  --held_;
}

Station::Admit Station::arrive(Tick now, std::uint32_t job, bool force) {
  advance(now);
  if (busy_ < servers_) {
    ++busy_;
    ++stats_.arrivals;
    ++stats_.started;
    if (busy_ > stats_.peak_busy) stats_.peak_busy = busy_;
    return Admit::start;
  }
  if (!force && queue_.size() >= capacity_) {
    ++stats_.refused;
    return Admit::refused;
  }
  queue_.push_back({job, now});
  ++stats_.arrivals;
  if (queue_.size() > stats_.peak_waiting) stats_.peak_waiting = queue_.size();
  if (queue_.size() > window_peak_) window_peak_ = queue_.size();
  return Admit::queued;
}

std::optional<std::uint32_t> Station::next(Tick now) {
  if (queue_.empty() || busy_ >= servers_) return std::nullopt;
  const Waiting w = queue_.pop_front();
  ++busy_;
  ++stats_.started;
  stats_.sum_wait += static_cast<double>(now - w.since);
  return w.job;
}

std::optional<std::uint32_t> Station::depart(Tick now, Tick arrived_at) {
  advance(now);
  ESTATE_ASSERT(busy_ > 0, "station: departure with no job in service");
  --busy_;
  ++stats_.departures;
  stats_.sum_sojourn += static_cast<double>(now - arrived_at);
  return next(now);
}

}  // namespace estate::sim

#pragma once
// A multi-server FIFO service station: c servers and a bounded waiting line. It is pure
// bookkeeping: the owner decides when service ends (a timer, or a reply to a request) and
// tells the station. The station keeps what queueing theory needs to check it: time-average
// number in system and in queue, sojourn times, peak queue depth, refusals.
#include <cstdint>
#include <optional>
#include <string>

#include "sim/ring.h"
#include "sim/time.h"

namespace estate::sim {

struct StationStats {
  std::uint64_t arrivals = 0;     // admitted (started or queued)
  std::uint64_t refused = 0;      // turned away because the waiting line was full
  std::uint64_t departures = 0;
  std::uint64_t peak_waiting = 0;
  std::uint64_t peak_busy = 0;
  double area_in_system = 0;      // integral of (busy + waiting) dt, in tick-jobs
  double area_waiting = 0;
  double area_busy = 0;
  double sum_sojourn = 0;         // ticks, over departed jobs
  double sum_wait = 0;            // ticks spent waiting, over jobs that started service
  std::uint64_t started = 0;
  // Back-pressure (the owner's bookkeeping, see block() and hold_outside()):
  std::uint64_t blocked = 0;      // servers that finished a job and then waited to hand work downstream
  double area_blocked = 0;        // integral of such servers dt (they count as busy too)
  std::uint64_t held = 0;         // jobs that found the waiting line full and waited outside it
  std::uint64_t peak_held = 0;
};

class Station {
 public:
  enum class Admit : std::uint8_t { start, queued, refused };

  Station() = default;
  Station(std::string name, std::uint32_t servers, std::uint64_t capacity)
      : name_(std::move(name)), servers_(servers), capacity_(capacity) {}

  // A job arrives. `start`: it takes a free server now. `queued`: it waits. `refused`: the
  // waiting line is at capacity (unless `force`, used for work that must not be dropped,
  // such as a retry of a message already accepted).
  Admit arrive(Tick now, std::uint32_t job, bool force = false);

  // A job in service leaves (it arrived at `arrived_at`): finished, or handed back to be
  // retried later, in which case it arrives again as a new visit. Returns the waiting job
  // that takes the freed server, if any.
  std::optional<std::uint32_t> depart(Tick now, Tick arrived_at);

  // Whether a job arriving now would be admitted (a free server, or room in the line).
  bool has_room() const { return busy_ < servers_ || queue_.size() < capacity_; }

  // Bookkeeping of back-pressure; the owner decides. A server that finished its job but must
  // wait for room downstream before it may take the next one stays busy and is also counted
  // blocked until unblock() (depart() follows). A job that found the line full and waits
  // outside it (upstream) is counted held until unhold() (arrive() follows).
  void block(Tick now);
  void unblock(Tick now);
  void hold_outside(Tick now);
  void unhold(Tick now);
  // A job turned away at the door by the owner's own rule (counted with refusals).
  void refuse(Tick now) {
    advance(now);
    ++stats_.refused;
  }
  std::uint32_t blocked() const { return blocked_; }
  std::uint64_t held() const { return held_; }

  // Starts a waiting job if a server is free (after set_servers raised the count).
  std::optional<std::uint32_t> pull(Tick now) {
    advance(now);
    return next(now);
  }

  // Brings the time integrals up to `now` (call before reading stats at the end).
  void advance(Tick now);

  void set_servers(std::uint32_t servers) { servers_ = servers; }
  const std::string& name() const { return name_; }
  std::uint32_t servers() const { return servers_; }
  std::uint64_t capacity() const { return capacity_; }
  std::uint32_t busy() const { return busy_; }
  std::size_t waiting() const { return queue_.size(); }
  // The longest waiting line since the last call (for per-interval series).
  std::uint64_t take_window_peak() {
    const std::uint64_t peak = window_peak_;
    window_peak_ = queue_.size();
    return peak;
  }
  bool idle() const { return busy_ == 0 && queue_.empty() && held_ == 0; }
  const StationStats& stats() const { return stats_; }
  Tick observed_until() const { return last_; }

 private:
  std::optional<std::uint32_t> next(Tick now);
  struct Waiting {
    std::uint32_t job;
    Tick since;
  };
  std::string name_;
  std::uint32_t servers_ = 1;
  std::uint64_t capacity_ = 0;
  std::uint32_t busy_ = 0;
  std::uint32_t blocked_ = 0;
  std::uint64_t held_ = 0;
  Ring<Waiting> queue_;
  StationStats stats_;
  Tick last_ = 0;
  std::uint64_t window_peak_ = 0;
};

}  // namespace estate::sim

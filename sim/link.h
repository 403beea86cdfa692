#pragma once
// A simulated link between two components: latency, loss, duplication (at-least-once
// re-delivery after a delay) and reordering (each message gets an extra uniform delay in
// [0, window), so messages sent within a window can overtake one another).
#include <cstdint>

#include "sim/distribution.h"
#include "sim/time.h"

namespace estate::sim {

struct LinkConfig {
  Distribution latency_s = Distribution::constant(0.0);
  double loss = 0.0;
  double duplicate = 0.0;
  Distribution duplicate_delay_s = Distribution::constant(0.0);
  Tick reorder_window = 0;
  Tick extra_delay = 0;  // added to every message (a late batch window)
};

struct Deliveries {
  int count = 0;
  Tick delay[2] = {0, 0};
  bool duplicated = false;
};

class Link {
 public:
  Link() = default;
  explicit Link(LinkConfig config) : config_(std::move(config)) {}

  Deliveries transmit(Rng& rng) const;

  LinkConfig& config() { return config_; }
  const LinkConfig& config() const { return config_; }

 private:
  LinkConfig config_;
};

}  // namespace estate::sim

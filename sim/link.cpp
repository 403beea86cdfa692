#include "sim/link.h"

#include "sim/time.h"

namespace estate::sim {

Deliveries Link::transmit(Rng& rng) const {
  Deliveries d;
  if (config_.loss > 0 && rng.bernoulli(config_.loss)) return d;
  auto one = [&] {
    Tick delay = delay_from_seconds(config_.latency_s.sample(rng)) + config_.extra_delay;
    if (config_.reorder_window > 0)
      delay += static_cast<Tick>(rng.below(static_cast<std::uint64_t>(config_.reorder_window)));
    return delay;
  };
  d.delay[d.count++] = one();
  if (config_.duplicate > 0 && rng.bernoulli(config_.duplicate)) {
    d.delay[d.count++] = d.delay[0] + delay_from_seconds(config_.duplicate_delay_s.sample(rng));
    d.duplicated = true;
  }
  return d;
}

}  // namespace estate::sim

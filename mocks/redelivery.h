#pragma once
// How a source system delivers what it sends to the pipeline: at least once, and not
// necessarily in order. A fraction of messages is delivered again after a delay (a webhook
// retried although it arrived, a WMS replaying part of its stream), and while reordering is
// on, each message is held back by a random delay within a window so that messages sent
// within the window may overtake one another. Being part of the source's own behaviour (its
// control surface), it plays the same under the simulated host and behind live endpoints.
#include <cstdint>
#include <vector>

#include "model/component.h"
#include "sim/distribution.h"
#include "sim/rng.h"

namespace estate::mocks {

struct DeliveryFaults {
  double duplicate = 0.0;  // fraction of messages delivered twice
  sim::Distribution duplicate_delay_s = sim::Distribution::constant(0.0);
  sim::Tick reorder_window = 0;
};

class Redelivery {
 public:
  // `timer_tag` is the owner's timer tag reserved for held messages; its own random stream
  // (from `seed`) keeps the faults apart from the owner's other draws.
  Redelivery(DeliveryFaults base, std::uint64_t seed, std::uint8_t timer_tag)
      : base_(std::move(base)), faults_(base_), rng_(seed), tag_(timer_tag) {}

  // Control surface: duplicates and reordering, each for a window of the timeline, then
  // back to the source's own.
  void set_duplicates(double fraction, const sim::Distribution& delay_s) {
    faults_.duplicate = fraction;
    faults_.duplicate_delay_s = delay_s;
  }
  void restore_duplicates() {
    faults_.duplicate = base_.duplicate;
    faults_.duplicate_delay_s = base_.duplicate_delay_s;
  }
  void set_reorder(sim::Tick window) { faults_.reorder_window = window; }
  void restore_reorder() { faults_.reorder_window = base_.reorder_window; }
  const DeliveryFaults& faults() const { return faults_; }

  // Sends `msg` to `to` now, or later when reordering holds it back; and once more later
  // when it is duplicated.
  void send(model::Context& ctx, model::Address to, const model::Msg& msg);
  // The owner hands over its timers with the reserved tag.
  void on_timer(model::Context& ctx, const model::Msg& timer);
  bool idle() const { return held_count_ == 0; }

 private:
  void hold(model::Context& ctx, model::Address to, const model::Msg& msg, sim::Tick delay);
  struct Held {
    model::Address to;
    model::Msg msg;
  };
  DeliveryFaults base_;
  DeliveryFaults faults_;
  sim::Rng rng_;
  std::uint8_t tag_;
  std::vector<Held> held_;
  std::vector<std::uint32_t> free_;
  std::size_t held_count_ = 0;
};

}  // namespace estate::mocks

#include "mocks/redelivery.h"

#include "sim/assert.h"

namespace estate::mocks {

void Redelivery::send(model::Context& ctx, model::Address to, const model::Msg& msg) {
  sim::Tick delay = 0;
  if (faults_.reorder_window > 0) delay = static_cast<sim::Tick>(rng_.below(static_cast<std::uint64_t>(faults_.reorder_window)));
  if (delay == 0) ctx.send(to, msg);
  else hold(ctx, to, msg, delay);
  if (faults_.duplicate > 0 && rng_.bernoulli(faults_.duplicate))
    hold(ctx, to, msg, delay + sim::delay_from_seconds(faults_.duplicate_delay_s.sample(rng_)));
}

void Redelivery::hold(model::Context& ctx, model::Address to, const model::Msg& msg, sim::Tick delay) {
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(held_.size());
    held_.push_back({});
  }
  held_[slot] = {to, msg};
  ++held_count_;
  ctx.set_timer(delay, model::make_timer(tag_, slot));
}

void Redelivery::on_timer(model::Context& ctx, const model::Msg& timer) {
  ESTATE_ASSERT(timer.op == tag_ && timer.id < held_.size(), "redelivery: not one of its timers");
  const auto slot = static_cast<std::uint32_t>(timer.id);
  const Held h = held_[slot];
  free_.push_back(slot);
  --held_count_;
  ctx.send(h.to, h.msg);
}

}  // namespace estate::mocks

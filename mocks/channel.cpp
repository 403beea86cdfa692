#include "mocks/channel.h"

#include <algorithm>
#include <cmath>

#include "sim/assert.h"

namespace estate::mocks {
using model::Kind;
using model::Msg;
using sim::Tick;

const char* channel_kind_name(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::storefront: return "storefront";
    case ChannelKind::marketplace: return "marketplace";
    case ChannelKind::edi: return "edi";
    case ChannelKind::b2b: return "b2b";
  }
  return "?";
}

Channel::Channel(ChannelConfig config, model::OrderBook& book, model::Observer& observer)
    : config_(std::move(config)), book_(book), observer_(observer), demand_(config_.demand_seed),
      out_(config_.faults, config_.fault_seed, redelivered) {
  for (const auto& g : config_.groups) group_tables_.emplace_back(g.weights);
  catalogue_table_ = sim::AliasTable(config_.catalogue_weights);
  view_ = config_.initial_view;
  view_seq_.assign(view_.size(), 0);
  ESTATE_ASSERT(view_.size() == config_.catalogue_weights.size(), "channel: view size");
}

void Channel::start(model::Context& ctx) {
  for (std::size_t g = 0; g < config_.groups.size(); ++g) {
    const Tick at = config_.groups[g].orders_per_s.next_arrival(-1, demand_);
    if (at == sim::kNever) continue;
    ++groups_running_;
    model::Msg t = model::make_timer(arrival, g);
    t.value = at;
    ctx.set_timer(std::max<Tick>(0, at - ctx.now()), t);
  }
  if (!config_.replay.empty()) {
    ++groups_running_;  // the log counts as one more source of customers
    schedule_replayed(ctx, 0);
  }
  if (groups_running_ == 0) demand_over_ = true;
  if (config_.delivery == DeliveryMode::batch)
    ctx.set_timer(config_.batch_interval, model::make_timer(flush));
}

bool Channel::quiescent() const {
  return demand_over_ && pending_deliveries_ == 0 && batch_.empty() && held_pending_ == 0 && out_.idle();
}

void Channel::handle(model::Context& ctx, const Msg& msg) {
  switch (msg.kind) {
    case Kind::timer:
      switch (msg.op) {
        case arrival: on_arrival(ctx, msg.id, msg.value); return;
        case flush: on_flush(ctx); return;
        case held_flush: {
          auto orders = std::move(held_[msg.id]);
          held_pending_ -= orders.size();
          for (auto order : orders) deliver(ctx, order);
          return;
        }
        case timeout: {
          Delivery* d = find(static_cast<std::uint64_t>(msg.value));
          if (d) {
            d->timer = 0;
            attempt_failed(ctx, static_cast<std::uint32_t>(d - deliveries_.data()));
          }
          return;
        }
        case retry: send_attempt(ctx, static_cast<std::uint32_t>(msg.id)); return;
        case redelivered: out_.on_timer(ctx, msg); return;
        case replayed: on_replayed(ctx, msg.id); return;
      }
      return;
    case Kind::delivery_response: {
      Delivery* d = find(msg.id);
      if (!d) return;  // an answer to an attempt we already gave up on
      ctx.cancel_timer(d->timer);
      d->timer = 0;
      const auto slot = static_cast<std::uint32_t>(d - deliveries_.data());
      if (model::is_success(msg.status)) {
        d->id = 0;
        free_deliveries_.push_back(slot);
        --pending_deliveries_;
      } else {
        attempt_failed(ctx, slot);
      }
      return;
    }
    case Kind::order_ack:
      observer_.order_acked(msg.order, msg.mask, ctx.now());
      if (const model::LineMask rejected = book_.all_lines_mask(msg.order) & ~msg.mask)
        observer_.lines_cancelled(msg.order, rejected, ctx.now());
      return;
    case Kind::line_cancelled:
      observer_.lines_cancelled(msg.order, msg.mask, ctx.now());
      return;
    // Feed messages can overtake one another on the way; a figure older than the one the
    // channel already shows is dropped, as a real channel API does with a sequence number.
    case Kind::availability:
      if (down_ || msg.ref < view_seq_[msg.sku]) return;
      view_seq_[msg.sku] = msg.ref;
      view_[msg.sku] = static_cast<std::int32_t>(msg.value);
      observer_.view_updated(config_.id, msg.sku, msg.id, ctx.now());
      return;
    case Kind::availability_snapshot: {
      if (down_) return;
      const model::Doc& doc = ctx.doc(msg.doc);
      ESTATE_ASSERT(doc.size() == view_.size(), "channel: snapshot size");
      for (std::size_t i = 0; i < doc.size(); ++i) {
        if (msg.ref < view_seq_[i]) continue;
        view_seq_[i] = msg.ref;
        view_[i] = static_cast<std::int32_t>(doc[i]);
      }
      observer_.view_snapshot(config_.id, msg.id, ctx.now());
      return;
    }
    default:
      ESTATE_ASSERT(false, "channel: unexpected message");
  }
}

// `now` is the customer's scheduled arrival (the timer carries it): a host that handles the
// timer late delays the order, not its placed_at, and not the arrivals after it.
void Channel::on_arrival(model::Context& ctx, std::size_t group, Tick now) {
  // Draw the whole order first, from the demand stream only, so the same customers arrive
  // whatever the design under test does (common random numbers).
  model::OrderLine lines[model::kMaxLinesPerOrder];
  const int wanted = std::clamp(static_cast<int>(std::lround(config_.lines.sample(demand_))), 1,
                                model::kMaxLinesPerOrder);
  int n = 0;
  for (int i = 0; i < wanted; ++i) {
    const model::SkuId sku = i == 0 ? config_.groups[group].skus[group_tables_[group].sample(demand_)]
                                    : catalogue_table_.sample(demand_);
    const auto qty = static_cast<std::int32_t>(
        std::clamp(std::lround(config_.units.sample(demand_)), 1L, kMaxUnitsPerLine));
    bool repeat = false;
    for (int j = 0; j < n; ++j) repeat = repeat || lines[j].sku == sku;
    if (!repeat) lines[n++] = {sku, qty};
  }
  const Tick next = config_.groups[group].orders_per_s.next_arrival(now, demand_);
  if (next != sim::kNever) {
    model::Msg t = model::make_timer(arrival, group);
    t.value = next;
    ctx.set_timer(std::max<Tick>(0, next - ctx.now()), t);
  } else if (--groups_running_ == 0) {
    demand_over_ = true;
  }

  accept(ctx, lines, n, now);
}

void Channel::schedule_replayed(model::Context& ctx, std::size_t index) {
  model::Msg t = model::make_timer(replayed, index);
  t.value = config_.replay[index].at;
  ctx.set_timer(std::max<Tick>(0, t.value - ctx.now()), t);
}

// A logged order at its instant (the timer's due time, as for drawn arrivals), with the lines
// the log gives it.
void Channel::on_replayed(model::Context& ctx, std::size_t index) {
  const ReplayedOrder& o = config_.replay[index];
  if (index + 1 < config_.replay.size()) schedule_replayed(ctx, index + 1);
  else if (--groups_running_ == 0) demand_over_ = true;
  accept(ctx, config_.replay_lines.data() + o.first_line, o.line_count, o.at);
}

void Channel::place(model::Context& ctx, std::span<const model::OrderLine> lines) {
  accept(ctx, lines.data(), static_cast<int>(std::min<std::size_t>(lines.size(), model::kMaxLinesPerOrder)), ctx.now());
}

void Channel::accept(model::Context& ctx, const model::OrderLine* lines, int n, Tick now) {
  observer_.customer_arrived(config_.id, std::span(lines, static_cast<std::size_t>(n)), now);
  if (down_) {
    observer_.order_refused_at_channel(config_.id, model::ChannelRefusal::channel_down, now);
    return;
  }
  if (config_.checks_availability) {
    for (int i = 0; i < n; ++i) {
      if (view_[lines[i].sku] < lines[i].qty) {
        observer_.order_refused_at_channel(config_.id, model::ChannelRefusal::no_availability, now);
        return;
      }
    }
    for (int i = 0; i < n; ++i) view_[lines[i].sku] -= lines[i].qty;
  }
  const model::OrderId order = book_.add(config_.id, now, std::span(lines, static_cast<std::size_t>(n)));
  observer_.order_placed(order, now);
  if (config_.delivery == DeliveryMode::push) {
    deliver(ctx, order);
  } else {
    batch_.push_back(order);
  }
}

void Channel::on_flush(model::Context& ctx) {
  ctx.set_timer(config_.batch_interval, model::make_timer(flush));
  if (batch_.empty()) return;
  if (fault_missing_) {
    for (auto order : batch_) observer_.delivery_failed(order, ctx.now());
    batch_.clear();
    return;
  }
  if (fault_delay_ > 0) {
    held_pending_ += batch_.size();
    held_.push_back(std::move(batch_));
    batch_.clear();
    ctx.set_timer(fault_delay_, model::make_timer(held_flush, held_.size() - 1));
    return;
  }
  for (auto order : batch_) deliver(ctx, order);
  batch_.clear();
}

void Channel::deliver(model::Context& ctx, model::OrderId order) {
  std::uint32_t slot;
  if (!free_deliveries_.empty()) {
    slot = free_deliveries_.back();
    free_deliveries_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(deliveries_.size());
    deliveries_.push_back({});
  }
  deliveries_[slot] = {order, 0, 0, 0};
  ++pending_deliveries_;
  send_attempt(ctx, slot);
}

void Channel::send_attempt(model::Context& ctx, std::uint32_t slot) {
  Delivery& d = deliveries_[slot];
  ++d.attempt;
  d.id = (next_delivery_seq_++ << 24) | slot;
  Msg m;
  m.kind = Kind::order_delivery;
  m.order = d.order;
  m.id = d.id;
  m.key = static_cast<std::uint64_t>(d.order) + 1;
  m.t0 = book_.order(d.order).placed_at;
  out_.send(ctx, config_.pipeline, m);
  Msg t = model::make_timer(timeout);
  t.value = static_cast<std::int64_t>(d.id);
  d.timer = ctx.set_timer(config_.timeout, t);
}

void Channel::attempt_failed(model::Context& ctx, std::uint32_t slot) {
  Delivery& d = deliveries_[slot];
  if (d.attempt >= config_.attempts) {
    observer_.delivery_failed(d.order, ctx.now());
    d.id = 0;
    free_deliveries_.push_back(slot);
    --pending_deliveries_;
    return;
  }
  observer_.delivery_retried(d.order, ctx.now());
  // Late answers to the failed attempt no longer match; the slot stays reserved meanwhile.
  d.id = static_cast<std::uint64_t>(slot) | (std::uint64_t{1} << 63);
  const double exp_backoff =
      std::min(sim::to_seconds(config_.retry_cap),
               sim::to_seconds(config_.retry_base) * std::ldexp(1.0, d.attempt - 1));
  // Equal jitter: half fixed, half random, so retries of one burst spread out.
  const Tick delay = sim::from_seconds(exp_backoff / 2 + ctx.rng().uniform(0, exp_backoff / 2));
  ctx.set_timer(delay, model::make_timer(retry, slot));
}

Channel::Delivery* Channel::find(std::uint64_t id) {
  const auto slot = static_cast<std::uint32_t>(id & 0xffffff);
  if (slot >= deliveries_.size() || deliveries_[slot].id != id || id == 0) return nullptr;
  return &deliveries_[slot];
}

}  // namespace estate::mocks

#include "mocks/wms.h"

#include <algorithm>

#include "sim/assert.h"

namespace estate::mocks {
using model::Kind;
using model::Msg;
using sim::Tick;
namespace status = model::status;

void PhysicalStock::ship(model::SkuId s, std::int64_t q) {
  ESTATE_ASSERT(held_[s] >= q && on_hand_[s] >= q, "stock: shipping more than was picked");
  held_[s] -= q;
  on_hand_[s] -= q;
}

std::int64_t PhysicalStock::change(model::SkuId s, std::int64_t delta, bool reported) {
  const std::int64_t applied = std::max(delta, held_[s] - on_hand_[s]);
  on_hand_[s] += applied;
  if (reported) ++reported_[s];
  return applied;
}

model::Doc PhysicalStock::snapshot() const {
  model::Doc doc(2 * on_hand_.size());
  for (std::size_t s = 0; s < on_hand_.size(); ++s) {
    doc[s] = on_hand_[s];
    doc[on_hand_.size() + s] = static_cast<std::int64_t>(reported_[s]);
  }
  return doc;
}

Wms::Wms(WmsConfig config, const model::OrderBook& book, model::Observer& observer)
    : config_(std::move(config)),
      book_(book),
      observer_(observer),
      stock_(config_.initial_on_hand),
      pick_(config_.name + ".pick", config_.pickers, config_.queue),
      pack_(config_.name + ".pack", config_.packers, config_.queue),
      out_({}, config_.fault_seed, redelivered) {}

bool Wms::quiescent() const { return open_ == 0 && buffered_.empty() && out_.idle(); }

void Wms::handle(model::Context& ctx, const Msg& msg) {
  switch (msg.kind) {
    case Kind::timer:
      switch (msg.op) {
        case picked: on_picked(ctx, static_cast<std::uint32_t>(msg.id)); return;
        case packed: on_packed(ctx, static_cast<std::uint32_t>(msg.id)); return;
        case redelivered: out_.on_timer(ctx, msg); return;
      }
      return;
    case Kind::release:
      on_release(ctx, msg);
      return;
    case Kind::inventory_query:
      if (outage_.mode == OutageMode::blackhole) return;  // accepts, never answers
      if (outage_.mode == OutageMode::down) return reply(ctx, msg, status::unavailable);
      return reply(ctx, msg, status::ok, ctx.put_doc(stock_.snapshot()));
    default:
      ESTATE_ASSERT(false, "wms: unexpected message");
  }
}

void Wms::reply(model::Context& ctx, const Msg& req, std::uint16_t st, model::DocId doc) {
  Msg m;
  m.kind = Kind::warehouse_response;
  m.id = req.id;
  m.status = st;
  m.loc = config_.loc;
  m.doc = doc;
  ctx.send(req.from, m);
}

void Wms::on_release(model::Context& ctx, const Msg& msg) {
  const Tick now = ctx.now();
  if (outage_.mode == OutageMode::down) return reply(ctx, msg, status::unavailable);
  if (outage_.mode == OutageMode::flaky && ctx.rng().bernoulli(outage_.error_rate))
    return reply(ctx, msg, status::error);
  const bool silent = outage_.mode == OutageMode::blackhole;
  if (msg.key != 0 && !keys_.insert(msg.key)) {  // a release we already have
    if (!silent) reply(ctx, msg, status::ok);
    return;
  }
  std::uint32_t f;
  if (!free_.empty()) {
    f = free_.back();
    free_.pop_back();
  } else {
    f = static_cast<std::uint32_t>(fulfilments_.size());
    fulfilments_.push_back({});
  }
  fulfilments_[f] = {msg.order, msg.mask, 0, now};
  ++open_;
  observer_.release_received(msg.order, config_.loc, msg.mask, now);
  if (!silent) reply(ctx, msg, status::accepted);
  if (pick_.arrive(now, f, /*force=*/true) == sim::Station::Admit::start) begin_pick(ctx, f);
}

void Wms::begin_pick(model::Context& ctx, std::uint32_t f) {
  const int lines = model::line_count(fulfilments_[f].mask);
  double s = 0;
  for (int i = 0; i < lines; ++i) s += config_.pick_s_per_line.sample(ctx.rng());
  ctx.set_timer(sim::delay_from_seconds(s * slowdown()), model::make_timer(picked, f));
}

void Wms::begin_pack(model::Context& ctx, std::uint32_t f) {
  const double s = config_.pack_s.sample(ctx.rng()) * slowdown();
  ctx.set_timer(sim::delay_from_seconds(s), model::make_timer(packed, f));
}

void Wms::on_picked(model::Context& ctx, std::uint32_t f) {
  const Tick now = ctx.now();
  Fulfilment& ff = fulfilments_[f];
  const auto lines = book_.lines(ff.order);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!model::has_line(ff.mask, i)) continue;
    const model::LineMask bit = static_cast<model::LineMask>(1u << i);
    if (stock_.free(lines[i].sku) >= lines[i].qty) {
      stock_.hold(lines[i].sku, lines[i].qty);
      ff.picked |= bit;
      continue;
    }
    observer_.short_picked(ff.order, config_.loc, bit, now);
    Msg e;
    e.kind = Kind::warehouse_event;
    e.op = static_cast<std::uint8_t>(model::WarehouseEvent::short_pick);
    e.order = ff.order;
    e.loc = config_.loc;
    e.mask = bit;
    e.sku = lines[i].sku;
    e.value = stock_.on_hand(lines[i].sku);
    e.ref = stock_.reported(lines[i].sku);
    e.t0 = now;
    emit(ctx, e);
  }
  const Tick arrived = ff.arrived;
  ff.arrived = now;
  if (auto next = pick_.depart(now, arrived)) begin_pick(ctx, *next);
  if (ff.picked == 0) {
    free_.push_back(f);
    --open_;
    return;
  }
  if (pack_.arrive(now, f, /*force=*/true) == sim::Station::Admit::start) begin_pack(ctx, f);
}

void Wms::on_packed(model::Context& ctx, std::uint32_t f) {
  const Tick now = ctx.now();
  const Fulfilment ff = fulfilments_[f];
  free_.push_back(f);
  --open_;
  const auto lines = book_.lines(ff.order);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!model::has_line(ff.picked, i)) continue;
    stock_.ship(lines[i].sku, lines[i].qty);
    stock_.count_reported(lines[i].sku);
    observer_.inventory_changed(config_.loc, lines[i].sku, now);
  }
  const std::uint64_t shipment = model::location_scoped_id(config_.loc, ++seq_);
  observer_.shipped(shipment, ff.order, config_.loc, ff.picked, now);
  Msg e;
  e.kind = Kind::warehouse_event;
  e.op = static_cast<std::uint8_t>(model::WarehouseEvent::shipped);
  e.order = ff.order;
  e.loc = config_.loc;
  e.mask = ff.picked;
  e.ref = shipment;
  e.t0 = now;
  emit(ctx, e);
  if (auto next = pack_.depart(now, ff.arrived)) begin_pack(ctx, *next);
}

std::int64_t Wms::move_stock(model::Context& ctx, model::SkuId sku, std::int64_t delta, model::MovementType type,
                             bool reported) {
  const Tick now = ctx.now();
  const std::int64_t applied = stock_.change(sku, delta, reported);
  observer_.stock_moved(config_.loc, sku, applied, reported, now);
  if (!reported) return applied;
  observer_.inventory_changed(config_.loc, sku, now);
  Msg e;
  e.kind = Kind::warehouse_event;
  e.op = static_cast<std::uint8_t>(model::WarehouseEvent::movement);
  e.loc = config_.loc;
  e.sku = sku;
  e.value = applied;
  e.status = static_cast<std::uint16_t>(type);
  e.ref = model::location_scoped_id(config_.loc, ++seq_);
  e.t0 = now;
  emit(ctx, e);
  return applied;
}

void Wms::emit(model::Context& ctx, const Msg& event) {
  if (outage_.mode == OutageMode::down || outage_.mode == OutageMode::blackhole) {
    buffered_.push_back(event);
    return;
  }
  out_.send(ctx, config_.pipeline, event);
}

void Wms::set_outage(model::Context& ctx, const Outage& outage) {
  outage_ = outage;
  if (outage_.mode == OutageMode::down || outage_.mode == OutageMode::blackhole || buffered_.empty()) return;
  if (config_.on_recovery == RecoveryMode::replay) {
    for (const Msg& e : buffered_) out_.send(ctx, config_.pipeline, e);
  } else {
    observer_.warehouse_events_lost(config_.loc, buffered_.size(), ctx.now());
  }
  buffered_.clear();
}

}  // namespace estate::mocks

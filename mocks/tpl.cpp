#include "mocks/tpl.h"

#include <algorithm>

#include "sim/assert.h"

namespace estate::mocks {
using model::Kind;
using model::Msg;
using sim::Tick;
namespace status = model::status;

Tpl::Tpl(TplConfig config, const model::OrderBook& book, model::Observer& observer)
    : config_(std::move(config)),
      book_(book),
      observer_(observer),
      stock_(config_.initial_on_hand),
      station_(config_.name + ".work", config_.workers, config_.queue),
      out_({}, config_.fault_seed, redelivered) {}

void Tpl::start(model::Context& ctx) {
  ctx.set_timer(config_.advice_interval, model::make_timer(advice_due));
  ctx.set_timer(config_.inventory_interval, model::make_timer(inventory_due));
}

void Tpl::set_batch_fault(TplBatch batch, bool missing, Tick delay) {
  faults_[static_cast<int>(batch)] = {missing, delay};
}

void Tpl::handle(model::Context& ctx, const Msg& msg) {
  switch (msg.kind) {
    case Kind::timer:
      switch (msg.op) {
        case worked: on_worked(ctx, static_cast<std::uint32_t>(msg.id)); return;
        case advice_due: {
          ctx.set_timer(config_.advice_interval, model::make_timer(advice_due));
          if (advice_.empty() || offline()) return;  // an offline 3PL's files wait for recovery
          const std::size_t records = advice_.size() / AdviceRecord::kSize;
          send_batch(ctx, model::WarehouseBatch::advice, std::move(advice_), records);
          advice_.clear();
          return;
        }
        case inventory_due:
          ctx.set_timer(config_.inventory_interval, model::make_timer(inventory_due));
          if (!offline()) send_batch(ctx, model::WarehouseBatch::inventory, stock_.snapshot(), 0);
          return;
        case held_send: {
          Held& h = held_[msg.id];
          held_pending_ -= 1;
          Msg m;
          m.kind = Kind::warehouse_batch;
          m.op = static_cast<std::uint8_t>(h.kind);
          m.loc = config_.loc;
          m.doc = ctx.put_doc(std::move(h.doc));
          m.t0 = ctx.now();
          out_.send(ctx, config_.pipeline, m);
          return;
        }
        case redelivered: out_.on_timer(ctx, msg); return;
        case late_orders_due: {
          const Msg held = late_orders_[msg.id];
          --late_pending_;
          on_orders(ctx, held);
          return;
        }
      }
      return;
    case Kind::release_batch: {
      // A late-batch fault on the 940s: a missing file never arrives (the sender hears
      // nothing and retries), a late one is taken in `delay` later.
      const Fault& fault = faults_[static_cast<int>(TplBatch::orders)];
      if (fault.missing) return;
      if (fault.delay > 0) {
        late_orders_.push_back(msg);
        ++late_pending_;
        ctx.set_timer(fault.delay, model::make_timer(late_orders_due, late_orders_.size() - 1));
        return;
      }
      on_orders(ctx, msg);
      return;
    }
    case Kind::inventory_query: {
      if (outage_.mode == OutageMode::blackhole) return;  // accepts, never answers
      Msg m;
      m.kind = Kind::warehouse_response;
      m.id = msg.id;
      m.loc = config_.loc;
      m.status = offline() ? status::unavailable : status::ok;
      if (!offline()) m.doc = ctx.put_doc(stock_.snapshot());
      ctx.send(msg.from, m);
      return;
    }
    default:
      ESTATE_ASSERT(false, "3pl: unexpected message");
  }
}

void Tpl::send_batch(model::Context& ctx, model::WarehouseBatch kind, model::Doc doc, std::size_t records) {
  const Fault& fault = faults_[kind == model::WarehouseBatch::advice ? 1 : 2];
  if (fault.missing) {
    if (records > 0) observer_.warehouse_events_lost(config_.loc, records, ctx.now());
    return;
  }
  if (fault.delay > 0) {
    held_.push_back({kind, std::move(doc), records});
    ++held_pending_;
    ctx.set_timer(fault.delay, model::make_timer(held_send, held_.size() - 1));
    return;
  }
  Msg m;
  m.kind = Kind::warehouse_batch;
  m.op = static_cast<std::uint8_t>(kind);
  m.loc = config_.loc;
  m.doc = ctx.put_doc(std::move(doc));
  m.t0 = ctx.now();
  out_.send(ctx, config_.pipeline, m);
}

void Tpl::on_orders(model::Context& ctx, const Msg& msg) {
  const Tick now = ctx.now();
  Msg ack;
  ack.kind = Kind::warehouse_response;
  ack.id = msg.id;
  ack.loc = config_.loc;
  if (outage_.mode == OutageMode::down) {
    ack.status = status::unavailable;
    ctx.send(msg.from, ack);
    return;
  }
  if (outage_.mode == OutageMode::flaky && ctx.rng().bernoulli(outage_.error_rate)) {
    ack.status = status::error;
    ctx.send(msg.from, ack);
    return;
  }
  const model::Doc& doc = ctx.doc(msg.doc);
  ESTATE_ASSERT(doc.size() % 3 == 0, "3pl: malformed 940 batch");
  for (std::size_t i = 0; i < doc.size(); i += 3) {
    const auto order = static_cast<model::OrderId>(doc[i]);
    const auto mask = static_cast<model::LineMask>(doc[i + 1]);
    const auto key = static_cast<std::uint64_t>(doc[i + 2]);
    if (key != 0 && !keys_.insert(key)) continue;
    std::uint32_t f;
    if (!free_.empty()) {
      f = free_.back();
      free_.pop_back();
    } else {
      f = static_cast<std::uint32_t>(fulfilments_.size());
      fulfilments_.push_back({});
    }
    fulfilments_[f] = {order, mask, now};
    ++open_;
    observer_.release_received(order, config_.loc, mask, now);
    if (station_.arrive(now, f, /*force=*/true) == sim::Station::Admit::start) {
      const double s = config_.dock_to_ship_s.sample(ctx.rng()) *
                       (outage_.mode == OutageMode::slow ? outage_.factor : 1.0);
      ctx.set_timer(sim::delay_from_seconds(s), model::make_timer(worked, f));
    }
  }
  if (outage_.mode != OutageMode::blackhole) {
    ack.status = status::accepted;
    ctx.send(msg.from, ack);
  }
}

void Tpl::record(const Msg& e) {
  const std::int64_t r[AdviceRecord::kSize] = {
      e.op, e.order, e.mask, e.sku, e.value, static_cast<std::int64_t>(e.ref), e.t0, e.status};
  advice_.insert(advice_.end(), r, r + AdviceRecord::kSize);
}

void Tpl::on_worked(model::Context& ctx, std::uint32_t f) {
  const Tick now = ctx.now();
  const Fulfilment ff = fulfilments_[f];
  free_.push_back(f);
  --open_;
  const auto lines = book_.lines(ff.order);
  model::LineMask shipped = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!model::has_line(ff.mask, i)) continue;
    const auto bit = static_cast<model::LineMask>(1u << i);
    const model::SkuId sku = lines[i].sku;
    if (stock_.free(sku) >= lines[i].qty) {
      stock_.hold(sku, lines[i].qty);
      stock_.ship(sku, lines[i].qty);
      stock_.count_reported(sku);
      observer_.inventory_changed(config_.loc, sku, now);
      shipped |= bit;
      continue;
    }
    observer_.short_picked(ff.order, config_.loc, bit, now);
    Msg e;
    e.op = static_cast<std::uint8_t>(model::WarehouseEvent::short_pick);
    e.order = ff.order;
    e.mask = bit;
    e.sku = sku;
    e.value = stock_.on_hand(sku);
    e.ref = stock_.reported(sku);
    e.t0 = now;
    record(e);
  }
  if (shipped != 0) {
    const std::uint64_t shipment = model::location_scoped_id(config_.loc, ++seq_);
    observer_.shipped(shipment, ff.order, config_.loc, shipped, now);
    Msg e;
    e.op = static_cast<std::uint8_t>(model::WarehouseEvent::shipped);
    e.order = ff.order;
    e.mask = shipped;
    e.ref = shipment;
    e.t0 = now;
    record(e);
  }
  if (auto next = station_.depart(now, ff.arrived)) {
    const double s = config_.dock_to_ship_s.sample(ctx.rng()) *
                     (outage_.mode == OutageMode::slow ? outage_.factor : 1.0);
    ctx.set_timer(sim::delay_from_seconds(s), model::make_timer(worked, *next));
  }
}

std::int64_t Tpl::move_stock(model::Context& ctx, model::SkuId sku, std::int64_t delta, model::MovementType type,
                             bool reported) {
  const Tick now = ctx.now();
  const std::int64_t applied = stock_.change(sku, delta, reported);
  observer_.stock_moved(config_.loc, sku, applied, reported, now);
  if (!reported) return applied;
  observer_.inventory_changed(config_.loc, sku, now);
  Msg e;
  e.op = static_cast<std::uint8_t>(model::WarehouseEvent::movement);
  e.sku = sku;
  e.value = applied;
  e.status = static_cast<std::uint16_t>(type);
  e.ref = model::location_scoped_id(config_.loc, ++seq_);
  e.t0 = now;
  record(e);
  return applied;
}

void Tpl::set_outage(model::Context& ctx, const Outage& outage) {
  const bool was_offline = offline();
  outage_ = outage;
  if (!was_offline && offline()) advice_at_outage_ = advice_.size();
  if (!was_offline || offline()) return;
  // On recovery, "lose" loses what was recorded while offline; replay sends it with the
  // next 945.
  if (config_.on_recovery == RecoveryMode::lose && advice_.size() > advice_at_outage_) {
    observer_.warehouse_events_lost(config_.loc, (advice_.size() - advice_at_outage_) / AdviceRecord::kSize, ctx.now());
    advice_.resize(advice_at_outage_);
  }
}

}  // namespace estate::mocks

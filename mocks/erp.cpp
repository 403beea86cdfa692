#include "mocks/erp.h"

#include <algorithm>
#include <cmath>

#include "sim/assert.h"

namespace estate::mocks {
using model::ErpOp;
using model::Kind;
using model::Msg;
using sim::Tick;
namespace status = model::status;

Erp::Erp(ErpConfig config, const model::OrderBook& book, model::Observer& observer)
    : config_(std::move(config)),
      book_(book),
      observer_(observer),
      station_("erp", config_.concurrency, config_.queue),
      quota_on_(config_.quota_per_s > 0),
      quota_per_s_(config_.quota_per_s),
      burst_(config_.burst),
      tokens_(config_.burst) {
  on_hand_ = config_.initial_on_hand;
  ESTATE_ASSERT(on_hand_.size() == config_.skus * config_.locations, "erp: initial stock size");
  applied_.assign(on_hand_.size(), 0);
}

void Erp::set_quota(Tick now, double per_s, double burst) {
  offered_ = quota_offered(now);
  offered_at_ = now;
  quota_on_ = true;
  quota_per_s_ = per_s;
  burst_ = burst;
  tokens_ = std::min(tokens_, burst_);
}

void Erp::restore_quota(Tick now) {
  offered_ = quota_offered(now);
  offered_at_ = now;
  quota_on_ = config_.quota_per_s > 0;
  quota_per_s_ = config_.quota_per_s;
  burst_ = config_.burst;
  tokens_ = std::min(tokens_, burst_);
}

bool Erp::take_token(Tick now, Tick& retry_after) {
  if (!quota_on_) return true;
  if (quota_per_s_ <= 0) {  // throttled to nothing
    retry_after = sim::seconds(1);
    return false;
  }
  tokens_ = std::min(burst_, tokens_ + quota_per_s_ * sim::to_seconds(now - refilled_at_));
  refilled_at_ = now;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    ++granted_;
    return true;
  }
  retry_after = std::max<Tick>(1, sim::from_seconds(std::ceil((1.0 - tokens_) / quota_per_s_ * 1000) / 1000));
  return false;
}

void Erp::handle(model::Context& ctx, const Msg& msg) {
  if (msg.kind == Kind::timer) {
    finish(ctx, static_cast<std::uint32_t>(msg.id));
    return;
  }
  ESTATE_ASSERT(msg.kind == Kind::erp_request, "erp: unexpected message");
  const Tick now = ctx.now();
  const model::CallFlow flow = model::call_flow_of(static_cast<ErpOp>(msg.op));
  observer_.erp_requested(flow, now);
  if (outage_.mode == OutageMode::down) return respond(ctx, msg, status::unavailable);
  if (outage_.mode == OutageMode::flaky && ctx.rng().bernoulli(outage_.error_rate))
    return respond(ctx, msg, status::error);
  Tick retry_after = 0;
  if (!take_token(now, retry_after)) {
    observer_.erp_throttled(flow, now);
    return respond(ctx, msg, status::too_many_requests, retry_after);
  }
  std::uint32_t slot;
  if (!free_jobs_.empty()) {
    slot = free_jobs_.back();
    free_jobs_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(jobs_.size());
    jobs_.push_back({});
  }
  jobs_[slot] = {msg, now, outage_.mode == OutageMode::blackhole};
  switch (station_.arrive(now, slot)) {
    case sim::Station::Admit::start: begin(ctx, slot); break;
    case sim::Station::Admit::queued: break;
    case sim::Station::Admit::refused:
      free_jobs_.push_back(slot);
      observer_.erp_throttled(flow, now);
      respond(ctx, msg, status::too_many_requests, config_.retry_after_busy);
      break;
  }
}

void Erp::begin(model::Context& ctx, std::uint32_t slot) {
  double s = config_.service_s.sample(ctx.rng());
  if (outage_.mode == OutageMode::slow) s *= outage_.factor;
  ctx.set_timer(sim::delay_from_seconds(s), model::make_timer(done, slot));
}

void Erp::finish(model::Context& ctx, std::uint32_t slot) {
  const Job job = jobs_[slot];
  free_jobs_.push_back(slot);
  model::DocId doc = 0;
  const std::uint16_t st = apply(ctx, job.request, doc);
  if (!job.silent) respond(ctx, job.request, st, 0, doc);
  if (auto next = station_.depart(ctx.now(), job.arrived)) begin(ctx, *next);
}

std::uint16_t Erp::apply(model::Context& ctx, const Msg& req, model::DocId& doc) {
  const Tick now = ctx.now();
  // Keys make a repeated write a no-op; a query has no effect to repeat.
  const bool keyed = req.key != 0 && static_cast<ErpOp>(req.op) != ErpOp::query_inventory;
  if (keyed && keys_.contains(req.key)) return status::ok;  // seen: no second effect
  // 201 for a record created; 200 for a key seen before (no second effect), a query or a count.
  std::uint16_t result = status::created;
  switch (static_cast<ErpOp>(req.op)) {
    case ErpOp::create_order:
      observer_.erp_order_recorded(req.order, now);
      break;
    case ErpOp::post_shipment: {
      const auto lines = book_.lines(req.order);
      for (std::size_t i = 0; i < lines.size(); ++i) {
        if (!model::has_line(req.mask, i)) continue;
        on_hand_[index(req.loc, lines[i].sku)] -= lines[i].qty;
        ++applied_[index(req.loc, lines[i].sku)];
      }
      observer_.erp_shipment_recorded(req.ref, req.order, req.loc, req.mask, req.t0, now);
      break;
    }
    case ErpOp::post_movement:
      on_hand_[index(req.loc, req.sku)] += req.value;
      ++applied_[index(req.loc, req.sku)];
      observer_.erp_movement_recorded(req.ref, now);
      break;
    case ErpOp::query_inventory: {
      result = status::ok;
      model::Doc snapshot(2 * config_.skus);
      for (std::size_t s = 0; s < config_.skus; ++s) {
        snapshot[s] = on_hand_[req.loc * config_.skus + s];
        snapshot[config_.skus + s] = static_cast<std::int64_t>(applied_[req.loc * config_.skus + s]);
      }
      doc = ctx.put_doc(std::move(snapshot));
      break;
    }
    case ErpOp::set_inventory: {
      const std::size_t i = index(req.loc, req.sku);
      if (applied_[i] != req.ref) {
        result = status::conflict;  // movements arrived since the count: try again later
        break;
      }
      result = status::ok;
      observer_.erp_inventory_set(req.loc, req.sku, on_hand_[i], req.value, now);
      on_hand_[i] = req.value;
      break;
    }
  }
  if (keyed && model::is_success(result)) keys_.insert(req.key);
  return result;
}

void Erp::respond(model::Context& ctx, const Msg& req, std::uint16_t st, std::int64_t value, model::DocId doc) {
  Msg m;
  m.kind = Kind::erp_response;
  m.op = req.op;
  m.id = req.id;
  m.status = st;
  m.value = value;
  m.doc = doc;
  ctx.send(req.from, m);
}

}  // namespace estate::mocks

#pragma once
// The ERP, system of record for orders, shipments and inventory valuation. It guards its API
// the way cloud ERPs do: a token-bucket request quota and a concurrency limit with a short
// waiting line, both answered with 429 and Retry-After when exceeded; each request then takes
// a service time drawn from a distribution. Keys it has seen make a repeated request a no-op
// (idempotency), so a pipeline that sends keys cannot double-book; one that does not, can.
#include <span>

#include "sim/flat_set.h"
#include <vector>

#include "model/outage.h"
#include "model/component.h"
#include "model/observer.h"
#include "model/order_book.h"
#include "sim/distribution.h"
#include "sim/station.h"

namespace estate::mocks {
using model::Outage;
using model::OutageMode;

struct ErpConfig {
  double quota_per_s = 10.0;  // 0: no request quota
  double burst = 100.0;
  std::uint32_t concurrency = 15;
  std::uint64_t queue = 0;    // requests that may wait for a free slot; beyond that, 429
  sim::Distribution service_s = sim::Distribution::lognormal(0.25, 2.0);
  sim::Tick retry_after_busy = sim::seconds(1);
  std::size_t skus = 0;
  std::size_t locations = 0;
  std::vector<std::int64_t> initial_on_hand;  // [loc * skus + sku]
};

class Erp final : public model::Component {
 public:
  Erp(ErpConfig config, const model::OrderBook& book, model::Observer& observer);

  void start(model::Context&) override {}
  void handle(model::Context& ctx, const model::Msg& msg) override;
  bool quiescent() const override { return station_.idle(); }

  // Control plane (timeline).
  void set_outage(const Outage& outage) { outage_ = outage; }
  // A throttle: the quota drops to per_s (0: nothing gets through) for a while, from `now`.
  void set_quota(sim::Tick now, double per_s, double burst);
  void restore_quota(sim::Tick now);
  // The quota's use: requests it let through, and the tokens it offered (its rate integrated
  // over the time it was in force, up to `now`). No quota in force offers nothing.
  std::uint64_t quota_granted() const { return granted_; }
  double quota_offered(sim::Tick now) const {
    return offered_ + (quota_on_ ? quota_per_s_ * sim::to_seconds(now - offered_at_) : 0.0);
  }
  double quota_rate() const { return quota_on_ ? quota_per_s_ : 0.0; }

  std::int64_t on_hand(model::LocId loc, model::SkuId sku) const { return on_hand_[index(loc, sku)]; }
  std::span<const std::int64_t> on_hand_row(model::LocId loc) const {
    return {on_hand_.data() + loc * config_.skus, config_.skus};
  }
  std::uint64_t applied(model::LocId loc, model::SkuId sku) const { return applied_[index(loc, sku)]; }
  const sim::Station& station() const { return station_; }
  sim::Station& station() { return station_; }

 private:
  enum Timer : std::uint8_t { done };
  struct Job {
    model::Msg request;
    sim::Tick arrived;
    bool silent;  // accepted during a blackhole: do the work, never answer
  };
  std::size_t index(model::LocId loc, model::SkuId sku) const { return loc * config_.skus + sku; }
  void begin(model::Context& ctx, std::uint32_t slot);
  void finish(model::Context& ctx, std::uint32_t slot);
  std::uint16_t apply(model::Context& ctx, const model::Msg& req, model::DocId& doc);
  void respond(model::Context& ctx, const model::Msg& req, std::uint16_t status, std::int64_t value = 0,
               model::DocId doc = 0);
  bool take_token(sim::Tick now, sim::Tick& retry_after);

  ErpConfig config_;
  const model::OrderBook& book_;
  model::Observer& observer_;
  sim::Station station_;
  Outage outage_;
  bool quota_on_;  // the configured quota, or a throttle, is in force
  double quota_per_s_;
  double burst_;
  double tokens_;
  sim::Tick refilled_at_ = 0;
  std::uint64_t granted_ = 0;
  double offered_ = 0;
  sim::Tick offered_at_ = 0;
  std::vector<std::int64_t> on_hand_;
  std::vector<std::uint64_t> applied_;
  sim::FlatSet64 keys_;
  std::vector<Job> jobs_;
  std::vector<std::uint32_t> free_jobs_;
};

}  // namespace estate::mocks

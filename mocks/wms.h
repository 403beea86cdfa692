#pragma once
// A warehouse run by its own WMS: the physical truth of stock at one location. A release
// from the pipeline becomes a fulfilment that waits for a picker (pick time per line), then a
// packer; at pick, a line with too little unreserved physical stock is short-picked and
// reported; at pack-out the shipment is confirmed. Every reported change is an event on the
// WMS's stream to the pipeline. During an outage the WMS refuses releases and buffers its
// events; on recovery it replays them or, if configured to, loses them.
#include <string>
#include "sim/flat_set.h"
#include <vector>

#include "mocks/redelivery.h"
#include "model/outage.h"
#include "model/component.h"
#include "model/observer.h"
#include "model/order_book.h"
#include "sim/distribution.h"
#include "sim/station.h"

namespace estate::mocks {
using model::Outage;
using model::OutageMode;

enum class RecoveryMode : std::uint8_t { replay, lose };

struct WmsConfig {
  std::string name;
  model::LocId loc = 0;
  std::uint32_t pickers = 60;
  sim::Distribution pick_s_per_line = sim::Distribution::lognormal(20, 90);
  std::uint32_t packers = 20;
  sim::Distribution pack_s = sim::Distribution::lognormal(40, 180);
  std::uint64_t queue = 1'000'000;  // fulfilments that may wait for a picker
  RecoveryMode on_recovery = RecoveryMode::replay;
  std::vector<std::int64_t> initial_on_hand;  // per sku
  model::Address pipeline = model::kNoAddress;
  std::uint64_t fault_seed = 0;  // duplicates and reordering of its event stream (timeline)
};

// Shared by the WMS and the 3PL: physical stock and the per-sku count of reported movements
// (the count lets a reconciliation tell whether a system has seen everything up to a snapshot).
class PhysicalStock {
 public:
  explicit PhysicalStock(std::vector<std::int64_t> initial)
      : on_hand_(std::move(initial)), held_(on_hand_.size(), 0), reported_(on_hand_.size(), 0) {}
  std::int64_t on_hand(model::SkuId s) const { return on_hand_[s]; }
  const std::vector<std::int64_t>& on_hand_all() const { return on_hand_; }
  std::int64_t free(model::SkuId s) const { return on_hand_[s] - held_[s]; }
  std::uint64_t reported(model::SkuId s) const { return reported_[s]; }
  std::size_t skus() const { return on_hand_.size(); }
  // Units picked into totes: still on hand until they ship.
  void hold(model::SkuId s, std::int64_t q) { held_[s] += q; }
  void ship(model::SkuId s, std::int64_t q);
  // Applies delta, clamped so stock never drops below what is held; returns what applied.
  std::int64_t change(model::SkuId s, std::int64_t delta, bool reported);
  void count_reported(model::SkuId s) { ++reported_[s]; }
  model::Doc snapshot() const;  // on-hand per sku, then reported movements per sku

 private:
  std::vector<std::int64_t> on_hand_;
  std::vector<std::int64_t> held_;
  std::vector<std::uint64_t> reported_;
};

class Wms final : public model::Component {
 public:
  Wms(WmsConfig config, const model::OrderBook& book, model::Observer& observer);

  void start(model::Context&) override {}
  void handle(model::Context& ctx, const model::Msg& msg) override;
  bool quiescent() const override;

  // Control plane (timeline).
  void set_outage(model::Context& ctx, const Outage& outage);
  // How it delivers to the pipeline: duplicates and reordering (timeline windows).
  Redelivery& outbound() { return out_; }
  // A physical change at this location; reported ones become events. Returns units applied.
  std::int64_t move_stock(model::Context& ctx, model::SkuId sku, std::int64_t delta, model::MovementType type,
                          bool reported);

  const PhysicalStock& stock() const { return stock_; }
  const sim::Station& pick_station() const { return pick_; }
  const sim::Station& pack_station() const { return pack_; }
  sim::Station& pick_station() { return pick_; }
  sim::Station& pack_station() { return pack_; }
  const WmsConfig& config() const { return config_; }

 private:
  enum Timer : std::uint8_t { picked, packed, redelivered };
  struct Fulfilment {
    model::OrderId order;
    model::LineMask mask;
    model::LineMask picked;
    sim::Tick arrived;
  };
  void on_release(model::Context& ctx, const model::Msg& msg);
  void begin_pick(model::Context& ctx, std::uint32_t f);
  void begin_pack(model::Context& ctx, std::uint32_t f);
  void on_picked(model::Context& ctx, std::uint32_t f);
  void on_packed(model::Context& ctx, std::uint32_t f);
  void emit(model::Context& ctx, const model::Msg& event);
  void reply(model::Context& ctx, const model::Msg& req, std::uint16_t status, model::DocId doc = 0);
  double slowdown() const { return outage_.mode == OutageMode::slow ? outage_.factor : 1.0; }

  WmsConfig config_;
  const model::OrderBook& book_;
  model::Observer& observer_;
  PhysicalStock stock_;
  sim::Station pick_;
  sim::Station pack_;
  Outage outage_;
  std::vector<Fulfilment> fulfilments_;
  std::vector<std::uint32_t> free_;
  std::size_t open_ = 0;
  sim::FlatSet64 keys_;
  std::vector<model::Msg> buffered_;
  Redelivery out_;
  std::uint64_t seq_ = 0;
};

}  // namespace estate::mocks

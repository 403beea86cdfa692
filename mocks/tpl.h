#pragma once
// A third-party logistics warehouse. It trades files, not calls: shipping orders arrive in
// batches (X12 940) that the pipeline sends on its interval; the 3PL works each order
// (dock-to-ship time, limited workers) and ships what it has; shipping advice (945: shipments
// and short lines, plus stock movements) and an inventory snapshot (846) go back on their
// own intervals. A late batch is held back; a missing one is never sent (its records are lost).
#include <string>
#include "sim/flat_set.h"
#include <vector>

#include "model/outage.h"
#include "mocks/wms.h"
#include "model/component.h"
#include "model/observer.h"
#include "model/order_book.h"
#include "sim/distribution.h"
#include "sim/station.h"

namespace estate::mocks {
using model::Outage;
using model::OutageMode;

// One record of a 945 shipping-advice document: kRecordSize int64 values.
struct AdviceRecord {
  static constexpr std::size_t kSize = 8;
  enum Field : std::size_t { event, order, mask, sku, value, ref, t0, movement_type };
};

enum class TplBatch : std::uint8_t { orders, advice, inventory };

struct TplConfig {
  std::string name;
  model::LocId loc = 0;
  std::uint32_t workers = 20000;
  sim::Distribution dock_to_ship_s = sim::Distribution::lognormal(4 * 3600.0, 12 * 3600.0);
  std::uint64_t queue = 1'000'000;
  sim::Tick advice_interval = sim::minutes(30);
  sim::Tick inventory_interval = sim::hours(1);
  RecoveryMode on_recovery = RecoveryMode::replay;
  std::vector<std::int64_t> initial_on_hand;
  model::Address pipeline = model::kNoAddress;
  std::uint64_t fault_seed = 0;  // duplicates and reordering of its files (timeline)
};

class Tpl final : public model::Component {
 public:
  Tpl(TplConfig config, const model::OrderBook& book, model::Observer& observer);

  void start(model::Context& ctx) override;
  void handle(model::Context& ctx, const model::Msg& msg) override;
  bool quiescent() const override { return open_ == 0 && advice_.empty() && held_pending_ == 0 && late_pending_ == 0 && out_.idle(); }

  // Control plane (timeline).
  void set_outage(model::Context& ctx, const Outage& outage);
  void set_batch_fault(TplBatch batch, bool missing, sim::Tick delay);
  void clear_batch_fault(TplBatch batch) { set_batch_fault(batch, false, 0); }
  // How it delivers to the pipeline: duplicates and reordering (timeline windows).
  Redelivery& outbound() { return out_; }
  std::int64_t move_stock(model::Context& ctx, model::SkuId sku, std::int64_t delta, model::MovementType type,
                          bool reported);

  const PhysicalStock& stock() const { return stock_; }
  const sim::Station& station() const { return station_; }
  sim::Station& station() { return station_; }
  const TplConfig& config() const { return config_; }

 private:
  enum Timer : std::uint8_t { worked, advice_due, inventory_due, held_send, redelivered, late_orders_due };
  struct Fulfilment {
    model::OrderId order;
    model::LineMask mask;
    sim::Tick arrived;
  };
  struct Fault {
    bool missing = false;
    sim::Tick delay = 0;
  };
  void on_orders(model::Context& ctx, const model::Msg& msg);
  void on_worked(model::Context& ctx, std::uint32_t f);
  void send_batch(model::Context& ctx, model::WarehouseBatch kind, model::Doc doc, std::size_t records);
  void record(const model::Msg& e);
  bool offline() const { return outage_.mode == OutageMode::down || outage_.mode == OutageMode::blackhole; }

  TplConfig config_;
  const model::OrderBook& book_;
  model::Observer& observer_;
  PhysicalStock stock_;
  sim::Station station_;
  Outage outage_;
  Fault faults_[3];
  std::vector<Fulfilment> fulfilments_;
  std::vector<std::uint32_t> free_;
  std::size_t open_ = 0;
  sim::FlatSet64 keys_;
  model::Doc advice_;  // records waiting for the next 945
  std::size_t advice_at_outage_ = 0;  // advice_ size when the 3PL went offline
  struct Held {
    model::WarehouseBatch kind;
    model::Doc doc;
    std::size_t records;
  };
  std::vector<Held> held_;
  std::size_t held_pending_ = 0;
  std::uint64_t seq_ = 0;
  Redelivery out_;
  std::vector<model::Msg> late_orders_;  // 940s held back by a late-batch fault
  std::size_t late_pending_ = 0;
};

}  // namespace estate::mocks

#pragma once
// Metrics exactly as ../shared/domain.md defines them, computed from what the systems report
// at their boundaries (model::Observer): six latency flows (HDR histograms plus per-interval
// series, measured from the scheduled start, so no coordinated omission), oversell,
// reconciliation variance, and integrity (lost orders, duplicate effects, conservation).
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "harness/reader.h"
#include "model/observer.h"
#include "model/order_book.h"
#include "sim/flat_set.h"
#include "sim/histogram.h"

namespace estate::harness {

enum class Flow : std::uint8_t {
  order_to_erp, order_to_warehouse, order_to_ship, ship_to_erp, inventory_to_channel, order_ack, count
};
const char* flow_name(Flow f);

// Read access to the systems' state, for checkpoints (truth versus the ERP and the channels),
// a row at a time: one entry per sku.
struct Probe {
  std::function<std::span<const std::int64_t>(model::LocId)> truth;  // physical on-hand at a location
  std::function<std::span<const std::int64_t>(model::LocId)> erp;    // the ERP's on-hand for it
  std::function<std::span<const std::int32_t>(model::ChannelId)> view;
};

struct MetricsSetup {
  std::size_t skus = 0;
  std::size_t locations = 0;
  std::vector<std::string> channel_names;
  std::vector<std::string> location_names;
  std::vector<std::vector<model::LocId>> sells_from;  // per channel
  std::vector<bool> has_feed;                          // per channel: a view that the feed updates
  std::vector<bool> checks_view;                       // per channel: ATS view exists
  std::vector<std::string> system_names;               // by Address
  std::vector<model::Address> called_systems;          // the systems the pipeline calls (ERP, locations)
  std::vector<std::int64_t> initial_on_hand;           // [loc * skus + sku]
  std::int64_t safety_stock = 0;
  std::int64_t safety_buffer = 0;  // the pipeline holds these back from every published figure
  sim::Tick series_interval = sim::minutes(1);
  sim::Tick demand_end = sim::kNever;  // the scenario's duration: latency recovery is judged before it
};

// A window of the timeline (a promotion, an outage, a throttle, a storm...): the same figures
// are computed for what started inside it and in the recovery period after it, [end, after_end).
struct WindowSpec {
  std::string key;   // its name in report.json's "windows" ("promotion", "outage_wh2", ...)
  std::string kind;
  std::string label;
  sim::Tick start = 0;
  sim::Tick end = 0;
  sim::Tick after_end = 0;
};

// A latency histogram's figures: count, mean, p50 ... p99.9, max (seconds).
Json latency_summary(const sim::Histogram& h);

struct OutageWindow {
  std::string system;
  std::string mode;
  model::Address address = model::kNoAddress;  // the system the pipeline calls, if any
  sim::Tick start = 0;
  sim::Tick end = 0;
  int location = -1;  // when the system is a location: its flows are judged on its own orders
};

class Metrics final : public model::Observer {
 public:
  Metrics(MetricsSetup setup, const model::OrderBook& book);
  void set_probe(Probe probe) { probe_ = std::move(probe); }
  void add_outage(OutageWindow w);
  void add_window(WindowSpec w);

  // Every customer's order as it arrives at a channel (estate run --record-orders).
  using CustomerSink = std::function<void(model::ChannelId, std::span<const model::OrderLine>, Tick)>;
  void set_customer_sink(CustomerSink sink) { customer_sink_ = std::move(sink); }

  // --- Observer
  void customer_arrived(model::ChannelId c, std::span<const model::OrderLine> lines, Tick t) override {
    if (customer_sink_) customer_sink_(c, lines, t);
  }
  void order_placed(model::OrderId, Tick) override;
  void order_refused_at_channel(model::ChannelId, model::ChannelRefusal, Tick) override;
  void delivery_failed(model::OrderId, Tick) override;
  void delivery_retried(model::OrderId, Tick) override;
  void order_acked(model::OrderId, model::LineMask, Tick) override;
  void lines_cancelled(model::OrderId, model::LineMask, Tick) override;
  void view_updated(model::ChannelId, model::SkuId, std::uint64_t, Tick) override;
  void view_snapshot(model::ChannelId, std::uint64_t, Tick) override;
  void erp_order_recorded(model::OrderId, Tick) override;
  void erp_shipment_recorded(std::uint64_t, model::OrderId, model::LocId, model::LineMask, Tick, Tick) override;
  void erp_movement_recorded(std::uint64_t, Tick) override;
  void erp_inventory_set(model::LocId, model::SkuId, std::int64_t, std::int64_t, Tick) override;
  void erp_requested(model::CallFlow, Tick now) override;
  void erp_throttled(model::CallFlow, Tick now) override;
  void release_received(model::OrderId, model::LocId, model::LineMask, Tick) override;
  void shipped(std::uint64_t, model::OrderId, model::LocId, model::LineMask, Tick) override;
  void short_picked(model::OrderId o, model::LocId loc, model::LineMask, Tick) override {
    ++short_picks_;
    tracks_[o].loc = loc;
  }
  void stock_moved(model::LocId, model::SkuId, std::int64_t, bool, Tick) override;
  void inventory_changed(model::LocId, model::SkuId, Tick) override { ++inventory_changes_; }
  void warehouse_events_lost(model::LocId, std::uint64_t n, Tick) override { lost_events_ += n; }
  void inventory_applied(model::LocId, model::SkuId, Tick, std::uint64_t, Tick) override;
  void duplicate_dropped(Tick) override { ++duplicates_dropped_; }
  void request_retried(model::Address, model::CallFlow, model::Failure, Tick) override;
  void request_settled(model::Address, Tick, bool, Tick) override;
  void dead_lettered(model::OrderId, model::Address, model::CallFlow, model::Failure, Tick) override;
  void redriven(model::OrderId, model::CallFlow, Tick) override;
  void reconciliation_checkpoint(Tick) override;

  // A sample of reconciliation and channel-view variance for the time series (not a
  // reconciliation run: nothing is corrected).
  void sample(Tick now);

  // Builds the report sections after the run (end = the run's last simulated instant).
  Json latency_json(Tick end);
  Json oversell_json(Tick end) const;
  Json reconciliation_json();
  Json integrity_json() const;
  Json retries_json() const;
  Json outages_json() const;
  Json windows_json() const;
  Json erp_calls_json() const;
  // Every latency histogram of the report, by the JSON pointer of the object that carries its
  // figures (for pooling replications: harness/replicate.h).
  std::vector<std::pair<std::string, const sim::Histogram*>> histograms() const;
  std::uint64_t lost_orders() const;
  // Orders with lines the warehouse shipped and the ERP never recorded.
  std::uint64_t shipments_not_in_erp() const;
  std::uint64_t duplicate_effects() const;
  bool conservation_ok() const;
  std::uint64_t accepted_orders() const { return tracks_.size(); }
  // Every customer who came to a channel: accepted, or refused there (no stock shown, channel down).
  std::uint64_t customers() const { return tracks_.size() + refused_no_stock_ + refused_down_; }

 private:
  enum Flag : std::uint8_t {
    erp_recorded = 1, released = 2, acked = 4, ship_done = 8, delivery_lost = 16
  };
  static constexpr std::uint16_t kNoLoc = 0xffff;
  struct Track {
    model::LineMask shipped = 0, erp_shipped = 0, cancelled = 0;
    std::uint8_t flags = 0;
    std::int8_t dead = 0;
    std::uint16_t loc = kNoLoc;  // the location last asked to fulfil it (released, short-picked, shipped)
  };
  static constexpr int kCallFlows = static_cast<int>(model::CallFlow::count);
  struct Calls {  // requests to the ERP and retries of the pipeline's calls, by calling flow
    std::uint64_t erp_requests[kCallFlows] = {};
    std::uint64_t erp_429[kCallFlows] = {};
    std::uint64_t retries[kCallFlows] = {};
  };
  struct Period {  // what started within a window, or within its recovery period
    sim::Histogram latency[static_cast<int>(Flow::count)];
    Calls calls;
  };
  struct Window {
    WindowSpec spec;
    Period during, after;
  };
  // Latency recovery after an outage: the flow's p90 back within its pre-outage p90.
  struct FlowRecovery {
    std::int64_t pre_p90 = -1;  // -1: not taken yet (taken at the first sample after the start)
    sim::Histogram probe;       // samples completing since the probe began
    Tick probe_start = -1;
    Tick recovered_at = -1;
  };
  // A flow's histograms: `all`, the current interval (one point of `points` each), and the
  // open window: consecutive intervals merged until they hold kWindowEvents (`windows`).
  struct Series {
    sim::Histogram all;
    sim::Histogram current;
    std::int64_t bucket = 0;
    Json points = Json::array();
    sim::Histogram window;
    std::int64_t window_first = 0, window_last = 0;  // intervals (buckets) merged into it
    Json windows = Json::array();
  };
  struct Pending {  // an applied inventory change waiting to reach every channel
    std::uint64_t version;
    Tick happened_at;
    std::uint32_t next;
  };
  struct Checkpoint {
    double t_s, variance, mismatch, view_variance;
  };
  static constexpr std::uint32_t kNil = 0xffffffffu;

  void record(Flow f, Tick now, Tick start, int channel, int loc);
  void track_recovery(Flow f, Tick now, Tick latency, int loc);
  Json calls_json(const Calls& c) const;
  Json period_json(const Period& p, Tick from, Tick to) const;
  // Pending inventory changes, a list per (loc, sku), until every watching channel reflects them.
  std::uint32_t push_pending(std::uint32_t list, std::uint64_t version, Tick happened_at);
  void flush_series(Series& s, std::int64_t upto_bucket);
  void flush_window(Series& s);
  void drain_pending(model::LocId loc, model::SkuId sku, std::uint64_t reflected, Tick now);
  // The version every channel watching the locations of set w has seen for sku.
  std::uint64_t reflected_version(std::size_t w, model::SkuId sku) const;
  void drain_sku(model::ChannelId ch, model::SkuId sku, Tick now);
  Checkpoint checkpoint(Tick now) const;
  void effect_twice(int kind) { ++duplicates_[kind]; }

  MetricsSetup setup_;
  const model::OrderBook& book_;
  Probe probe_;
  CustomerSink customer_sink_;
  std::vector<Track> tracks_;
  Series flows_[static_cast<int>(Flow::count)];
  std::vector<sim::Histogram> by_channel_[static_cast<int>(Flow::count)];
  std::vector<sim::Histogram> by_location_[static_cast<int>(Flow::count)];
  Calls calls_;
  std::vector<Window> windows_;
  std::vector<std::uint32_t> cursor_;  // per (channel, loc, sku): its first pending change not reflected
  std::vector<std::int64_t> open_units_;       // per sku: accepted, not yet shipped or cancelled
  std::vector<std::int64_t> moved_;            // per (loc, sku): stock moved other than shipments
  std::vector<std::int64_t> shipped_units_;    // per (loc, sku)
  std::vector<std::uint64_t> last_version_;    // per (channel, sku): version the view reflects
  std::vector<std::uint32_t> head_, tail_;     // per (loc, sku): pending inventory changes
  std::vector<std::vector<model::ChannelId>> watchers_;  // per distinct set: channels with a feed selling from a location
  std::vector<std::uint8_t> watcher_set_;                // per location: index into watchers_
  std::vector<Pending> pending_;
  std::vector<std::uint32_t> free_pending_;
  sim::FlatSet64 erp_shipments_, erp_movements_;
  std::vector<Checkpoint> checkpoints_;
  // Counts by series interval, kept sparse: only intervals in which something happened, so a
  // short series interval over a long drain costs what happened, not the span.
  std::map<std::int64_t, std::int64_t> oversold_by_bucket_;
  std::map<std::int64_t, std::uint64_t> retries_by_bucket_, throttled_by_bucket_;
  std::vector<Checkpoint> samples_;
  void bump(std::map<std::int64_t, std::uint64_t>& series, Tick now);
  std::uint64_t refused_no_stock_ = 0, refused_down_ = 0;
  std::vector<std::uint64_t> refused_by_channel_;
  std::vector<std::uint64_t> resent_by_channel_;  // deliveries sent again after a refusal or a timeout
  std::uint64_t duplicates_[4] = {0, 0, 0, 0};
  // Messages in the dead-letter queue now (dead-lettered less redriven), by CallFlow.
  std::int64_t dead_now_[static_cast<std::size_t>(model::CallFlow::count)] = {};  // erp_order, shipment, erp_shipment, stock_movement
  std::uint64_t erp_throttled_ = 0, short_picks_ = 0, inventory_changes_ = 0, inventory_applied_ = 0,
                reflected_ = 0, lost_events_ = 0, duplicates_dropped_ = 0, deliveries_failed_ = 0,
                corrections_ = 0, dead_letter_events_ = 0, redrives_ = 0;
  std::int64_t corrected_units_ = 0;
  std::int64_t unreported_units_ = 0;
  std::vector<std::vector<std::uint64_t>> retries_;       // [address][failure]
  std::vector<std::vector<std::uint64_t>> dead_letters_;  // [address][failure]
  struct Outage {
    OutageWindow w;
    Tick last_settled;
    FlowRecovery flows[static_cast<int>(Flow::count)];
  };
  std::vector<Outage> outages_;
};

// Rounds to 6 significant digits so reports read well and compare byte for byte.
double round6(double v);

}  // namespace estate::harness

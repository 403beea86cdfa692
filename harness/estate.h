#pragma once
// The estate of a scenario, built: the ERP, a WMS or 3PL per location, the channels, the
// reference pipeline (unless a pipeline we did not write takes its place), the metrics that
// observe them, and the address plan that names them in a host. It knows nothing of how the
// systems are run: install() hands them to a host (simulated or live), and the control
// surface below is how the timeline acts on them in either.
#include <cstdint>
#include <memory>
#include <vector>

#include "harness/metrics.h"
#include "harness/scenario.h"
#include "hosts/host.h"
#include "mocks/channel.h"
#include "mocks/erp.h"
#include "mocks/tpl.h"
#include "mocks/wms.h"
#include "model/order_book.h"
#include "pipeline/pipeline.h"
#include "sim/station.h"

namespace estate::harness {

enum class PipelineSite : std::uint8_t {
  embedded,  // the reference pipeline is a component of the estate
  foreign,   // a pipeline we did not write sits at the "pipeline" address (live mode only)
};

struct EstateOptions {
  PipelineSite site = PipelineSite::embedded;
  // The embedded pipeline's own order book and observer, when it runs apart from the mocks
  // (live mode: it learns orders from the wire, and its observations cross threads). By
  // default it shares the channels' book and reports to the metrics directly.
  model::OrderBook* pipeline_book = nullptr;
  model::Observer* pipeline_observer = nullptr;
};

class Estate {
 public:
  Estate(const Scenario& scenario, std::uint64_t seed, EstateOptions options = {});
  Estate(const Estate&) = delete;
  Estate& operator=(const Estate&) = delete;

  // Adds every system to the host (the pipeline as an empty slot when it is foreign) and the
  // network latencies between them.
  void install(hosts::Host& host);

  // --- the address plan: the ERP, the locations, the channels, then the pipeline
  model::Address erp_address() const { return 0; }
  model::Address location_address(std::size_t l) const { return static_cast<model::Address>(1 + l); }
  model::Address channel_address(std::size_t c) const { return static_cast<model::Address>(1 + locations_ + c); }
  model::Address pipeline_address() const { return static_cast<model::Address>(1 + locations_ + channel_count_); }
  model::Address address_of(const SystemRef& ref) const;
  const std::vector<std::string>& system_names() const { return system_names_; }

  // --- the control surface (timeline and admin calls), run as the system concerned
  void set_outage(hosts::Host& host, const SystemRef& system, const model::Outage& outage);
  // A physical stock change at a location; returns the units applied.
  std::int64_t move_stock(hosts::Host& host, std::size_t location, model::SkuId sku, std::int64_t delta,
                          model::MovementType type, bool reported);
  void set_quota(sim::Tick now, double per_s, double burst) { erp_->set_quota(now, per_s, burst); }
  void restore_quota(sim::Tick now) { erp_->restore_quota(now); }
  // How a channel or a location delivers to the pipeline (duplicates, reordering).
  mocks::Redelivery& outbound(const SystemRef& source);

  // --- the parts
  const Scenario& scenario() const { return scenario_; }
  std::uint64_t seed() const { return seed_; }
  Metrics& metrics() { return *metrics_; }
  model::OrderBook& book() { return book_; }
  mocks::Erp& erp() { return *erp_; }
  mocks::Wms* wms(std::size_t l) { return wms_[l].get(); }
  mocks::Tpl* tpl(std::size_t l) { return tpl_[l].get(); }
  mocks::Channel& channel(std::size_t c) { return *channels_[c]; }
  pipeline::Pipeline* pipeline() { return pipeline_.get(); }
  // Every work station of the estate, and the system that owns it, for the report's stage
  // figures and series (the pipeline's only when it is embedded). `system` is what kind of
  // system that is ("pipeline", "erp", "wms" or "3pl"): a 3PL's one station is its
  // dock-to-ship, orders in process (mostly waiting for waves and cut-offs), not labour.
  struct OwnedStation {
    model::Address owner;
    sim::Station* station;
    const char* system;
  };
  std::vector<OwnedStation> stations();
  // Units per second each SKU sells at base demand, and each location's share of stock.
  double stock_share(std::size_t l) const;
  double base_demand(model::SkuId s) const { return demand_[s]; }

 private:
  void build_metrics(const std::vector<std::int64_t>& initial);
  void build_mocks(const std::vector<std::int64_t>& initial, const std::vector<double>& pop);
  void build_pipeline(const std::vector<std::int64_t>& initial, const EstateOptions& options);

  const Scenario& scenario_;
  std::uint64_t seed_;
  std::size_t locations_;
  std::size_t channel_count_;
  std::vector<double> demand_;
  double share_total_ = 0;
  model::OrderBook book_;
  std::vector<std::string> system_names_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<mocks::Erp> erp_;
  std::vector<std::unique_ptr<mocks::Wms>> wms_;
  std::vector<std::unique_ptr<mocks::Tpl>> tpl_;
  std::vector<std::unique_ptr<mocks::Channel>> channels_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
};

// The report's series interval for a scenario: its own, or one minute widened to keep at
// most 720 points.
sim::Tick series_interval(const Scenario& scenario);

}  // namespace estate::harness

#include "harness/run.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "harness/estate.h"
#include "harness/report.h"
#include "harness/timeline.h"
#include "hosts/sim/sim_host.h"
#include "pipeline/pipeline.h"

namespace estate::harness {
using sim::Tick;

namespace {

// Samples every station of the estate each series interval, for the report's time series.
// Stations are read as their owner (host.as), once per owner: a live host reads them on the
// owner's thread, and a round trip to another thread is paid once, not per station.
class StationSampler {
 public:
  explicit StationSampler(Estate& estate) {
    for (const auto& owned : estate.stations()) sampled_.push_back({owned.owner, owned.station});
  }
  void sample(hosts::Host& host, Tick t) {
    const double span_s = sim::to_seconds(t - last_sample_);  // samples thin out in the drain
    last_sample_ = t;
    for (std::size_t first = 0; first < sampled_.size();) {
      std::size_t end = first;
      while (end < sampled_.size() && sampled_[end].owner == sampled_[first].owner) ++end;
      host.as(sampled_[first].owner, [&](model::Context&) {
        for (std::size_t i = first; i < end; ++i) read(sampled_[i], t, span_s);
      });
      first = end;
    }
  }
  // Every station's figures so far (at the end of the demand period), in estate.stations() order.
  std::vector<StationSnapshot> snapshot(hosts::Host& host, Tick t) {
    std::vector<StationSnapshot> out(sampled_.size());
    for (std::size_t i = 0; i < sampled_.size(); ++i)
      host.as(sampled_[i].owner, [&](model::Context&) {
        sampled_[i].station->advance(std::max(t, sampled_[i].station->observed_until()));  // a live owner may be ahead
        out[i] = {sampled_[i].station->stats(), sampled_[i].station->busy() + sampled_[i].station->waiting()};
      });
    return out;
  }
  Json series() {
    Json out = Json::object();
    for (auto& sm : sampled_) out[sm.station->name()] = std::move(sm.points);
    return out;
  }

 private:
  struct Sampled {
    model::Address owner;
    sim::Station* station;
    std::uint64_t departures = 0;
    double busy_area = 0;
    Json points = Json::array();
  };
  static void read(Sampled& sm, Tick t, double span_s) {
    sm.station->advance(std::max(t, sm.station->observed_until()));  // a live owner may be ahead
    const std::uint64_t dep = sm.station->stats().departures;
    const double busy_area = sm.station->stats().area_busy;  // tick-servers
    const double capacity = static_cast<double>(sim::from_seconds(span_s)) * sm.station->servers();
    sm.points.push_back({{"t_s", round6(sim::to_seconds(t))},
                         {"throughput_per_s", round6(static_cast<double>(dep - sm.departures) / span_s)},
                         {"utilization", round6(capacity > 0 ? (busy_area - sm.busy_area) / capacity : 0.0)},
                         {"queue", sm.station->waiting()},
                         {"peak_queue", sm.station->take_window_peak()},
                         {"busy", sm.station->busy()}});
    sm.departures = dep;
    sm.busy_area = busy_area;
  }
  std::vector<Sampled> sampled_;
  Tick last_sample_ = 0;
};

// The ERP quota's use: requests let through against tokens offered, over the demand period
// and per series interval (the peak says when the quota was tightest).
class QuotaSampler {
 public:
  explicit QuotaSampler(Estate& estate) : estate_(estate) {}
  void sample(hosts::Host& host, Tick t) {
    const auto [granted, offered] = read(host, t);
    const double span_offered = offered - offered_;
    const double use = span_offered > 0 ? static_cast<double>(granted - granted_) / span_offered : 0.0;
    points_.push_back({{"t_s", round6(sim::to_seconds(t))}, {"granted", granted - granted_}, {"utilization", round6(use)}});
    if (t <= estate_.scenario().duration && span_offered > 0 && use > peak_) {
      peak_ = use;
      peak_at_ = t;
    }
    granted_ = granted;
    offered_ = offered;
  }
  void demand_end(hosts::Host& host, Tick t) { at_demand_end_ = read(host, t); }
  Json json(hosts::Host& host, Tick end) {
    const auto [granted, offered] = at_demand_end_ ? *at_demand_end_ : read(host, end);
    return {{"rate_per_s", round6(estate_.scenario().erp.quota_per_s)},
            {"applies", offered > 0},
            {"period", "demand"},
            {"granted", granted},
            {"offered", round6(offered)},
            {"utilization", round6(offered > 0 ? static_cast<double>(granted) / offered : 0.0)},
            {"peak_utilization", round6(peak_)},
            {"peak_at_s", round6(sim::to_seconds(peak_at_))},
            {"series", std::move(points_)}};
  }

 private:
  std::pair<std::uint64_t, double> read(hosts::Host& host, Tick t) {
    std::pair<std::uint64_t, double> out;
    host.as(estate_.erp_address(), [&](model::Context&) { out = {estate_.erp().quota_granted(), estate_.erp().quota_offered(t)}; });
    return out;
  }
  Estate& estate_;
  std::uint64_t granted_ = 0;
  double offered_ = 0, peak_ = 0;
  Tick peak_at_ = 0;
  std::optional<std::pair<std::uint64_t, double>> at_demand_end_;
  Json points_ = Json::array();
};

}  // namespace

std::string limit_reached(Estate& estate, const hosts::Host& host) {
  const Scenario& sc = estate.scenario();
  if (estate.book().size() > sc.max_orders) return "max_orders";
  const auto values = host.document_values();
  if (values && *values * sizeof(std::int64_t) > sc.max_documents_mb * 1'000'000) return "max_documents_mb";
  return "";
}

RunFacts drive(Estate& estate, hosts::Host& host, const DriveOptions& options) {
  const Scenario& sc = estate.scenario();
  const auto wall_start = std::chrono::steady_clock::now();
  RunFacts facts;
  host.start();
  // In correct mode the drain ends with one more reconciliation, once everything has settled.
  bool final_recon = sc.pipeline.recon_mode != pipeline::ReconMode::correct || !options.can_reconcile;
  const Tick chunk = std::max<Tick>(sim::seconds(1), sc.duration / 200);
  const Tick drain_limit = sc.duration + sc.drain_max;
  StationSampler sampler(estate);
  QuotaSampler quota(estate);
  const Tick interval = series_interval(sc);
  Tick next_sample = interval;

  for (;;) {
    const Tick now = host.now();
    if (now == next_sample) {
      host.read_state([&] { estate.metrics().sample(now); });
      sampler.sample(host, now);
      quota.sample(host, now);
      // During the drain, samples thin out as it goes on (a 24h drain adds ~150 points).
      const Tick into_drain = std::max<Tick>(0, next_sample - sc.duration);
      next_sample += std::max(interval, into_drain / 20 / interval * interval);
    }
    if (now >= sc.duration && !facts.demand_end) {
      facts.demand_end = sampler.snapshot(host, now);
      quota.demand_end(host, now);
    }
    if (now >= sc.duration) {
      if (host.quiescent()) {
        if (final_recon) {
          facts.drained = true;
          break;
        }
        model::Msg m;
        m.kind = model::Kind::control;
        m.op = static_cast<std::uint8_t>(pipeline::Command::reconcile_now);
        host.inject(estate.pipeline_address(), m);
        final_recon = true;
      }
      if (now >= drain_limit) break;
    }
    Tick step = now < sc.duration ? std::min(sc.duration, now + chunk) : std::min(drain_limit, now + options.drain_step);
    step = std::min(step, next_sample);
    const hosts::Host::Stop stop = host.run_until(step);
    // The simulated host stops at the event budget or when its guard sees another limit
    // reached; a host without a guard (live) is checked here, once a step.
    host.read_state([&] { facts.limit_hit = limit_reached(estate, host); });
    if (stop == hosts::Host::Stop::budget || !facts.limit_hit.empty()) {
      if (facts.limit_hit.empty()) facts.limit_hit = "max_events";
      facts.budget_hit = true;
      break;
    }
    if (stop == hosts::Host::Stop::interrupted) {
      facts.interrupted = true;
      break;
    }
    if (options.progress && now < sc.duration)
      options.progress(std::min(1.0, sim::to_seconds(step) / sim::to_seconds(sc.duration)));
  }
  facts.end = host.now();
  facts.events = host.events();
  facts.orders = estate.book().size();
  facts.document_values = host.document_values();
  if (!facts.drained) facts.busy_at_end = host.busy();
  facts.station_series = sampler.series();
  facts.quota = quota.json(host, facts.end);
  if (options.progress) options.progress(1.0);
  facts.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return facts;
}

void record_customers(Estate& estate, OrderRecorder* recorder) {
  if (!recorder) return;
  estate.metrics().set_customer_sink(
      [recorder](model::ChannelId c, std::span<const model::OrderLine> lines, Tick t) { recorder->add(c, lines, t); });
}

Json report_shape(const Scenario& scenario) {
  Scenario empty = scenario;
  empty.max_events = 0;
  empty.thresholds.clear();
  return run_scenario(empty, {}).report;
}

void check_thresholds(Scenario& scenario) {
  if (scenario.thresholds.empty()) return;
  resolve_thresholds(scenario.thresholds, report_shape(scenario), scenario.file);
}

RunResult run_scenario(const Scenario& sc, const RunOptions& options) {
  const std::uint64_t seed = options.seed.value_or(sc.seed);
  Estate estate(sc, seed);
  record_customers(estate, options.record_orders);
  hosts::SimHost host(seed, sc.max_events);
  host.set_guard([&estate, &host] { return !limit_reached(estate, host).empty(); });
  estate.install(host);
  schedule_timeline(estate, host);
  DriveOptions drive_options;
  drive_options.progress = options.progress;
  const RunFacts facts = drive(estate, host, drive_options);
  return assemble_report(estate, facts, options);
}

}  // namespace estate::harness

#include "harness/live.h"

#include "harness/admin.h"

#include "harness/estate.h"
#include "harness/report.h"
#include "harness/timeline.h"
#include "harness/units.h"

namespace estate::harness {
using sim::Tick;

wire::Roster roster_of(const Scenario& sc) {
  wire::Roster r;
  for (const auto& l : sc.locations) {
    r.locations.push_back(l.name);
    r.third_party.push_back(l.kind == LocationKind::tpl);
  }
  for (const auto& c : sc.channels) r.channels.push_back(c.name);
  r.skus = sc.skus;
  return r;
}

std::vector<std::string> live_refusals(const Scenario& sc, bool foreign) {
  std::vector<std::string> out;
  // Names become URL path segments (/wms/wh1, /channels/storefront).
  auto url_safe = [](const std::string& name) {
    return !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~-") == std::string::npos;
  };
  for (const auto& l : sc.locations)
    if (!url_safe(l.name)) out.push_back("/locations/" + l.name + ": a location name is part of its URL when served (live, serve); use letters, digits, '.', '_', '~' or '-'");
  for (const auto& c : sc.channels)
    if (!url_safe(c.name)) out.push_back("/channels/" + c.name + ": a channel name is part of its URL when served (live, serve); use letters, digits, '.', '_', '~' or '-'");
  if (!foreign) return out;  // the embedded pipeline has every control surface
  for (std::size_t i = 0; i < sc.timeline.size(); ++i) {
    const auto& ev = sc.timeline[i];
    if (ev.kind == TimelineEvent::Kind::outage && ev.system.kind == SystemRef::Kind::stage)
      out.push_back(ev.path + ": an outage of the pipeline stage \"" + system_name(sc, ev.system) +
                    "\" needs the embedded pipeline; a pipeline at a URL has no stages estate can act on");
  }
  return out;
}



namespace {

// A request unanswered for longer than every caller's own timeout (x1.5) has been given up on:
// its connection is dropped so it can serve the retry.
double answer_timeout_s(const Scenario& sc) {
  Tick longest = std::max(sc.pipeline.erp_retry.timeout, sc.pipeline.warehouse_retry.timeout);
  for (const auto& c : sc.channels) longest = std::max(longest, c.timeout);
  return std::max(1.0, sim::to_seconds(longest) * 1.5);
}

struct LiveSetup {
  model::OrderBook pipeline_book;
  hosts::live::ObserverRelay relay;
};

std::unique_ptr<hosts::live::LiveEstate> start_live(const Scenario& sc, const wire::Roster& roster, Estate& estate, LiveSetup& setup,
                                                    hosts::live::LiveOptions options, bool foreign) {
  try {
    return std::make_unique<hosts::live::LiveEstate>(roster, estate.book(), foreign ? nullptr : &setup.pipeline_book,
                                                     foreign ? nullptr : &setup.relay, estate.metrics(), std::move(options));
  } catch (const hosts::live::StartError& e) {
    throw InputError(sc.file, "", e.what);
  }
}

}  // namespace

RunResult run_live(const Scenario& sc, const LiveRunOptions& options) {
  const bool foreign = options.live.pipeline_url.has_value();
  const auto refusals = live_refusals(sc, foreign);
  if (!refusals.empty()) throw InputError(sc.file, "", "live mode cannot play this scenario: " + refusals.front());
  const std::uint64_t seed = options.seed.value_or(sc.seed);
  const wire::Roster roster = roster_of(sc);
  LiveSetup setup;
  EstateOptions eo;
  if (foreign) eo.site = PipelineSite::foreign;
  else eo = {PipelineSite::embedded, &setup.pipeline_book, &setup.relay};
  Estate estate(sc, seed, eo);
  record_customers(estate, options.record_orders);
  hosts::live::LiveOptions lo = options.live;
  lo.seed = seed;
  lo.client_timeout_s = answer_timeout_s(sc);
  auto live = start_live(sc, roster, estate, setup, lo, foreign);
  live->set_admin(admin_api(estate, *live));
  live->set_drain_start(sc.duration);
  estate.install(*live);
  schedule_timeline(estate, *live);
  if (foreign) {
    // A foreign pipeline's reconciliation is its own business; the checkpoints of the report
    // are taken on the scenario's reconciliation interval.
    Metrics* metrics = &estate.metrics();
    for (Tick t = sc.pipeline.recon_interval; t <= sc.duration; t += sc.pipeline.recon_interval)
      live->at(t, [metrics, live = live.get()] { metrics->reconciliation_checkpoint(live->clock_now()); });
  }
  if (options.on_listening) options.on_listening(live->endpoints());

  DriveOptions d;
  d.progress = options.progress;
  d.can_reconcile = !foreign;
  // Checks for quiescence every 50 ms of wall time in the drain (and at least every second of it).
  const double drain_scale = lo.drain_time_scale > 0 ? lo.drain_time_scale : lo.time_scale;
  d.drain_step = std::max<Tick>(sim::seconds(1), sim::from_seconds(0.05 * drain_scale));
  RunFacts facts = drive(estate, *live, d);
  live->finish();
  // The services ran on past the harness's last step; the run ends when they stopped.
  facts.end = std::max(facts.end, live->end_tick());
  facts.interrupted = live->interrupted();
  RunOptions ro;
  ro.baseline_metrics = options.baseline_metrics;
  ro.max_regression = options.max_regression;
  Json sections = Json::object();
  sections["live"] = Json::parse(live->report_json().dump());
  return assemble_report(estate, facts, ro, "live", sections);
}

void serve_estate(const Scenario& scenario, const LiveRunOptions& options, double for_s) {
  if (const auto refusals = live_refusals(scenario, false); !refusals.empty())
    throw InputError(scenario.file, "", "estate serve cannot serve this scenario: " + refusals.front());
  // No demand and no timeline: the channels take orders only when the admin API says so.
  Scenario sc = scenario;
  for (auto& c : sc.channels) c.rate_per_s = 0;
  sc.trace.reset();
  sc.timeline.clear();
  // Mocks only (the pipeline, if any, is at a URL): no reference pipeline is built.
  const bool foreign = options.live.pipeline_url.has_value() || options.live.no_pipeline;
  const wire::Roster roster = roster_of(sc);
  LiveSetup setup;
  EstateOptions eo;
  eo.site = PipelineSite::foreign;
  Estate estate(sc, options.seed.value_or(sc.seed), eo);
  hosts::live::LiveOptions lo = options.live;
  lo.drain_time_scale = 0;  // nothing drains in serve
  auto live = start_live(sc, roster, estate, setup, lo, foreign);
  live->set_admin(admin_api(estate, *live));
  estate.install(*live);
  if (options.on_listening) options.on_listening(live->endpoints());
  live->start();
  live->serve(for_s);
  live->finish();
}

}  // namespace estate::harness

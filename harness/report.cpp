#include "harness/report.h"

#include <algorithm>
#include <cstdio>

#include "harness/units.h"

namespace estate::harness {
using sim::Tick;

Json station_json(const sim::Station& st, Tick end) {
  const auto& s = st.stats();
  const double T = std::max(sim::to_seconds(end), 1e-9);
  const double L = s.area_in_system / 1e6 / T;
  const double lambda = static_cast<double>(s.arrivals) / T;
  const double W = s.departures ? s.sum_sojourn / 1e6 / static_cast<double>(s.departures) : 0.0;
  // Little's law L = lambda W holds over a period that starts and ends empty. A station still
  // holding jobs at the end has them in L but not in W (they have not left), so the two terms
  // are not comparable there, and the report says so instead of printing them side by side.
  const std::uint64_t left = st.busy() + st.waiting();
  return {{"servers", st.servers()},
          {"arrivals", s.arrivals},
          {"departures", s.departures},
          {"refused", s.refused},
          {"throughput_per_s", round6(static_cast<double>(s.departures) / T)},
          {"utilization", st.servers() ? round6(s.area_busy / 1e6 / T / st.servers()) : 0.0},
          {"blocked", s.blocked},
          {"mean_blocked", round6(s.area_blocked / 1e6 / T)},
          {"mean_queue", round6(s.area_waiting / 1e6 / T)},
          {"peak_queue", s.peak_waiting},
          {"held_upstream", s.held},
          {"peak_held_upstream", s.peak_held},
          {"mean_wait_s", s.started ? round6(s.sum_wait / 1e6 / static_cast<double>(s.started)) : 0.0},
          {"in_system_at_end", left},
          {"little", {{"applies", left == 0},
                      {"L", round6(L)},
                      {"lambda_per_s", round6(lambda)},
                      {"W_s", round6(W)},
                      {"lambda_W", round6(lambda * W)}}}};
}

// The timeline as windows (instants have end_s == start_s), labelled for charts.
Json timeline_json(const Scenario& sc) {
  Json out = Json::array();
  auto pct = [](double p) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g%%", p * 100);
    return std::string(buf);
  };
  auto skus = [](const SkuSelector& sel) {
    switch (sel.kind) {
      case SkuSelector::Kind::all: return std::string("all SKUs");
      case SkuSelector::Kind::top: return "top " + std::to_string(sel.top) + " SKUs";
      case SkuSelector::Kind::ranks: return std::to_string(sel.ranks.size()) + " SKUs";
    }
    return std::string();
  };
  for (const auto& ev : sc.timeline) {
    using K = TimelineEvent::Kind;
    std::string kind, label;
    switch (ev.kind) {
      case K::promotion: {
        kind = "promotion";
        char buf[32];
        std::snprintf(buf, sizeof buf, "%gx", ev.multiplier);
        label = std::string("promotion ") + buf + " on " + skus(ev.skus);
        if (!ev.channels.empty()) {
          label += " (";
          for (std::size_t i = 0; i < ev.channels.size(); ++i)
            label += (i ? ", " : "") + sc.channels[static_cast<std::size_t>(ev.channels[i])].name;
          label += ")";
        }
        break;
      }
      case K::outage:
        kind = "outage";
        label = system_name(sc, ev.system) + " " + model::outage_mode_name(ev.outage.mode);
        break;
      case K::duplicates:
        kind = "duplicates";
        label = system_name(sc, ev.source) + " duplicates " + pct(ev.rate);
        break;
      case K::reorder:
        kind = "reorder";
        label = system_name(sc, ev.source) + " reordered within " + format_duration(ev.window);
        break;
      case K::throttle:
        kind = "throttle";
        label = "ERP quota " + format_rate(ev.quota_per_s);
        break;
      case K::late_batch:
        kind = "late_batch";
        label = system_name(sc, ev.source) + (ev.missing ? " batches missing" : " batches late by " + format_duration(ev.late_by));
        break;
      case K::drift: kind = "drift"; label = "drift at " + sc.locations[static_cast<std::size_t>(ev.location)].name; break;
      case K::replenishment: kind = "replenishment"; label = "receipt at " + sc.locations[static_cast<std::size_t>(ev.location)].name; break;
      case K::returns: kind = "returns"; label = "returns at " + sc.locations[static_cast<std::size_t>(ev.location)].name; break;
      case K::transfer:
        kind = "transfer";
        label = "transfer " + sc.locations[static_cast<std::size_t>(ev.location)].name + " to " +
                sc.locations[static_cast<std::size_t>(ev.to_location)].name;
        break;
    }
    out.push_back({{"kind", kind},
                   {"label", label},
                   {"start_s", round6(sim::to_seconds(ev.at))},
                   {"end_s", round6(sim::to_seconds(ev.at + ev.span))}});
  }
  return out;
}

RunResult assemble_report(Estate& estate, const RunFacts& facts, const RunOptions& options, const std::string& mode, Json sections) {
  const Scenario& sc = estate.scenario();
  Metrics& metrics = estate.metrics();
  const Tick end = facts.end;
  RunResult result;
  result.events = facts.events;
  result.wall_s = facts.wall_s;
  Json report = Json::object();
  report["scenario"] = {{"name", sc.name},
                        {"description", sc.description},
                        {"file", sc.file},
                        {"seed", estate.seed()},
                        {"duration_s", round6(sim::to_seconds(sc.duration))},
                        {"drain_max_s", round6(sim::to_seconds(sc.drain_max))},
                        {"hash", scenario_hash(sc.document)},
                        {"file_hash", sc.file_hash},
                        {"overrides", sc.overrides},
                        {"estate_version", ESTATE_VERSION}};
  report["latency"] = metrics.latency_json(end);
  report["oversell"] = metrics.oversell_json(end);
  report["reconciliation"] = metrics.reconciliation_json();
  report["integrity"] = metrics.integrity_json();
  report["retries"] = metrics.retries_json();
  Json stages = Json::object();
  for (const auto& owned : estate.stations()) {
    owned.station->advance(end);
    Json st = station_json(*owned.station, end);
    st["series"] = facts.station_series.contains(owned.station->name()) ? facts.station_series[owned.station->name()]
                                                                        : Json::array();
    stages[owned.station->name()] = std::move(st);
  }
  report["stages"] = stages;
  report["outages"] = metrics.outages_json();
  report["timeline"] = timeline_json(sc);

  const std::uint64_t lost = metrics.lost_orders();
  const std::uint64_t doubled = metrics.duplicate_effects();
  const bool conserved = metrics.conservation_ok();
  Json reasons = Json::array();
  if (lost > 0) reasons.push_back(std::to_string(lost) + " accepted orders have no terminal state (lost)");
  if (doubled > 0) reasons.push_back(std::to_string(doubled) + " side effects were applied more than once");
  if (!conserved) reasons.push_back("stock is not conserved at some (sku, location)");
  // An exhausted event budget leaves the run unfinished: its figures cannot be trusted.
  if (facts.budget_hit) reasons.push_back("the event budget (limits.max_events) ran out before the run finished");
  // An interrupted run is partial: orders still on their way are not lost, so integrity is
  // reported but not judged, and the run cannot pass.
  if (facts.interrupted) reasons = Json::array({"the run was interrupted at " + format_duration(end) +
                                                " of scenario time; this report is partial"});
  Json warnings = Json::array();
  if (!facts.drained && !facts.budget_hit && !facts.interrupted) {
    std::string busy;
    for (const auto& b : facts.busy_at_end) busy += (busy.empty() ? "" : ", ") + b;
    warnings.push_back("the drain hit its bound (drain.max) with work left in: " + busy);
  }
  const bool integrity_ok = lost == 0 && doubled == 0 && conserved && !facts.budget_hit;
  result.exit_code = facts.interrupted ? kExitGate : integrity_ok ? kExitOk : kExitIntegrity;

  Json run = {{"mode", mode},
              {"events", facts.events},
              {"customers", metrics.customers()},
              {"orders_placed", metrics.accepted_orders()},
              {"sim_end_s", round6(sim::to_seconds(end))},
              {"drain_s", round6(sim::to_seconds(std::max<Tick>(0, end - sc.duration)))},
              {"drained", facts.drained},
              {"drain_bound_hit", !facts.drained && !facts.budget_hit && !facts.interrupted},
              {"event_budget_hit", facts.budget_hit},
              {"busy_at_end", facts.drained ? Json::array() : Json(facts.busy_at_end)},
              {"series_interval_s", round6(sim::to_seconds(series_interval(sc)))}};
  if (options.timing) {
    run["wall_s"] = round6(facts.wall_s);
    run["events_per_s"] = round6(static_cast<double>(facts.events) / std::max(facts.wall_s, 1e-9));
  }
  report["run"] = run;
  for (auto& [k, v] : sections.items()) report[k] = v;
  // Thresholds (and baseline regressions) decide the gate; integrity failures outrank them.
  std::uint64_t failed = 0;
  if (!sc.thresholds.empty()) {
    report["thresholds"] = evaluate_thresholds(sc.thresholds, report, options.baseline_metrics, options.max_regression);
    for (const auto& t : report["thresholds"])
      if (t["verdict"] == "fail") ++failed;
  }
  if (failed > 0 && result.exit_code == kExitOk) result.exit_code = kExitGate;
  report["verdict"] = {{"integrity_ok", integrity_ok},
                       {"partial", facts.interrupted},
                       {"thresholds", sc.thresholds.size()},
                       {"thresholds_failed", failed},
                       {"exit_code", result.exit_code},
                       {"reasons", reasons},
                       {"warnings", warnings}};
  result.report = std::move(report);
  return result;
}

}  // namespace estate::harness

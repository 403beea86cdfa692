#include "harness/report.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "harness/build_info.h"
#include "harness/units.h"

namespace estate::harness {
using sim::Tick;

namespace {
// The time-average figures of a station over a period of T seconds.
Json period_figures(const sim::StationStats& s, std::uint32_t servers, double T) {
  T = std::max(T, 1e-9);
  return {{"span_s", round6(T)},
          {"arrivals", s.arrivals},
          {"departures", s.departures},
          {"refused", s.refused},
          {"throughput_per_s", round6(static_cast<double>(s.departures) / T)},
          {"utilization", servers ? round6(s.area_busy / 1e6 / T / servers) : 0.0},
          {"blocked", s.blocked},
          {"mean_blocked", round6(s.area_blocked / 1e6 / T)},
          {"held_upstream", s.held},
          {"mean_queue", round6(s.area_waiting / 1e6 / T)},
          {"mean_wait_s", s.started ? round6(s.sum_wait / 1e6 / static_cast<double>(s.started)) : 0.0}};
}

sim::StationStats minus(const sim::StationStats& a, const sim::StationStats& b) {
  sim::StationStats d;
  d.arrivals = a.arrivals - b.arrivals;
  d.refused = a.refused - b.refused;
  d.departures = a.departures - b.departures;
  d.area_in_system = a.area_in_system - b.area_in_system;
  d.area_waiting = a.area_waiting - b.area_waiting;
  d.area_busy = a.area_busy - b.area_busy;
  d.sum_sojourn = a.sum_sojourn - b.sum_sojourn;
  d.sum_wait = a.sum_wait - b.sum_wait;
  d.started = a.started - b.started;
  d.blocked = a.blocked - b.blocked;
  d.area_blocked = a.area_blocked - b.area_blocked;
  d.held = a.held - b.held;
  return d;
}
}  // namespace

Json station_json(const sim::Station& st, Tick duration, Tick end, const StationSnapshot* at_duration, const Json& series) {
  const auto& s = st.stats();
  // Little's law L = lambda W holds over a period that starts and ends empty: the whole run,
  // when the drain emptied the station. A station still holding jobs at the end has them in L
  // but not in W (they have not left), so the two terms are not comparable there, and the
  // report says so instead of printing them side by side.
  const double T = std::max(sim::to_seconds(end), 1e-9);
  const double L = s.area_in_system / 1e6 / T;
  const double lambda = static_cast<double>(s.arrivals) / T;
  const double W = s.departures ? s.sum_sojourn / 1e6 / static_cast<double>(s.departures) : 0.0;
  const std::uint64_t left = st.busy() + st.waiting();
  // The headline figures cover the demand period; the drain (no new demand) is apart, so an
  // empty tail does not dilute throughput and utilisation.
  Json out = at_duration ? period_figures(at_duration->stats, st.servers(), sim::to_seconds(duration))
                         : period_figures(s, st.servers(), sim::to_seconds(end));
  out["servers"] = st.servers();
  out["period"] = at_duration ? "demand" : "run";
  // The longest waiting line in each period, from the series' per-interval peaks (exact: each
  // point holds the peak since the previous one) and the station's own peak over the run.
  std::uint64_t peak_demand = 0, peak_drain = 0;
  const double duration_s = sim::to_seconds(duration);
  for (const auto& p : series) {
    std::uint64_t& peak = p["t_s"].get<double>() <= duration_s ? peak_demand : peak_drain;
    peak = std::max(peak, p["peak_queue"].get<std::uint64_t>());
  }
  if (!at_duration || series.empty()) peak_demand = s.peak_waiting;
  out["peak_queue"] = peak_demand;
  if (at_duration) {
    out["in_system_at_demand_end"] = at_duration->in_system;
    Json drain = period_figures(minus(s, at_duration->stats), st.servers(), sim::to_seconds(end - duration));
    drain["peak_queue"] = peak_drain;
    out["drain"] = std::move(drain);
  }
  out["peak_held_upstream"] = s.peak_held;  // over the whole run
  out["in_system_at_end"] = left;
  out["little"] = {{"applies", left == 0},
                   {"period", "run"},
                   {"L", round6(L)},
                   {"lambda_per_s", round6(lambda)},
                   {"W_s", round6(W)},
                   {"lambda_W", round6(lambda * W)}};
  out["series"] = series;
  return out;
}

std::vector<std::string> window_keys(const Scenario& sc) {
  std::vector<std::string> keys;
  for (const auto& ev : sc.timeline) {
    using K = TimelineEvent::Kind;
    if (ev.span <= 0) {
      keys.emplace_back();
      continue;
    }
    std::string k;
    switch (ev.kind) {
      case K::promotion: k = "promotion"; break;
      case K::outage: k = "outage_" + system_name(sc, ev.system); break;
      case K::duplicates: k = "duplicates_" + system_name(sc, ev.source); break;
      case K::reorder: k = "reorder_" + system_name(sc, ev.source); break;
      case K::throttle: k = "throttle"; break;
      case K::late_batch: k = "late_batch_" + system_name(sc, ev.source); break;
      case K::drift: k = "drift_" + sc.locations[static_cast<std::size_t>(ev.location)].name; break;
      case K::replenishment: k = "replenishment_" + sc.locations[static_cast<std::size_t>(ev.location)].name; break;
      case K::returns: k = "returns_" + sc.locations[static_cast<std::size_t>(ev.location)].name; break;
      case K::transfer: k = "transfer_" + sc.locations[static_cast<std::size_t>(ev.location)].name; break;
    }
    keys.push_back(k);
  }
  // Windows of the same kind on the same system are numbered in timeline order.
  std::vector<std::string> out = keys;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].empty()) continue;
    std::size_t n = 0, nth = 0;
    for (std::size_t j = 0; j < keys.size(); ++j)
      if (keys[j] == keys[i]) {
        ++n;
        if (j <= i) ++nth;
      }
    if (n > 1) out[i] += "_" + std::to_string(nth);
  }
  return out;
}

// The timeline as windows (instants have end_s == start_s), labelled for charts.
Json timeline_json(const Scenario& sc) {
  const auto keys = window_keys(sc);
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
                   {"key", keys[out.size()].empty() ? Json(nullptr) : Json(keys[out.size()])},
                   {"label", label},
                   {"start_s", round6(sim::to_seconds(ev.at))},
                   {"end_s", round6(sim::to_seconds(ev.at + ev.span))}});
  }
  return out;
}

namespace {
// The stations an outage of `system` backs work up in: its own, and the pipeline stage that
// calls it.
bool affected(const std::string& station, const Json& outage) {
  const std::string system = outage["system"].get<std::string>();
  if (station == system || station.rfind(system + ".", 0) == 0) return true;
  return outage["called_by"].is_string() && station == outage["called_by"].get<std::string>();
}
}  // namespace

// Recovery that means recovery. The backlog of the affected stations (queue plus jobs in
// service, from the series) is back to its pre-outage level (the highest it was over a span as
// long as the outage, before it) at the first sample after the end from which it stays there
// for ten series intervals; each flow's latency is back when the p90 of what completes is within the
// pre-outage p90 (harness/metrics; judged while demand lasts). recover_s is the latest of
// them; when the backlog never got back, it is how long the run watched, and recovered = false.
Json outage_recovery(Json outages, const Json& stages, Tick end, Tick series_interval) {
  const double settle_s = 10 * sim::to_seconds(series_interval);
  const double end_s = sim::to_seconds(end);
  for (auto& o : outages) {
    const double start = o["start_s"].get<double>(), stop = o["end_s"].get<double>();
    std::map<double, double> level;  // t -> jobs in the affected stations
    Json names = Json::array();
    for (const auto& [name, st] : stages.items()) {
      if (!affected(name, o)) continue;
      names.push_back(name);
      for (const auto& p : st["series"]) level[p["t_s"].get<double>()] += p["queue"].get<double>() + p["busy"].get<double>();
    }
    double pre = 0;
    for (const auto& [t, v] : level)
      if (t >= start - (stop - start) && t <= start) pre = std::max(pre, v);
    Json backlog_after = nullptr;
    double peak = 0;
    for (auto it = level.lower_bound(stop); it != level.end(); ++it) peak = std::max(peak, it->second);
    for (auto it = level.lower_bound(stop); it != level.end(); ++it) {
      if (it->second > pre) continue;
      bool stays = true;
      for (auto jt = it; jt != level.end() && jt->first <= it->first + settle_s; ++jt) stays = stays && jt->second <= pre;
      if (stays) {
        backlog_after = round6(it->first - stop);
        break;
      }
    }
    const bool recovered = names.empty() || !backlog_after.is_null();
    double recover = backlog_after.is_null() ? 0.0 : backlog_after.get<double>();
    for (const auto& [flow, r] : o["latency_recovery"].items())
      if (!r["recovered_after_s"].is_null()) recover = std::max(recover, r["recovered_after_s"].get<double>());
    if (!recovered) recover = std::max(0.0, end_s - stop);
    o["backlog"] = {{"stations", names},
                    {"pre_outage_level", round6(pre)},
                    {"peak_after", round6(peak)},
                    {"recovered_after_s", backlog_after}};
    o["recovered"] = recovered;
    o["recover_s"] = round6(recover);
  }
  return outages;
}

namespace {
std::string limit_reason(const Scenario& sc, const std::string& limit) {
  if (limit == "max_orders")
    return "the order budget (limits.max_orders, " + std::to_string(sc.max_orders) + ") ran out before the run finished";
  if (limit == "max_documents_mb")
    return "the documents held reached limits.max_documents_mb (" + std::to_string(sc.max_documents_mb) + " MB) before the run finished";
  return "the event budget (limits.max_events) ran out before the run finished";
}

// Every bound of limits.* with what the run used of it (the series bound: points over the duration).
Json limits_json(const Scenario& sc, const RunFacts& facts) {
  const Tick interval = series_interval(sc);
  const auto points = static_cast<std::uint64_t>((sc.duration + interval - 1) / interval);
  const Json documents_mb =
      facts.document_values ? Json(round6(static_cast<double>(*facts.document_values) * 8 / 1e6)) : Json(nullptr);
  return {{"max_events", {{"limit", sc.max_events}, {"used", facts.events}}},
          {"max_orders", {{"limit", sc.max_orders}, {"used", facts.orders}}},
          {"max_documents_mb", {{"limit", sc.max_documents_mb}, {"used", documents_mb}}},
          {"max_series_points", {{"limit", sc.max_series_points}, {"used", points}}}};
}
}  // namespace

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
                        {"estate_version", estate_version()},
                        {"estate_commit", *estate_commit() ? Json(estate_commit()) : Json(nullptr)}};
  if (const ReplayPlan* plan = estate.replay()) report["trace"] = replay_json(*sc.trace, *plan, sc.demand_scale);
  report["latency"] = metrics.latency_json(end);
  report["oversell"] = metrics.oversell_json(end);
  report["reconciliation"] = metrics.reconciliation_json();
  report["integrity"] = metrics.integrity_json();
  report["retries"] = metrics.retries_json();
  report["retries"]["erp_calls"] = metrics.erp_calls_json();
  Json stages = Json::object();
  const auto owned_stations = estate.stations();
  for (std::size_t i = 0; i < owned_stations.size(); ++i) {
    const auto& owned = owned_stations[i];
    owned.station->advance(end);
    const Json& series = facts.station_series.contains(owned.station->name()) ? facts.station_series[owned.station->name()]
                                                                              : Json::array();
    const StationSnapshot* at = facts.demand_end ? &(*facts.demand_end)[i] : nullptr;
    Json st = {{"system", owned.system}};
    st.update(station_json(*owned.station, std::min(sc.duration, end), end, at, series));
    stages[owned.station->name()] = std::move(st);
  }
  report["stages"] = stages;
  report["quota"] = facts.quota;
  report["outages"] = outage_recovery(metrics.outages_json(), stages, end, series_interval(sc));
  report["windows"] = metrics.windows_json();
  report["timeline"] = timeline_json(sc);

  const std::uint64_t lost = metrics.lost_orders();
  const std::uint64_t doubled = metrics.duplicate_effects();
  const bool conserved = metrics.conservation_ok();
  Json reasons = Json::array();
  if (lost > 0) reasons.push_back(std::to_string(lost) + " accepted orders have no terminal state (lost)");
  if (doubled > 0) reasons.push_back(std::to_string(doubled) + " side effects were applied more than once");
  if (!conserved) reasons.push_back("stock is not conserved at some (sku, location)");
  // An exhausted event budget leaves the run unfinished: its figures cannot be trusted.
  if (facts.budget_hit) reasons.push_back(limit_reason(sc, facts.limit_hit));
  // An interrupted run is partial: orders still on their way are not lost, so integrity is
  // reported but not judged, and the run cannot pass.
  if (facts.interrupted) reasons = Json::array({"the run was interrupted at " + format_duration(end) +
                                                " of scenario time; this report is partial"});
  Json warnings = Json::array();
  for (const auto& w : options.warnings) warnings.push_back(w);
  if (const ReplayPlan* plan = estate.replay(); plan && !replay_warning(*plan, *sc.trace).empty())
    warnings.push_back(replay_warning(*plan, *sc.trace));
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
              {"event_budget_hit", facts.budget_hit && facts.limit_hit == "max_events"},
              {"limit_hit", facts.budget_hit ? Json(facts.limit_hit) : Json(nullptr)},
              {"limits", limits_json(sc, facts)},
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
  // reasons: everything that failed the run, integrity first, then each failed threshold;
  // integrity_reasons: the integrity part alone.
  Json all_reasons = reasons;
  if (report.contains("thresholds"))
    for (const auto& t : report["thresholds"])
      if (t["verdict"] == "fail") all_reasons.push_back(t["message"]);
  report["verdict"] = {{"integrity_ok", integrity_ok},
                       {"partial", facts.interrupted},
                       {"thresholds", sc.thresholds.size()},
                       {"thresholds_failed", failed},
                       {"exit_code", result.exit_code},
                       {"reasons", all_reasons},
                       {"integrity_reasons", reasons},
                       {"warnings", warnings}};
  result.report = std::move(report);
  if (options.keep_histograms)
    for (const auto& [pointer, h] : metrics.histograms()) result.histograms.emplace_back(pointer, *h);
  return result;
}

}  // namespace estate::harness

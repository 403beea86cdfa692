#include "reports/summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace estate::reports {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string pad(std::string s, std::size_t w) {
  if (s.size() < w) s.insert(0, w - s.size(), ' ');
  return s;
}

std::string padr(std::string s, std::size_t w) {
  if (s.size() < w) s.append(w - s.size(), ' ');
  return s;
}

double num(const Json& j, const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0; }

std::string percent(double v) {
  if (v == 0) return "0%";
  if (v < 0.0001) return fmt("%.4f%%", v * 100);
  return fmt("%.2f%%", v * 100);
}

}  // namespace

std::string plain_number(double v, int significant) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
  if (v == 0) return "0";
  const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  const int decimals = std::clamp(significant - 1 - magnitude, 0, 30);
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

std::string human_seconds(double s) {
  if (s <= 0) return "0s";
  if (s < 1e-3) return fmt("%.0fus", s * 1e6);
  if (s < 1) return fmt("%.0fms", s * 1e3);
  if (s < 60) return fmt("%.1fs", s);
  if (s < 3600) {
    const auto total = static_cast<long>(std::lround(s));
    return fmt("%.0fm", static_cast<double>(total / 60)) + fmt("%02.0fs", static_cast<double>(total % 60));
  }
  const auto total = static_cast<long>(std::lround(s / 60));
  return fmt("%.0fh", static_cast<double>(total / 60)) + fmt("%02.0fm", static_cast<double>(total % 60));
}

std::string format_metric(double v, const std::string& unit) {
  if (unit == "s") return human_seconds(v);
  if (unit == "fraction") return plain_number(v * 100, 4) + "%";
  return plain_number(v, 6);
}

namespace {

// One paragraph on a live run: the pipeline, the time scale, the load's lateness and what
// the pipeline did that the contract forbids.
std::string live_line(const Json& l) {
  const Json& es = l["estate_side"];
  const Json& late = es["late_sends"]["order_webhooks"];
  const Json& v = es["contract_violations"];
  std::string out = "live: pipeline " + l["pipeline"].get<std::string>() + ", time scale " + plain_number(num(l, "time_scale")) +
                    "x, " + fmt("%.0f", num(l, "wall_s")) + " s wall; order webhooks sent late (> " +
                    plain_number(num(es["late_sends"], "threshold_ms")) + " ms): " + std::to_string(late["late"].get<std::uint64_t>()) +
                    " of " + std::to_string(late["sends"].get<std::uint64_t>()) + ", p99 " + plain_number(num(late, "p99_ms")) +
                    " ms; contract violations by the pipeline: " + std::to_string(v["total"].get<std::uint64_t>());
  if (l["interrupted"] == true) out += "; INTERRUPTED (partial)";
  out += "\n";
  for (const auto& e : v["examples"]) out += "  - " + e.get<std::string>() + "\n";
  return out;
}

}  // namespace

std::string seeds_phrase(const Json& scenario) {
  if (scenario.contains("seeds") && scenario["seeds"].size() > 1)
    return "seeds " + std::to_string(scenario["seeds"].front().get<std::uint64_t>()) + ".." +
           std::to_string(scenario["seeds"].back().get<std::uint64_t>()) + " pooled; counts are per seed, latency counts all seeds'";
  return "seed " + std::to_string(scenario["seed"].get<std::uint64_t>());
}

std::string text_summary(const Json& r) {
  std::string out;
  const Json& sc = r["scenario"];
  const bool live = r.contains("live");
  out += std::string(live ? "estate live: " : "estate run: ") + sc["name"].get<std::string>() + "  (" + seeds_phrase(sc) + ", " +
         human_seconds(num(sc, "duration_s")) +
         (live ? " played" : " simulated");
  const Json& run = r["run"];
  out += " + " + human_seconds(num(run, "drain_s")) + " drain)\n";
  if (live) out += live_line(r["live"]);
  out += "\n";

  out += padr("latency", 22) + pad("count", 10) + pad("p50", 9) + pad("p90", 9) + pad("p99", 9) + pad("p99.9", 9) +
         pad("max", 9) + "\n";
  for (const auto& [flow, v] : r["latency"].items()) {
    out += padr("  " + flow, 22) + pad(std::to_string(v["count"].get<std::uint64_t>()), 10);
    for (const char* k : {"p50_s", "p90_s", "p99_s", "p999_s", "max_s"})
      out += pad(v["count"].get<std::uint64_t>() ? human_seconds(num(v, k)) : "-", 9);
    out += "\n";
  }
  const Json& o = r["oversell"];
  out += "\noversell        " + percent(num(o, "rate")) + " of units (" + std::to_string(o["oversold_units"].get<std::int64_t>()) +
         " of " + std::to_string(o["accepted_units"].get<std::int64_t>()) + "), " + percent(num(o, "order_rate")) + " of orders";
  out += "; refused at channel for no availability: " +
         std::to_string(o["refused_at_channel"]["no_availability"].get<std::uint64_t>()) + "\n";
  const Json& rc = r["reconciliation"];
  out += "reconciliation  variance peak " + percent(num(rc, "peak_variance")) + ", settled " +
         percent(num(rc, "settled_variance")) + "; channel views peak " + percent(num(rc, "peak_channel_view_variance")) +
         ", settled " + percent(num(rc, "settled_channel_view_variance")) + "\n";
  const Json& in = r["integrity"];
  out += "integrity       lost orders " + std::to_string(in["lost_orders"].get<std::uint64_t>()) + ", duplicate effects " +
         std::to_string(in["duplicate_effects"].get<std::uint64_t>()) + ", conservation " +
         (in["conservation_ok"].get<bool>() ? "ok" : "VIOLATED") + ", dead letters " +
         std::to_string(in["dead_letter_events"].get<std::uint64_t>()) + "\n";
  const Json& rt = r["retries"];
  const bool foreign = live && r["live"].contains("not_observed");
  out += "reliability     ";
  if (foreign) out += "(the pipeline's retries and duplicates dropped are its own: not observed) ";
  else out += "retries " + std::to_string(rt["total"].get<std::uint64_t>()) + ", ";
  out += "ERP 429s " + std::to_string(rt["erp_429"].get<std::uint64_t>()) + ", order deliveries resent " +
         std::to_string(rt.value("deliveries_resent", std::uint64_t{0}));
  if (!foreign) out += ", duplicates dropped " + std::to_string(in["duplicates_dropped"].get<std::uint64_t>());
  out += "\n";
  for (const auto& w : r["outages"]) {
    out += "outage          " + w["system"].get<std::string>() + " " + w["mode"].get<std::string>() + " " +
           human_seconds(num(w, "start_s")) + " to " + human_seconds(num(w, "end_s"));
    if (w["recover_s"].is_number()) out += ", recovered " + human_seconds(num(w, "recover_s")) + " after";
    out += "\n";
  }
  out += "run             " + std::to_string(run["orders_placed"].get<std::uint64_t>()) + " orders, " +
         std::to_string(run["events"].get<std::uint64_t>()) + " events";
  if (run.contains("wall_s")) out += ", " + fmt("%.2f", num(run, "wall_s")) + " s wall, " + plain_number(num(run, "events_per_s"), 3) + " events/s";
  out += "\n";
  if (r.contains("thresholds")) {
    std::size_t failed = 0;
    for (const auto& t : r["thresholds"]) failed += t["verdict"] == "fail";
    out += "\nthresholds      " + std::to_string(r["thresholds"].size() - failed) + " of " +
           std::to_string(r["thresholds"].size()) + " passed\n";
    for (const auto& t : r["thresholds"])
      out += std::string(t["verdict"] == "fail" ? "  FAIL " : "  ok   ") + t["message"].get<std::string>() + "\n";
  }
  const Json& v = r["verdict"];
  if (v.contains("warnings") && !v["warnings"].empty()) {
    out += "\nNOTE:\n";
    for (const auto& w : v["warnings"]) out += "  - " + w.get<std::string>() + "\n";
  }
  if (!v["integrity_reasons"].empty()) {
    out += v.contains("partial") && v["partial"] == true ? "\nPARTIAL RUN:\n" : "\nINTEGRITY FAILED:\n";
    for (const auto& reason : v["integrity_reasons"]) out += "  - " + reason.get<std::string>() + "\n";
  }
  return out;
}

GateChecks gate_checks(const std::vector<Json>& reports) {
  GateChecks g;
  for (const auto& r : reports) {
    const std::string name = r["scenario"]["name"].get<std::string>();
    const Json& v = r["verdict"];
    const bool integrity = v["integrity_ok"].get<bool>();
    bool scenario_failed = !integrity;
    g.failed += !integrity;
    g.checks.push_back({name, "integrity", integrity ? "ok" : "failed", "lost 0, doubled 0, conserved", "-", "-", false, integrity});
    for (const auto& reason : v["integrity_reasons"]) g.failures.push_back({name, reason.get<std::string>()});
    if (v.contains("warnings"))
      for (const auto& w : v["warnings"]) g.notes.push_back({name, w.get<std::string>()});
    if (r.contains("thresholds")) {
      for (const auto& t : r["thresholds"]) {
        const std::string unit = t["unit"].get<std::string>();
        const bool pass = t["verdict"] == "pass";
        // With replications: the 95% interval beside the value, and whether a change from the
        // baseline is beyond the noise.
        std::string value = format_metric(t["value"].get<double>(), unit);
        if (t.contains("interval") && t["interval"].is_array())
          value += " (" + format_metric(t["interval"][0].get<double>(), unit) + ".." + format_metric(t["interval"][1].get<double>(), unit) + ")";
        std::string delta = t["delta"].is_null() ? "-" : fmt("%+.1f%%", t["delta"].get<double>() * 100);
        if (!t["delta"].is_null() && t.contains("change") && t["change"].is_object())
          delta += t["change"]["beyond_noise"].get<bool>() ? " real" : " noise";
        g.checks.push_back({name, t["metric"].get<std::string>(), value, t["limit_text"].get<std::string>(),
                            t["baseline"].is_null() ? "-" : format_metric(t["baseline"].get<double>(), unit), delta, true, pass});
        if (!pass) {
          ++g.failed;
          scenario_failed = true;
          g.failures.push_back({name, t["message"].get<std::string>()});
        }
      }
    }
    g.failed_scenarios += scenario_failed;
  }
  return g;
}

std::string gate_text(const std::vector<Json>& reports) {
  const GateChecks g = gate_checks(reports);
  using Row = std::vector<std::string>;
  std::vector<Row> rows{{"scenario", "metric", "value", "limit", "baseline", "delta", "verdict"}};
  for (const auto& c : g.checks) rows.push_back({c.scenario, c.metric, c.value, c.limit, c.baseline, c.delta, c.pass ? "pass" : "FAIL"});
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  auto count = [](std::size_t n, const std::string& what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); };
  std::string out = "estate gate: " + std::string(g.failed == 0 ? "PASS" : "FAIL") + ", " + count(reports.size(), "scenario") +
                    ", " + count(g.checks.size(), "check") + ", " + std::to_string(g.failed) + " failed (" +
                    count(g.failed_scenarios, "scenario") + ")\n\n";
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) line += (c ? "  " : "") + padr(row[c], c + 1 < row.size() ? width[c] : 0);
    out += line + "\n";
  }
  if (!g.notes.empty()) {
    out += "\nNOTES:\n";
    for (const auto& n : g.notes) out += "  - " + n.scenario + ": " + n.message + "\n";
  }
  if (!g.failures.empty()) {
    out += "\nFAILURES:\n";
    for (const auto& f : g.failures) out += "  - " + f.scenario + ": " + f.message + "\n";
  }
  return out;
}

}  // namespace estate::reports

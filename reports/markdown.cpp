#include "reports/markdown.h"

#include <cstdio>

#include "reports/summary.h"

namespace estate::reports {
namespace {

// Text from a scenario (names, descriptions, messages) made safe for one Markdown line or
// table cell: no line breaks, no table pipes, no code-span backticks, and nothing that a
// line could start a heading, list or quote with.
std::string cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r' || c == '\t') out += ' ';
    else if (c == '`') out += '\'';
    else if (c == '<') out += "&lt;";
    else out += c;
  }
  if (!out.empty() && (out[0] == '#' || out[0] == '>' || out[0] == '-' || out[0] == '*' || out[0] == '+' || out[0] == '='))
    out.insert(0, "\\");
  return out;
}

std::string pct(double v) { return format_metric(v, "fraction"); }

std::string signed_pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", v * 100);
  return buf;
}

std::string num(const Json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return std::to_string(v.get<std::int64_t>());
  return plain_number(v.get<double>(), 6);
}

bool passed(const Json& r) {
  const Json& v = r["verdict"];
  return v["integrity_ok"].get<bool>() && v.value("thresholds_failed", 0) == 0;
}

std::string threshold_row(const Json& t) {
  const std::string unit = t["unit"].get<std::string>();
  std::string row = "| `" + cell(t["metric"].get<std::string>()) + "` | " + format_metric(t["value"].get<double>(), unit) + " | " +
         cell(t["limit_text"].get<std::string>()) + " | ";
  row += t["baseline"].is_null() ? "-" : format_metric(t["baseline"].get<double>(), unit);
  row += " | ";
  row += t["delta"].is_null() ? "-" : signed_pct(t["delta"].get<double>());
  row += " | " + std::string(t["verdict"] == "pass" ? "pass" : "**FAIL**") + " |\n";
  return row;
}

// "estate 0.1.0 (commit 0484e4f1a2b3)" from a report's scenario section; empty for a report
// that does not say (one written before reports carried it).
std::string made_by(const Json& sc) {
  if (!sc.contains("estate_version") || !sc["estate_version"].is_string()) return {};
  std::string out = "estate " + sc["estate_version"].get<std::string>();
  if (sc.contains("estate_commit") && sc["estate_commit"].is_string()) out += " (commit " + sc["estate_commit"].get<std::string>() + ")";
  return out;
}

std::string made_by_line(const Json& sc) {
  const std::string who = made_by(sc);
  return who.empty() ? std::string() : "\n<sub>" + cell(who) + "</sub>\n";
}

}  // namespace

std::string run_markdown(const Json& r) {
  const Json& sc = r["scenario"];
  std::string out = "## estate: " + cell(sc["name"].get<std::string>()) + " — " + (passed(r) ? "PASS" : "FAIL") + "\n\n";
  if (!sc["description"].get<std::string>().empty()) out += cell(sc["description"].get<std::string>()) + "\n\n";
  const Json& run = r["run"];
  const bool live = r.contains("live");
  out += "Run on " + seeds_phrase(sc) + ", " + human_seconds(sc["duration_s"].get<double>()) + (live ? " played live" : " simulated") +
         " and " + human_seconds(run["drain_s"].get<double>()) + " of drain; " + num(run["orders_placed"]) + " orders, " +
         num(run["events"]) + " events.\n\n";
  if (live) {
    const Json& l = r["live"];
    const Json& late = l["estate_side"]["late_sends"]["order_webhooks"];
    const Json& v = l["estate_side"]["contract_violations"];
    out += "**Live:** pipeline " + cell(l["pipeline"].get<std::string>()) + ", time scale " + num(l["time_scale"]) + "x, " +
           num(l["wall_s"]) + " s of wall time" + (l["interrupted"] == true ? ", **interrupted (partial)**" : "") +
           ". Order webhooks sent more than " + num(l["estate_side"]["late_sends"]["threshold_ms"]) + " ms late: " + num(late["late"]) +
           " of " + num(late["sends"]) + " (p99 " + num(late["p99_ms"]) + " ms). Contract violations by the pipeline: " +
           num(v["total"]) + ".\n\n";
    for (const auto& e : v["examples"]) out += "- " + cell(e.get<std::string>()) + "\n";
    if (!v["examples"].empty()) out += "\n";
  }
  if (r.contains("thresholds") && !r["thresholds"].empty()) {
    out += "| metric | value | limit | baseline | delta | verdict |\n|---|---|---|---|---|---|\n";
    for (const auto& t : r["thresholds"]) out += threshold_row(t);
    out += "\n";
  }
  out += "| latency | count | p50 | p90 | p99 | p99.9 | max |\n|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& [flow, v] : r["latency"].items()) {
    out += "| " + cell(flow) + " | " + num(v["count"]);
    for (const char* k : {"p50_s", "p90_s", "p99_s", "p999_s", "max_s"})
      out += " | " + (v["count"].get<std::int64_t>() ? human_seconds(v[k].get<double>()) : std::string("-"));
    out += " |\n";
  }
  const Json& o = r["oversell"];
  const Json& rc = r["reconciliation"];
  const Json& in = r["integrity"];
  out += "\n- **Oversell:** " + pct(o["rate"].get<double>()) + " of units (" + num(o["oversold_units"]) + " of " +
         num(o["accepted_units"]) + "), " + pct(o["order_rate"].get<double>()) + " of orders.\n";
  out += "- **Reconciliation variance:** peak " + pct(rc["peak_variance"].get<double>()) + ", settled " +
         pct(rc["settled_variance"].get<double>()) + "; channel views peak " +
         pct(rc["peak_channel_view_variance"].get<double>()) + ".\n";
  out += "- **Integrity:** lost orders " + num(in["lost_orders"]) + ", duplicate effects " + num(in["duplicate_effects"]) +
         ", conservation " + (in["conservation_ok"].get<bool>() ? "ok" : "**violated**") + ", dead-letter events " +
         num(in["dead_letter_events"]) + ".\n";
  for (const auto& w : r["outages"]) {
    out += "- **Outage:** " + cell(w["system"].get<std::string>()) + " " + w["mode"].get<std::string>() + " from " +
           human_seconds(w["start_s"].get<double>()) + " to " + human_seconds(w["end_s"].get<double>());
    if (w["recover_s"].is_number()) out += ", backlog cleared " + human_seconds(w["recover_s"].get<double>()) + " after";
    out += ".\n";
  }
  for (const auto& reason : r["verdict"]["integrity_reasons"]) out += "- **Failed:** " + cell(reason.get<std::string>()) + "\n";
  if (r["verdict"].contains("warnings"))
    for (const auto& w : r["verdict"]["warnings"]) out += "- **Note:** " + cell(w.get<std::string>()) + "\n";
  return out + made_by_line(sc);
}

std::string gate_markdown(const std::vector<Json>& reports) {
  const GateChecks g = gate_checks(reports);
  std::string out = "## estate gate: " + std::string(g.failed == 0 ? "PASS" : "FAIL") + "\n\n" +
                    std::to_string(reports.size()) + " scenarios, " + std::to_string(g.checks.size()) + " checks, " +
                    std::to_string(g.failed) + " failed (" + std::to_string(g.failed_scenarios) + " scenarios).\n\n";
  out += "| scenario | metric | value | limit | baseline | delta | verdict |\n|---|---|---|---|---|---|---|\n";
  for (const auto& c : g.checks)
    out += "| " + cell(c.scenario) + " | " + (c.threshold ? "`" + cell(c.metric) + "`" : cell(c.metric)) + " | " + c.value + " | " +
           cell(c.limit) + " | " + c.baseline + " | " + c.delta + " | " + (c.pass ? "pass" : "**FAIL**") + " |\n";
  if (!g.notes.empty()) {
    out += "\n### Notes\n\n";
    for (const auto& n : g.notes) out += "- **" + cell(n.scenario) + "**: " + cell(n.message) + "\n";
  }
  if (!g.failures.empty()) {
    out += "\n### Failures\n\n";
    for (const auto& f : g.failures) out += "- **" + cell(f.scenario) + "**: " + cell(f.message) + "\n";
  }
  return reports.empty() ? out : out + made_by_line(reports.front()["scenario"]);
}

}  // namespace estate::reports

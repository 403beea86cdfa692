#include "reports/compare.h"

#include <cmath>
#include <cstdio>

#include "reports/summary.h"

namespace estate::reports {
namespace {

struct Row {
  std::string label;
  std::string pointer;
  std::string unit;  // "s", "fraction", ""
};

std::vector<Row> rows(const nlohmann::ordered_json& a) {
  std::vector<Row> out;
  for (const auto& [flow, _] : a["latency"].items()) {
    out.push_back({"latency." + flow + ".p50", "/latency/" + flow + "/p50_s", "s"});
    out.push_back({"latency." + flow + ".p99", "/latency/" + flow + "/p99_s", "s"});
  }
  out.push_back({"oversell.rate", "/oversell/rate", "fraction"});
  out.push_back({"oversell.order_rate", "/oversell/order_rate", "fraction"});
  out.push_back({"oversell.refused_at_channel.no_availability", "/oversell/refused_at_channel/no_availability", ""});
  out.push_back({"reconciliation.peak_variance", "/reconciliation/peak_variance", "fraction"});
  out.push_back({"reconciliation.settled_variance", "/reconciliation/settled_variance", "fraction"});
  out.push_back({"reconciliation.peak_channel_view_variance", "/reconciliation/peak_channel_view_variance", "fraction"});
  out.push_back({"integrity.lost_orders", "/integrity/lost_orders", ""});
  out.push_back({"integrity.duplicate_effects", "/integrity/duplicate_effects", ""});
  out.push_back({"integrity.dead_letter_events", "/integrity/dead_letter_events", ""});
  out.push_back({"integrity.short_picks", "/integrity/short_picks", ""});
  out.push_back({"retries.total", "/retries/total", ""});
  out.push_back({"retries.erp_429", "/retries/erp_429", ""});
  out.push_back({"run.orders_placed", "/run/orders_placed", ""});
  return out;
}

}  // namespace

std::string compare_markdown(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b, const std::string& label_a,
                             const std::string& label_b) {
  std::string out = "## estate compare: " + label_a + " vs " + label_b + "\n\n";
  const auto& sa = a["scenario"];
  const auto& sb = b["scenario"];
  out += "A: `" + label_a + "` (" + sa["name"].get<std::string>() + ", seed " + std::to_string(sa["seed"].get<std::uint64_t>()) +
         ")  \nB: `" + label_b + "` (" + sb["name"].get<std::string>() + ", seed " + std::to_string(sb["seed"].get<std::uint64_t>()) + ")\n";
  if (sa["name"] != sb["name"] || sa.value("file_hash", "") != sb.value("file_hash", ""))
    out += "\nThese are reports of different scenarios (or versions of one): compare designs on one scenario.\n";
  if (sa["seed"] != sb["seed"]) out += "\nThe seeds differ: part of every difference below is chance, not design.\n";
  out += "\n| metric | A | B | B - A | change |\n|---|---:|---:|---:|---:|\n";
  for (const auto& row : rows(a)) {
    const nlohmann::json::json_pointer p(row.pointer);
    if (!a.contains(p) || !b.contains(p) || !a.at(p).is_number() || !b.at(p).is_number()) continue;
    const double va = a.at(p).get<double>(), vb = b.at(p).get<double>();
    std::string change = "-";
    if (va != 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%+.1f%%", (vb - va) / std::abs(va) * 100);
      change = buf;
    } else if (vb != 0) {
      change = "new";
    }
    const double d = vb - va;
    std::string diff = d == 0 ? "0" : (d > 0 ? "+" : "-") + format_metric(std::abs(d), row.unit);
    out += "| `" + row.label + "` | " + format_metric(va, row.unit) + " | " + format_metric(vb, row.unit) + " | " + diff +
           " | " + change + " |\n";
  }
  return out;
}

}  // namespace estate::reports

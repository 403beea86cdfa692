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
  auto esc = [](const std::string& k) {
    std::string e;
    for (char c : k) e += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
    return e;
  };
  for (const auto& [flow, f] : a["latency"].items()) {
    out.push_back({"latency." + flow + ".p50", "/latency/" + flow + "/p50_s", "s"});
    out.push_back({"latency." + flow + ".p99", "/latency/" + flow + "/p99_s", "s"});
    for (const char* by : {"by_channel", "by_location"})
      if (f.contains(by))
        for (const auto& [k, _] : f[by].items())
          out.push_back({"latency." + flow + "." + by + "." + k + ".p99", "/latency/" + flow + "/" + by + "/" + esc(k) + "/p99_s", "s"});
  }
  out.push_back({"oversell.rate", "/oversell/rate", "fraction"});
  for (const char* by : {"by_channel", "by_location"})
    if (a["oversell"].contains(by))
      for (const auto& [k, _] : a["oversell"][by].items())
        out.push_back({std::string("oversell.") + by + "." + k + ".rate", std::string("/oversell/") + by + "/" + esc(k) + "/rate", "fraction"});
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

std::string seeds_text(const nlohmann::ordered_json& r) {
  const auto& sc = r["scenario"];
  if (sc.contains("seeds") && sc["seeds"].size() > 1) {
    const auto& s = sc["seeds"];
    return "seeds " + std::to_string(s.front().get<std::uint64_t>()) + ".." + std::to_string(s.back().get<std::uint64_t>());
  }
  return "seed " + std::to_string(sc["seed"].get<std::uint64_t>());
}

// The per-seed values of a metric, when the report was replicated and keeps them.
std::vector<double> per_seed(const nlohmann::ordered_json& r, const std::string& pointer) {
  std::vector<double> out;
  if (!r.contains("replications") || !r["replications"]["intervals"].contains(pointer)) return out;
  for (const auto& v : r["replications"]["intervals"][pointer]["per_seed"]) out.push_back(v.get<double>());
  return out;
}

double t975(std::size_t df) {
  static constexpr double kT[] = {0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                  2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086};
  return df < std::size(kT) ? kT[df] : 2.0;
}

}  // namespace

std::string compare_variants_markdown(const std::vector<nlohmann::ordered_json>& reports, const std::vector<std::string>& labels) {
  const auto& a = reports.front();
  std::string out = "## estate compare: " + labels.front();
  for (std::size_t i = 1; i < labels.size(); ++i) out += " vs " + labels[i];
  out += "\n\n";
  const char* names = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  bool differs = false, seeds_differ = false;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const auto& sc = reports[i]["scenario"];
    out += std::string(1, names[i % 26]) + ": `" + labels[i] + "` (" + sc["name"].get<std::string>() + ", " + seeds_text(reports[i]) + ")  \n";
    differs = differs || sc["name"] != a["scenario"]["name"] || sc.value("file_hash", "") != a["scenario"].value("file_hash", "");
    seeds_differ = seeds_differ || seeds_text(reports[i]) != seeds_text(a);
  }
  if (differs) out += "\nThese are reports of different scenarios (or versions of one): compare designs on one scenario.\n";
  if (seeds_differ) out += "\nThe seeds differ: part of every difference below is chance, not design.\n";
  const bool replicated = a.contains("replications");
  out += replicated ? "\nEach variant ran on the same " + std::to_string(a["replications"]["n"].get<std::size_t>()) +
                          " seeds (common random numbers). In brackets, the 95% interval of the seed-by-seed "
                          "difference; a change is marked **real** when that interval excludes 0; otherwise it is within the noise.\n"
                    : "\nOne seed: there is no estimate of the noise here; run with --seeds 5 to know which changes are real.\n";
  out += "\n| metric | A |";
  std::string rule = "|---|---:|";
  for (std::size_t i = 1; i < reports.size(); ++i) {
    const std::string n(1, names[i % 26]);
    out += " " + n + " | " + n + " - A | change |";
    rule += "---:|---:|---:|";
  }
  out += "\n" + rule + "\n";
  std::size_t folded = 0;
  for (const auto& row : rows(a)) {
    const nlohmann::json::json_pointer p(row.pointer);
    bool present = true, all_zero = true;
    for (const auto& r : reports) {
      present = present && r.contains(p) && r.at(p).is_number();
      if (present && r.at(p).get<double>() != 0) all_zero = false;
    }
    if (!present) continue;
    if (all_zero) {
      ++folded;
      continue;
    }
    const double va = a.at(p).get<double>();
    std::string line = "| `" + row.label + "` | " + format_metric(va, row.unit) + " |";
    for (std::size_t i = 1; i < reports.size(); ++i) {
      const double vb = reports[i].at(p).get<double>();
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
      const auto sa = per_seed(a, row.pointer), sb = per_seed(reports[i], row.pointer);
      if (sa.size() >= 2 && sa.size() == sb.size()) {
        double m = 0, v = 0;
        for (std::size_t k = 0; k < sa.size(); ++k) m += sb[k] - sa[k];
        m /= static_cast<double>(sa.size());
        for (std::size_t k = 0; k < sa.size(); ++k) v += (sb[k] - sa[k] - m) * (sb[k] - sa[k] - m);
        const double half = t975(sa.size() - 1) * std::sqrt(v / static_cast<double>(sa.size() - 1) / static_cast<double>(sa.size()));
        // The seed-by-seed difference's interval; real when it excludes 0 on the side the
        // pooled difference is on.
        auto signed_metric = [&](double x) { return x == 0 ? std::string("0") : (x > 0 ? "+" : "-") + format_metric(std::abs(x), row.unit); };
        diff += " (" + signed_metric(m - half) + ".." + signed_metric(m + half) + ")";
        if ((d > 0 && m - half > 0) || (d < 0 && m + half < 0)) change = "**" + change + " real**";
      }
      line += " " + format_metric(vb, row.unit) + " | " + diff + " | " + change + " |";
    }
    out += line + "\n";
  }
  if (folded > 0) out += "\n" + std::to_string(folded) + " more metrics are 0 in every variant (not shown).\n";
  return out;
}

std::string compare_markdown(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b, const std::string& label_a,
                             const std::string& label_b) {
  return compare_variants_markdown({a, b}, {label_a, label_b});
}

}  // namespace estate::reports

#include "reports/compare.h"

#include <cmath>
#include <cstdio>

#include "reports/junit.h"
#include "reports/summary.h"
#include "sim/student_t.h"

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

}  // namespace

namespace {
struct Cell {
  std::string value, diff, interval, change;
  bool real = false;
};
struct TableRow {
  std::string label;
  std::string a;
  std::vector<Cell> cells;  // per variant after A
};
struct Table {
  std::string title;
  std::vector<std::string> legend;  // "A: `as written` (...)"
  std::vector<std::string> notes;
  std::vector<TableRow> rows;
  std::size_t variants = 0;
  std::size_t folded = 0;
};

Table compare_table(const std::vector<nlohmann::ordered_json>& reports, const std::vector<std::string>& labels) {
  Table t;
  const auto& a = reports.front();
  t.variants = reports.size();
  t.title = "estate compare: " + labels.front();
  for (std::size_t i = 1; i < labels.size(); ++i) t.title += " vs " + labels[i];
  bool differs = false, seeds_differ = false;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const auto& sc = reports[i]["scenario"];
    t.legend.push_back(std::string(1, static_cast<char>('A' + i)) + ": `" + labels[i] + "` (" + sc["name"].get<std::string>() + ", " +
                       seeds_text(reports[i]) + ")");
    differs = differs || sc["name"] != a["scenario"]["name"] || sc.value("file_hash", "") != a["scenario"].value("file_hash", "");
    seeds_differ = seeds_differ || seeds_text(reports[i]) != seeds_text(a);
  }
  if (differs) t.notes.push_back("These are reports of different scenarios (or versions of one): compare designs on one scenario.");
  if (seeds_differ) t.notes.push_back("The seeds differ: part of every difference below is chance, not design.");
  t.notes.push_back(a.contains("replications")
                        ? "Each variant ran on the same " + std::to_string(a["replications"]["n"].get<std::size_t>()) +
                              " seeds (common random numbers). In brackets, the 95% interval of the seed-by-seed difference; a change "
                              "is marked real when that interval excludes 0; otherwise it is within the noise."
                        : "One seed: there is no estimate of the noise here; run with --seeds 5 to know which changes are real.");
  for (const auto& row : rows(a)) {
    const nlohmann::json::json_pointer p(row.pointer);
    bool present = true, all_zero = true;
    for (const auto& r : reports) {
      present = present && r.contains(p) && r.at(p).is_number();
      if (present && r.at(p).get<double>() != 0) all_zero = false;
    }
    if (!present) continue;
    if (all_zero) {
      ++t.folded;
      continue;
    }
    TableRow tr;
    tr.label = row.label;
    const double va = a.at(p).get<double>();
    tr.a = format_metric(va, row.unit);
    auto signed_metric = [&](double x) { return x == 0 ? std::string("0") : (x > 0 ? "+" : "-") + format_metric(std::abs(x), row.unit); };
    for (std::size_t i = 1; i < reports.size(); ++i) {
      Cell c;
      const double vb = reports[i].at(p).get<double>();
      c.value = format_metric(vb, row.unit);
      c.change = "-";
      if (va != 0) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%+.1f%%", (vb - va) / std::abs(va) * 100);
        c.change = buf;
      } else if (vb != 0) {
        c.change = "new";
      }
      const double d = vb - va;
      c.diff = signed_metric(d);
      const auto sa = per_seed(a, row.pointer), sb = per_seed(reports[i], row.pointer);
      if (sa.size() >= 2 && sa.size() == sb.size()) {
        double m = 0, v = 0;
        for (std::size_t k = 0; k < sa.size(); ++k) m += sb[k] - sa[k];
        m /= static_cast<double>(sa.size());
        for (std::size_t k = 0; k < sa.size(); ++k) v += (sb[k] - sa[k] - m) * (sb[k] - sa[k] - m);
        const double half = sim::t975(sa.size() - 1) * std::sqrt(v / static_cast<double>(sa.size() - 1) / static_cast<double>(sa.size()));
        // The seed-by-seed difference's interval; real when it excludes 0 on the side the
        // pooled difference is on.
        c.interval = signed_metric(m - half) + ".." + signed_metric(m + half);
        c.real = (d > 0 && m - half > 0) || (d < 0 && m + half < 0);
      }
      tr.cells.push_back(std::move(c));
    }
    t.rows.push_back(std::move(tr));
  }
  return t;
}

}  // namespace

std::string compare_variants_markdown(const std::vector<nlohmann::ordered_json>& reports, const std::vector<std::string>& labels) {
  const Table t = compare_table(reports, labels);
  std::string out = "## " + t.title + "\n\n";
  for (const auto& l : t.legend) out += l + "  \n";
  for (const auto& n : t.notes) out += "\n" + n + "\n";
  out += "\n| metric | A |";
  std::string rule = "|---|---:|";
  for (std::size_t i = 1; i < t.variants; ++i) {
    const std::string n(1, static_cast<char>('A' + i));
    out += " " + n + " | " + n + " - A | change |";
    rule += "---:|---:|---:|";
  }
  out += "\n" + rule + "\n";
  for (const auto& r : t.rows) {
    out += "| `" + r.label + "` | " + r.a + " |";
    for (const auto& c : r.cells)
      out += " " + c.value + " | " + c.diff + (c.interval.empty() ? "" : " (" + c.interval + ")") + " | " +
             (c.real ? "**" + c.change + " real**" : c.change) + " |";
    out += "\n";
  }
  if (t.folded > 0) out += "\n" + std::to_string(t.folded) + " more metrics are 0 in every variant (not shown).\n";
  return out;
}

std::string compare_variants_html(const std::vector<nlohmann::ordered_json>& reports, const std::vector<std::string>& labels) {
  const Table t = compare_table(reports, labels);
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + xml_escape(t.title) +
      "</title>\n<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
      "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left;"
      "font-family:monospace}.real{font-weight:bold;color:#0a5}.real.worse{color:#c30}.iv{color:#777;font-size:12px}"
      ".muted{color:#777}</style></head><body>\n<h2>" + xml_escape(t.title) + "</h2>\n<p>";
  for (const auto& l : t.legend) out += xml_escape(l) + "<br>";
  out += "</p>\n";
  for (const auto& n : t.notes) out += "<p class=\"muted\">" + xml_escape(n) + "</p>\n";
  out += "<table><thead><tr><th>metric</th><th>A</th>";
  for (std::size_t i = 1; i < t.variants; ++i) {
    const std::string n(1, static_cast<char>('A' + i));
    out += "<th>" + n + "</th><th>" + n + " &minus; A</th><th>change</th>";
  }
  out += "</tr></thead><tbody>\n";
  for (const auto& r : t.rows) {
    out += "<tr><td>" + xml_escape(r.label) + "</td><td>" + xml_escape(r.a) + "</td>";
    for (const auto& c : r.cells)
      out += "<td>" + xml_escape(c.value) + "</td><td>" + xml_escape(c.diff) +
             (c.interval.empty() ? "" : "<br><span class=\"iv\">" + xml_escape(c.interval) + "</span>") + "</td><td" +
             (c.real ? " class=\"real\">" + xml_escape(c.change) + " real" : ">" + xml_escape(c.change)) + "</td>";
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
  if (t.folded > 0) out += "<p class=\"muted\">" + std::to_string(t.folded) + " more metrics are 0 in every variant (not shown).</p>\n";
  return out + "</body></html>\n";
}

std::string compare_markdown(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b, const std::string& label_a,
                             const std::string& label_b) {
  return compare_variants_markdown({a, b}, {label_a, label_b});
}

}  // namespace estate::reports

#include "reports/capacity.h"

#include <map>
#include <sstream>

#include "reports/html.h"
#include "reports/html_assets.h"

namespace estate::reports {
namespace {

double num(const Json& j, const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0; }

std::string pct(double f) { return plain_number(f * 100, 3) + "%"; }

std::string axes_phrase(const Json& sweep) {
  std::string out;
  for (const auto& a : sweep["axes"]) out += (out.empty() ? "" : " \xC3\x97 ") + a["path"].get<std::string>();
  return out;
}

std::string fixed_phrase(const Json& fixed) {
  std::string out;
  for (const auto& [k, v] : fixed.items()) out += (out.empty() ? "" : ", ") + k + "=" + v.get<std::string>();
  return out;
}

std::string resource_phrase(const Json& b) {
  if (!b.is_object()) return "none measured";
  std::string out = b["resource"].get<std::string>() + " (" + pct(num(b, "peak_utilization")) + " used at peak";
  if (b["window"].is_string()) out += ", in the " + b["window"].get<std::string>() + " window";
  out += ")";
  return out;
}

// The busiest resource of a point, by peak utilisation.
std::pair<std::string, double> busiest(const Json& point) {
  std::string best;
  double u = -1;
  for (const auto& [name, r] : point["resources"].items())
    if (num(r, "peak_utilization") > u) {
      best = name;
      u = num(r, "peak_utilization");
    }
  return {best, u};
}

std::string main_flow(const Json& sweep) {
  // The flow of the first latency threshold, else order_to_erp.
  for (const auto& t : sweep["thresholds"]) {
    const std::string text = t["metric"].get<std::string>();
    if (text.rfind("latency.", 0) == 0) {
      const auto dot = text.find('.', 8);
      if (dot != std::string::npos) return text.substr(8, dot - 8);
    }
  }
  return "order_to_erp";
}

}  // namespace

std::vector<std::string> capacity_answer(const Json& sweep) {
  std::vector<std::string> out;
  const Json& an = sweep["analysis"];
  for (const auto& r : an["recommendations"]) out.push_back(r.get<std::string>() + ".");
  const std::string flow = main_flow(sweep);
  for (const auto& c : an["curves"]) {
    const std::string where = c["fixed"].empty() ? "" : " (" + fixed_phrase(c["fixed"]) + ")";
    std::string s = "Along " + c["axis"].get<std::string>() + where + ": the bottleneck is " + resource_phrase(c["bottleneck"]);
    if (c["bottleneck"].is_object() && c["bottleneck"]["saturated"] == true)
      s += ", saturated first at " + c["bottleneck"]["at"].get<std::string>();
    else if (c["bottleneck"].is_object())
      s += ", though nothing saturated (" + pct(0.9) + ") in the range tried";
    if (c["saturation"].is_object())
      s += "; throughput stops tracking offered load at " + c["saturation"]["at"].get<std::string>() + " (" +
           plain_number(num(c["saturation"], "throughput_per_s"), 4) + "/s of " + plain_number(num(c["saturation"], "offered_per_s"), 4) + "/s)";
    if (c["knees"].contains(flow) && c["knees"][flow].is_object())
      s += "; " + flow + " p99 knees at " + c["knees"][flow]["at"].get<std::string>() + " (" + human_seconds(num(c["knees"][flow], "p99_s")) + ")";
    out.push_back(s + ".");
  }
  return out;
}

std::string capacity_markdown(const Json& sweep) {
  std::ostringstream md;
  const Json& an = sweep["analysis"];
  const std::size_t seeds = sweep["seeds"].size();
  md << "# Capacity: " << sweep["scenario"]["name"].get<std::string>() << "\n\n";
  md << "Sweep of " << axes_phrase(sweep) << ": " << sweep["points"].size() << " points \xC3\x97 " << seeds << (seeds == 1 ? " seed" : " seeds")
     << " (common random numbers), estate " << sweep["estate_version"].get<std::string>() << ", sweep `" << sweep["sweep_id"].get<std::string>() << "`.\n\n";
  md << "## Answer\n\n";
  for (const auto& s : capacity_answer(sweep)) md << "- " << s << "\n";
  md << "\n## Thresholds\n\n";
  if (sweep["thresholds"].empty()) md << "None: every point passes unless its integrity fails.\n";
  for (const auto& t : sweep["thresholds"]) md << "- `" << t["text"].get<std::string>() << "`\n";
  const std::string flow = main_flow(sweep);
  md << "\n## Points\n\n| point |";
  for (const auto& a : sweep["axes"]) md << " " << a["path"].get<std::string>() << " |";
  md << " offered | throughput | " << flow << " p99 | oversell | busiest resource (peak) | verdict |\n|---|";
  for (std::size_t i = 0; i < sweep["axes"].size(); ++i) md << "---|";
  md << "---:|---:|---:|---:|---|---|\n";
  for (const auto& p : sweep["points"]) {
    md << "| [" << p["id"].get<std::string>() << "](" << p["report"].get<std::string>() << ") |";
    for (const auto& a : sweep["axes"]) md << " " << p["values"][a["path"].get<std::string>()].get<std::string>() << " |";
    const auto [res, u] = busiest(p);
    const std::string verdict = p["passed"].get<bool>() ? "pass" : p["integrity_ok"] == false ? "**INTEGRITY FAILED**" : "**fail**";
    md << " " << plain_number(num(p, "offered_per_s"), 4) << "/s | " << plain_number(num(p, "throughput_per_s"), 4) << "/s | "
       << (p["latency"].contains(flow) ? human_seconds(num(p["latency"][flow], "p99_s")) : "-") << " | " << pct(num(p, "oversell_rate")) << " | "
       << (res.empty() ? "-" : res + " " + pct(u)) << " | " << verdict << " |\n";
  }
  if (!an["usl"].empty()) {
    md << "\n## Universal Scalability Law\n\nThroughput X against each resource axis, fitted to X(N) = \xCE\xBB N / (1 + \xCF\x83 (N\xE2\x88\x92" "1) + \xCE\xBA N (N\xE2\x88\x92" "1)).\n\n";
    md << "| axis | at | model | \xCE\xBB | \xCF\x83 (contention) | \xCE\xBA (coherency) | R\xC2\xB2 | RMSE | predicted peak |\n|---|---|---|---:|---:|---:|---:|---:|---|\n";
    for (const auto& u : an["usl"]) {
      md << "| " << u["axis"].get<std::string>() << " | " << (u["fixed"].empty() ? "-" : fixed_phrase(u["fixed"])) << " | ";
      if (u["model"].is_null()) {
        md << "no fit: " << u["why"].get<std::string>() << " | | | | | | |\n";
        continue;
      }
      md << u["model"].get<std::string>() << " | " << plain_number(num(u, "lambda"), 4) << "/s | " << plain_number(num(u, "sigma"), 4) << " | "
         << plain_number(num(u, "kappa"), 4) << " | " << plain_number(num(u, "r2"), 4) << " | " << plain_number(num(u, "rmse_per_s"), 4) << "/s | "
         << (u["peak_at"].is_null() ? "none (\xCE\xBA = 0)" : "at " + plain_number(num(u, "peak_at"), 4) + ", " + plain_number(num(u, "peak_throughput_per_s"), 4) + "/s")
         << " |\n";
    }
  }
  if (sweep["axes"].size() == 2) {
    const Json& a0 = sweep["axes"][0];
    const Json& a1 = sweep["axes"][1];
    md << "\n## Pass/fail map\n\nRows " << a0["path"].get<std::string>() << ", columns " << a1["path"].get<std::string>() << ".\n\n|  |";
    for (const auto& v : a1["values"]) md << " " << v.get<std::string>() << " |";
    md << "\n|---|";
    for (std::size_t i = 0; i < a1["values"].size(); ++i) md << ":---:|";
    md << "\n";
    const std::size_t cols = a1["values"].size();
    for (std::size_t r = 0; r < a0["values"].size(); ++r) {
      md << "| " << a0["values"][r].get<std::string>() << " |";
      for (std::size_t c = 0; c < cols; ++c) {
        const Json& p = sweep["points"][r * cols + c];
        md << " " << (p["passed"].get<bool>() ? "pass" : p["integrity_ok"] == false ? "**integrity**" : "**fail**") << " |";
      }
      md << "\n";
    }
  }
  md << "\n## Method\n\n";
  for (const auto& [k, v] : an["method"].items()) md << "- " << k << ": " << v.get<std::string>() << "\n";
  return md.str();
}

std::string capacity_html(const Json& sweep) {
  return html_page(sweep["scenario"]["name"].get<std::string>() + " \xE2\x80\x94 estate capacity", sweep, html_assets::capacity_js(), "sweep.json");
}

}  // namespace estate::reports

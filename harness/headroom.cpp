#include "harness/headroom.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <optional>
#include <thread>

#include "harness/capacity.h"
#include "harness/metrics.h"
#include "harness/run.h"
#include "harness/scenario.h"
#include "harness/sweep.h"
#include "harness/thresholds.h"
#include "reports/summary.h"
#include "sim/student_t.h"

namespace estate::harness {
namespace {

struct HeadroomProbe {
  double value = 0;
  bool pass = false;
  Json failed = Json::array();   // metrics of the failed thresholds (or "integrity")
  Json resources = Json::object();
};

struct HeadroomSeed {
  std::uint64_t seed = 0;
  std::optional<HeadroomProbe> good, bad;  // the passing and failing sides of the boundary, when found
  std::vector<HeadroomProbe> probes;
};

std::string format_value(double v, bool integer, const std::string& unit) {
  if (integer) return std::to_string(static_cast<long long>(std::llround(v))) + unit;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return std::string(buf) + unit;
}


// What a headroom search moves: the path, whether it is a load (searched upward from 1 when no
// range is given) or a resource (a range is needed), and the range with its unit.
struct SearchRange {
  std::string path;
  bool is_load = true;
  std::optional<double> lo, hi;
  std::string unit;
  bool integer = false;  // a resource range written in whole numbers
};

SearchRange parse_search(const std::string& vary) {
  SearchRange r;
  const auto eq = vary.find('=');
  r.path = eq == std::string::npos ? vary : vary.substr(0, eq);
  r.is_load = parse_vary(r.path + "=1").role == "load";
  if (eq == std::string::npos) {
    if (!r.is_load) throw InputError("--vary", "", vary + ": a resource needs a range to search: PATH=LOW..HIGH, like " + r.path + "=1..64");
    return r;
  }
  const std::string range = vary.substr(eq + 1);
  const auto dots = range.find("..");
  if (dots == std::string::npos || range.find(" step ") != std::string::npos)
    throw InputError("--vary", "", vary + ": expected PATH=LOW..HIGH (a range to search, no step), like erp.quota.rate=100/min..2000/min");
  const Axis a = parse_vary(r.path + "=" + range.substr(0, dots) + "," + range.substr(dots + 2));
  const auto l = split_number(a.values[0]), h = split_number(a.values[1]);
  if (a.role == "setting" || !l || !h) throw InputError("--vary", "", vary + ": expected numbers (with one unit) at both ends");
  if (l->second != h->second)
    throw InputError("--vary", "", vary + ": expected the same unit at both ends, got \"" + l->second + "\" and \"" + h->second + "\"");
  if (!(h->first > l->first)) throw InputError("--vary", "", vary + ": the range is empty: " + a.values[1] + " is not above " + a.values[0]);
  r.lo = l->first;
  r.hi = h->first;
  r.unit = l->second;
  r.integer = !r.is_load && a.values[0].find('.') == std::string::npos && a.values[1].find('.') == std::string::npos;
  return r;
}

}  // namespace

Json find_headroom(const HeadroomOptions& o) {
  const SearchRange range = parse_search(o.vary);
  const std::string& path = range.path;
  const bool is_load = range.is_load, integer = range.integer;
  const std::optional<double> lo = range.lo, hi = range.hi;
  const std::string& unit = range.unit;
  if (!(o.tolerance > 0 && o.tolerance < 1)) throw InputError("--tolerance", "", "expected a percentage above 0% and below 100%");

  auto scenario_at = [&](double v) {
    return scenario_with(o.document, o.file, o.sets, o.thresholds, {path + "=" + format_value(v, integer, unit)}, "--vary");
  };
  // Check the input before any run: a value the path takes, and thresholds to judge.
  const Scenario first = scenario_at(lo.value_or(1.0));
  if (first.thresholds.empty())
    throw InputError(o.file, "/thresholds", "headroom needs thresholds to hold: add them to the scenario or pass --threshold \"METRIC OP VALUE\"");
  if (hi) (void)scenario_at(*hi);

  auto probe = [&](double v, std::uint64_t seed) {
    RunOptions ro;
    ro.seed = seed;
    const RunResult r = run_scenario(scenario_at(v), ro);
    HeadroomProbe p;
    p.value = v;
    p.pass = r.exit_code == kExitOk;
    if (!r.report["verdict"]["integrity_ok"].get<bool>()) p.failed.push_back("integrity");
    if (r.report.contains("thresholds"))
      for (const auto& t : r.report["thresholds"])
        if (t["verdict"] == "fail") p.failed.push_back(t["metric"]);
    p.resources = resource_use(r.report);
    return p;
  };
  auto close_enough = [&](double a, double b) {
    const double width = o.tolerance * std::min(std::abs(a), std::abs(b));
    return std::abs(b - a) <= (integer ? std::max(1.0, width) : width);
  };

  std::vector<HeadroomSeed> results(o.seeds.size());
  auto search = [&](std::size_t k) {
    HeadroomSeed& res = results[k];
    res.seed = o.seeds[k];
    auto run = [&](double v) {
      res.probes.push_back(probe(v, res.seed));
      return res.probes.back();
    };
    // pass side and fail side: for a load, pass below; for a resource, pass above.
    std::optional<HeadroomProbe> good, bad;
    if (lo && hi) {
      const HeadroomProbe a = run(is_load ? *lo : *hi);
      if (!a.pass) {
        res.bad = a;
        return;
      }
      const HeadroomProbe b = run(is_load ? *hi : *lo);
      if (b.pass) {
        res.good = b;
        return;
      }
      good = a;
      bad = b;
    } else {  // demand.scale from 1, doubling or halving until the boundary is bracketed
      HeadroomProbe p = run(1.0);
      const double factor = p.pass ? 2.0 : 0.5;
      for (;;) {
        (p.pass ? good : bad) = p;
        if (good && bad) break;
        const double next = p.value * factor;
        if (next > 1000 || next < 0.001) {
          res.good = good;
          res.bad = bad;
          return;
        }
        p = run(next);
      }
    }
    while (!close_enough(good->value, bad->value)) {
      double mid = (good->value + bad->value) / 2;
      if (integer) mid = std::floor(mid);
      if (mid == good->value || mid == bad->value) break;
      const HeadroomProbe p = run(mid);
      (p.pass ? good : bad) = p;
    }
    res.good = good;
    res.bad = bad;
  };
  unsigned jobs = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(o.seeds.size()));
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t k = next++; k < o.seeds.size(); k = next++) search(k);
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();

  // Across seeds.
  Json per_seed = Json::array();
  std::vector<double> answers;
  std::map<std::string, int> breaks;
  std::map<std::string, std::vector<double>> peaks;
  std::map<std::string, Json> windows;
  std::size_t unbracketed = 0;
  for (const auto& r : results) {
    Json probes = Json::array();
    for (const auto& p : r.probes) probes.push_back({{"value", format_value(p.value, integer, unit)}, {"pass", p.pass}, {"failed", p.failed}});
    const bool bracketed = r.good && r.bad;
    per_seed.push_back({{"seed", r.seed},
                        {"holds_at", r.good ? Json(format_value(r.good->value, integer, unit)) : Json(nullptr)},
                        {"fails_at", r.bad ? Json(format_value(r.bad->value, integer, unit)) : Json(nullptr)},
                        {"probes", probes}});
    if (!bracketed) {
      ++unbracketed;
      continue;
    }
    answers.push_back(r.good->value);
    for (const auto& f : r.bad->failed) ++breaks[f.get<std::string>()];
    for (const auto& [name, use] : r.bad->resources.items()) {
      peaks[name].push_back(use.value("peak_utilization", 0.0));
      if (!windows.count(name)) windows[name] = use["window"];
    }
  }
  const std::string what = is_load ? (path == "demand.scale" ? "today's demand" : path) : path;
  Json out = {{"estate_headroom", 1},
              {"scenario", first.name},
              {"file", o.file},
              {"path", path},
              {"kind", is_load ? "load" : "resource"},
              {"seeds", o.seeds},
              {"tolerance", o.tolerance},
              {"method", std::string("bisection per seed (common random numbers) until the passing and failing values are within ") +
                             reports::plain_number(o.tolerance * 100) + "%" + (integer ? " (whole numbers: at least 1)" : "") +
                             "; the answer is the mean of the seeds' last passing values, with a 95% t-interval over the seeds"}};
  Json thresholds = Json::array();
  for (const auto& t : first.thresholds) thresholds.push_back(t.metric + " " + t.limit_text);
  out["thresholds"] = thresholds;
  if (unbracketed > 0) {
    const auto& r = results.front();
    std::string answer;
    if (!r.good) answer = "fails even at " + (r.bad ? format_value(r.bad->value, integer, unit) : std::string("the first value")) + ": nothing tried holds every threshold";
    else answer = "holds even at " + format_value(r.good->value, integer, unit) + ": no value tried breaks a threshold";
    if (unbracketed < results.size()) answer = std::to_string(unbracketed) + " of " + std::to_string(results.size()) + " seeds: " + answer;
    out["answer"] = "headroom of " + path + " not bracketed: " + answer;
    out["bracketed"] = false;
    out["per_seed"] = per_seed;
    return out;
  }
  double mean = 0;
  for (double a : answers) mean += a;
  mean /= static_cast<double>(answers.size());
  double sq = 0;
  for (double a : answers) sq += (a - mean) * (a - mean);
  const double n = static_cast<double>(answers.size());
  const double half = answers.size() > 1 ? sim::t975(answers.size() - 1) * std::sqrt(sq / (n - 1)) / std::sqrt(n) : 0.0;
  std::string first_break = "integrity";
  int most = -1;
  for (const auto& t : first.thresholds)  // ties: the first listed
    if (breaks.count(t.metric) && breaks[t.metric] > most) {
      most = breaks[t.metric];
      first_break = t.metric;
    }
  std::string bottleneck;
  double peak = -1;
  for (const auto& [name, v] : peaks) {
    double m = 0;
    for (double x : v) m += x;
    m /= static_cast<double>(v.size());
    if (m > peak) {
      peak = m;
      bottleneck = name;
    }
  }
  auto shown = [&](double v) { return integer ? format_value(std::round(v), true, unit) : format_value(v, false, unit); };
  std::string answer = is_load ? "holds " + reports::plain_number(mean, 3) + (path == "demand.scale" ? "\xC3\x97 " : " of ") + what
                               : "needs " + path + " >= " + shown(mean);
  if (is_load && path != "demand.scale") answer = "holds " + path + " up to " + shown(mean);
  if (answers.size() > 1) answer += " (95% CI " + (integer ? shown(mean - half) : reports::plain_number(mean - half, 3)) + "\xE2\x80\x93" + (integer ? shown(mean + half) : reports::plain_number(mean + half, 3)) + ")";
  answer += "; the first threshold to break is " + first_break;
  if (!bottleneck.empty()) {
    answer += std::string(is_load ? "; the bottleneck is " : "; the busiest resource there is ") + bottleneck + " (" + reports::plain_number(peak * 100, 3) + "% used at peak";
    if (windows[bottleneck].is_string()) answer += ", in the " + windows[bottleneck].get<std::string>() + " window";
    answer += ")";
  }
  out["bracketed"] = true;
  out["value"] = round6(mean);
  out["low"] = round6(mean - half);
  out["high"] = round6(mean + half);
  out["unit"] = unit;
  out["first_to_break"] = first_break;
  out["bottleneck"] = bottleneck.empty() ? Json(nullptr) : Json({{"resource", bottleneck}, {"peak_utilization", round6(peak)}, {"window", windows[bottleneck]}});
  out["answer"] = answer;
  out["per_seed"] = per_seed;
  return out;
}

}  // namespace estate::harness

#include "harness/replicate.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string_view>
#include <thread>

#include "harness/metrics.h"
#include "harness/thresholds.h"
#include "sim/student_t.h"

namespace estate::harness {

std::vector<std::uint64_t> replication_seeds(std::uint64_t base, unsigned n) {
  std::vector<std::uint64_t> out;
  for (unsigned i = 0; i < n; ++i) out.push_back(base + i);
  return out;
}

double t975(std::size_t df) { return sim::t975(df); }

namespace {

// The figures a decision rests on: each gets an interval in "replications". A pattern is a
// JSON pointer whose segments are "*" (any one), "a|b" (one of them) or a key.
bool matches(const std::string& pointer, std::string_view pattern) {
  auto split = [](std::string_view text) {
    std::vector<std::string_view> out;
    for (std::size_t start = 1; start <= text.size();) {
      const std::size_t slash = std::min(text.find('/', start), text.size());
      out.push_back(text.substr(start, slash - start));
      start = slash + 1;
    }
    return out;
  };
  const auto have = split(pointer), want = split(pattern);
  if (have.size() != want.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "*") continue;
    bool any = false;
    for (std::size_t start = 0; start <= want[i].size() && !any;) {
      const std::size_t bar = std::min(want[i].find('|', start), want[i].size());
      any = want[i].substr(start, bar - start) == have[i];
      start = bar + 1;
    }
    if (!any) return false;
  }
  return true;
}

bool headline(const std::string& p) {
  static constexpr std::string_view kPatterns[] = {
      "/latency/*/p50_s|p90_s|p99_s|mean_s",
      "/latency/*/by_channel|by_location/*/p50_s|p99_s",
      "/oversell/rate|order_rate",
      "/oversell/by_channel|by_location|by_sku_class/*/rate",
      "/reconciliation/settled_variance|peak_variance|peak_channel_view_variance",
      "/integrity/lost_orders|duplicate_effects",
      "/retries/total|erp_429",
      "/retries/erp_calls/by_flow/*/erp_429",
      "/outages/*/recover_s",
      "/windows/*/during|after/latency/*/p99_s",
      "/windows/*/during|after/oversell/rate",
      "/windows/*/during|after/calls/erp_429",
  };
  for (auto pattern : kPatterns)
    if (matches(p, pattern)) return true;
  return false;
}

// Replaces every number in `pooled` (the sections thresholds read, not series or
// distributions) by the mean over the runs, and every true/false by "all of them".
void average_leaves(Json& pooled, const std::vector<const Json*>& runs, const std::string& pointer) {
  if (pooled.is_object()) {
    for (auto& [k, v] : pooled.items()) {
      if (k == "series" || k == "distribution" || k == "sampled" || k == "plot_windows") continue;
      average_leaves(v, runs, pointer + "/" + json_pointer_escape(k));
    }
    return;
  }
  if (pooled.is_array()) {
    for (std::size_t i = 0; i < pooled.size(); ++i) average_leaves(pooled[i], runs, pointer + "/" + std::to_string(i));
    return;
  }
  if (!pooled.is_number() && !pooled.is_boolean()) return;
  const nlohmann::json::json_pointer ptr(pointer);
  double sum = 0;
  bool all = true;
  for (const Json* r : runs) {
    if (!r->contains(ptr)) return;  // a figure some seed lacks is left as the first seed's
    const Json& v = r->at(ptr);
    if (pooled.is_boolean()) {
      if (!v.is_boolean()) return;
      all = all && v.get<bool>();
    } else {
      if (!v.is_number()) return;
      sum += v.get<double>();
    }
  }
  if (pooled.is_boolean()) pooled = all;
  else pooled = round6(sum / static_cast<double>(runs.size()));
}

}  // namespace

RunResult pool_runs(const Scenario& sc, std::vector<RunResult> runs, const RunOptions& options) {
  if (runs.size() == 1) return std::move(runs.front());
  RunResult out;
  Json pooled = runs.front().report;
  std::vector<const Json*> reports;
  for (const auto& r : runs) reports.push_back(&r.report);
  for (const char* section : {"latency", "oversell", "reconciliation", "integrity", "retries", "stages", "quota", "outages", "windows", "run"})
    if (pooled.contains(section)) average_leaves(pooled[section], reports, std::string("/") + section);
  // Latency from the merged histograms: percentiles of all the seeds' samples together.
  for (std::size_t h = 0; h < runs.front().histograms.size(); ++h) {
    sim::Histogram merged;
    for (const auto& r : runs)
      if (h < r.histograms.size() && r.histograms[h].first == runs.front().histograms[h].first) merged.merge(r.histograms[h].second);
    const nlohmann::json::json_pointer ptr(runs.front().histograms[h].first);
    if (!pooled.contains(ptr)) continue;
    Json& target = pooled[ptr];
    const Json summary = latency_summary(merged);
    for (const auto& [k, v] : summary.items()) target[k] = v;
  }
  std::vector<std::uint64_t> seeds;
  for (const auto& r : runs) seeds.push_back(r.report["scenario"]["seed"].get<std::uint64_t>());
  pooled["scenario"]["seeds"] = seeds;

  // Intervals: headline figures and every thresholded one.
  std::vector<std::string> wanted;
  for (const auto& t : sc.thresholds) wanted.push_back(t.pointer);
  Json intervals = Json::object();
  const double n = static_cast<double>(runs.size());
  for (const auto& [pointer, value] : numeric_metrics(pooled)) {
    if (!headline(pointer) && std::find(wanted.begin(), wanted.end(), pointer) == wanted.end()) continue;
    const nlohmann::json::json_pointer ptr(pointer);
    Json per_seed = Json::array();
    double sum = 0, sq = 0;
    bool complete = true;
    for (const Json* r : reports) {
      if (!r->contains(ptr) || !r->at(ptr).is_number()) {
        complete = false;
        break;
      }
      const double v = r->at(ptr).get<double>();
      per_seed.push_back(v);
      sum += v;
    }
    if (!complete) continue;
    const double mean = sum / n;
    for (const auto& v : per_seed) sq += (v.get<double>() - mean) * (v.get<double>() - mean);
    const double sd = std::sqrt(sq / (n - 1));
    const double half = t975(runs.size() - 1) * sd / std::sqrt(n);
    // A figure that cannot be negative (every seed's is not) keeps its interval at or above 0.
    bool nonnegative = true;
    for (const auto& v : per_seed) nonnegative = nonnegative && v.get<double>() >= 0;
    intervals[pointer] = {{"value", round6(value)},
                          {"low", round6(nonnegative ? std::max(0.0, value - half) : value - half)},
                          {"high", round6(value + half)},
                          {"half_width", round6(half)},
                          {"sd", round6(sd)},
                          {"per_seed", per_seed}};
  }
  pooled["replications"] = {
      {"n", runs.size()},
      {"seeds", seeds},
      {"confidence", 0.95},
      {"method", "latency figures from the seeds' histograms merged; other figures are means over seeds; intervals are "
                 "value +- t(0.975, n-1) * sd / sqrt(n) over the seeds' own values"},
      {"intervals", intervals}};

  // The verdict: integrity must hold in every seed; thresholds are judged on the pooled figures.
  bool integrity_ok = true, partial = false;
  Json integrity_reasons = Json::array(), warnings = Json::array();
  int exit_code = kExitOk;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Json& v = runs[i].report["verdict"];
    integrity_ok = integrity_ok && v["integrity_ok"].get<bool>();
    partial = partial || v.value("partial", false);
    const std::string who = "seed " + std::to_string(seeds[i]) + ": ";
    for (const auto& r : v["integrity_reasons"]) integrity_reasons.push_back(who + r.get<std::string>());
    for (const auto& w : v["warnings"]) {
      const bool shared = std::find(options.warnings.begin(), options.warnings.end(), w.get<std::string>()) != options.warnings.end();
      const std::string text = shared ? w.get<std::string>() : who + w.get<std::string>();
      if (std::find(warnings.begin(), warnings.end(), text) == warnings.end()) warnings.push_back(text);
    }
    if (runs[i].exit_code == kExitIntegrity) exit_code = kExitIntegrity;
  }
  if (partial && exit_code == kExitOk) exit_code = kExitGate;
  std::uint64_t failed = 0;
  Json reasons = integrity_reasons;
  pooled.erase("thresholds");
  if (!sc.thresholds.empty()) {
    pooled["thresholds"] = evaluate_thresholds(sc.thresholds, pooled, options.baseline_metrics, options.max_regression);
    for (const auto& t : pooled["thresholds"])
      if (t["verdict"] == "fail") {
        ++failed;
        reasons.push_back(t["message"]);
      }
  }
  if (failed > 0 && exit_code == kExitOk) exit_code = kExitGate;
  pooled["verdict"] = {{"integrity_ok", integrity_ok},
                       {"partial", partial},
                       {"thresholds", sc.thresholds.size()},
                       {"thresholds_failed", failed},
                       {"exit_code", exit_code},
                       {"reasons", reasons},
                       {"integrity_reasons", integrity_reasons},
                       {"warnings", warnings}};
  out.exit_code = exit_code;
  for (const auto& r : runs) {
    out.wall_s = std::max(out.wall_s, r.wall_s);
    out.events += r.events;
  }
  out.report = std::move(pooled);
  return out;
}

std::vector<RunResult> run_replicated(const std::vector<Scenario>& scenarios, const std::vector<RunOptions>& options,
                                      unsigned seeds, unsigned jobs, std::vector<std::vector<Json>>* per_seed) {
  seeds = std::max(1u, seeds);
  struct Job {
    std::size_t scenario;
    std::uint64_t seed;
  };
  std::vector<Job> work;
  for (std::size_t i = 0; i < scenarios.size(); ++i)
    for (std::uint64_t s : replication_seeds(options[i].seed.value_or(scenarios[i].seed), seeds)) work.push_back({i, s});
  std::vector<RunResult> runs(work.size());
  if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(work.size()));
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t k = next++; k < work.size(); k = next++) {
      RunOptions o = options[work[k].scenario];
      o.progress = nullptr;
      o.seed = work[k].seed;
      o.keep_histograms = seeds > 1;
      runs[k] = run_scenario(scenarios[work[k].scenario], o);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  std::vector<RunResult> out;
  if (per_seed) per_seed->assign(scenarios.size(), {});
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    std::vector<RunResult> mine;
    for (std::size_t k = 0; k < work.size(); ++k)
      if (work[k].scenario == i) {
        if (per_seed && seeds > 1) (*per_seed)[i].push_back(runs[k].report);
        mine.push_back(std::move(runs[k]));
      }
    out.push_back(pool_runs(scenarios[i], std::move(mine), options[i]));
  }
  return out;
}

}  // namespace estate::harness

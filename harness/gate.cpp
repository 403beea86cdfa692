#include "harness/gate.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness/thresholds.h"

namespace estate::harness {
namespace fs = std::filesystem;

std::vector<std::string> expand_suite(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(in, ec))
        if (e.is_regular_file() && e.path().extension() == ".json" && e.path().filename() != "schema.json")
          found.push_back(e.path().string());
      std::sort(found.begin(), found.end());
      if (found.empty()) throw InputError(in, "", "expected a folder of scenario files (*.json), found none");
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(in, ec)) {
      files.push_back(in);
    } else {
      throw InputError(in, "", "cannot read the file or folder");
    }
  }
  if (files.empty()) throw InputError("gate", "", "expected at least one scenario file or folder");
  return files;
}

std::vector<RunResult> run_suite(const std::vector<Scenario>& scenarios, const std::vector<RunOptions>& options, unsigned jobs) {
  std::vector<RunResult> results(scenarios.size());
  if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(scenarios.size()));
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < scenarios.size(); i = next++) {
      RunOptions o = options[i];
      o.progress = nullptr;
      results[i] = run_scenario(scenarios[i], o);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return results;
}

Json make_baseline(const std::vector<Json>& reports) {
  Json scenarios = Json::object();
  for (const auto& r : reports) {
    Json metrics = Json::object();
    for (const auto& [pointer, value] : numeric_metrics(r)) metrics[pointer] = value;
    const std::string name = r["scenario"]["name"].get<std::string>();
    if (scenarios.contains(name))
      throw InputError(r["scenario"]["file"].get<std::string>(), "/scenario/name",
                       "expected one report per scenario; \"" + name + "\" appears twice");
    scenarios[name] = {{"file_hash", r["scenario"]["file_hash"]},
                       {"seed", r["scenario"]["seed"]},
                       {"overrides", r["scenario"].value("overrides", Json::array())},
                       {"metrics", metrics}};
  }
  return {{"estate_baseline", 1}, {"scenarios", scenarios}};
}

namespace {
Json read_json_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file, "", "cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return Json::parse(text.str(), nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(file, "", std::string("not valid JSON (") + e.what() + ")");
  }
}
}  // namespace

Json load_baseline(const std::string& file) {
  Json b = read_json_file(file);
  if (!b.is_object() || !b.contains("estate_baseline") || !b.contains("scenarios") || !b["scenarios"].is_object())
    throw InputError(file, "", "expected a baseline written by 'estate baseline' (with estate_baseline and scenarios), got something else");
  if (b["estate_baseline"] != 1)
    throw InputError(file, "/estate_baseline", "expected baseline format 1, got " + describe_json(b["estate_baseline"]));
  for (const auto& [name, s] : b["scenarios"].items()) {
    if (!s.is_object() || !s.contains("metrics") || !s["metrics"].is_object() || !s.contains("file_hash"))
      throw InputError(file, "/scenarios/" + json_pointer_escape(name), "expected file_hash and metrics");
    for (const auto& [p, v] : s["metrics"].items())
      if (!v.is_number())
        throw InputError(file, "/scenarios/" + json_pointer_escape(name) + "/metrics/" + json_pointer_escape(p),
                         "expected a number, got " + describe_json(v));
  }
  return b;
}

const Json& baseline_for(const Json& baseline, const std::string& file, const Scenario& sc) {
  const Json& all = baseline["scenarios"];
  if (!all.contains(sc.name)) {
    std::string names;
    for (const auto& [n, _] : all.items()) names += (names.empty() ? "" : ", ") + n;
    throw InputError(file, "/scenarios", "expected a baseline for scenario \"" + sc.name + "\"; this baseline was recorded from: " + names);
  }
  const Json& entry = all[sc.name];
  if (entry["file_hash"] != sc.file_hash)
    throw InputError(file, "/scenarios/" + json_pointer_escape(sc.name) + "/file_hash",
                     "expected " + sc.file_hash + " (the hash of " + sc.file + "), got " + describe_json(entry["file_hash"]) +
                         ": the baseline was recorded from a different version of this scenario; re-record it with 'estate baseline'");
  if (entry.contains("seed") && entry["seed"] != sc.seed)
    throw InputError(file, "/scenarios/" + json_pointer_escape(sc.name) + "/seed",
                     "expected seed " + std::to_string(sc.seed) + " (the scenario's), got " + describe_json(entry["seed"]) +
                         ": the baseline was recorded with another seed, so its figures are other dice's");
  return entry["metrics"];
}

Json load_report(const std::string& file) {
  Json r = read_json_file(file);
  for (const char* key : {"scenario", "latency", "oversell", "reconciliation", "integrity", "verdict"})
    if (!r.is_object() || !r.contains(key) || !r[key].is_object())
      throw InputError(file, "", std::string("expected a report.json written by 'estate run' (it has no \"") + key + "\" object)");
  for (const char* key : {"name", "seed", "file_hash"})
    if (!r["scenario"].contains(key)) throw InputError(file, "/scenario", std::string("expected a report with scenario.") + key);
  return r;
}

}  // namespace estate::harness

#include "harness/gate.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
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

BaselineStamp baseline_stamp(const std::string& path) {
  BaselineStamp stamp;
  std::error_code ec;
  fs::path dir = fs::is_directory(path, ec) ? fs::path(path) : fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::string quoted = "'";
  for (char c : dir.string()) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  if (FILE* p = ::popen(("git -C " + quoted + " rev-parse HEAD 2>/dev/null").c_str(), "r")) {
    char buf[128] = {};
    if (std::fgets(buf, sizeof buf, p)) stamp.commit = buf;
    ::pclose(p);
  }
  while (!stamp.commit.empty() && (stamp.commit.back() == '\n' || stamp.commit.back() == '\r')) stamp.commit.pop_back();
  if (stamp.commit.find_first_not_of("0123456789abcdef") != std::string::npos) stamp.commit.clear();
  for (const char* var : {"GITHUB_SHA", "CI_COMMIT_SHA"})
    if (stamp.commit.empty() && std::getenv(var)) stamp.commit = std::getenv(var);
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  stamp.date = buf;
  return stamp;
}

Json make_baseline(const std::vector<Json>& reports, const BaselineStamp& stamp) {
  Json scenarios = Json::object();
  for (const auto& r : reports) {
    Json metrics = Json::object();
    for (const auto& [pointer, value] : numeric_metrics(r)) metrics[pointer] = value;
    const std::string name = r["scenario"]["name"].get<std::string>();
    if (scenarios.contains(name))
      throw InputError(r["scenario"]["file"].get<std::string>(), "/scenario/name",
                       "expected one report per scenario; \"" + name + "\" appears twice");
    Json entry = {{"file_hash", r["scenario"]["file_hash"]},
                  {"seed", r["scenario"]["seed"]},
                  {"seeds", r["scenario"].value("seeds", Json::array({r["scenario"]["seed"]}))},
                  {"overrides", r["scenario"].value("overrides", Json::array())},
                  {"metrics", metrics}};
    // With replications, each headline metric's per-seed values: what a gate needs to tell a
    // regression from noise.
    if (r.contains("replications")) {
      Json per_seed = Json::object();
      for (const auto& [pointer, iv] : r["replications"]["intervals"].items()) per_seed[pointer] = iv["per_seed"];
      entry["per_seed"] = per_seed;
    }
    scenarios[name] = std::move(entry);
  }
  return {{"estate_baseline", 2},
          {"estate_version", ESTATE_VERSION},
          {"commit", stamp.commit.empty() ? Json(nullptr) : Json(stamp.commit)},
          {"recorded_at", stamp.date},
          {"scenarios", scenarios}};
}

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

Json load_baseline(const std::string& file) {
  Json b = read_json_file(file);
  if (!b.is_object() || !b.contains("estate_baseline") || !b.contains("scenarios") || !b["scenarios"].is_object())
    throw InputError(file, "", "expected a baseline written by 'estate baseline' (with estate_baseline and scenarios), got something else");
  if (b["estate_baseline"] != 1 && b["estate_baseline"] != 2)
    throw InputError(file, "/estate_baseline", "expected baseline format 1 or 2, got " + describe_json(b["estate_baseline"]));
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

const Json& baseline_for(const Json& baseline, const std::string& file, const Scenario& sc, bool strict,
                         std::vector<std::string>& warnings) {
  const Json& all = baseline["scenarios"];
  if (!all.contains(sc.name)) {
    std::string names;
    for (const auto& [n, _] : all.items()) names += (names.empty() ? "" : ", ") + n;
    throw InputError(file, "/scenarios", "expected a baseline for scenario \"" + sc.name + "\"; this baseline was recorded from: " + names);
  }
  const Json& entry = all[sc.name];
  const std::string where = "/scenarios/" + json_pointer_escape(sc.name);
  // A design change is what a pull request is for: an edited scenario is compared metric by
  // metric and said so; --strict refuses it.
  if (entry["file_hash"] != sc.file_hash) {
    if (strict)
      throw InputError(file, where + "/file_hash",
                       "expected " + sc.file_hash + " (the hash of " + sc.file + "), got " + describe_json(entry["file_hash"]) +
                           ": the baseline was recorded from a different version of this scenario (--strict); re-record it with 'estate baseline'");
    warnings.push_back("the scenario file changed since the baseline was recorded (" + sc.file +
                       "): its metrics are compared one by one with the old design's");
  }
  if (entry.contains("seed") && entry["seed"] != sc.seed) {
    if (strict)
      throw InputError(file, where + "/seed",
                       "expected seed " + std::to_string(sc.seed) + " (the scenario's), got " + describe_json(entry["seed"]) +
                           ": the baseline was recorded with another seed, so its figures are other dice's (--strict)");
    warnings.push_back("the baseline was recorded with seed " + entry["seed"].dump() + ", this run uses " +
                       std::to_string(sc.seed) + ": the comparison is not paired, seed by seed");
  }
  return entry;
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

#pragma once
// Suites and baselines for the gate (the runs themselves: harness/replicate.h).
#include <string>
#include <vector>

#include "harness/run.h"
#include "harness/scenario.h"

namespace estate::harness {

// Scenario files of a suite: each directory's *.json (schema.json excepted), in name order,
// then files as given. InputError when a path does not exist or a directory has none.
std::vector<std::string> expand_suite(const std::vector<std::string>& inputs);

// What a baseline records about where it came from.
struct BaselineStamp {
  std::string commit;  // of the repository the scenarios live in, when there is one
  std::string date;    // UTC, ISO 8601
};
// The commit of the git repository holding `path` (empty when none), and the date now.
BaselineStamp baseline_stamp(const std::string& path);

// A baseline: per scenario, the numeric metrics of a report, the hash of the scenario file it
// came from, its seeds, and (replicated reports) every headline metric's per-seed values.
Json make_baseline(const std::vector<Json>& reports, const BaselineStamp& stamp);
// Loads and checks a baseline file (InputError on a malformed file).
Json load_baseline(const std::string& file);
// The baseline entry for a scenario (metrics, per_seed, seeds). InputError when the baseline
// has no such scenario; when it was recorded from another version of the file or another
// seed, a warning (InputError with `strict`).
const Json& baseline_for(const Json& baseline, const std::string& baseline_file, const Scenario& scenario, bool strict,
                         std::vector<std::string>& warnings);

// Reads a JSON file (comments allowed); InputError when it cannot be read or parsed.
Json read_json_file(const std::string& file);
// Loads a report.json (InputError on anything else).
Json load_report(const std::string& file);

}  // namespace estate::harness

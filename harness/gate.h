#pragma once
// Suites, baselines and the gate: run several scenarios (in parallel, one per core; each
// run is independent and deterministic, so results are identical to serial runs), evaluate
// every threshold, compare with a baseline, and write one combined junit.xml and summary.md.
#include <string>
#include <vector>

#include "harness/run.h"
#include "harness/scenario.h"

namespace estate::harness {

// Scenario files of a suite: each directory's *.json (schema.json excepted), in name order,
// then files as given. InputError when a path does not exist or a directory has none.
std::vector<std::string> expand_suite(const std::vector<std::string>& inputs);

// Runs scenarios on `jobs` threads (0: one per core), each with its own options (a
// baseline differs per scenario); results in input order.
std::vector<RunResult> run_suite(const std::vector<Scenario>& scenarios, const std::vector<RunOptions>& options, unsigned jobs);

// A baseline: per scenario, the numeric metrics of a report and the hash of the scenario
// file it came from.
Json make_baseline(const std::vector<Json>& reports);
// Loads and checks a baseline file (InputError on a malformed file).
Json load_baseline(const std::string& file);
// The baseline metrics for a scenario; InputError when the baseline has no such scenario or
// was recorded from a different version of its file.
const Json& baseline_for(const Json& baseline, const std::string& baseline_file, const Scenario& scenario);

// Loads a report.json (InputError on anything else).
Json load_report(const std::string& file);

}  // namespace estate::harness

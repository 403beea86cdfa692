#pragma once
// Replications: a scenario run on N seeds (in parallel; each run is independent and
// deterministic), pooled into one report. Latency figures come from the seeds' histograms
// merged (so a p99 rests on N times the samples); every other number is the mean over seeds;
// true/false figures hold only if they hold in every seed. The "replications" section gives,
// for every headline metric and every thresholded one, a 95% confidence interval around the
// reported value (Student's t over the seeds' own values) and those values, which a baseline
// keeps so a gate can tell a regression from noise (paired seeds: see thresholds.h).
#include <cstdint>
#include <vector>

#include "harness/run.h"
#include "harness/scenario.h"

namespace estate::harness {

// base, base + 1, ..., base + n - 1.
std::vector<std::uint64_t> replication_seeds(std::uint64_t base, unsigned n);

// Runs every (scenario, seed) pair on `jobs` threads (0: one per core) and pools each
// scenario's runs. With one seed a scenario's result is its plain run. `per_seed` (optional)
// receives every run's report, by scenario then seed.
std::vector<RunResult> run_replicated(const std::vector<Scenario>& scenarios, const std::vector<RunOptions>& options,
                                      unsigned seeds, unsigned jobs, std::vector<std::vector<Json>>* per_seed = nullptr);

// Pools finished runs of one scenario (kept histograms, different seeds) into one report, and
// evaluates its thresholds and verdict on it.
RunResult pool_runs(const Scenario& scenario, std::vector<RunResult> runs, const RunOptions& options);

// The two-sided 95% quantile of Student's t with `df` degrees of freedom.
double t975(std::size_t df);

}  // namespace estate::harness

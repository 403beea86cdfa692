#pragma once
// Runs a scenario in simulated time: builds the estate (mocks, pipeline, links), plays the
// timeline, drains, and returns the canonical report (report.json's content).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/order_log.h"
#include "harness/reader.h"
#include "harness/scenario.h"
#include "sim/histogram.h"
#include "sim/time.h"

namespace estate::harness {

inline constexpr int kExitOk = 0;
inline constexpr int kExitGate = 1;
inline constexpr int kExitInput = 2;
inline constexpr int kExitIntegrity = 3;

struct RunOptions {
  std::optional<std::uint64_t> seed;
  // The baseline's entry for this scenario (harness/gate.h: metrics by report pointer, and per
  // seed values when it was recorded with replications), for regression checks.
  const Json* baseline_metrics = nullptr;
  // Notes for the verdict's warnings (an edited scenario compared with its baseline, ...).
  std::vector<std::string> warnings;
  bool keep_histograms = false;  // keep the latency histograms in RunResult (for pooling)
  double max_regression = 0.10;
  bool timing = false;  // put wall-clock figures into the report (it is then not reproducible)
  std::function<void(double)> progress;  // fraction of the scenario's duration simulated
  OrderRecorder* record_orders = nullptr;  // collects the run's demand (every customer's order)
};

struct RunResult {
  Json report;
  std::vector<std::pair<std::string, sim::Histogram>> histograms;  // by report pointer, when kept
  int exit_code = kExitOk;
  double wall_s = 0;
  std::uint64_t events = 0;
};

RunResult run_scenario(const Scenario& scenario, const RunOptions& options);

class Estate;
struct RunFacts;
}  // namespace estate::harness
namespace estate::hosts {
class Host;
}
namespace estate::harness {

struct DriveOptions {
  std::function<void(double)> progress;
  // Whether the pipeline can be asked for one last reconciliation at the end of the drain
  // (a foreign pipeline cannot).
  bool can_reconcile = true;
  // How far the drain advances between checks for quiescence.
  sim::Tick drain_step = sim::seconds(1);
};
// The limit besides the event budget (limits.*) the run has gone past ("max_orders",
// "max_documents_mb"), or "".
std::string limit_reached(Estate& estate, const hosts::Host& host);
// Plays an installed estate on a host: the scenario's duration, then the drain until every
// system is quiescent (or drain.max), sampling series on the way.
RunFacts drive(Estate& estate, hosts::Host& host, const DriveOptions& options);

// Hands every customer's order the estate's channels see to `recorder` (none when null).
void record_customers(Estate& estate, OrderRecorder* recorder);

// The report of this estate with nothing simulated: every section and key a real run has,
// so thresholds can be checked before a run starts.
Json report_shape(const Scenario& scenario);
// Resolves the scenario's thresholds against its report shape (InputError if a metric is missing).
void check_thresholds(Scenario& scenario);

}  // namespace estate::harness

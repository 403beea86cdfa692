// Whole-estate runs: a scenario is built (mocks, pipeline, links), its timeline played and
// drained, and the report assembled, exactly as `estate run` does. events_per_s is
// simulator events over wall time (UseRealTime), the figure the README quotes.
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>

#include "harness/reader.h"
#include "harness/run.h"
#include "harness/scenario.h"

namespace {

namespace harness = estate::harness;

// Runs `scenario` once per iteration and reports events/s, events and orders per run.
void run_and_report(benchmark::State& state, const harness::Scenario& scenario) {
  std::uint64_t events = 0;
  double orders = 0;
  int exit_code = harness::kExitOk;
  try {
    for (auto _ : state) {
      const harness::RunResult result = harness::run_scenario(scenario, {});
      events += result.events;
      orders = result.report["run"]["orders_placed"].get<double>();
      exit_code = result.exit_code;
      benchmark::DoNotOptimize(result.events);
    }
  } catch (const std::exception& e) {
    state.SkipWithError((std::string("run failed: ") + e.what()).c_str());
    return;
  }
  const auto total = static_cast<double>(events);
  state.counters["events_per_s"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  state.counters["events"] = benchmark::Counter(total, benchmark::Counter::kAvgIterations);
  state.counters["orders_placed"] = orders;
  state.counters["exit_code"] = exit_code;  // 3 = integrity failure: the run, not the timing, is suspect
}

std::string scenario_path() {
  if (const char* env = std::getenv("ESTATE_BENCH_SCENARIO"); env != nullptr && *env != '\0') return env;
  return "scenarios/steady_state.json";
}

// One full run of a scenario file (ESTATE_BENCH_SCENARIO, else scenarios/steady_state.json): end-to-end throughput.
void BM_EstateRun_File(benchmark::State& state) {
  const std::string path = scenario_path();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    state.SkipWithError(("no scenario file " + path + " (run from the repository root or set ESTATE_BENCH_SCENARIO)").c_str());
    return;
  }
  harness::Scenario scenario;
  try {
    scenario = harness::load_scenario(path, {});
  } catch (const std::exception& e) {
    state.SkipWithError((path + ": " + e.what()).c_str());
    return;
  }
  state.SetLabel(path);
  run_and_report(state, scenario);
}

// A 2 h run of the default estate built in code: needs no files, so there is always an end-to-end figure.
void BM_EstateRun_Default2h(benchmark::State& state) {
  harness::Scenario scenario;
  try {
    const harness::Json doc = {{"duration", "2h"}};
    scenario = harness::parse_scenario(doc, harness::Origin{"bench", {}});
  } catch (const std::exception& e) {
    state.SkipWithError((std::string("in-code scenario: ") + e.what()).c_str());
    return;
  }
  run_and_report(state, scenario);
}

}  // namespace

BENCHMARK(BM_EstateRun_File)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_EstateRun_Default2h)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

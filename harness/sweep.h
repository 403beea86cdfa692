#pragma once
// Capacity planning. A sweep runs a scenario over a grid of values (--vary PATH=VALUES, every
// combination), each point on the same seeds (common random numbers) with replications, and
// reads the points into curves, knees, bottlenecks and recommendations (harness/capacity.h).
//
// The unit of work is one (point, seed) run. A shard runs a deterministic slice of the units
// and writes them whole (report and latency histograms); `estate merge` reads shards however
// they were produced and pools each point exactly as an unsharded sweep does, which itself
// passes every unit through the same written form: the outputs are the same bytes.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "harness/run.h"
#include "harness/scenario.h"

namespace estate::harness {

// One --vary: a scenario path and the values it takes.
struct Axis {
  std::string path;                 // as typed: dotted, or a JSON pointer
  std::vector<std::string> values;  // each as --set takes it: "600/min", "4", "batch"
  std::vector<double> numbers;      // each in base units (per second, seconds); NaN when not a number
  std::string role;                 // "load" (demand.scale, a channel's rate), "resource" (numeric) or "setting"
};
// "PATH=1,2,4,8", "PATH=300/min..1200/min step 150/min", "PATH=event,batch". InputError
// (naming --vary) on an empty list or range, mixed units, a step that does not land on the end.
Axis parse_vary(const std::string& text);
// "300/min" -> (300, "/min"); none when the text does not start with a number.
std::optional<std::pair<double, std::string>> split_number(const std::string& text);
// A scenario document with overrides (`changes`, named `change_flag` in messages) and
// command-line thresholds, validated and its thresholds resolved (InputError otherwise): a
// sweep's point, a headroom probe.
Scenario scenario_with(const Json& document, const std::string& file, const std::vector<std::string>& sets,
                       const std::vector<std::string>& thresholds, const std::vector<std::string>& changes,
                       const std::string& change_flag);

struct SweepSpec {
  std::string file;      // the scenario file as given (it names the outputs)
  Json document;         // the file's JSON, before any override
  std::vector<std::string> sets, thresholds;
  std::vector<Axis> axes;
  std::vector<std::uint64_t> seeds;

  std::size_t points() const;
  std::vector<std::size_t> coords(std::size_t point) const;  // the first axis varies slowest
  std::vector<std::string> assignments(std::size_t point) const;
  std::string point_id(std::size_t point) const;  // "p007"
  // The scenario of a point, validated, its thresholds resolved (InputError otherwise).
  Scenario scenario(std::size_t point) const;
  // Names the sweep: a hash of everything above and of estate's version.
  std::string id() const;
  Json to_json() const;
  static SweepSpec from_json(const Json& j, const std::string& where);
};

// Which units (point * seeds + seed index) a shard runs: those equal to `index` modulo `count`.
struct Shard {
  unsigned index = 0, count = 1;
};
// "I/N" (0 <= I < N), or "N" with I from $JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) or
// $SLURM_ARRAY_TASK_ID minus $SLURM_ARRAY_TASK_MIN (Slurm arrays). InputError otherwise.
Shard parse_shard(const std::string& text);

// One (point, seed) run, as written in a shard.
struct Unit {
  std::size_t point = 0;
  std::uint64_t seed = 0;
  RunResult run;  // report, kept histograms, exit code
};
Json unit_json(const Unit& unit);
Unit unit_from_json(const Json& j, const std::string& where);
// A unit in its written form (compact JSON): what is kept between running or reading and
// pooling, so a large sweep holds text, not every run's parsed report, until its point pools.
struct WrittenUnit {
  std::size_t point = 0;
  std::uint64_t seed = 0;
  std::string json;
};

// Runs the shard's units on `jobs` threads (0: one per core). `scenarios` holds every point's.
std::vector<WrittenUnit> run_units(const SweepSpec& spec, const std::vector<Scenario>& scenarios, Shard shard, unsigned jobs,
                            const std::function<void(std::size_t done, std::size_t total)>& progress = {});

// A shard's file: the sweep it belongs to, which slice, and its units.
std::string shard_text(const SweepSpec& spec, Shard shard, const std::vector<WrittenUnit>& units);

struct SweepResult {
  Json sweep;                    // sweep.json
  std::vector<Json> reports;     // each point's pooled report
  int exit_code = kExitOk;       // worst of the points' (integrity 3, thresholds 1)
};
// Pools every point's units (all of them, any order) and analyses the sweep.
SweepResult assemble_sweep(const SweepSpec& spec, const std::vector<Scenario>& scenarios, std::vector<WrittenUnit> units);
// Writes sweep.json, capacity.md, capacity.html and points/<id>/ (each point's report).
void write_sweep(const std::filesystem::path& dir, const SweepSpec& spec, const SweepResult& result);

// Reads shard files (or folders of them), checks they are of one sweep and one estate
// version and hold every unit exactly once, and returns the spec and the units.
std::pair<SweepSpec, std::vector<WrittenUnit>> read_shards(const std::vector<std::string>& inputs);

}  // namespace estate::harness

#pragma once
// Assembles report.json from a finished run of an estate, whichever host ran it: the
// scenario's identity, the metrics' sections, the stations' figures and series, the
// timeline, the run's own facts and the verdict (integrity, then thresholds).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/estate.h"
#include "harness/reader.h"
#include "harness/run.h"

namespace estate::harness {

struct StationSnapshot {
  sim::StationStats stats;
  std::uint64_t in_system = 0;
};

// What the drive loop (harness/run.cpp) observed.
struct RunFacts {
  sim::Tick end = 0;
  std::uint64_t events = 0;
  bool drained = false;
  bool budget_hit = false;  // a limit (limits.*) ran out; limit_hit names it
  std::string limit_hit;    // "max_events", "max_orders" or "max_documents_mb"; empty when none
  std::uint64_t orders = 0;
  std::optional<std::uint64_t> document_values;  // when the host counts them
  bool interrupted = false;
  std::vector<std::string> busy_at_end;
  Json station_series = Json::object();  // station name -> series points
  Json quota = Json::object();           // the ERP quota's use: report.json's "quota"
  // Every station at the end of the demand period (estate.stations() order); unset when the
  // run stopped before it.
  std::optional<std::vector<StationSnapshot>> demand_end;
  double wall_s = 0;
};

// Figures of one station: over the demand period [0, duration] when `at_duration` is given
// (with the drain, (duration, end], apart), else over [0, end]; Little's law over the whole run.
Json station_json(const sim::Station& station, sim::Tick duration, sim::Tick end, const StationSnapshot* at_duration,
                  const Json& series);
// The name of each timeline event's window in report.json's "windows" ("promotion",
// "outage_wh2", "duplicates_storefront_2", ...); empty for instants.
std::vector<std::string> window_keys(const Scenario& scenario);
// The timeline as windows (instants have end_s == start_s), labelled for charts.
Json timeline_json(const Scenario& scenario);

// Adds to each outage of metrics.outages_json() when its affected backlog and every flow's
// latency were back to their pre-outage levels, and recover_s, the later of them.
Json outage_recovery(Json outages, const Json& stages, sim::Tick end, sim::Tick series_interval);

// `mode` is "simulation" or "live"; `sections` are put into the report before thresholds are
// evaluated (the live section), so thresholds can name their figures.
RunResult assemble_report(Estate& estate, const RunFacts& facts, const RunOptions& options, const std::string& mode = "simulation",
                          Json sections = Json::object());

}  // namespace estate::harness

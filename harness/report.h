#pragma once
// Assembles report.json from a finished run of an estate, whichever host ran it: the
// scenario's identity, the metrics' sections, the stations' figures and series, the
// timeline, the run's own facts and the verdict (integrity, then thresholds).
#include <cstdint>
#include <string>
#include <vector>

#include "harness/estate.h"
#include "harness/reader.h"
#include "harness/run.h"

namespace estate::harness {

// What the drive loop (harness/run.cpp) observed.
struct RunFacts {
  sim::Tick end = 0;
  std::uint64_t events = 0;
  bool drained = false;
  bool budget_hit = false;
  bool interrupted = false;
  std::vector<std::string> busy_at_end;
  Json station_series = Json::object();  // station name -> series points
  double wall_s = 0;
};

// Figures of one station over [0, end].
Json station_json(const sim::Station& station, sim::Tick end);
// The timeline as windows (instants have end_s == start_s), labelled for charts.
Json timeline_json(const Scenario& scenario);

// `mode` is "simulation" or "live"; `sections` are put into the report before thresholds are
// evaluated (the live section), so thresholds can name their figures.
RunResult assemble_report(Estate& estate, const RunFacts& facts, const RunOptions& options, const std::string& mode = "simulation",
                          Json sections = Json::object());

}  // namespace estate::harness

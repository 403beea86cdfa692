#pragma once
// Live mode: the scenario's estate served as real HTTP services on the wall clock (scaled),
// its demand played as an open-model load through the channels into the pipeline under test
// (the embedded reference pipeline, or a foreign one at a URL), its timeline played through
// the same control surfaces as in simulation, drained, and reported with the same metrics,
// thresholds and exit codes. `serve` runs the mocks alone, driven by hand through the admin
// API.
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "harness/run.h"
#include "harness/scenario.h"
#include "hosts/live/live_estate.h"
#include "wire/codec.h"

namespace estate::harness {

using Endpoints = std::vector<std::pair<std::string, std::string>>;

struct LiveRunOptions {
  hosts::live::LiveOptions live;
  std::optional<std::uint64_t> seed;
  const Json* baseline_metrics = nullptr;
  double max_regression = 0.10;
  std::function<void(double)> progress;
  // Called once every service listens, before anything runs (print them, write endpoints.env).
  std::function<void(const Endpoints&)> on_listening;
  OrderRecorder* record_orders = nullptr;  // collects the run's demand, as `run` does
};

wire::Roster roster_of(const Scenario& scenario);

// What the scenario asks for that live mode cannot play against this pipeline, each naming
// the timeline entry; empty when it can play all of it.
std::vector<std::string> live_refusals(const Scenario& scenario, bool foreign_pipeline);

// Throws InputError when the scenario cannot be played live, a port is taken or the pipeline
// cannot be reached.
RunResult run_live(const Scenario& scenario, const LiveRunOptions& options);

// The mocks with no demand and no timeline, until interrupted (or for_s > 0 seconds).
void serve_estate(const Scenario& scenario, const LiveRunOptions& options, double for_s);


}  // namespace estate::harness

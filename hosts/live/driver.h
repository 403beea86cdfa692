#pragma once
// A standalone open-model HTTP load driver on the live host's client (estate drive): sends a
// request to one URL at a scheduled rate for a while, on a bounded pool of keep-alive
// connections, and reports the rate it achieved, the answers, latency measured from each
// request's scheduled instant (no coordinated omission) and how late sends left. It is how
// the benchmark compares estate's load generation with wrk on the same target.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "load/sequencer.h"
#include "wire/codec.h"

namespace estate::hosts::live {

struct LoadOptions {
  std::string url;  // http://127.0.0.1:8080/path
  wire::Method method = wire::Method::get;
  std::string body;
  double rate_per_s = 1000;
  double duration_s = 10;
  std::size_t connections = 64;
  load::Arrivals arrivals = load::Arrivals::constant;
  std::uint64_t seed = 1;
  // Requests waiting for a free connection beyond this are dropped and counted (the target
  // cannot keep up): memory stays bounded however far the rate is above capacity.
  std::size_t max_waiting = 100'000;
  double timeout_s = 10;
};

// Throws StartError (live_estate.h) for a URL it cannot use or a target it cannot reach.
nlohmann::ordered_json drive_load(const LoadOptions& options);

}  // namespace estate::hosts::live

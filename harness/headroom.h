#pragma once
// Headroom: how far a scenario can go before a threshold breaks. For a load (demand.scale by
// default, or a channel's rate) the largest value at which every threshold holds; for a
// resource (a quota, workers, a concurrency) the smallest. Bisection on each seed apart (its
// own common random numbers), so the seeds' answers give a 95% interval; the runs at the first
// failing value say which threshold breaks first and which resource is the bottleneck there.
// The search assumes the thresholds hold on one side of a single boundary (monotone in the
// value); it reports the interval it narrowed, never a value it did not run.
#include <cstdint>
#include <string>
#include <vector>

#include "harness/reader.h"

namespace estate::harness {

struct HeadroomOptions {
  std::string file;
  Json document;  // the scenario file's JSON
  std::vector<std::string> sets, thresholds;
  std::string vary = "demand.scale";  // PATH, or PATH=LOW..HIGH
  std::vector<std::uint64_t> seeds;
  double tolerance = 0.02;  // relative width at which the bisection stops (integers: 1 apart)
  unsigned jobs = 0;
};

// headroom.json's content; "answer" is the one-line answer. InputError on bad input (no
// thresholds, a path that is not a number, a range whose ends do not bracket the boundary is
// not an error but an answer that says so).
Json find_headroom(const HeadroomOptions& options);

}  // namespace estate::harness

#pragma once
// How a system misbehaves during an outage window of the timeline.
#include <cstdint>

namespace estate::model {

enum class OutageMode : std::uint8_t {
  none,
  down,       // refuses every request at once (503)
  slow,       // works, but its service times are multiplied by `factor`
  blackhole,  // accepts requests and does the work, but never answers: callers time out
  flaky,      // fails a fraction `error_rate` of requests with 500
};

struct Outage {
  OutageMode mode = OutageMode::none;
  double factor = 1.0;
  double error_rate = 0.0;
};

const char* outage_mode_name(OutageMode mode);

}  // namespace estate::model

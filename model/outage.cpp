#include "model/outage.h"

namespace estate::model {

const char* outage_mode_name(OutageMode mode) {
  switch (mode) {
    case OutageMode::none: return "none";
    case OutageMode::down: return "down";
    case OutageMode::slow: return "slow";
    case OutageMode::blackhole: return "blackhole";
    case OutageMode::flaky: return "flaky";
  }
  return "?";
}

}  // namespace estate::model

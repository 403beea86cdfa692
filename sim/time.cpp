#include "sim/time.h"

#include <cmath>

#include "sim/assert.h"

namespace estate::sim {

Tick from_seconds(double s) {
  ESTATE_ASSERT(std::isfinite(s), "from_seconds: not finite");
  const double ticks = std::round(s * static_cast<double>(kTicksPerSecond));
  ESTATE_ASSERT(ticks < 9.2e18 && ticks > -9.2e18, "from_seconds: out of range");
  return static_cast<Tick>(ticks);
}

Tick delay_from_seconds(double s) {
  ESTATE_ASSERT(!std::isnan(s), "delay_from_seconds: not a number");
  if (s <= 0) return 0;
  if (s >= to_seconds(kMaxDelay)) return kMaxDelay;
  return from_seconds(s);
}

}  // namespace estate::sim

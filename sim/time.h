#pragma once
// Virtual time: integer ticks of one microsecond. Integer time keeps event ordering exact
// and reports byte-identical; a microsecond is far below any latency the estate cares about.
#include <cstdint>
#include <limits>

namespace estate::sim {

using Tick = std::int64_t;

inline constexpr Tick kTicksPerSecond = 1'000'000;
inline constexpr Tick kNever = std::numeric_limits<Tick>::max();

constexpr Tick seconds(std::int64_t s) { return s * kTicksPerSecond; }
constexpr Tick minutes(std::int64_t m) { return m * 60 * kTicksPerSecond; }
constexpr Tick hours(std::int64_t h) { return h * 3600 * kTicksPerSecond; }
constexpr Tick millis(std::int64_t ms) { return ms * 1000; }

// Rounds to the nearest tick; negative and non-finite inputs are the caller's bug.
Tick from_seconds(double s);

// The longest delay a drawn duration may ask for: the longest duration a scenario can write
// (1e12 s, about 31,700 years). A draw beyond it (a lognormal's far tail, a service time
// times a slowdown factor) lasts this long: far beyond any run's end, so what it delays never
// happens within the run, and far enough inside the tick range that sums of delays stay in it.
inline constexpr Tick kMaxDelay = 1'000'000'000'000 * kTicksPerSecond;
// A drawn duration in seconds as a delay: below 0 is 0, beyond kMaxDelay is kMaxDelay (also
// +infinity); NaN is the caller's bug.
Tick delay_from_seconds(double s);
constexpr double to_seconds(Tick t) { return static_cast<double>(t) / static_cast<double>(kTicksPerSecond); }

}  // namespace estate::sim

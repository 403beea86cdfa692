#pragma once
// Quantities written the way an architect talks: durations "250ms", "90m", "1h30m"; rates
// "120/min", "12/s"; percentages "5%". Parsers return nullopt on anything else; the
// scenario reader turns that into an error naming the file and JSON path.
#include <optional>
#include <string>
#include <string_view>

#include "sim/time.h"

namespace estate::harness {

std::optional<sim::Tick> parse_duration(std::string_view text);
std::optional<double> parse_rate_per_s(std::string_view text);
std::optional<double> parse_percent(std::string_view text);  // "5%" -> 0.05

std::string format_duration(sim::Tick t);  // "90m", "1.5s", "250ms", "0s"
std::string format_rate(double per_s);     // "120/min", "12/s"

}  // namespace estate::harness

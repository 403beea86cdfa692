#include "harness/units.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

#include "reports/summary.h"

namespace estate::harness {
namespace {

void skip_spaces(std::string_view& s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
}

std::optional<double> take_number(std::string_view& s) {
  std::size_t n = 0;
  bool dot = false;
  while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || (s[n] == '.' && !dot))) {
    dot = dot || s[n] == '.';
    ++n;
  }
  if (n == 0 || s[0] == '.' || s[n - 1] == '.') return std::nullopt;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + n, value);
  if (ec != std::errc() || ptr != s.data() + n) return std::nullopt;
  s.remove_prefix(n);
  return value;
}

std::string_view take_word(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n]))) ++n;
  const std::string_view word = s.substr(0, n);
  s.remove_prefix(n);
  return word;
}

std::optional<double> unit_seconds(std::string_view u) {
  if (u == "us") return 1e-6;
  if (u == "ms") return 1e-3;
  if (u == "s" || u == "sec" || u == "second" || u == "seconds") return 1.0;
  if (u == "m" || u == "min" || u == "minute" || u == "minutes") return 60.0;
  if (u == "h" || u == "hour" || u == "hours") return 3600.0;
  if (u == "d" || u == "day" || u == "days") return 86400.0;
  return std::nullopt;
}

}  // namespace

std::optional<sim::Tick> parse_duration(std::string_view s) {
  skip_spaces(s);
  if (s.empty()) return std::nullopt;
  double total = 0;
  while (!s.empty()) {
    const auto number = take_number(s);
    if (!number) return std::nullopt;
    skip_spaces(s);
    const auto unit = unit_seconds(take_word(s));
    if (!unit) return std::nullopt;
    total += *number * *unit;
    skip_spaces(s);
  }
  if (!(total < 1e12)) return std::nullopt;  // about 31,700 years: a typo, not a scenario
  if (total > 0 && total < 1e-6) return std::nullopt;  // above 0 but below a tick would read as 0
  return sim::from_seconds(total);
}

std::optional<double> parse_rate_per_s(std::string_view s) {
  skip_spaces(s);
  const auto number = take_number(s);
  if (!number) return std::nullopt;
  skip_spaces(s);
  if (s.empty() || s.front() != '/') return std::nullopt;
  s.remove_prefix(1);
  skip_spaces(s);
  const auto unit = unit_seconds(take_word(s));
  skip_spaces(s);
  if (!unit || !s.empty() || *unit < 1.0) return std::nullopt;
  return *number / *unit;
}

std::optional<double> parse_percent(std::string_view s) {
  skip_spaces(s);
  const auto number = take_number(s);
  if (!number) return std::nullopt;
  skip_spaces(s);
  if (s != "%") return std::nullopt;
  return *number / 100.0;
}

std::string format_duration(sim::Tick t) {
  if (t == 0) return "0s";
  std::string out = t < 0 ? "-" : "";
  std::uint64_t u = t < 0 ? static_cast<std::uint64_t>(-(t + 1)) + 1 : static_cast<std::uint64_t>(t);
  if (u < 1'000'000) {  // below a second: whole milliseconds, or microseconds
    return out + (u % 1000 == 0 ? std::to_string(u / 1000) + "ms" : std::to_string(u) + "us");
  }
  // Compound, largest unit first, like "1d2h", "1h30m", "1.5s".
  constexpr std::uint64_t s = 1'000'000, m = 60 * s, h = 60 * m, d = 24 * h;
  for (const auto& [unit, name] : {std::pair{d, "d"}, std::pair{h, "h"}, std::pair{m, "m"}}) {
    if (u >= unit) {
      out += std::to_string(u / unit) + name;
      u %= unit;
    }
  }
  if (u > 0) {
    std::string frac = std::to_string(u % s);
    frac.insert(0, 6 - frac.size(), '0');
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += std::to_string(u / s) + (frac.empty() ? "" : "." + frac) + "s";
  }
  return out;
}

std::string format_rate(double per_s) {
  if (per_s == 0) return "0/s";
  struct RateUnit {  // not "Unit": a unity batch may hold sweep.cpp's Unit
    double seconds;
    const char* name;
  };
  static constexpr RateUnit units[] = {{1, "s"}, {60, "min"}, {3600, "h"}, {86400, "day"}};
  for (const RateUnit& u : units) {
    const double v = per_s * u.seconds;
    if (v >= 1.0 && std::abs(v - std::round(v)) < 1e-9) return reports::plain_number(v) + "/" + u.name;
  }
  return reports::plain_number(per_s) + "/s";
}

}  // namespace estate::harness

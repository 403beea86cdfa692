#pragma once
// Human renderings of a finished run. They read report.json's content only (one canonical
// output, many renderings), so they can never disagree with it, and never run a simulation.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace estate::reports {

using Json = nlohmann::ordered_json;

// A compact plain-text summary for the terminal: latency per flow, oversell, reconciliation,
// integrity, and the run's size.
// "seed 7", or "seeds 7..11 pooled; ..." for replications.
std::string seeds_phrase(const Json& scenario);
std::string text_summary(const Json& report);

// What a gate over several runs checked, in the words both its renderings use (the terminal's
// gate_text and summary.md's gate_markdown): one row per check, integrity first in each
// scenario, then its thresholds; and every failure spelled out.
struct GateCheck {
  std::string scenario, metric, value, limit, baseline, delta;
  bool threshold;  // false for the integrity row
  bool pass;
};
struct GateFailure {
  std::string scenario, message;
};
struct GateChecks {
  std::vector<GateCheck> checks;
  std::vector<GateFailure> failures;
  std::vector<GateFailure> notes;    // the verdicts' warnings (an edited scenario, another seed...)
  std::size_t failed = 0;            // checks
  std::size_t failed_scenarios = 0;  // scenarios with a failed check
};
GateChecks gate_checks(const std::vector<Json>& reports);

// The gate's verdict for the terminal: every check of every scenario as an aligned table
// (scenario, metric, value, limit, baseline, delta, verdict), then the failures. Plain text:
// summary.md carries the same for a pull request, in Markdown.
std::string gate_text(const std::vector<Json>& reports);

// A number with up to `significant` significant digits and never an exponent, trailing zeros
// trimmed: 1462610 -> "1462610", 0.00001234 -> "0.00001234", 2.5 -> "2.5".
std::string plain_number(double v, int significant = 6);

// Formats seconds the way people read latencies: "850ms", "12.4s", "3m05s", "2h10m".
std::string human_seconds(double s);
// Formats a metric in its unit: "s" (seconds), "fraction" (as a percentage) or "" (a number).
std::string format_metric(double v, const std::string& unit);

}  // namespace estate::reports

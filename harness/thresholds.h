#pragma once
// Thresholds on business metrics, in the spirit of k6 thresholds and Gatling assertions:
//   "thresholds": {"latency.order_to_erp.p99": "< 30s", "oversell.rate": "< 0.5%",
//                  "integrity.lost_orders": "== 0",
//                  "latency.order_ack.p99": {"limit": "< 5s", "max_regression": "20%"}}
// A metric is any number in report.json, named by its dotted path; a trailing unit suffix
// may be left out ("p99" finds "p99_s"). Limits take units: durations are seconds, "%" is a
// fraction. A threshold on a metric the report does not have is a validation error.
#include <optional>
#include <string>
#include <vector>

#include "harness/reader.h"

namespace estate::harness {

enum class Op : std::uint8_t { lt, le, gt, ge, eq, ne };
enum class LimitUnit : std::uint8_t { number, seconds, fraction };

struct Threshold {
  std::string metric;      // as written: "latency.order_to_erp.p99"
  std::string limit_text;  // as written: "< 30s"
  Op op = Op::lt;
  double limit = 0;        // in report units (seconds, fractions)
  LimitUnit unit = LimitUnit::number;
  std::optional<double> max_regression;  // overrides the gate's budget for this metric
  std::string where;       // where it was written, for messages ("/thresholds/oversell.rate")
  std::string pointer;     // the report's JSON pointer, once resolved ("/latency/order_to_erp/p99_s")
};

struct Limit {
  Op op;
  double value;
  LimitUnit unit;
};
// Parses "< 30s", "<= 0.5%", "== 0", ">= 0.99"; nullopt if malformed.
std::optional<Limit> parse_limit(std::string_view text);
const char* op_text(Op op);

// Reads the "thresholds" object of a scenario (read and schema modes).
std::vector<Threshold> read_thresholds(Node& root);
// Parses --threshold "METRIC OP VALUE" (e.g. "latency.order_to_erp.p99 < 20s").
Threshold parse_threshold_flag(const std::string& text);

// Resolves each metric against a report of the same estate (its shape) and fills `pointer`;
// throws InputError naming the scenario file and the threshold when a metric does not exist.
// Thresholds on the same metric merge: the later (a --threshold) wins and keeps the earlier
// one's max_regression unless it sets its own.
void resolve_thresholds(std::vector<Threshold>& thresholds, const Json& report_shape, const std::string& file);

// Every numeric metric of a report (series and distributions left out), by JSON pointer.
std::vector<std::pair<std::string, double>> numeric_metrics(const Json& report);

// Evaluates thresholds against a finished report, comparing with baseline values where given
// (by pointer). Returns the "thresholds" section of report.json.
Json evaluate_thresholds(const std::vector<Threshold>& thresholds, const Json& report, const Json* baseline_metrics,
                         double max_regression);

// Formats a value in a threshold's unit: "2m01s", "0.5%", "12".
std::string format_value(double v, LimitUnit unit);

}  // namespace estate::harness

#include "harness/thresholds.h"

#include "harness/replicate.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "harness/metrics.h"
#include "harness/units.h"
#include "reports/summary.h"

namespace estate::harness {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The unit a report metric is in, from its key: "_s" is seconds; rates, variances and
// utilisation are fractions; booleans are booleans; everything else is a plain number.
enum class MetricKind { number, seconds, fraction, boolean };
MetricKind metric_kind(const std::string& key, const Json& value) {
  if (value.is_boolean()) return MetricKind::boolean;
  if (key.size() > 2 && key.ends_with("_s")) return MetricKind::seconds;
  if (key.ends_with("rate") || key.ends_with("variance") || key == "utilization") return MetricKind::fraction;
  return MetricKind::number;
}

std::optional<double> plain_number(std::string_view s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

void walk(const Json& node, const std::string& pointer, std::vector<std::pair<std::string, double>>& out) {
  if (node.is_number()) {
    out.emplace_back(pointer, node.get<double>());
  } else if (node.is_boolean()) {
    out.emplace_back(pointer, node.get<bool>() ? 1.0 : 0.0);
  } else if (node.is_object()) {
    for (const auto& [k, v] : node.items()) {
      if (k == "series" || k == "sampled" || k == "distribution" || k == "plot_windows") continue;
      walk(v, pointer + "/" + json_pointer_escape(k), out);
    }
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) walk(node[i], pointer + "/" + std::to_string(i), out);
  }
}

std::string dotted(const std::string& pointer) {
  std::string out;
  for (char c : pointer.substr(1)) out += c == '/' ? '.' : c;
  return out;
}

double metric_value(const Json& v) { return v.is_boolean() ? (v.get<bool>() ? 1.0 : 0.0) : v.get<double>(); }

bool holds(Op op, double value, double limit) {
  switch (op) {
    case Op::lt: return value < limit;
    case Op::le: return value <= limit;
    case Op::gt: return value > limit;
    case Op::ge: return value >= limit;
    case Op::eq: return value == limit;
    case Op::ne: return value != limit;
  }
  return false;
}

std::string signed_percent(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", d * 100);
  return buf;
}

}  // namespace

const char* op_text(Op op) {
  switch (op) {
    case Op::lt: return "<";
    case Op::le: return "<=";
    case Op::gt: return ">";
    case Op::ge: return ">=";
    case Op::eq: return "==";
    case Op::ne: return "!=";
  }
  return "?";
}

std::optional<Limit> parse_limit(std::string_view text) {
  std::string_view s = trim(text);
  Limit l{Op::lt, 0, LimitUnit::number};
  static constexpr std::pair<std::string_view, Op> ops[] = {{"<=", Op::le}, {">=", Op::ge}, {"==", Op::eq},
                                                            {"!=", Op::ne}, {"<", Op::lt},  {">", Op::gt}};
  bool found = false;
  for (const auto& [t, op] : ops) {
    if (s.starts_with(t)) {
      l.op = op;
      s.remove_prefix(t.size());
      found = true;
      break;
    }
  }
  if (!found) return std::nullopt;
  s = trim(s);
  if (s.empty()) return std::nullopt;
  if (s == "true" || s == "false") {
    l.value = s == "true" ? 1.0 : 0.0;
    return l;
  }
  if (s.back() == '%') {
    const auto v = plain_number(trim(s.substr(0, s.size() - 1)));
    if (!v) return std::nullopt;
    l.value = *v / 100.0;
    l.unit = LimitUnit::fraction;
    return l;
  }
  if (const auto v = plain_number(s)) {
    l.value = *v;
    return l;
  }
  if (const auto t = parse_duration(s)) {
    l.value = sim::to_seconds(*t);
    l.unit = LimitUnit::seconds;
    return l;
  }
  return std::nullopt;
}

std::vector<Threshold> read_thresholds(Node& root) {
  std::vector<Threshold> out;
  const Json* v = root.raw("thresholds", "Limits on report.json metrics: \"metric.path\": \"< 30s\". A failed threshold makes the run exit 1.",
                           "#/$defs/thresholds");
  if (root.schema_mode() || !v) return out;
  if (!v->is_object()) root.expected("thresholds", "an object of \"metric\": \"< limit\" entries");
  const std::string what = "a limit like \"< 30s\", \"<= 0.5%\" or \"== 0\"";
  for (const auto& [metric, spec] : v->items()) {
    const std::string rel = "thresholds/" + json_pointer_escape(metric);
    Threshold t;
    t.metric = metric;
    t.where = "/" + rel;
    if (metric.empty() || metric.front() == '.' || metric.back() == '.' || metric.find("..") != std::string::npos)
      root.fail(rel, "expected a metric path like latency.order_to_erp.p99, got \"" + metric + "\"");
    const Json* limit = &spec;
    if (spec.is_object()) {
      for (const auto& [k, _] : spec.items())
        if (k != "limit" && k != "max_regression")
          root.fail(rel + "/" + json_pointer_escape(k), "unknown key; expected limit, max_regression");
      if (!spec.contains("limit")) root.fail(rel + "/limit", "missing: a threshold needs a limit");
      limit = &spec.at("limit");
      if (spec.contains("max_regression")) {
        const Json& m = spec.at("max_regression");
        std::optional<double> budget;
        if (m.is_number()) budget = m.get<double>();
        if (m.is_string()) budget = parse_percent(m.get<std::string>());
        if (!budget || *budget < 0) root.fail(rel + "/max_regression", "expected a regression budget like \"10%\", got " + describe_json(m));
        t.max_regression = budget;
      }
      t.where += "/limit";
    }
    const std::optional<Limit> l = limit->is_string() ? parse_limit(limit->get<std::string>()) : std::nullopt;
    if (!l) root.fail(t.where.substr(1), "expected " + what + ", got " + describe_json(*limit));
    t.limit_text = std::string(trim(limit->get<std::string>()));
    t.op = l->op;
    t.limit = l->value;
    t.unit = l->unit;
    out.push_back(std::move(t));
  }
  return out;
}

Threshold parse_threshold_flag(const std::string& text) {
  const auto at = text.find_first_of("<>=!");
  const std::string metric(trim(std::string_view(text).substr(0, at)));
  const auto l = at == std::string::npos ? std::nullopt : parse_limit(std::string_view(text).substr(at));
  if (metric.empty() || !l)
    throw InputError("--threshold", "", "expected METRIC OP VALUE like \"latency.order_to_erp.p99 < 20s\", got \"" + text + "\"");
  Threshold t;
  t.metric = metric;
  t.limit_text = std::string(trim(std::string_view(text).substr(at)));
  t.op = l->op;
  t.limit = l->value;
  t.unit = l->unit;
  t.where = "--threshold " + text;
  return t;
}

std::vector<std::pair<std::string, double>> numeric_metrics(const Json& report) {
  std::vector<std::pair<std::string, double>> out;
  for (const char* section : {"latency", "oversell", "reconciliation", "integrity", "retries", "stages", "outages", "windows", "run"})
    if (report.contains(section)) walk(report.at(section), std::string("/") + section, out);
  return out;
}

void resolve_thresholds(std::vector<Threshold>& thresholds, const Json& shape, const std::string& file) {
  std::vector<std::string> known;
  for (const auto& [pointer, _] : numeric_metrics(shape)) known.push_back(dotted(pointer));
  for (auto& t : thresholds) {
    auto fail = [&](const std::string& message) {
      if (t.where.rfind("--threshold", 0) == 0) throw InputError(file, "--threshold " + t.metric, message);
      throw InputError(file, t.where, message);
    };
    // Split on dots, then walk: a key may itself contain dots ("stages.pipeline.ingest" or
    // "stages.wh1.pick"), so at each level the longest run of segments that is a key wins.
    std::vector<std::string> segs;
    for (std::size_t start = 0;;) {
      const std::size_t dot = t.metric.find('.', start);
      segs.push_back(t.metric.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    const Json* node = &shape;
    std::string pointer, key;
    bool ok = true;
    for (std::size_t i = 0; ok && i < segs.size();) {
      const bool canonical_index = !segs[i].empty() && std::all_of(segs[i].begin(), segs[i].end(), ::isdigit) &&
                                   (segs[i] == "0" || segs[i][0] != '0');
      if (node->is_array()) {
        const std::size_t index = canonical_index ? std::stoul(segs[i]) : node->size();
        ok = index < node->size();
        if (ok) {
          node = &(*node)[index];
          pointer += "/" + segs[i];
          key = segs[i];
          ++i;
        }
        continue;
      }
      std::size_t take = 0;
      std::string joined;
      for (std::size_t k = segs.size() - i; k >= 1 && take == 0; --k) {
        std::string candidate = segs[i];
        for (std::size_t j = 1; j < k; ++j) candidate += "." + segs[i + j];
        const bool last = i + k == segs.size();
        if (node->is_object() && node->contains(candidate)) {
          take = k;
          joined = candidate;
        } else if (last && node->is_object() && node->contains(candidate + "_s")) {
          take = k;
          joined = candidate + "_s";
        }
      }
      ok = take > 0;
      if (ok) {
        node = &node->at(joined);
        pointer += "/" + json_pointer_escape(joined);
        key = joined;
        i += take;
      }
    }
    const bool in_sections = ok && pointer.rfind("/scenario", 0) != 0 && pointer.rfind("/verdict", 0) != 0 &&
                             pointer.rfind("/timeline", 0) != 0 && pointer.rfind("/thresholds", 0) != 0;
    if (ok && in_sections && (node->is_number() || node->is_boolean())) {
      // The limit's unit must be the metric's: no "< 30s" on a rate, no "< 5%" on a latency.
      const MetricKind kind = metric_kind(key, *node);
      const bool boolean_limit = t.unit == LimitUnit::number && (t.limit_text.ends_with("true") || t.limit_text.ends_with("false"));
      if (kind == MetricKind::boolean && !boolean_limit)
        fail("\"" + t.metric + "\" is true or false: expected a limit like \"== true\", got \"" + t.limit_text + "\"");
      if (kind != MetricKind::boolean && boolean_limit)
        fail("\"" + t.metric + "\" is a number: expected a numeric limit, got \"" + t.limit_text + "\"");
      if (t.unit == LimitUnit::seconds && kind != MetricKind::seconds)
        fail("\"" + t.metric + "\" is not a duration: expected a limit without a time unit, got \"" + t.limit_text + "\"");
      if (t.unit == LimitUnit::fraction && kind != MetricKind::fraction)
        fail("\"" + t.metric + "\" is not a rate or fraction: expected a limit without %, got \"" + t.limit_text + "\"");
      // A plain number on a fraction is a trap: "< 0.5" would mean 50%, a limit that cannot
      // fail where 0.5% was meant. Only 0 is the same in every unit.
      if (t.unit == LimitUnit::number && kind == MetricKind::fraction && t.limit != 0.0) {
        const std::size_t at = t.limit_text.find_first_of("0123456789.+-");
        const std::string op = t.limit_text.substr(0, at);
        fail("\"" + t.metric + "\" is a rate or fraction and a plain number is ambiguous: write \"" + t.limit_text +
             "%\", or \"" + op + reports::format_metric(t.limit * 100.0, "") + "%\" for what " + t.limit_text.substr(at) +
             " means as a fraction; got \"" + t.limit_text + "\"");
      }
      // A plain number is in the report's own unit; show it in the metric's.
      if (t.unit == LimitUnit::number) t.unit = kind == MetricKind::seconds ? LimitUnit::seconds : kind == MetricKind::fraction ? LimitUnit::fraction : LimitUnit::number;
      t.pointer = pointer;
      continue;
    }
    std::string nearest;
    std::size_t best = 1000;
    for (const auto& k : known) {
      // Offer the name the way people write it, without the unit suffix.
      const std::string shown = k.size() > 2 && k.ends_with("_s") ? k.substr(0, k.size() - 2) : k;
      const std::size_t d = std::min(edit_distance(t.metric, k), edit_distance(t.metric, shown));
      if (d < best) {
        best = d;
        nearest = shown;
      }
    }
    std::string message = !ok || !in_sections ? "no metric \"" + t.metric + "\" in report.json"
                          : node->is_object() || node->is_array() ? "\"" + t.metric + "\" is a group of metrics, not a number"
                                                                  : "\"" + t.metric + "\" is not a number (" + describe_json(*node) + ")";
    if (!nearest.empty()) message += "; nearest: " + nearest;
    fail(message);
  }
  // One threshold per metric: a later one (a --threshold) replaces an earlier one on the same
  // metric however it was spelled, and keeps its regression budget unless it sets its own.
  std::vector<Threshold> merged;
  for (auto& t : thresholds) {
    auto same = std::find_if(merged.begin(), merged.end(), [&](const Threshold& m) { return m.pointer == t.pointer; });
    if (same == merged.end()) {
      merged.push_back(std::move(t));
      continue;
    }
    if (!t.max_regression) t.max_regression = same->max_regression;
    *same = std::move(t);
  }
  thresholds = std::move(merged);
}

std::string format_value(double v, LimitUnit unit) {
  return reports::format_metric(v, unit == LimitUnit::seconds ? "s" : unit == LimitUnit::fraction ? "fraction" : "");
}

namespace {
struct Noise {
  bool known = false;
  bool real = false;        // the change is beyond the noise, in the worse direction
  double low = 0, high = 0;  // 95% interval of the change in the metric's own unit
  bool paired = false;
  std::size_t n = 0;
};

// Is the change from the baseline's seeds to this run's larger than their noise? Paired seeds
// (the same list) compare seed by seed; otherwise Welch's two-sample interval.
Noise judge_noise(const Json& report, const Json* entry, const std::string& pointer, bool up_is_worse) {
  Noise z;
  if (!entry || !entry->contains("per_seed") || !(*entry)["per_seed"].contains(pointer)) return z;
  if (!report.contains("replications")) return z;
  const Json& iv = report["replications"]["intervals"];
  if (!iv.contains(pointer)) return z;
  std::vector<double> a, b;
  for (const auto& v : iv[pointer]["per_seed"]) a.push_back(v.get<double>());
  for (const auto& v : (*entry)["per_seed"][pointer]) b.push_back(v.get<double>());
  if (a.size() < 2 || b.size() < 2) return z;
  auto mean = [](const std::vector<double>& x) {
    double s = 0;
    for (double v : x) s += v;
    return s / static_cast<double>(x.size());
  };
  auto var = [&](const std::vector<double>& x) {
    const double m = mean(x);
    double s = 0;
    for (double v : x) s += (v - m) * (v - m);
    return s / static_cast<double>(x.size() - 1);
  };
  z.known = true;
  z.paired = a.size() == b.size() && entry->contains("seeds") && report["replications"]["seeds"] == (*entry)["seeds"];
  double diff, half;
  if (z.paired) {
    std::vector<double> d;
    for (std::size_t i = 0; i < a.size(); ++i) d.push_back(a[i] - b[i]);
    diff = mean(d);
    half = t975(d.size() - 1) * std::sqrt(var(d) / static_cast<double>(d.size()));
    z.n = d.size();
  } else {
    diff = mean(a) - mean(b);
    half = t975(std::min(a.size(), b.size()) - 1) *
           std::sqrt(var(a) / static_cast<double>(a.size()) + var(b) / static_cast<double>(b.size()));
    z.n = std::min(a.size(), b.size());
  }
  z.low = diff - half;
  z.high = diff + half;
  z.real = up_is_worse ? z.low > 0 : z.high < 0;
  return z;
}
}  // namespace

Json evaluate_thresholds(const std::vector<Threshold>& thresholds, const Json& report, const Json* baseline,
                         double max_regression) {
  Json out = Json::array();
  const Json* metrics = baseline && baseline->contains("metrics") ? &(*baseline)["metrics"] : nullptr;
  const bool replicated = report.contains("replications");
  for (const auto& t : thresholds) {
    const double value = metric_value(report.at(nlohmann::json::json_pointer(t.pointer)));
    const bool limit_ok = holds(t.op, value, t.limit);
    const double budget = t.max_regression.value_or(max_regression);
    Json base = nullptr, delta = nullptr, interval = nullptr, change = nullptr;
    bool regression = false;
    std::string message = t.metric + " = " + format_value(value, t.unit);
    if (replicated && report["replications"]["intervals"].contains(t.pointer)) {
      const Json& iv = report["replications"]["intervals"][t.pointer];
      interval = Json::array({iv["low"], iv["high"]});
      message += " (95% CI " + format_value(iv["low"].get<double>(), t.unit) + ".." + format_value(iv["high"].get<double>(), t.unit) +
                 ", " + std::to_string(report["replications"]["n"].get<std::size_t>()) + " seeds)";
    }
    message += ", limit " + t.limit_text;
    if (metrics && metrics->contains(t.pointer)) {
      const double b = metrics->at(t.pointer).get<double>();
      base = b;
      message += ", baseline " + format_value(b, t.unit);
      const bool up_worse = t.op == Op::lt || t.op == Op::le;
      const bool down_worse = t.op == Op::gt || t.op == Op::ge;
      if (b != 0) {
        const double d = (value - b) / std::abs(b);
        delta = round6(d);
        message += " (" + signed_percent(d);
        // Worse is up for an upper limit, down for a lower one; equality limits are exact.
        bool beyond_budget = (up_worse && d > budget) || (down_worse && -d > budget);
        const Noise z = judge_noise(report, baseline, t.pointer, up_worse);
        if (z.known && (up_worse || down_worse)) {
          change = {{"low", round6(z.low)}, {"high", round6(z.high)}, {"paired", z.paired}, {"seeds", z.n}, {"beyond_noise", z.real}};
          const std::string range = format_value(z.low, t.unit) + ".." + format_value(z.high, t.unit);
          message += std::string(", change ") + range + " at 95% over " + std::to_string(z.n) + (z.paired ? " paired seeds" : " seeds");
          if (beyond_budget && !z.real) message += ": within the noise";
          beyond_budget = beyond_budget && z.real;
        }
        message += ")";
        regression = beyond_budget;
      } else if (value != 0) {
        message += " (new)";
      }
    }
    if (!limit_ok) message += ": FAILED the limit";
    if (regression) message += std::string(limit_ok ? ":" : ",") + " regressed beyond the " + format_value(budget, LimitUnit::fraction) + " budget";
    out.push_back({{"metric", t.metric},
                   {"pointer", t.pointer},
                   {"op", op_text(t.op)},
                   {"limit", round6(t.limit)},
                   {"limit_text", t.limit_text},
                   {"unit", t.unit == LimitUnit::seconds ? "s" : t.unit == LimitUnit::fraction ? "fraction" : ""},
                   {"value", round6(value)},
                   {"interval", interval},
                   {"baseline", base},
                   {"delta", delta},
                   {"change", change},
                   {"max_regression", round6(budget)},
                   {"limit_ok", limit_ok},
                   {"regression", regression},
                   {"verdict", limit_ok && !regression ? "pass" : "fail"},
                   {"message", message}});
  }
  return out;
}

}  // namespace estate::harness

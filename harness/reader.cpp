#include "harness/reader.h"

#include <algorithm>
#include <cmath>

#include "harness/units.h"
#include "reports/summary.h"

namespace estate::harness {
namespace {

// The smallest gamma shape accepted: below it the variate's boost U^(1/shape) underflows.
constexpr double kMinGammaShape = 1e-3;

// A schema object whose every property is required.
Json schema_object(Json props) {
  Json required = Json::array();
  for (const auto& [k, _] : props.items()) required.push_back(k);
  return Json{{"type", "object"}, {"properties", props}, {"required", required}, {"additionalProperties", false}};
}
// A schema object with exactly one key, `kind` (a tagged alternative).
Json schema_one(const char* kind, Json body) {
  return Json{{"type", "object"}, {"properties", {{kind, body}}}, {"required", {kind}}, {"additionalProperties", false}};
}

std::string suggestion(std::string_view got, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, got.size() / 3) + 1;
  for (const auto& k : known) {
    const std::size_t d = edit_distance(got, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best.empty() ? "" : "; did you mean \"" + best + "\"?";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

InputError::InputError(std::string file, std::string path, std::string message)
    : std::runtime_error(file + ": " + (path.empty() ? "/" : path) + ": " + message),
      file_(std::move(file)),
      path_(std::move(path)),
      message_(std::move(message)) {}

std::string describe_json(const Json& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string json_pointer_escape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

Node::Node(const Origin* origin, const Json* value, std::string path, Json* schema)
    : origin_(origin), value_(value), path_(std::move(path)), schema_(schema) {
  if (schema_) {
    if (!schema_->contains("type")) (*schema_)["type"] = "object";
    if (!schema_->contains("properties")) (*schema_)["properties"] = Json::object();
    (*schema_)["additionalProperties"] = false;
  }
}

Node Node::read(const Origin& origin, const Json& doc) {
  Node n(&origin, &doc, "", nullptr);
  if (!doc.is_object()) n.fail_here("expected an object at the top of the scenario, got " + describe_json(doc));
  return n;
}

Node Node::schema(Json& out) { return Node(nullptr, nullptr, "", &out); }

std::string Node::path_of(std::string_view key) const { return path_ + "/" + json_pointer_escape(key); }

bool Node::has(std::string_view key) const {
  return value_ && value_->is_object() && value_->contains(std::string(key));
}

void Node::fail(std::string_view key, const std::string& message) const {
  // key is a path relative to this node, already escaped ("outage/mode").
  const std::string path = key.empty() ? path_ : path_ + "/" + std::string(key);
  std::string msg = message;
  if (origin_) {
    for (const auto& [pointer, text] : origin_->overrides) {
      if (path == pointer || path.starts_with(pointer + "/") || pointer.starts_with(path + "/")) {
        msg += " (from " + text + ")";
        break;
      }
    }
  }
  throw InputError(origin_ ? origin_->file : "<schema>", path, msg);
}

void Node::fail_here(const std::string& message) const { fail("", message); }

void Node::expected(std::string_view key, const std::string& what) const {
  const Json* v = has(key) ? &value_->at(std::string(key)) : nullptr;
  fail(key, "expected " + what + ", got " + (v ? describe_json(*v) : std::string("nothing")));
}

const Json* Node::get(std::string_view key) {
  known_.emplace_back(key);
  if (schema_ || !has(key)) return nullptr;
  return &value_->at(std::string(key));
}

Json& Node::prop(std::string_view key, std::string_view doc) {
  Json& p = (*schema_)["properties"][std::string(key)];
  p["description"] = std::string(doc);
  return p;
}

std::optional<sim::Tick> Node::optional_duration(std::string_view key, std::string_view doc, sim::Tick min) {
  const Json* v = get(key);
  if (schema_) {
    Json& p = prop(key, doc);
    p["$ref"] = min > 0 ? "#/$defs/positive_duration" : "#/$defs/duration";
    if (min > 1) p["minimum_duration"] = format_duration(min);
    return std::nullopt;
  }
  if (!v) return std::nullopt;
  if (!v->is_string()) expected(key, "a duration like \"90m\"");
  const auto t = parse_duration(v->get<std::string>());
  if (!t) expected(key, "a duration like \"90m\"");
  if (*t < min)
    fail(key, (min == 1 ? std::string("expected a duration above 0") : "expected a duration of at least " + format_duration(min)) +
                  ", got \"" + v->get<std::string>() + "\"");
  return t;
}

sim::Tick Node::duration(std::string_view key, sim::Tick def, std::string_view doc, sim::Tick min) {
  if (schema_) {
    optional_duration(key, doc, min);
    (*schema_)["properties"][std::string(key)]["default"] = format_duration(def);
    return def;
  }
  return optional_duration(key, doc, min).value_or(def);
}

double Node::number(std::string_view key, double def, std::string_view doc, double min, double max) {
  const Json* v = get(key);
  if (schema_) {
    Json& p = prop(key, doc);
    p["type"] = "number";
    p["minimum"] = min;
    p["maximum"] = max;
    p["default"] = def;
    return def;
  }
  if (!v) return def;
  const std::string range = "a number from " + reports::plain_number(min) + " to " + reports::plain_number(max);
  if (!v->is_number()) expected(key, range);
  const double d = v->get<double>();
  if (!(d >= min && d <= max)) expected(key, range);
  return d;
}

std::int64_t Node::integer(std::string_view key, std::int64_t def, std::string_view doc, std::int64_t min,
                           std::int64_t max) {
  const Json* v = get(key);
  if (schema_) {
    Json& p = prop(key, doc);
    p["type"] = "integer";
    p["minimum"] = min;
    p["maximum"] = max;
    p["default"] = def;
    return def;
  }
  if (!v) return def;
  const std::string range = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (!v->is_number()) expected(key, range);
  const double d = v->get<double>();
  if (d != std::floor(d) || d < static_cast<double>(min) || d > static_cast<double>(max)) expected(key, range);
  return static_cast<std::int64_t>(d);
}

bool Node::boolean(std::string_view key, bool def, std::string_view doc) {
  const Json* v = get(key);
  if (schema_) {
    Json& p = prop(key, doc);
    p["type"] = "boolean";
    p["default"] = def;
    return def;
  }
  if (!v) return def;
  if (!v->is_boolean()) expected(key, "true or false");
  return v->get<bool>();
}

double Node::probability(std::string_view key, double def, std::string_view doc) {
  const Json* v = get(key);
  if (schema_) {
    Json& p = prop(key, doc);
    p["$ref"] = "#/$defs/probability";
    p["default"] = def;
    return def;
  }
  if (!v) return def;
  const std::string what = "a probability from 0 to 1 (or \"0%\" to \"100%\")";
  double p = -1;
  if (v->is_number()) {
    p = v->get<double>();
  } else if (v->is_string()) {
    p = parse_percent(v->get<std::string>()).value_or(-1);
  }
  if (!(p >= 0 && p <= 1)) expected(key, what);
  return p;
}

std::optional<double> Node::optional_rate(std::string_view key, std::string_view doc, bool positive) {
  const Json* v = get(key);
  if (schema_) {
    prop(key, doc)["$ref"] = positive ? "#/$defs/positive_rate" : "#/$defs/rate";
    return std::nullopt;
  }
  if (!v) return std::nullopt;
  if (!v->is_string()) expected(key, "a rate like \"120/min\"");
  const auto r = parse_rate_per_s(v->get<std::string>());
  if (!r) expected(key, "a rate like \"120/min\"");
  if (positive && !(*r > 0)) expected(key, "a rate above 0, like \"120/min\"");
  return r;
}

double Node::rate(std::string_view key, double def_per_s, std::string_view doc, bool positive) {
  if (schema_) {
    optional_rate(key, doc, positive);
    (*schema_)["properties"][std::string(key)]["default"] = format_rate(def_per_s);
    return def_per_s;
  }
  return optional_rate(key, doc, positive).value_or(def_per_s);
}

std::string Node::text(std::string_view key, std::string def, std::string_view doc) {
  const Json* v = get(key);
  if (schema_) {
    Json& p = prop(key, doc);
    p["type"] = "string";
    if (!def.empty()) p["default"] = def;
    return def;
  }
  if (!v) return def;
  if (!v->is_string()) expected(key, "a string");
  return v->get<std::string>();
}

std::vector<std::string> Node::names(std::string_view key, std::vector<std::string> def, std::string_view doc) {
  const Json* v = get(key);
  if (schema_) {
    Json& p = prop(key, doc);
    p["type"] = "array";
    p["items"] = {{"type", "string"}};
    return def;
  }
  if (!v) return def;
  if (!v->is_array()) expected(key, "a list of names");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) fail(std::string(key) + "/" + std::to_string(i), "expected a name, got " + describe_json((*v)[i]));
    out.push_back((*v)[i].get<std::string>());
  }
  return out;
}

std::size_t Node::choice(std::string_view key, std::size_t def, std::initializer_list<std::string_view> options,
                         std::string_view doc) {
  const Json* v = get(key);
  std::vector<std::string> names(options.begin(), options.end());
  if (schema_) {
    Json& p = prop(key, doc);
    p["enum"] = names;
    p["default"] = names[def];
    return def;
  }
  if (!v) return def;
  std::string quoted;
  for (const auto& n : names) quoted += (quoted.empty() ? "\"" : ", \"") + n + "\"";
  if (!v->is_string()) expected(key, "one of " + quoted);
  const auto s = v->get<std::string>();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == s) return i;
  fail(key, "expected one of " + quoted + ", got " + describe_json(*v) + suggestion(s, names));
}

sim::Distribution Node::duration_dist(std::string_view key, const Json& def, std::string_view doc) {
  return dist(key, def, doc, std::nullopt);
}

sim::Distribution Node::count_dist(std::string_view key, const Json& def, std::string_view doc, double min, double max) {
  return dist(key, def, doc, CountRange{min, max});
}

sim::Distribution Node::dist(std::string_view key, const Json& def, std::string_view doc, std::optional<CountRange> counts) {
  const Json* v = get(key);
  if (schema_) {
    Json& p = prop(key, doc);
    if (counts) p.update(count_distribution_schema(counts->min, counts->max));
    else p["$ref"] = "#/$defs/duration_distribution";
    p["description"] = std::string(doc);
    p["default"] = def;
    return parse_dist(def, path_of(key), counts);
  }
  return parse_dist(v ? *v : def, path_of(key), counts);
}

sim::Distribution Node::parse_dist(const Json& v, const std::string& path, std::optional<CountRange> counts) const {
  using sim::Distribution;
  const std::string unit =
      counts ? "a number from " + reports::plain_number(counts->min) + " to " + reports::plain_number(counts->max) : "a duration like \"2s\"";
  auto bad = [&](const std::string& at, const std::string& message) -> void {
    const Node here(origin_, nullptr, at, nullptr);
    here.fail_here(message);
  };
  auto scalar = [&](const Json& x, const std::string& at) -> double {
    if (counts) {
      if (!x.is_number() || !(x.get<double>() >= counts->min && x.get<double>() <= counts->max))
        bad(at, "expected " + unit + ", got " + describe_json(x));
      return x.get<double>();
    }
    if (!x.is_string()) bad(at, "expected " + unit + ", got " + describe_json(x));
    const auto t = parse_duration(x.get<std::string>());
    if (!t) bad(at, "expected " + unit + ", got " + describe_json(x));
    return sim::to_seconds(*t);
  };
  const std::string kinds = counts.has_value() ? "constant, uniform, geometric, empirical"
                                   : "constant, uniform, exponential, lognormal, erlang, gamma, empirical";
  if (!v.is_object()) return Distribution::constant(scalar(v, path));
  if (v.size() != 1) bad(path, "expected one distribution (" + kinds + "), got " + describe_json(v));
  const std::string kind = v.begin().key();
  const Json& body = v.begin().value();
  const std::string at = path + "/" + json_pointer_escape(kind);
  auto params = [&](std::initializer_list<const char*> keys) {
    if (!body.is_object()) bad(at, "expected an object with " + std::string(*keys.begin()) + ", got " + describe_json(body));
    for (const auto& [k, _] : body.items()) {
      bool ok = false;
      for (const char* want : keys) ok = ok || k == want;
      if (!ok) {
        std::vector<std::string> names(keys.begin(), keys.end());
        bad(at + "/" + json_pointer_escape(k), "unknown key; expected " + join(names) + suggestion(k, names));
      }
    }
    for (const char* want : keys)
      if (!body.contains(want)) bad(at + "/" + want, "missing: " + kind + " needs " + want);
  };
  auto param = [&](const char* k) { return scalar(body.at(k), at + "/" + k); };
  auto plain = [&](const char* k, double min) {
    const Json& x = body.at(k);
    if (!x.is_number() || x.get<double>() < min)
      bad(at + "/" + k, "expected a number of at least " + reports::plain_number(min) + ", got " + describe_json(x));
    return x.get<double>();
  };
  if (kind == "constant") return Distribution::constant(scalar(body, at));
  if (kind == "uniform") {
    params({"min", "max"});
    const double lo = param("min"), hi = param("max");
    if (lo > hi) bad(at + "/max", "expected max >= min, got max below min");
    return Distribution::uniform(lo, counts ? hi + 0.999999 : hi);  // counts: inclusive, rounded down later
  }
  if (kind == "exponential" && !counts) {
    params({"mean"});
    const double m = param("mean");
    if (m <= 0) bad(at + "/mean", "expected a mean above 0, got " + describe_json(body.at("mean")));
    return Distribution::exponential(m);
  }
  if (kind == "lognormal" && !counts) {
    params({"median", "p99"});
    const double med = param("median"), p99 = param("p99");
    if (med <= 0) bad(at + "/median", "expected a median above 0, got " + describe_json(body.at("median")));
    if (p99 < med) bad(at + "/p99", "expected p99 >= median, got p99 below the median");
    return Distribution::lognormal(med, p99);
  }
  if (kind == "erlang" && !counts) {
    params({"k", "mean"});
    const double k = plain("k", 1);
    if (k != std::floor(k)) bad(at + "/k", "expected a whole number of phases, got " + describe_json(body.at("k")));
    const double m = param("mean");
    if (m <= 0) bad(at + "/mean", "expected a mean above 0, got " + describe_json(body.at("mean")));
    return Distribution::gamma(k, m);
  }
  if (kind == "gamma" && !counts) {
    params({"shape", "mean"});
    const double shape = plain("shape", kMinGammaShape);
    const double m = param("mean");
    if (m <= 0) bad(at + "/mean", "expected a mean above 0, got " + describe_json(body.at("mean")));
    return Distribution::gamma(shape, m);
  }
  if (kind == "geometric" && counts) {
    params({"mean"});
    const double m = plain("mean", 1);
    if (m > counts->max) bad(at + "/mean", "expected a mean of at most " + reports::plain_number(counts->max) + ", got " + describe_json(body.at("mean")));
    return Distribution::geometric(m);
  }
  if (kind == "empirical") {
    if (!body.is_array() || body.empty()) bad(at, "expected a list of [value, cumulative probability] pairs, got " + describe_json(body));
    std::vector<std::pair<double, double>> points;
    for (std::size_t i = 0; i < body.size(); ++i) {
      const std::string pat = at + "/" + std::to_string(i);
      const Json& pt = body[i];
      if (!pt.is_array() || pt.size() != 2 || !pt[1].is_number())
        bad(pat, "expected a [value, cumulative probability] pair, got " + describe_json(pt));
      const double x = scalar(pt[0], pat + "/0");
      const double p = pt[1].get<double>();
      if (!(p >= 0 && p <= 1)) bad(pat + "/1", "expected a probability from 0 to 1, got " + describe_json(pt[1]));
      if (!points.empty() && (p < points.back().second || x < points.back().first))
        bad(pat, "expected values and probabilities that never decrease");
      points.emplace_back(x, p);
    }
    if (points.back().second != 1.0) bad(at + "/" + std::to_string(body.size() - 1) + "/1", "expected the last cumulative probability to be 1");
    return Distribution::empirical(std::move(points), counts.has_value());
  }
  bad(path, "unknown distribution \"" + kind + "\"; expected one of " + kinds);
  return {};
}

const Json* Node::raw(std::string_view key, std::string_view doc, std::string_view ref) {
  const Json* v = get(key);
  if (schema_) prop(key, doc)["$ref"] = std::string(ref);
  return v;
}

Node Node::object(std::string_view key, std::string_view doc) {
  const Json* v = get(key);
  if (schema_) {
    Json& p = prop(key, doc);
    return Node(nullptr, nullptr, path_of(key), &p);
  }
  if (v && !v->is_object()) expected(key, "an object");
  return Node(origin_, v, path_of(key), nullptr);
}

void Node::entries(std::string_view key, std::string_view doc, const Json& def,
                   const std::function<void(const std::string&, Node&)>& each) {
  const Json* v = get(key);
  if (schema_) {
    Json& p = prop(key, doc);
    p["type"] = "object";
    p["default"] = def;
    Json& item = p["additionalProperties"];
    item = Json::object();
    Node child(nullptr, nullptr, path_of(key) + "/<name>", &item);
    each("<name>", child);
    return;
  }
  const Json& obj = v ? *v : def;
  if (!obj.is_object()) expected(key, "an object of named entries");
  if (obj.empty()) fail(key, "expected at least one entry, got an empty object");
  for (const auto& [name, value] : obj.items()) {
    if (!value.is_object()) fail(std::string(key) + "/" + json_pointer_escape(name), "expected an object, got " + describe_json(value));
    Node child(origin_, &value, path_of(key) + "/" + json_pointer_escape(name), nullptr);
    each(name, child);
  }
}

void Node::items(std::string_view key, std::string_view doc, const std::function<void(std::size_t, Node&)>& each) {
  const Json* v = get(key);
  if (schema_) {
    Json& p = prop(key, doc);
    p["type"] = "array";
    Json& item = p["items"];
    item = Json::object();
    Node child(nullptr, nullptr, path_of(key) + "/<i>", &item);
    each(0, child);
    return;
  }
  if (!v) return;
  if (!v->is_array()) expected(key, "a list");
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_object())
      fail(std::string(key) + "/" + std::to_string(i), "expected an object, got " + describe_json((*v)[i]));
    Node child(origin_, &(*v)[i], path_of(key) + "/" + std::to_string(i), nullptr);
    each(i, child);
  }
}

void Node::one_of(std::initializer_list<std::pair<std::string_view, std::string_view>> kinds,
                  const std::function<void(std::string_view, Node&)>& each) {
  if (schema_) {
    Json alternatives = Json::array();
    for (const auto& [kind, doc] : kinds) {
      get(kind);
      Json& p = prop(kind, doc);
      Node child(nullptr, nullptr, path_of(kind), &p);
      each(kind, child);
      alternatives.push_back({{"required", {std::string(kind)}}});
    }
    (*schema_)["oneOf"] = alternatives;
    return;
  }
  std::string_view found;
  std::vector<std::string> names;
  for (const auto& [kind, doc] : kinds) {
    names.emplace_back(kind);
    known_.emplace_back(kind);
    if (!has(kind)) continue;
    if (!found.empty()) fail_here("expected exactly one of " + join(names) + ", got both \"" + std::string(found) + "\" and \"" + std::string(kind) + "\"");
    found = kind;
  }
  if (found.empty()) {
    std::string extra;
    if (value_ && value_->is_object())
      for (const auto& [k, _] : value_->items())
        if (std::find(known_.begin(), known_.end(), k) == known_.end()) extra = suggestion(k, names);
    fail_here("expected one of " + join(names) + extra);
  }
  const Json& body = value_->at(std::string(found));
  if (!body.is_object()) expected(found, "an object");
  Node child(origin_, &body, path_of(found), nullptr);
  each(found, child);
}

void Node::variant(std::string_view key, std::size_t def,
                   std::initializer_list<std::pair<std::string_view, std::function<void(Node&)>>> options,
                   std::string_view doc) {
  if (!schema_) {
    std::vector<std::string_view> names;
    for (const auto& o : options) names.push_back(o.first);
    // choice() takes an initializer_list; rebuild one per arity we use.
    std::size_t idx = def;
    const Json* v = get(key);
    if (v) {
      std::vector<std::string> quoted(names.begin(), names.end());
      if (!v->is_string()) expected(key, "one of " + join(quoted));
      idx = names.size();
      for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == v->get<std::string>()) idx = i;
      if (idx == names.size())
        fail(key, "expected one of " + join(quoted) + ", got " + describe_json(*v) + suggestion(v->get<std::string>(), quoted));
    }
    (options.begin() + idx)->second(*this);
    return;
  }
  Json base = *schema_;
  Json alternatives = Json::array();
  std::size_t i = 0;
  for (const auto& [name, fn] : options) {
    Json sub = base;
    Json& p = sub["properties"][std::string(key)];
    p["description"] = std::string(doc);
    p["const"] = std::string(name);
    if (i++ != def) sub["required"] = {std::string(key)};
    Node child(nullptr, nullptr, path_, &sub);
    fn(child);
    sub.erase("description");
    alternatives.push_back(sub);
  }
  Json replaced = Json::object();
  if (base.contains("description")) replaced["description"] = base["description"];
  replaced["oneOf"] = alternatives;
  *schema_ = replaced;
  schema_ = nullptr;  // nothing may be added after a variant
  value_ = nullptr;
}

void Node::finish() {
  if (schema_ || !value_ || !value_->is_object()) return;
  for (const auto& [k, _] : value_->items()) {
    if (std::find(known_.begin(), known_.end(), k) != known_.end()) continue;
    std::vector<std::string> names = known_;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    fail(json_pointer_escape(k), "unknown key; expected one of: " + join(names) + suggestion(k, names));
  }
}

Json schema_definitions() {
  const std::string dur = R"(^\s*([0-9]+(\.[0-9]+)?\s*(us|ms|s|sec|seconds?|m|min|minutes?|h|hours?|d|days?)\s*)+$)";
  Json duration = {{"type", "string"}, {"pattern", dur},
                   {"description", "A duration: \"250ms\", \"90m\", \"1h30m\", \"2d\"; at most 1e12 s; one above 0 is at least 1us."}};
  // The same with a digit other than 0 somewhere: not zero (the parser refuses a duration
  // above 0 and below a microsecond, so none of those passes as above 0).
  Json positive_duration = duration;
  positive_duration["pattern"] = "^(?=[^1-9]*[1-9])" + dur.substr(1);
  positive_duration["description"] = "A duration above 0 (at least 1us): \"250ms\", \"90m\", \"1h30m\"; below 1e12 s.";
  const std::string rate_pattern = R"(^\s*[0-9]+(\.[0-9]+)?\s*/\s*(s|sec|seconds?|m|min|minutes?|h|hours?|d|days?)\s*$)";
  Json rate = {{"type", "string"}, {"pattern", rate_pattern}, {"description", "A rate: \"120/min\", \"12/s\", \"1000/h\"."}};
  Json positive_rate = {{"type", "string"},
                        {"pattern", "^(?=[^/]*[1-9])" + rate_pattern.substr(1)},
                        {"description", "A rate above 0: \"120/min\", \"12/s\", \"1000/h\"."}};
  Json probability = {{"oneOf", Json::array({{{"type", "number"}, {"minimum", 0}, {"maximum", 1}},
                                             {{"type", "string"}, {"pattern", R"(^\s*[0-9]+(\.[0-9]+)?\s*%$)"}}})},
                      {"description", "A probability: 0.05 or \"5%\"."}};
  const Json d = {{"$ref", "#/$defs/duration"}};
  const Json dpos = {{"$ref", "#/$defs/positive_duration"}};
  Json pairs_d = {{"type", "array"}, {"minItems", 1},
                  {"items", {{"type", "array"}, {"prefixItems", {d, {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}}}, {"minItems", 2}, {"maxItems", 2}}}};
  Json duration_dist = {
      {"description", "A distribution of durations: a plain duration (constant), or one of constant, uniform {min, max}, exponential {mean}, lognormal {median, p99}, erlang {k, mean}, gamma {shape, mean}, empirical [[value, cumulative p], ...]."},
      {"oneOf", Json::array({d, schema_one("constant", d), schema_one("uniform", schema_object({{"min", d}, {"max", d}})),
                             schema_one("exponential", schema_object({{"mean", dpos}})), schema_one("lognormal", schema_object({{"median", dpos}, {"p99", dpos}})),
                             schema_one("erlang", schema_object({{"k", {{"type", "integer"}, {"minimum", 1}}}, {"mean", dpos}})),
                             schema_one("gamma", schema_object({{"shape", {{"type", "number"}, {"minimum", kMinGammaShape}}}, {"mean", dpos}})),
                             schema_one("empirical", pairs_d)})}};
  const Json rank = {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxSkus}};
  Json skus = {{"description", "Which SKUs (by popularity rank, 1 = best seller): \"all\", {\"top\": N} or {\"ranks\": [1, 5, 9]}; ranks beyond the catalogue select nothing."},
               {"oneOf", Json::array({{{"const", "all"}},
                                      schema_one("top", rank),
                                      schema_one("ranks", {{"type", "array"}, {"items", rank}, {"minItems", 1}})})}};
  const std::string limit_pattern = R"(^\s*(<=|>=|==|!=|<|>)\s*(true|false|-?[0-9]+(\.[0-9]+)?\s*%?|([0-9]+(\.[0-9]+)?\s*(us|ms|s|sec|seconds?|m|min|minutes?|h|hours?|d|days?)\s*)+)\s*$)";
  const Json limit = {{"type", "string"}, {"pattern", limit_pattern},
                      {"description", "An operator and a value: \"< 30s\", \"<= 0.5%\", \"== 0\", \"< 1000\", \"== true\". A rate or fraction takes % (a plain number other than 0 on one is refused: \"< 0.5\" would mean 50%)."}};
  Json thresholds = {
      {"type", "object"},
      {"description", "Limits on report.json metrics, by dotted path (a trailing _s may be left out): {\"latency.order_to_erp.p99\": \"< 30s\", \"oversell.rate\": \"< 0.5%\"}."},
      {"additionalProperties",
       {{"oneOf", Json::array({limit,
                               {{"type", "object"},
                                {"properties", {{"limit", limit},
                                                {"max_regression", {{"description", "Regression budget against a baseline for this metric (overrides --max-regression): \"20%\", or a fraction (0.2)."},
                                                                    {"oneOf", Json::array({{{"type", "number"}, {"minimum", 0}},
                                                                                           {{"type", "string"}, {"pattern", R"(^\s*[0-9]+(\.[0-9]+)?\s*%$)"}}})}}}}},
                                {"required", {"limit"}},
                                {"additionalProperties", false}}})}}}};
  return {{"duration", duration}, {"positive_duration", positive_duration}, {"rate", rate}, {"positive_rate", positive_rate},
          {"probability", probability}, {"thresholds", thresholds}, {"duration_distribution", duration_dist}, {"sku_selector", skus}};
}

Json count_distribution_schema(double min, double max) {
  const Json n = {{"type", "number"}, {"minimum", min}, {"maximum", max}};
  const Json pairs = {{"type", "array"}, {"minItems", 1},
                      {"items", {{"type", "array"}, {"prefixItems", {n, {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}}}, {"minItems", 2}, {"maxItems", 2}}}};
  return {{"oneOf", Json::array({n, schema_one("constant", n), schema_one("uniform", schema_object({{"min", n}, {"max", n}})),
                                 schema_one("geometric", schema_object({{"mean", {{"type", "number"}, {"minimum", 1}, {"maximum", max}}}})),
                                 schema_one("empirical", pairs)})}};
}

}  // namespace estate::harness

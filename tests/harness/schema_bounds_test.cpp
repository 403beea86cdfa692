// The schema and the parser agree on every bound: for each bounded field the schema states (a
// numeric minimum or maximum, a duration or rate that must be above 0, a shortest duration,
// the ranges of count distributions and SKU selectors), a value just inside the bound
// validates and a value just outside is refused by the parser, at that field's path. The
// fields are found by walking the schema the parser itself generates, so a bound added to one
// and not the other fails here.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "harness/scenario.h"

using estate::harness::InputError;
using estate::harness::Json;
using estate::harness::Origin;

namespace {

struct Probe {
  std::string pointer;  // the field, in a document
  Json base;            // a valid document the field is set in
  Json inside, outside;
};

// The error path a document raises, or "" when it is accepted; `message` gets the message.
std::string refused_at(const Json& doc, std::string* message = nullptr) {
  try {
    estate::harness::parse_scenario(doc, Origin{"s.json", {}});
  } catch (const InputError& e) {
    if (message) *message = e.what();
    return e.path().empty() ? "/" : e.path();
  }
  return "";
}

Json with(Json doc, const std::string& pointer, const Json& value) {
  doc[Json::json_pointer(pointer)] = value;
  return doc;
}

// A valid timeline entry of each kind in the default estate (wh1, wh2, tpl; four channels).
Json timeline_entry(const std::string& kind) {
  Json body = Json::object();
  if (kind == "outage") body["system"] = "erp";
  if (kind == "duplicates" || kind == "reorder") body["source"] = "storefront";
  if (kind == "late_batch") body["source"] = "tpl";
  if (kind == "drift" || kind == "returns") body["location"] = "wh1";
  // Replenishment needs units or cover above 0 (a relation, not a bound): cover, so units may be 0.
  if (kind == "replenishment") body = {{"location", "wh1"}, {"cover", "1h"}};
  if (kind == "transfer") body = {{"from", "wh1"}, {"to", "wh2"}};
  Json entry = {{"at", "1h"}, {kind, body}};
  if (kind == "promotion" || kind == "outage" || kind == "duplicates" || kind == "reorder" || kind == "throttle" || kind == "late_batch")
    entry["for"] = "1h";
  return entry;
}

class Walker {
 public:
  explicit Walker(const Json& schema) : defs_(schema["$defs"]) {}
  std::vector<Probe> probes;

  void walk(const Json& node, const std::string& at, const Json& base) {
    if (node.contains("$ref")) ref(node, at, base);
    if (node.contains("minimum") || node.contains("maximum")) number(node, at, base);
    if (node.contains("properties"))
      for (const auto& [k, v] : node["properties"].items()) {
        if (at.empty() && k == "timeline") continue;  // below, entry by entry
        walk(v, at + "/" + k, base);
      }
    if (node.contains("additionalProperties") && node["additionalProperties"].is_object() && at == "/channels")
      walk(node["additionalProperties"], at + "/storefront", base);
    if (node.contains("additionalProperties") && node["additionalProperties"].is_object() && at == "/locations")
      for (const auto& variant : node["additionalProperties"]["oneOf"])  // wms, 3pl
        walk(variant, at + "/wh1", with(base, at + "/wh1/kind", variant["properties"]["kind"]["const"]));
    if (node.contains("oneOf") && (at.ends_with("/lines") || at.ends_with("/units"))) counts(node, at, base);
  }

  void timeline(const Json& item, const Json& base) {
    for (const auto& [k, v] : item["properties"].items()) {
      if (k == "at") continue;
      const std::string kind = k == "for" ? "outage" : k;
      Json doc = base;
      doc["timeline"] = Json::array({timeline_entry(kind)});
      walk(v, "/timeline/0/" + k, doc);
    }
  }

 private:
  const Json& defs_;

  void add(const std::string& at, const Json& base, Json inside, Json outside) {
    probes.push_back({at, base, std::move(inside), std::move(outside)});
  }
  void ref(const Json& node, const std::string& at, const Json& base) {
    const std::string r = node["$ref"];
    if (r == "#/$defs/positive_duration") {
      if (node.contains("minimum_duration")) {
        const std::string shortest = node["minimum_duration"];
        REQUIRE(shortest == "1s");  // the one shortest duration the schema states today
        add(at, base, "1s", "999999us");
      } else {
        add(at, base, "1us", "0s");
      }
    }
    if (r == "#/$defs/positive_rate") add(at, base, "1/day", "0/s");
    if (r == "#/$defs/duration_distribution") durations(at, base);
    if (r == "#/$defs/sku_selector")
      for (const auto& alt : defs_["sku_selector"]["oneOf"]) {
        if (!alt.contains("properties")) continue;
        const auto first = alt["properties"].begin();  // the one key of a tagged alternative
        const std::string kind = first.key();
        const Json& body = first.value();
        const bool list = body.contains("items");  // ranks: a list of them
        const Json& rank = list ? body["items"] : body;
        const auto lo = rank["minimum"].get<std::int64_t>(), hi = rank["maximum"].get<std::int64_t>();
        const Json doc = with(base, at, {{kind, list ? Json::array({lo}) : Json(lo)}});
        const std::string field = at + "/" + kind + (list ? "/0" : "");
        add(field, doc, lo, lo - 1);
        add(field, doc, hi, hi + 1);
      }
  }
  static double step(const Json& node, double b) { return node.value("type", "") == "integer" ? 1.0 : std::max(1e-9, std::abs(b) * 1e-9); }
  void number(const Json& node, const std::string& at, const Json& base) {
    if (node.contains("minimum")) {
      const double m = node["minimum"];
      add(at, base, m, m - step(node, m));
    }
    if (node.contains("maximum")) {
      const double m = node["maximum"];
      add(at, base, m, m + step(node, m));
    }
  }
  // Every duration distribution's own bounds, at one field that takes one.
  void durations(const std::string& at, const Json& base) {
    for (const auto& alt : defs_["duration_distribution"]["oneOf"]) {
      if (!alt.contains("properties")) continue;
      const auto first = alt["properties"].begin();
      const std::string kind = first.key();
      const Json& body = first.value();
      if (!body.contains("properties")) continue;
      Json valid = Json::object();  // every parameter at its smallest valid value
      for (const auto& [p, s] : body["properties"].items()) valid[p] = s.contains("minimum") ? Json(s["minimum"]) : Json("1us");
      const Json doc = with(base, at, {{kind, valid}});
      for (const auto& [p, s] : body["properties"].items()) walk(s, at + "/" + kind + "/" + p, doc);
    }
  }
  // A count distribution's range, in each of its forms.
  void counts(const Json& node, const std::string& at, const Json& base) {
    const Json& n = node["oneOf"][0];
    const double lo = n["minimum"], hi = n["maximum"];
    for (const double b : {lo, hi}) {
      const double out = b == lo ? b - 1 : b + 1;
      add(at, base, b, out);
      add(at + "/constant", with(base, at, {{"constant", b}}), b, out);
      add(at + "/uniform/min", with(base, at, {{"uniform", {{"min", b}, {"max", b}}}}), b, out);
      add(at + "/uniform/max", with(base, at, {{"uniform", {{"min", b}, {"max", b}}}}), b, out);
      add(at + "/empirical/0/0", with(base, at, {{"empirical", Json::array({Json::array({b, 1})})}}), b, out);
    }
    const Json& geometric = node["oneOf"][3]["properties"]["geometric"]["properties"]["mean"];
    REQUIRE(geometric["maximum"].get<double>() == hi);
    add(at + "/geometric/mean", with(base, at, {{"geometric", {{"mean", 1}}}}), hi, hi + 1e-6);
    add(at + "/geometric/mean", with(base, at, {{"geometric", {{"mean", 1}}}}), 1, 1 - 1e-6);
  }
};

}  // namespace

TEST_CASE("every bound the schema states is the parser's: just inside validates, just outside is refused at that path") {
  const Json schema = estate::harness::scenario_schema();
  Walker w(schema);
  w.walk(schema, "", Json::object());
  w.timeline(schema["properties"]["timeline"]["items"], Json::object());
  REQUIRE(w.probes.size() > 150);
  std::size_t checked = 0;
  for (const auto& p : w.probes) {
    INFO("field " << p.pointer << ": inside " << p.inside.dump() << ", outside " << p.outside.dump());
    std::string message;
    // A trace's own bounds are judged with a log to replay (a trace without one is refused).
    const Json base = p.pointer.rfind("/demand/trace/", 0) == 0
                          ? with(p.base, "/demand/trace/file", ESTATE_SOURCE_DIR "/scenarios/traces/black_friday_morning.csv")
                          : p.base;
    CHECK(refused_at(with(base, p.pointer, p.inside), &message) == "");
    INFO("refused with: " << message);
    CHECK(refused_at(with(base, p.pointer, p.outside), &message) == p.pointer);
    ++checked;
  }
  // Bounds the issue named: gamma shape (0.001 in both) and a "0s" mean (refused by both).
  const Json gamma = {{"erp", {{"service_time", {{"gamma", {{"shape", 0.001}, {"mean", "1s"}}}}}}}};
  CHECK(refused_at(gamma) == "");
  CHECK(refused_at(with(gamma, "/erp/service_time/gamma/shape", 0.0009)) == "/erp/service_time/gamma/shape");
  CHECK(refused_at(with(gamma, "/erp/service_time/gamma/mean", "0s")) == "/erp/service_time/gamma/mean");
  CHECK(schema["$defs"]["duration_distribution"].dump().find("exclusiveMinimum") == std::string::npos);
  CHECK(checked == w.probes.size());
}

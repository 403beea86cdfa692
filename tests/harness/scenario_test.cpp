// Scenario files are refused before a run starts when they are malformed, contradictory or
// out of range, with the JSON path, what was expected and what was found; a short file is a
// valid scenario; --set overrides any value by path; schema.json is what the parser says.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "harness/scenario.h"

using estate::harness::InputError;
using estate::harness::Json;
using estate::harness::Origin;
using estate::harness::parse_scenario;

namespace {

// Parses doc and returns the error it raises ("" when it is accepted).
std::string error_of(const std::string& text) {
  try {
    parse_scenario(Json::parse(text), Origin{"s.json", {}});
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("an empty scenario is valid and has a credible estate") {
  const auto sc = parse_scenario(Json::object(), Origin{"short.json", {}});
  CHECK(sc.name == "short");
  CHECK(sc.channels.size() == 4);
  CHECK(sc.locations.size() == 3);
  CHECK(sc.skus == 1000);
  CHECK(sc.erp.quota_per_s == Approx(10.0));
  CHECK(sc.pipeline.idempotency);
}

TEST_CASE("bad input names the file, the JSON path, what was expected and what was found") {
  struct Case {
    const char* doc;
    const char* message;
  };
  const Case cases[] = {
      {R"({"duration": "soon"})", R"(s.json: /duration: expected a duration like "90m", got "soon")"},
      {R"({"duration": 90})", R"(s.json: /duration: expected a duration like "90m", got 90)"},
      {R"({"pipeline": {"idempotncy": {"enabled": false}}})", R"(s.json: /pipeline/idempotncy: unknown key; expected one of:)"},
      {R"({"pipeline": {"idempotncy": {"enabled": false}}})", R"(did you mean "idempotency"?)"},
      {R"({"channels": {"storefront": {"rate": "-5/min"}}})", R"(s.json: /channels/storefront/rate: expected a rate like "120/min", got "-5/min")"},
      {R"({"channels": {"storefront": {"delivery": {"duplicates": 1.5}}}})", R"(/channels/storefront/delivery/duplicates: expected a probability from 0 to 1 (or "0%" to "100%"), got 1.5)"},
      {R"({"channels": {"storefront": {"delivery": {"duplicates": "150%"}}}})", R"(got "150%")"},
      {R"({"catalogue": {"skus": 0}})", R"(s.json: /catalogue/skus: expected a whole number from 1 to 1000000, got 0)"},
      {R"({"channels": {}})", R"(s.json: /channels: expected at least one entry, got an empty object)"},
      {R"({"locations": {}})", R"(s.json: /locations: expected at least one entry)"},
      {R"({"timeline": [{"at": "1h", "for": "1h", "outage": {"system": "wh9", "mode": "down"}}]})",
       R"(s.json: /timeline/0/outage/system: expected a system of this estate ("erp", "wh1", "wh2", "tpl", "storefront")"},
      {R"({"timeline": [{"at": "1h", "for": "1h", "outage": {"system": "erp", "mode": "sideways"}}]})",
       R"(/timeline/0/outage/mode: expected one of "down", "slow", "blackhole", "flaky", got "sideways")"},
      {R"({"timeline": [{"at": "9h", "for": "1h", "outage": {"system": "erp"}}]})", R"(/timeline/0/at: expected a time within the run (before 6h), got "9h")"},
      {R"({"timeline": [{"at": "1h", "outage": {"system": "erp"}}]})", R"(/timeline/0/for: missing)"},
      {R"({"timeline": [{"at": "1h", "for": "1h", "drift": {"location": "wh1"}}]})", R"(/timeline/0/for: unexpected: this kind of event happens at an instant)"},
      {R"({"timeline": [{"at": "1h", "for": "1h"}]})", R"(/timeline/0: expected one of promotion, outage, duplicates)"},
      {R"({"timeline": [{"at": "1h", "for": "1h", "promoton": {}}]})", R"(did you mean "promotion"?)"},
      {R"({"timeline": [{"at": "1h", "for": "1h", "promotion": {}, "outage": {"system": "erp"}}]})", R"(got both "promotion" and "outage")"},
      {R"({"timeline": [{"at": "1h", "for": "1h", "promotion": {"channels": ["shop"]}}]})", R"(/timeline/0/promotion/channels/0: expected a channel)"},
      {R"({"channels": {"storefront": {"sells_from": ["wh3"]}}})", R"(/channels/storefront/sells_from/0: expected a location ("wh1", "wh2", "tpl"), got "wh3")"},
      {R"({"channels": {"amazon": {}}})", R"(/channels/amazon/kind: missing: channel "amazon" needs a kind)"},
      {R"({"erp": {"service_time": {"lognormal": {"median": "2s", "p99": "1s"}}}})", R"(/erp/service_time/lognormal/p99: expected p99 >= median)"},
      {R"({"erp": {"service_time": {"lognormal": {"median": "2s"}}}})", R"(/erp/service_time/lognormal/p99: missing: lognormal needs p99)"},
      {R"({"erp": {"service_time": {"normal": {"mean": "2s"}}}})", R"(/erp/service_time: unknown distribution "normal")"},
      {R"({"erp": {"service_time": {"uniform": {"min": "2s", "max": "1s"}}}})", R"(/erp/service_time/uniform/max: expected max >= min)"},
      {R"({"erp": {"service_time": {"empirical": [["1s", 0.5], ["2s", 0.9]]}}})", R"(expected the last cumulative probability to be 1)"},
      {R"({"erp": {"concurrency": 2.5}})", R"(/erp/concurrency: expected a whole number from 1 to 100000, got 2.5)"},
      {R"({"pipeline": {"routing": {"rule": "closest"}}})", R"(/pipeline/routing/rule: expected one of "priority", "most_stock", got "closest")"},
      {R"({"pipeline": {"routing": {"order": ["wh1", "wh1"]}}})", R"(/pipeline/routing/order/1: expected each location once)"},
      {R"({"locations": {"wh1": {"kind": "warehouse"}}})", R"(/locations/wh1/kind: expected one of wms, 3pl, got "warehouse")"},
      {R"({"locations": {"wh1": {"kind": "3pl", "pickers": 5}}})", R"(/locations/wh1/pickers: unknown key)"},
      {R"({"timeline": [{"at": "1h", "for": "1h", "late_batch": {"source": "wh1"}}]})", R"(/timeline/0/late_batch/source: expected a 3PL location or a channel with batch delivery)"},
      {R"({"timeline": [{"at": "1h", "for": "1h", "outage": {"system": "storefront", "mode": "slow"}}]})", R"(/timeline/0/outage/mode: expected "down")"},
      {R"({"timeline": [{"at": "1h", "for": "1h", "outage": {"system": "pipeline.erp_sync", "mode": "slow"}}]})",
       R"(/timeline/0/outage/mode: expected "down": a connector stage's time is its round trip)"},
      {R"({"timeline": [{"at": "1h", "for": "1h", "outage": {"system": "pipeline.allocate", "mode": "blackhole"}}]})",
       R"(/timeline/0/outage/mode: expected "down" or "slow" for a pipeline stage)"},
      {R"({"timeline": [{"at": "1h", "for": "1h", "promotion": {"ramp": "40m"}}]})", R"(/timeline/0/promotion/ramp: expected a ramp of at most half the window (30m))"},
      {R"({"timeline": [{"at": "1h", "transfer": {"from": "wh1", "to": "wh1"}}]})", R"(/timeline/0/transfer/to: expected a location other than "from")"},
      {R"({"timeline": [{"at": "1h", "replenishment": {"location": "wh1"}}]})", R"(/timeline/0/replenishment: expected units or cover above 0)"},
      {R"({"channels": {"edi": {"feed": {"interval": "1h", "offset": "1h"}}}})", R"(s.json: /channels/edi/feed/offset: expected a duration from 0 to below the interval (1h), got "1h")"},
      {R"({"channels": {"edi": {"feed": {"offset": "soon"}}}})", R"(/channels/edi/feed/offset: expected a duration like "90m", got "soon")"},
      {R"({"pipeline": {"backpressure": "drop"}})", R"(/pipeline/backpressure: expected one of "block", "refuse", got "drop")"},
      {R"([1, 2])", R"(s.json: /: expected an object at the top of the scenario, got an array)"},
  };
  for (const auto& c : cases) {
    INFO(c.doc);
    const std::string err = error_of(c.doc);
    CHECK_THAT(err, Catch::Contains(c.message));
  }
}

TEST_CASE("batch feeds are spread over the gcd of their intervals unless an offset is given") {
  using estate::sim::minutes;
  using estate::sim::seconds;
  // The default estate: marketplace (15m) and EDI (1h) are the batch-fed channels; G = 15m.
  const auto def = parse_scenario(Json::object(), Origin{"s.json", {}});
  CHECK(def.channels[1].feed_offset == minutes(0));
  CHECK(def.channels[2].feed_offset == seconds(450));
  // Three 30m feeds (and an event feed, which does not count): 0, 10m, 20m.
  const auto three = parse_scenario(Json::parse(R"({"channels": {
      "storefront": {"feed": {"mode": "batch", "interval": "30m"}}, "b2b": {},
      "marketplace": {"feed": {"mode": "batch", "interval": "30m"}},
      "edi": {"feed": {"mode": "batch", "interval": "30m"}}}})"), Origin{"s.json", {}});
  CHECK(three.channels[0].feed_offset == minutes(0));
  CHECK(three.channels[2].feed_offset == minutes(10));
  CHECK(three.channels[3].feed_offset == minutes(20));
  // An explicit offset is kept, and the others keep their places.
  const auto set = parse_scenario(Json::parse(R"({"channels": {
      "storefront": {"feed": {"mode": "batch", "interval": "30m", "offset": "25m"}},
      "marketplace": {"feed": {"mode": "batch", "interval": "30m"}}}})"), Origin{"s.json", {}});
  CHECK(set.channels[0].feed_offset == minutes(25));
  CHECK(set.channels[1].feed_offset == minutes(15));
}

TEST_CASE("set overrides (estate run --set) change any value by its path, and errors they cause say so") {
  Json doc = Json::object();
  Origin origin{"s.json", {}};
  origin.overrides.emplace_back(estate::harness::apply_override(doc, "pipeline.idempotency.enabled=false", "s.json"),
                                "--set pipeline.idempotency.enabled=false");
  origin.overrides.emplace_back(estate::harness::apply_override(doc, "channels.marketplace.feed.interval=5m", "s.json"),
                                "channels.marketplace.feed.interval=5m");
  estate::harness::apply_override(doc, "/erp/concurrency=30", "s.json");
  const auto sc = parse_scenario(doc, origin);
  CHECK_FALSE(sc.pipeline.idempotency);
  CHECK(sc.erp.concurrency == 30);
  // Overriding one channel of the default set changes it, and keeps the others.
  REQUIRE(sc.channels.size() == 4);
  CHECK(sc.channels[1].name == "marketplace");
  CHECK(sc.channels[1].feed_interval == estate::sim::minutes(5));
  CHECK(sc.channels[0].feed_interval == estate::sim::minutes(15));

  Json bad = Json::object();
  Origin o2{"s.json", {}};
  o2.overrides.emplace_back(estate::harness::apply_override(bad, "pipeline.idempotncy.enabled=false", "s.json"),
                            "--set pipeline.idempotncy.enabled=false");
  try {
    parse_scenario(bad, o2);
    FAIL("accepted a typo");
  } catch (const InputError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("/pipeline/idempotncy: unknown key"));
    CHECK_THAT(std::string(e.what()), Catch::Contains("(from --set pipeline.idempotncy.enabled=false)"));
  }
  CHECK_THROWS_AS(estate::harness::apply_override(bad, "no-equals-sign", "s.json"), InputError);
  Json arr = Json::parse(R"({"timeline": [{"at": "1h"}]})");
  CHECK_THROWS_WITH(estate::harness::apply_override(arr, "timeline.3.at=2h", "s.json"), Catch::Contains("expected an index below 1"));
}

TEST_CASE("scenario files allow comments, and syntax errors give a line and column") {
  const std::string path = "scenario_test_tmp.json";
  {
    std::ofstream f(path);
    f << "// a comment\n{\n  \"duration\": \"1h\", /* inline */\n  \"seed\": 3,\n}\n";
  }
  try {
    estate::harness::load_scenario(path, {});
    FAIL("accepted a trailing comma");
  } catch (const InputError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("scenario_test_tmp.json: /: line 5, column 1: not valid JSON"));
  }
  {
    std::ofstream f(path);
    f << "// a comment\n{\n  \"duration\": \"1h\" /* inline */\n}\n";
  }
  CHECK(estate::harness::load_scenario(path, {}).duration == estate::sim::hours(1));
  std::remove(path.c_str());
  CHECK_THROWS_WITH(estate::harness::load_scenario("does/not/exist.json", {}), Catch::Contains("does/not/exist.json: /: cannot read the file"));
}

TEST_CASE("every shipped scenario is valid, and scenarios/schema.json is exactly what the parser generates") {
  const std::string dir = std::string(ESTATE_SOURCE_DIR) + "/scenarios/";
  for (const char* name : {"steady_state", "peak_promotion", "warehouse_outage", "duplicate_storm"}) {
    INFO(name);
    const auto sc = estate::harness::load_scenario(dir + name + ".json", {});
    CHECK(sc.name == name);
    CHECK_FALSE(sc.description.empty());
  }
  std::ifstream f(dir + "schema.json");
  std::stringstream text;
  text << f.rdbuf();
  INFO("regenerate with: build/dev/estate schema > scenarios/schema.json");
  CHECK(text.str() == estate::harness::scenario_schema().dump(2) + "\n");
}

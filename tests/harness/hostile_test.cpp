// Scenarios that pass validation but push the model to its edges (issue 9): each of the seven
// defects found by generating scenarios at random either runs correctly now or is refused at
// validation with its path and the limit, and the limits on what a run keeps are reported
// when they are hit, like the event budget.
#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/reader.h"
#include "sim/time.h"
#include "support.h"

using estate::harness::InputError;
using estate::harness::Origin;
using estate::harness::parse_scenario;
using estate::test::Json;
using estate::test::run_doc;

namespace {

// The error a document raises at validation ("" when it is accepted).
std::string refusal(const Json& doc) {
  try {
    parse_scenario(doc, Origin{"s.json", {}});
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("1. a drawn duration beyond the tick range delays its event past the run instead of aborting") {
  // A pack time of about 2,700 years, slowed a million times during an outage: 8.6e16 s, far
  // outside the tick range (9.2e12 s). The run must end (exit 0..3), not abort.
  CHECK(estate::sim::delay_from_seconds(1e30) == estate::sim::kMaxDelay);
  CHECK(estate::sim::delay_from_seconds(-1) == 0);
  CHECK(estate::sim::delay_from_seconds(2.5) == estate::sim::seconds(2) + 500'000);
  const Json slowed = Json::parse(R"({"duration": "30m", "catalogue": {"skus": 5}, "drain": {"max": "1h"},
    "locations": {"w": {"kind": "wms", "pack_time": "1000000d"}},
    "channels": {"storefront": {"rate": "1/s"}},
    "timeline": [{"at": "0s", "for": "30m", "outage": {"system": "w", "mode": "slow", "factor": 1000000}}]})");
  const auto r = run_doc(slowed, 1);
  CHECK(r.report["run"]["drained"] == false);  // the packs never finish within the run
  CHECK(r.report["integrity"]["conservation_ok"] == true);
  // The issue's own scenario (shortened): a lognormal whose tail leaves the tick range.
  const Json tail = Json::parse(R"({"duration": "1h", "catalogue": {"skus": 20}, "drain": {"max": "1h"},
    "erp": {"latency": {"lognormal": {"median": "10us", "p99": "1000d"}}}})");
  const auto t = run_doc(tail, 1);
  CHECK(t.report["run"]["events"].get<double>() > 0);
}

TEST_CASE("2. back-to-back windows on one system play alike in either order: the first's end does not clear the second") {
  // The ERP slow for [0, 30m), then down for [30m, 60m). Listed in reverse, the slow window's
  // end and the down window's start fall on one tick; the end ran after the start and cleared
  // it, and "unavailable" retries dropped to 0.
  auto doc = [](bool reversed) {
    Json down = Json::parse(R"({"at": "30m", "for": "30m", "outage": {"system": "erp", "mode": "down"}})");
    Json slow = Json::parse(R"({"at": "0s", "for": "30m", "outage": {"system": "erp", "mode": "slow", "factor": 2}})");
    Json d = Json::parse(R"({"duration": "90m", "catalogue": {"skus": 50}})");
    d["timeline"] = reversed ? Json::array({down, slow}) : Json::array({slow, down});
    return d;
  };
  const auto in_order = run_doc(doc(false), 3);
  const auto reversed = run_doc(doc(true), 3);
  const Json& a = in_order.report["retries"]["by_system"]["erp"];
  const Json& b = reversed.report["retries"]["by_system"]["erp"];
  CHECK(a["unavailable"].get<int>() > 0);
  CHECK(b["unavailable"] == a["unavailable"]);
  CHECK(reversed.report["latency"]["order_to_erp"]["p99_s"] == in_order.report["latency"]["order_to_erp"]["p99_s"]);
}

TEST_CASE("3. a series interval that would keep more points than limits.max_series_points is refused, naming the shortest allowed") {
  const Json doc = Json::parse(R"({"duration": "10m", "limits": {"max_events": 100000}, "report": {"series_interval": "1ms"}})");
  CHECK(refusal(doc) ==
        "s.json: /report/series_interval: expected an interval of at least 60ms (duration 10m / limits.max_series_points 10000), "
        "got \"1ms\": 600000 points per series");
  Json raised = doc;
  raised["limits"]["max_series_points"] = 600000;
  CHECK(refusal(raised).empty());
  Json ok = doc;
  ok["report"]["series_interval"] = "60ms";
  CHECK(refusal(ok).empty());
  // Counts per interval are kept sparse: a short interval over a long drain costs what happened.
  ok["duration"] = "1m";
  ok["report"]["series_interval"] = "10ms";
  ok["catalogue"] = {{"skus", 10}};
  const auto r = run_doc(ok, 1);
  CHECK(r.report["run"]["limits"]["max_series_points"]["used"] == 6000);
}

TEST_CASE("4. a location or channel named like another system of the estate is refused") {
  CHECK(refusal(Json::parse(R"({"locations": {"erp": {"kind": "wms"}}})")) ==
        "s.json: /locations/erp: expected a name that is not one the estate uses itself (\"erp\", \"pipeline\", \"unallocated\", \"total\"), got \"erp\"");
  CHECK(refusal(Json::parse(R"({"locations": {"wh1": {"kind": "wms"}}, "channels": {"wh1": {"kind": "b2b"}}})")) ==
        "s.json: /channels/wh1: expected a name no other location or channel has; \"wh1\" is already a location");
  CHECK(refusal(Json::parse(R"({"channels": {"pipeline.ingest": {"kind": "b2b"}}})"))
            .find("/channels/pipeline.ingest: expected a name that does not start with \"pipeline.\"") != std::string::npos);
  CHECK(refusal(Json::parse(R"({"locations": {"unallocated": {"kind": "wms"}}})")).find("/locations/unallocated:") != std::string::npos);
  CHECK(refusal(Json::parse(R"({"locations": {"a:b": {"kind": "wms"}}})")).find("without ':'") != std::string::npos);
}

TEST_CASE("5. SKU selectors and counts out of their range are refused instead of wrapping or clamping") {
  CHECK(refusal(Json::parse(R"({"timeline": [{"at": "1h", "for": "1h", "promotion": {"skus": {"top": 4294967296}}}]})")) ==
        "s.json: /timeline/0/promotion/skus/top: expected a whole number of SKUs from 1 to 1000000, got 4294967296");
  CHECK(refusal(Json::parse(R"({"timeline": [{"at": "1h", "drift": {"location": "wh1", "skus": {"ranks": [1, 4294967297]}}}]})")) ==
        "s.json: /timeline/0/drift/skus/ranks/1: expected a rank from 1 to 1000000, got 4294967297");
  CHECK(refusal(Json::parse(R"({"channels": {"storefront": {"units": 0}}})")) ==
        "s.json: /channels/storefront/units: expected a number from 1 to 1000000, got 0");
  CHECK(refusal(Json::parse(R"({"channels": {"storefront": {"units": {"uniform": {"min": 1, "max": 2000000}}}}})")) ==
        "s.json: /channels/storefront/units/uniform/max: expected a number from 1 to 1000000, got 2000000");
  CHECK(refusal(Json::parse(R"({"channels": {"storefront": {"lines": {"empirical": [[1, 0.5], [17, 1]]}}}})")) ==
        "s.json: /channels/storefront/lines/empirical/1/0: expected a number from 1 to 16, got 17");
  CHECK(refusal(Json::parse(R"({"channels": {"storefront": {"lines": {"geometric": {"mean": 20}}}}})")) ==
        "s.json: /channels/storefront/lines/geometric/mean: expected a mean of at most 16, got 20");
  CHECK(refusal(Json::parse(R"({"channels": {"storefront": {"units": 1000000, "lines": 16}}})")).empty());
}

TEST_CASE("6. stock movements dead-lettered for good are named in the findings") {
  // Every ERP call times out (10 ms against a 30 ms network), returns at s are reported as
  // stock movements, and the DLQ redrives them until it gives up.
  const Json doc = Json::parse(R"({"duration": "1h", "locations": {"s": {"kind": "wms"}},
    "pipeline": {"erp_retry": {"timeout": "10ms"}, "dlq": {"redrive_rate": "1000000/s"}},
    "timeline": [{"at": "3.430548s", "returns": {"location": "s"}}]})");
  const auto r = run_doc(doc, 1);
  const Json& rec = r.report["reconciliation"];
  REQUIRE(rec["settled_variance"].get<double>() > 0);
  std::string findings;
  for (const auto& f : rec["findings"]) findings += f.get<std::string>() + "\n";
  CHECK(findings.find("no lost, doubled or unreported change to explain it") == std::string::npos);
  CHECK(findings.find(" stock movements were dead-lettered and never reached the ERP (still in the dead-letter queue after the drain)") !=
        std::string::npos);
  REQUIRE(r.report["integrity"].contains("dead_letters_at_end_by_flow"));
  const int dead = r.report["integrity"]["dead_letters_at_end_by_flow"]["stock_movements"].get<int>();
  CHECK(dead > 0);
  CHECK(findings.find(std::to_string(dead) + " stock movements were dead-lettered") != std::string::npos);
}

TEST_CASE("7. settled variance is above 0 whenever a record differs, also when the warehouses hold no stock at all") {
  // Unreported shrinkage of a billion units empties the one SKU everywhere: the truth sums to
  // 0, the ERP still counts the stock.
  const Json doc = Json::parse(R"({"duration": "30m", "catalogue": {"skus": 1},
    "locations": {"w": {"kind": "wms"}}, "channels": {"storefront": {"rate": "0/s"}},
    "timeline": [{"at": "1m", "drift": {"location": "w", "units": -1000000000}}]})");
  const auto r = run_doc(doc, 1);
  const Json& rec = r.report["reconciliation"];
  CHECK(rec["record_mismatch_rate"].get<double>() == 1.0);
  CHECK(rec["settled_variance"].get<double>() > 0);
  CHECK(rec["findings"].size() > 0);
}

TEST_CASE("an order budget (limits.max_orders) stops the run like the event budget and says so") {
  const Json doc = Json::parse(R"({"duration": "1h", "catalogue": {"skus": 10}, "limits": {"max_orders": 100},
    "channels": {"storefront": {"rate": "1/s"}}})");
  const auto r = run_doc(doc, 1);
  const Json& run = r.report["run"];
  CHECK(run["limit_hit"] == "max_orders");
  CHECK(run["event_budget_hit"] == false);
  CHECK(run["limits"]["max_orders"]["limit"] == 100);
  // The guard looks every 1,024 events: the overshoot is a few orders at most.
  CHECK(run["limits"]["max_orders"]["used"].get<int>() > 100);
  CHECK(run["limits"]["max_orders"]["used"].get<int>() < 200);
  CHECK(r.exit_code == estate::harness::kExitIntegrity);
  const Json& reasons = r.report["verdict"]["integrity_reasons"];
  CHECK(std::find(reasons.begin(), reasons.end(), Json("the order budget (limits.max_orders, 100) ran out before the run finished")) !=
        reasons.end());
}

TEST_CASE("a documents budget (limits.max_documents_mb) stops the run and says so, and a run within its limits reports their use") {
  // A snapshot feed of 200,000 SKUs every minute: 1.6 MB a snapshot.
  const Json doc = Json::parse(R"({"duration": "2h", "catalogue": {"skus": 200000}, "limits": {"max_documents_mb": 5},
    "locations": {"w": {"kind": "wms"}},
    "channels": {"marketplace": {"rate": "0/s", "feed": {"mode": "batch", "interval": "1m"}}}})");
  const auto r = run_doc(doc, 1);
  CHECK(r.report["run"]["limit_hit"] == "max_documents_mb");
  CHECK(r.report["run"]["limits"]["max_documents_mb"]["used"].get<double>() > 5);
  CHECK(r.exit_code == estate::harness::kExitIntegrity);

  const auto ok = run_doc(Json::parse(R"({"duration": "10m", "catalogue": {"skus": 10}})"), 1);
  const Json& limits = ok.report["run"]["limits"];
  CHECK(ok.report["run"]["limit_hit"].is_null());
  CHECK(limits["max_events"]["used"] == ok.report["run"]["events"]);
  CHECK(limits["max_orders"]["used"].get<int>() > 0);
  CHECK(limits["max_series_points"]["used"] == 10);
}

TEST_CASE("estate run and estate validate run one seed unless --seeds asks for more (sweep and headroom default to 3)") {
  // Found by the generated scenarios: the sweep's default of 3 seeds was set on the options
  // every command shares, so a plain estate run pooled three seeds.
  const auto dir = std::filesystem::temp_directory_path() / ("estate-one-seed-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = (dir / "s.json").string();
  std::ofstream(file) << R"({"duration": "1m", "catalogue": {"skus": 5}})";
  const auto out = (dir / "out").string();
  const char* argv[] = {"estate", "run", file.c_str(), "--out", out.c_str(), "--quiet"};
  std::ostringstream o, e;
  CHECK(estate::harness::run_cli(6, argv, o, e) == 0);
  std::ifstream in(dir / "out" / "report.json");
  const Json report = Json::parse(in);
  CHECK_FALSE(report["scenario"].contains("seeds"));
  CHECK_FALSE(report.contains("replications"));
  std::filesystem::remove_all(dir);
}

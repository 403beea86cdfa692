// Timeline events and design knobs change the numbers the way the domain says they should.
#include <catch2/catch.hpp>

#include "support.h"

using estate::test::Json;
using estate::test::run_doc;

namespace {

// Everything ships through the 3PL, so its files decide what the pipeline and the ERP learn.
// The ERP has no quota here: a 945 lands thousands of shipment posts at once, and on a
// 600/min quota the resulting 429 storm (itself worth knowing) would blur the batch's delay.
Json only_3pl() {
  return Json::parse(R"({
    "duration": "3h",
    "locations": {"tpl": {"kind": "3pl", "dock_to_ship": {"lognormal": {"median": "30m", "p99": "2h"}}}},
    "erp": {"quota": {"rate": "0/s"}, "concurrency": 50},
    "pipeline": {"stages": {"erp_sync": {"workers": 50}}}
  })");
}

}  // namespace

TEST_CASE("a late 3PL shipping advice delays ship_to_erp, and a missing one leaves the ERP without those shipments") {
  const auto base = run_doc(only_3pl(), 21).report;
  CHECK(base["integrity"]["lost_orders"].get<int>() == 0);

  Json late = only_3pl();
  late["timeline"] = Json::parse(R"([{"at": "1h", "for": "1h", "late_batch": {"source": "tpl", "batch": "advice", "delay": "3h"}}])");
  const auto l = run_doc(late, 21).report;
  CHECK(l["integrity"]["lost_orders"].get<int>() == 0);
  CHECK(l["latency"]["ship_to_erp"]["max_s"].get<double>() > 3 * 3600.0);
  CHECK(base["latency"]["ship_to_erp"]["max_s"].get<double>() < 3600.0);

  Json missing = only_3pl();
  missing["timeline"] = Json::parse(R"([{"at": "1h", "for": "1h", "late_batch": {"source": "tpl", "batch": "advice", "missing": true}}])");
  const auto m = run_doc(missing, 21);
  CHECK(m.report["integrity"]["warehouse_events_lost"].get<int>() > 0);
  CHECK(m.report["integrity"]["lost_orders"].get<int>() == 0);  // they shipped
  CHECK(m.report["integrity"]["shipments_not_in_erp"].get<int>() > 0);
  CHECK(m.report["reconciliation"]["settled_variance"].get<double>() > 0.0);

  // Shipping orders (940) that go missing are retried by the connector: nothing is lost.
  Json orders = only_3pl();
  orders["timeline"] = Json::parse(R"([{"at": "1h", "for": "30m", "late_batch": {"source": "tpl", "batch": "orders", "missing": true}}])");
  const auto o = run_doc(orders, 21).report;
  CHECK(o["integrity"]["lost_orders"].get<int>() == 0);
  CHECK(o["retries"]["by_system"]["tpl"]["timeout"].get<int>() > 0);
}

TEST_CASE("a 3PL that loses the advice it held during an outage leaves the ERP without those shipments") {
  // Down for an hour, the 3PL keeps shipping and records its 945 lines. With replay they
  // reach the pipeline after the outage; with lose they never do: the goods left, the ERP
  // never heard, and the stock variance never settles.
  Json doc = only_3pl();
  doc["timeline"] = Json::parse(R"([{"at": "1h", "for": "1h", "outage": {"system": "tpl", "mode": "down"}}])");
  const auto replay = run_doc(doc, 44);
  const auto& r = replay.report;
  CHECK(r["integrity"]["warehouse_events_lost"].get<int>() == 0);
  CHECK(r["integrity"]["shipments_not_in_erp"].get<int>() == 0);
  CHECK(r["reconciliation"]["settled_variance"].get<double>() == 0.0);
  CHECK(replay.exit_code == estate::harness::kExitOk);

  doc["locations"]["tpl"]["on_recovery"] = "lose";
  const auto lose = run_doc(doc, 44);
  const auto& l = lose.report;
  const int lost = l["integrity"]["warehouse_events_lost"].get<int>();
  CHECK(lost > 1000);  // an hour of a day's shipping
  CHECK(l["integrity"]["shipments_not_in_erp"].get<int>() == lost);
  // The same shipments happened (common random numbers): the ERP recorded the others.
  CHECK(r["latency"]["ship_to_erp"]["count"].get<int>() - l["latency"]["ship_to_erp"]["count"].get<int>() == lost);
  CHECK(l["integrity"]["lost_orders"].get<int>() == 0);  // shipped is terminal
  CHECK(l["reconciliation"]["settled_variance"].get<double>() > 0.0);
  CHECK_THAT(l["reconciliation"]["findings"].dump(), Catch::Contains("the ERP never recorded the shipment"));
  CHECK(lose.exit_code == estate::harness::kExitOk);  // integrity holds; thresholds would judge the rest
}

TEST_CASE("late EDI batches delay their orders by the lateness: missing ones lose them") {
  // One EDI channel sending its orders every 10 minutes, and nothing else in the way: an
  // order waits for the next file, so order_to_erp is uniform on [0, 10m). Files sent
  // between 1h and 1h30m arrive an hour late.
  Json doc = estate::test::textbook_estate();
  doc["duration"] = "3h";
  doc["channels"] = Json::parse(R"({"edi": {"rate": "1/s", "lines": 1, "units": 1, "feed": {"mode": "none"},
      "delivery": {"mode": "batch", "interval": "10m", "latency": "0s", "duplicates": 0}}})");
  doc["erp"]["concurrency"] = 100;
  doc["erp"]["service_time"] = "0s";
  const auto base = run_doc(doc, 43).report;
  const auto& b = base["latency"]["order_to_erp"];
  CHECK(b["max_s"].get<double>() <= 600.0);
  CHECK(b["mean_s"].get<double>() == Approx(300.0).epsilon(0.03));

  doc["timeline"] = Json::parse(R"([{"at": "1h", "for": "30m", "late_batch": {"source": "edi", "delay": "1h"}}])");
  const auto late = run_doc(doc, 43).report;
  const auto& l = late["latency"]["order_to_erp"];
  CHECK(late["integrity"]["lost_orders"].get<int>() == 0);
  CHECK(l["count"] == b["count"]);
  CHECK(l["max_s"].get<double>() > 3600.0);
  CHECK(l["max_s"].get<double>() <= 3600.0 + 600.0);
  CHECK(l["p50_s"].get<double>() < 600.0);  // most orders were not in a late file

  // The same window's files missing: the orders they held never arrive. Those are the
  // orders the late files held, so the late run's mean grew by an hour times their share.
  doc["timeline"][0]["late_batch"] = Json::parse(R"({"source": "edi", "missing": true})");
  const auto missing = run_doc(doc, 43);
  const int held = missing.report["integrity"]["lost_orders"].get<int>();
  CHECK(held == Approx(1800).margin(200));  // three files of ~10 minutes at 1/s
  CHECK(missing.exit_code == estate::harness::kExitIntegrity);
  const double share = held / b["count"].get<double>();
  CHECK(l["mean_s"].get<double>() - b["mean_s"].get<double>() == Approx(3600.0 * share).epsilon(0.02));
}

TEST_CASE("without a reservation model the pipeline routes blindly and warehouses short-pick into oversell") {
  // Thin stock and stale channel views: the channels accept more than there is.
  Json doc = Json::parse(R"({
    "duration": "4h",
    "catalogue": {"skus": 200, "stock": {"cover": "2h"}},
    "channels": {"storefront": {"feed": {"mode": "batch", "interval": "30m"}},
                 "marketplace": {"feed": {"mode": "batch", "interval": "30m"}}}
  })");
  const auto with = run_doc(doc, 22).report;
  doc["pipeline"]["reservation"]["enabled"] = false;
  const auto without = run_doc(doc, 22).report;
  CHECK(with["integrity"]["short_picks"].get<int>() == 0);
  CHECK(without["integrity"]["short_picks"].get<int>() > 100);
  CHECK(with["oversell"]["oversold_units"].get<int>() > 0);  // stale views oversell either way
  CHECK(without["integrity"]["lost_orders"].get<int>() == 0);
  CHECK(with["integrity"]["lost_orders"].get<int>() == 0);
}

TEST_CASE("a channel that is down takes no orders, and demand is the same when it comes back") {
  Json doc = Json::parse(R"({"duration": "2h",
    "timeline": [{"at": "30m", "for": "30m", "outage": {"system": "storefront", "mode": "down"}}]})");
  const auto down = run_doc(doc, 23).report;
  doc.erase("timeline");
  const auto up = run_doc(doc, 23).report;
  const int refused = down["oversell"]["refused_at_channel"]["channel_down"].get<int>();
  CHECK(refused > 1000);  // 1.2/s for 30 min is about 2,160 customers
  CHECK(up["oversell"]["refused_at_channel"]["channel_down"].get<int>() == 0);
  // Common random numbers: the same customers arrived; those refused are the difference.
  CHECK(up["oversell"]["accepted_orders"].get<int>() - down["oversell"]["accepted_orders"].get<int>() == refused);
}

TEST_CASE("an ERP blackhole makes callers time out and retry: idempotency keys keep the ERP from double-booking") {
  Json doc = Json::parse(R"({"duration": "2h",
    "pipeline": {"erp_retry": {"attempts": 8, "timeout": "20s"}},
    "timeline": [{"at": "30m", "for": "10m", "outage": {"system": "erp", "mode": "blackhole"}}]})");
  const auto keyed = run_doc(doc, 24);
  CHECK(keyed.report["retries"]["by_system"]["erp"]["timeout"].get<int>() > 100);
  CHECK(keyed.report["integrity"]["duplicate_effects"].get<int>() == 0);
  CHECK(keyed.report["integrity"]["lost_orders"].get<int>() == 0);
  CHECK(keyed.report["outages"][0]["recover_s"].get<double>() > 0);
  doc["pipeline"]["idempotency"]["enabled"] = false;
  const auto unkeyed = run_doc(doc, 24);
  CHECK(unkeyed.report["integrity"]["duplicate_effects_by_kind"]["erp_order"].get<int>() > 100);
  CHECK(unkeyed.exit_code == estate::harness::kExitIntegrity);
}

TEST_CASE("a throttled ERP answers 429 and the pipeline's retries absorb it") {
  Json doc = Json::parse(R"({"duration": "2h", "pipeline": {"erp_retry": {"attempts": 10}}})");
  const auto normal = run_doc(doc, 25).report;
  doc["timeline"] = Json::parse(R"([{"at": "30m", "for": "30m", "throttle": {"quota": "60/min", "burst": 5}}])");
  const auto throttled = run_doc(doc, 25).report;
  CHECK(throttled["retries"]["erp_429"].get<int>() > 10 * (normal["retries"]["erp_429"].get<int>() + 1));
  CHECK(throttled["latency"]["order_to_erp"]["p99_s"].get<double>() > 5 * normal["latency"]["order_to_erp"]["p99_s"].get<double>() / 10);
  CHECK(throttled["integrity"]["lost_orders"].get<int>() == 0);
}

TEST_CASE("a run that hits its event budget or its drain bound says so, and fails integrity") {
  Json doc = Json::parse(R"({"duration": "1h", "limits": {"max_events": 20000}})");
  const auto budget = run_doc(doc, 26);
  CHECK(budget.report["run"]["event_budget_hit"].get<bool>());
  CHECK(budget.report["run"]["events"].get<int>() == 20000);
  CHECK(budget.exit_code == estate::harness::kExitIntegrity);
  CHECK_THAT(budget.report["verdict"]["reasons"].dump(), Catch::Contains("event budget"));

  // Every order goes to a 3PL that takes hours: a 10-minute drain leaves them unshipped.
  doc = Json::parse(R"({"duration": "1h", "drain": {"max": "10m"}, "locations": {"tpl": {"kind": "3pl"}}})");
  const auto drain = run_doc(doc, 26);
  CHECK(drain.report["run"]["drain_bound_hit"].get<bool>());
  CHECK_FALSE(drain.report["run"]["drained"].get<bool>());
  CHECK(drain.report["run"]["drain_s"].get<double>() == Approx(600.0));
  CHECK_THAT(drain.report["run"]["busy_at_end"].dump(), Catch::Contains("tpl"));
  CHECK_THAT(drain.report["verdict"]["warnings"].dump(), Catch::Contains("drain.max"));
  CHECK(drain.report["integrity"]["lost_orders"].get<int>() > 0);
  CHECK(drain.exit_code == estate::harness::kExitIntegrity);

  // A drain bound hit with nothing lost is a warning, not a failure.
  doc = Json::parse(R"({"duration": "1h", "drain": {"max": "10m"}, "locations": {"wh1": {"kind": "wms"}},
                        "timeline": [{"at": "50m", "for": "1h", "outage": {"system": "wh1", "mode": "down"}}]})");
  const auto warned = run_doc(doc, 26);
  CHECK(warned.report["run"]["drain_bound_hit"].get<bool>());
  CHECK_FALSE(warned.report["verdict"]["warnings"].empty());
}

TEST_CASE("the priority rule follows pipeline.routing.order") {
  // Regression: the configured order used to be parsed and ignored.
  Json doc = Json::parse(R"({"duration": "1h", "pipeline": {"routing": {"rule": "priority", "order": ["tpl", "wh1", "wh2"]}}})");
  const auto tpl_first = run_doc(doc, 27).report;
  CHECK(tpl_first["stages"]["tpl.work"]["arrivals"].get<int>() > 1000);
  CHECK(tpl_first["stages"]["wh2.pick"]["arrivals"].get<int>() == 0);
  doc["pipeline"]["routing"]["order"] = Json::parse(R"(["wh2", "wh1", "tpl"])");
  const auto wh2_first = run_doc(doc, 27).report;
  CHECK(wh2_first["stages"]["tpl.work"]["arrivals"].get<int>() == 0);
  CHECK(wh2_first["stages"]["wh2.pick"]["arrivals"].get<int>() > 1000);
}

TEST_CASE("a throttle to 0/s lets nothing through, while a quota of 0/s in the ERP's own settings means no quota") {
  Json doc = Json::parse(R"({"duration": "2h", "pipeline": {"erp_retry": {"attempts": 10}},
                             "timeline": [{"at": "30m", "for": "30m", "throttle": {"quota": "0/s"}}]})");
  const auto blocked = run_doc(doc, 28).report;
  CHECK(blocked["retries"]["erp_429"].get<int>() > 10000);
  CHECK(blocked["latency"]["order_to_erp"]["max_s"].get<double>() > 1500);
  doc.erase("timeline");
  doc["erp"]["quota"]["rate"] = "0/s";
  const auto unlimited = run_doc(doc, 28).report;
  CHECK(unlimited["retries"]["erp_429"].get<int>() == 0);
}

TEST_CASE("the drain lasts until batch-fed channels have been sent the final state") {
  // Regression: the run used to end between snapshots, leaving batch-fed views stale and
  // their last changes out of inventory_to_channel.
  const auto r = run_doc(Json{{"duration", "3h"}}, 29).report;
  const auto& i = r["integrity"];
  CHECK(i["inventory_changes_reflected"] == i["inventory_changes_applied"]);
  CHECK(r["reconciliation"]["settled_channel_view_variance"].get<double>() == 0.0);
}

TEST_CASE("overlapping windows of one kind on one system are refused") {
  Json doc = Json::parse(R"({"timeline": [
      {"at": "1h", "for": "2h", "outage": {"system": "erp", "mode": "down"}},
      {"at": "2h", "for": "1h", "outage": {"system": "erp", "mode": "slow"}}]})");
  CHECK_THROWS_WITH(run_doc(doc, 30), Catch::Contains("/timeline/1: expected a window that does not overlap the one at /timeline/0"));
  doc["timeline"][1]["at"] = "3h";  // back to back is fine
  CHECK_NOTHROW(estate::harness::parse_scenario(doc, estate::harness::Origin{"t.json", {}}));
}

TEST_CASE("a channel keeps the newest availability figure when feed messages overtake one another") {
  // Few SKUs changing many times a minute, over a link whose latency spreads from 1s to a
  // minute: figures often arrive out of order. The channel must end on the pipeline's last
  // figure, not on whichever arrived last (regression: it applied them in arrival order).
  const Json doc = Json::parse(R"({
    "duration": "2h",
    "catalogue": {"skus": 5, "zipf": 0, "stock": {"cover": "3d"}},
    "channels": {"storefront": {"rate": "2/s", "feed": {"mode": "event"},
                                "delivery": {"latency": {"lognormal": {"median": "1s", "p99": "60s"}}}}}
  })");
  for (std::uint64_t seed = 31; seed < 34; ++seed) {
    INFO("seed " << seed);
    const auto r = run_doc(doc, seed).report;
    CHECK(r["reconciliation"]["settled_channel_view_variance"].get<double>() == 0.0);
  }
}

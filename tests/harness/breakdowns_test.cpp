// Breakdowns, windows, recovery and the demand/drain split of stage figures: each is checked
// against what the model must produce by construction or by queueing theory.
#include <catch2/catch.hpp>

#include "harness/scenario.h"
#include "harness/thresholds.h"
#include "support.h"

using estate::harness::Json;
using estate::test::run_doc;
using estate::test::textbook_estate;

namespace {
// The textbook estate with a second channel whose deliveries take 20 s to reach the pipeline,
// and warehouses that never ship within the run (the ERP sees order posts only).
Json two_channels() {
  Json doc = textbook_estate();
  doc["duration"] = "3h";
  doc["drain"]["max"] = "30m";
  doc["locations"]["wh"]["pick_time"] = "1000h";
  doc["erp"]["concurrency"] = 2;
  doc["channels"]["slow"] = doc["channels"]["shop"];
  doc["channels"]["slow"]["delivery"]["latency"] = "20s";
  return doc;
}
}  // namespace

TEST_CASE("latency by channel separates what the blend hides, and the parts add up to the whole") {
  const auto r = run_doc(two_channels(), 11).report;
  const auto& erp = r["latency"]["order_to_erp"];
  const auto& shop = erp["by_channel"]["shop"];
  const auto& slow = erp["by_channel"]["slow"];
  CHECK(shop["count"].get<std::uint64_t>() + slow["count"].get<std::uint64_t>() == erp["count"].get<std::uint64_t>());
  // The slow channel's orders reach the pipeline 20 s later: every one of them takes 20 s or more.
  CHECK(slow["p50_s"].get<double>() >= 20.0);
  CHECK(shop["p90_s"].get<double>() < 20.0);
  CHECK(erp["p50_s"].get<double>() > shop["p50_s"].get<double>());
  CHECK(erp["p50_s"].get<double>() < slow["p50_s"].get<double>());
  // Flows through a warehouse are broken down by location too; the others are not.
  CHECK(r["latency"]["order_to_warehouse"]["by_location"].contains("wh"));
  CHECK_FALSE(erp.contains("by_location"));
}

TEST_CASE("a per-channel latency is a metric thresholds can name") {
  Json doc = two_channels();
  doc["thresholds"] = {{"latency.order_to_erp.by_channel.slow.p50", "< 10s"}, {"latency.order_to_erp.by_channel.shop.p99", "< 1m"}};
  estate::harness::Scenario sc = estate::harness::parse_scenario(doc, estate::harness::Origin{"test.json", {}});
  estate::harness::check_thresholds(sc);
  estate::harness::RunOptions options;
  options.seed = 11;
  const auto res = estate::harness::run_scenario(sc, options);
  const auto& t = res.report["thresholds"];
  REQUIRE(t.size() == 2);
  CHECK(t[0]["verdict"] == "fail");  // 20 s of delivery latency alone
  CHECK(t[1]["verdict"] == "pass");
  CHECK(res.exit_code != 0);
  // ... and a failed threshold is a reason in the verdict.
  CHECK_THAT(res.report["verdict"]["reasons"].dump(), Catch::Contains("latency.order_to_erp.by_channel.slow.p50"));
}

TEST_CASE("ERP requests by calling flow: every order posted once when nothing fails") {
  const auto r = run_doc(two_channels(), 12).report;
  const auto& calls = r["retries"]["erp_calls"];
  const auto& posts = calls["by_flow"]["order_posts"];
  CHECK(posts["erp_requests"].get<std::uint64_t>() == r["latency"]["order_to_erp"]["count"].get<std::uint64_t>());
  CHECK(posts["retries"].get<std::uint64_t>() == 0);
  CHECK(calls["by_flow"]["shipment_confirmations"]["erp_requests"].get<std::uint64_t>() == 0);
  CHECK(calls["erp_requests"].get<std::uint64_t>() == posts["erp_requests"].get<std::uint64_t>());
}

TEST_CASE("windows: figures for what started inside a throttle, 429s by flow, and the period after") {
  Json doc = two_channels();
  doc["erp"]["quota"] = {{"rate", "10/s"}, {"burst", 10}};
  // From 1h to 1h30 the ERP takes 0.2 requests/s while a second of orders comes at 1/s.
  doc["timeline"] = Json::array({{{"at", "1h"}, {"for", "30m"}, {"throttle", {{"quota", "0.2/s"}}}}});
  doc["pipeline"]["erp_retry"] = {{"attempts", 100}, {"cap", "10s"}, {"timeout", "1h"}};
  const auto r = run_doc(doc, 13).report;
  REQUIRE(r["windows"].contains("throttle"));
  const auto& w = r["windows"]["throttle"];
  CHECK(w["during"]["start_s"].get<double>() == 3600.0);
  CHECK(w["after"]["end_s"].get<double>() == 7200.0);
  const auto& during = w["during"]["calls"]["by_flow"]["order_posts"];
  CHECK(during["erp_429"].get<std::uint64_t>() > 100);
  // Nearly every 429 of the run falls inside the throttle (the rest: its backlog, just after).
  CHECK(w["during"]["calls"]["erp_429"].get<double>() > 0.8 * r["retries"]["erp_429"].get<double>());
  CHECK(w["during"]["calls"]["erp_429"].get<double>() + w["after"]["calls"]["erp_429"].get<double>() ==
        r["retries"]["erp_429"].get<double>());
  // Orders placed during the throttle waited for quota; orders an hour later (after the
  // recovery period) did not, which the run-wide p50 blends away.
  const double in = w["during"]["latency"]["order_to_erp"]["p50_s"].get<double>();
  CHECK(in > 60.0);
  CHECK(r["latency"]["order_to_erp"]["p50_s"].get<double>() < in / 5);
  // 1/s for 30 minutes, give or take Poisson noise (sd 42).
  CHECK(w["during"]["latency"]["order_ack"]["count"].get<double>() == Approx(1800).margin(200));
  CHECK(w["during"]["oversell"]["accepted_units"].get<double>() == Approx(1800).margin(200));
}

TEST_CASE("windows of the same kind are numbered, and each is its own metric") {
  Json doc = two_channels();
  doc["timeline"] = Json::array({{{"at", "30m"}, {"for", "10m"}, {"promotion", {{"multiplier", 2}}}},
                                 {{"at", "2h"}, {"for", "10m"}, {"promotion", {{"multiplier", 2}}}}});
  const auto r = run_doc(doc, 14).report;
  CHECK(r["windows"].contains("promotion_1"));
  CHECK(r["windows"].contains("promotion_2"));
  CHECK(r["timeline"][1]["key"] == "promotion_2");
}

TEST_CASE("recovery after an ERP outage is when the backlog drains, as M/M/2 predicts") {
  // lambda = 1/s over two channels... here 0.5/s each = 1/s, mu = 1/s per server, c = 2: the
  // 30-minute outage leaves about 1800 orders, drained at c*mu - lambda = 1/s: ~30 minutes.
  Json doc = two_channels();
  doc["channels"]["slow"]["delivery"]["latency"] = "0s";
  doc["timeline"] = Json::array({{{"at", "1h"}, {"for", "30m"}, {"outage", {{"system", "erp"}, {"mode", "down"}}}}});
  doc["pipeline"]["erp_retry"] = {{"attempts", 100}, {"timeout", "1h"}, {"cap", "1m"}};
  const auto r = run_doc(doc, 15).report;
  const auto& o = r["outages"][0];
  CHECK(o["recovered"].get<bool>());
  const double backlog = o["backlog"]["recovered_after_s"].get<double>();
  CHECK(backlog == Approx(1800).epsilon(0.25));
  const double latency = o["latency_recovery"]["order_to_erp"]["recovered_after_s"].get<double>();
  CHECK(latency == Approx(1800).epsilon(0.25));
  CHECK(o["recover_s"].get<double>() == std::max(backlog, latency));
  // The requests that started in the outage settle before the backlog is gone: that figure
  // would call this recovered too soon.
  CHECK(o["requests_settled_s"].get<double>() < backlog);
}

TEST_CASE("stage figures cover the demand period, with the drain apart") {
  // The ERP as M/M/2 at lambda = 1/s: utilisation 0.5 while demand lasts. Over a run with a
  // long drain it would read far lower.
  Json doc = two_channels();
  doc["channels"]["slow"]["delivery"]["latency"] = "0s";
  doc["drain"]["max"] = "10h";
  doc["locations"]["wh"]["pick_time"] = "5h";  // shipments post to the ERP during the drain
  const auto r = run_doc(doc, 16).report;
  const auto& erp = r["stages"]["erp"];
  CHECK(erp["period"] == "demand");
  CHECK(erp["span_s"].get<double>() == 10800.0);
  CHECK(erp["throughput_per_s"].get<double>() == Approx(1.0).epsilon(0.05));
  CHECK(erp["drain"]["span_s"].get<double>() > 3600.0);
  CHECK(erp["drain"]["departures"].get<std::uint64_t>() > 0);
  CHECK(erp["utilization"].get<double>() == Approx(0.5).epsilon(0.06));
  CHECK(erp["arrivals"].get<double>() == Approx(10800).epsilon(0.05));
}

TEST_CASE("inventory_to_channel by channel: an event feed and a batch feed, each its own staleness") {
  Json doc = textbook_estate();
  doc["duration"] = "6h";
  doc["channels"]["shop"]["rate"] = "0.2/s";
  doc["channels"]["shop"]["feed"] = {{"mode", "event"}};
  doc["channels"]["edi"] = doc["channels"]["shop"];
  doc["channels"]["edi"]["feed"] = {{"mode", "batch"}, {"interval", "10m"}};
  doc["erp"]["concurrency"] = 100;
  const auto r = run_doc(doc, 17).report;
  const auto& inv = r["latency"]["inventory_to_channel"];
  CHECK(inv["by_channel"]["shop"]["max_s"].get<double>() < 0.001);
  // Uniform on [0, T): mean T/2.
  CHECK(inv["by_channel"]["edi"]["mean_s"].get<double>() == Approx(300).epsilon(0.06));
  // Every channel sees every change; the flow as a whole waits for the slowest.
  CHECK(inv["by_channel"]["shop"]["count"] == inv["count"]);
  CHECK(inv["by_channel"]["edi"]["count"] == inv["count"]);
  CHECK(inv["mean_s"].get<double>() == Approx(inv["by_channel"]["edi"]["mean_s"].get<double>()).epsilon(0.001));
}

TEST_CASE("oversell by location partitions the oversold units") {
  const auto r = run_doc(Json{{"duration", "2h"}, {"catalogue", {{"stock", {{"cover", "2h"}}}}}}, 18).report;
  const auto& o = r["oversell"];
  std::int64_t accepted = 0, oversold = 0;
  for (const auto& [loc, v] : o["by_location"].items()) {
    accepted += v["accepted_units"].get<std::int64_t>();
    oversold += v["oversold_units"].get<std::int64_t>();
  }
  CHECK(accepted == o["accepted_units"].get<std::int64_t>());
  CHECK(oversold == o["oversold_units"].get<std::int64_t>());
  CHECK(oversold > 0);
}

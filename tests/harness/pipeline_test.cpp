// The reference pipeline's own behaviour, seen in the report: where its routing rule sends
// orders, what an outage or a slowdown of one of its stages does to the flows, and how fast
// its dead-letter queue goes back.
#include <catch2/catch.hpp>
#include <utility>

#include "support.h"

using estate::test::Json;
using estate::test::run_doc;
using estate::test::textbook_estate;

namespace {

int arrivals(const Json& report, const char* station) { return report["stages"][station]["arrivals"].get<int>(); }

}  // namespace

TEST_CASE("most-stock routing (the default) sends a line to the location with the most stock, priority to the first in order") {
  // wh2 holds three times wh1's stock of every SKU, and the stock is ample, so wh2 has the
  // most all day. Priority (wh1 first, as declared) sends everything to wh1 instead.
  Json doc = Json::parse(R"({"duration": "1h",
    "locations": {"wh1": {"kind": "wms", "stock_share": 1}, "wh2": {"kind": "wms", "stock_share": 3}}})");
  const auto by_default = run_doc(doc, 40).report;
  CHECK(arrivals(by_default, "wh2.pick") > 5000);
  CHECK(arrivals(by_default, "wh1.pick") == 0);
  CHECK(by_default["integrity"]["lost_orders"].get<int>() == 0);

  doc["pipeline"]["routing"]["rule"] = "priority";
  const auto priority = run_doc(doc, 40).report;
  CHECK(arrivals(priority, "wh1.pick") > 5000);
  CHECK(arrivals(priority, "wh2.pick") == 0);

  // It follows the stock, not the order of declaration: swap the shares and wh1 gets them.
  doc["pipeline"]["routing"]["rule"] = "most_stock";
  doc["locations"]["wh1"]["stock_share"] = 3;
  doc["locations"]["wh2"]["stock_share"] = 1;
  const auto swapped = run_doc(doc, 40).report;
  CHECK(arrivals(swapped, "wh1.pick") > 5000);
  CHECK(arrivals(swapped, "wh2.pick") == 0);

  // With equal stock, each shipment from one location leaves the other with more: most-stock
  // spreads the work about evenly, where priority would keep to wh1.
  doc["locations"]["wh1"]["stock_share"] = 1;
  doc["locations"]["wh2"]["stock_share"] = 1;
  const auto even = run_doc(doc, 40).report;
  const double wh1 = arrivals(even, "wh1.pick"), wh2 = arrivals(even, "wh2.pick");
  CHECK(wh1 / (wh1 + wh2) == Approx(0.5).margin(0.1));
}

namespace {

// Orders at 2/s through an allocate stage of one worker taking 100 ms (capacity 10/s), with
// nothing else in the way: zero latencies, the release right after allocation.
Json one_allocator() {
  Json doc = textbook_estate();
  doc["duration"] = "2h";
  doc["channels"]["shop"]["rate"] = "2/s";
  doc["erp"]["concurrency"] = 100;
  doc["erp"]["service_time"] = "10ms";
  doc["pipeline"]["stages"]["allocate"] = Json::parse(R"({"service_time": "100ms", "workers": 1})");
  return doc;
}

}  // namespace

TEST_CASE("a pipeline stage that is down holds its work until it is back: slow, it falls behind and catches up") {
  const auto base = run_doc(one_allocator(), 41).report;
  CHECK(base["latency"]["order_ack"]["max_s"].get<double>() < 2.0);

  // Down for 10 minutes: the first order of the window waits all of them; the ~1,200 orders
  // of the window wait in allocate's queue; nothing is lost.
  Json down = one_allocator();
  down["timeline"] = Json::parse(R"([{"at": "1h", "for": "10m", "outage": {"system": "pipeline.allocate", "mode": "down"}}])");
  const auto d = run_doc(down, 41).report;
  CHECK(d["latency"]["order_ack"]["max_s"].get<double>() == Approx(600.0).margin(2.0));
  CHECK(d["stages"]["pipeline.allocate"]["peak_queue"].get<double>() == Approx(1200.0).epsilon(0.1));
  CHECK(d["integrity"]["lost_orders"].get<int>() == 0);

  // Slow x10 for 10 minutes: 1 s a job, capacity 1/s against 2/s, so the queue grows by 1/s
  // to ~600 at the end of the window. An order arriving t seconds in finds t ahead, served at
  // 1/s while the window lasts, then at 10/s: the longest wait is ~300 s (at t = 300 s).
  Json slow = one_allocator();
  slow["timeline"] = Json::parse(R"([{"at": "1h", "for": "10m", "outage": {"system": "pipeline.allocate", "mode": "slow", "factor": 10}}])");
  const auto s = run_doc(slow, 41).report;
  CHECK(s["latency"]["order_ack"]["max_s"].get<double>() == Approx(300.0).epsilon(0.15));
  CHECK(s["stages"]["pipeline.allocate"]["peak_queue"].get<double>() == Approx(600.0).epsilon(0.15));
  CHECK(s["stages"]["pipeline.allocate"]["utilization"].get<double>() >
        base["stages"]["pipeline.allocate"]["utilization"].get<double>() + 0.05);

  // A connector stage down holds the ERP posts, not the acknowledgements (sent at allocation).
  Json sync = one_allocator();
  sync["timeline"] = Json::parse(R"([{"at": "1h", "for": "10m", "outage": {"system": "pipeline.erp_sync", "mode": "down"}}])");
  const auto e = run_doc(sync, 41).report;
  CHECK(e["latency"]["order_to_erp"]["max_s"].get<double>() == Approx(600.0).margin(2.0));
  CHECK(e["latency"]["order_ack"]["max_s"].get<double>() < 2.0);
  CHECK(e["integrity"]["lost_orders"].get<int>() == 0);
}

namespace {

// Orders at 1/s; the warehouse is down from 10m to 20m and a release it refuses is
// dead-lettered at once. The DLQ is redriven every 30 minutes.
Json dead_letters_at_wh() {
  Json doc = textbook_estate();
  doc["duration"] = "1h";
  doc["channels"]["shop"]["rate"] = "1/s";
  doc["erp"]["concurrency"] = 100;
  doc["erp"]["service_time"] = "0s";
  doc["pipeline"]["warehouse_retry"] = Json::parse(R"({"attempts": 1})");
  doc["pipeline"]["dlq"] = Json::parse(R"({"redrive": "30m"})");
  doc["timeline"] = Json::parse(R"([{"at": "10m", "for": "10m", "outage": {"system": "wh", "mode": "down"}}])");
  return doc;
}

}  // namespace

TEST_CASE("dead letters go back on the redrive interval, at the redrive rate") {
  // The N releases refused during the outage wait in the DLQ until the redrive at 30m, then
  // go back one every 1/rate. The last was placed just before the outage ended (20m), so it
  // reaches the warehouse (zero latencies) about 10m + (N - 1)/rate after it was placed:
  // that is order_to_warehouse's max.
  const std::pair<const char*, double> rates[] = {{"0.5/s", 0.5}, {"15/min", 0.25}};
  for (const auto& [text, rate] : rates) {
    INFO("redrive_rate " << text);
    Json doc = dead_letters_at_wh();
    doc["pipeline"]["dlq"]["redrive_rate"] = text;
    const auto r = run_doc(doc, 42).report;
    const int n = r["integrity"]["dead_letters"]["wh:unavailable"].get<int>();
    CHECK(n == Approx(600).margin(100));  // ~1/s for 10 minutes
    CHECK(r["integrity"]["redrives"].get<int>() == n);
    CHECK(r["integrity"]["lost_orders"].get<int>() == 0);
    CHECK(r["latency"]["order_to_warehouse"]["max_s"].get<double>() == Approx(600.0 + (n - 1) / rate).margin(10.0));
  }
  // A later redrive (45m) delays them all by the difference.
  Json late = dead_letters_at_wh();
  late["pipeline"]["dlq"] = Json::parse(R"({"redrive": "45m", "redrive_rate": "0.5/s"})");
  const auto r = run_doc(late, 42).report;
  const int n = r["integrity"]["dead_letters"]["wh:unavailable"].get<int>();
  CHECK(r["latency"]["order_to_warehouse"]["max_s"].get<double>() == Approx(1500.0 + (n - 1) / 0.5).margin(10.0));
}

// Back-pressure: stage queue bounds hold, and pipeline.backpressure decides what a full queue
// does (block: the worker handing work on stays held; refuse: ingest turns orders away with
// 503 and the channel resends). Nothing is lost or doubled either way, and tiny queues
// everywhere do not deadlock.
#include <catch2/catch.hpp>

#include "support.h"

using estate::test::Json;
using estate::test::run_doc;
using estate::test::textbook_estate;

namespace {

constexpr std::uint64_t kAllocateBound = 5;
constexpr std::uint64_t kIngestBound = 100;

// One push channel at 1.5 orders/s for 20 minutes against an allocate stage that serves one
// order a second: a backlog of about 600 orders builds up in front of allocate.
Json slow_allocate(const char* backpressure, std::uint64_t allocate_queue = kAllocateBound) {
  Json doc = textbook_estate();
  doc["duration"] = "20m";
  doc["channels"]["shop"]["rate"] = "1.5/s";
  doc["erp"]["concurrency"] = 100;
  doc["erp"]["service_time"] = "10ms";
  auto& stages = doc["pipeline"]["stages"];
  stages["ingest"] = {{"service_time", "0s"}, {"workers", 2}, {"queue", kIngestBound}};
  stages["allocate"] = {{"service_time", "1s"}, {"workers", 1}, {"queue", allocate_queue}};
  doc["pipeline"]["backpressure"] = backpressure;
  return doc;
}

void check_integrity(const Json& r) {
  CHECK(r["run"]["drained"].get<bool>());
  CHECK(r["integrity"]["lost_orders"].get<int>() == 0);
  CHECK(r["integrity"]["duplicate_effects"].get<int>() == 0);
  CHECK(r["integrity"]["conservation_ok"].get<bool>());
  // Every customer's order got in and was acknowledged (none given up by the channel).
  CHECK(r["integrity"]["deliveries_failed"].get<int>() == 0);
  CHECK(r["latency"]["order_ack"]["count"].get<std::uint64_t>() == r["run"]["orders_placed"].get<std::uint64_t>());
}

}  // namespace

TEST_CASE("the same slow allocate stage queues hundreds of orders when its bound is the default") {
  // The premise of the tests below: without a small bound the backlog sits in allocate's queue.
  const auto r = run_doc(slow_allocate("block", 100'000), 7).report;
  CHECK(r["stages"]["pipeline.allocate"]["peak_queue"].get<std::uint64_t>() > 300);
  CHECK(r["stages"]["pipeline.ingest"]["refused"].get<std::uint64_t>() == 0);
  CHECK(r["retries"]["deliveries_resent"].get<std::uint64_t>() == 0);
}

TEST_CASE("backpressure block: allocate's queue stays within its bound and ingest's workers are held") {
  const auto res = run_doc(slow_allocate("block"), 7);
  const Json& r = res.report;
  const auto& alloc = r["stages"]["pipeline.allocate"];
  const auto& ingest = r["stages"]["pipeline.ingest"];
  CHECK(alloc["peak_queue"].get<std::uint64_t>() <= kAllocateBound);
  CHECK(alloc["peak_queue"].get<std::uint64_t>() == kAllocateBound);  // the bound was reached, and held
  // Orders waited upstream, in ingest, whose workers stayed held while allocate was full.
  CHECK(alloc["held_upstream"].get<std::uint64_t>() > 0);
  CHECK(ingest["blocked"].get<std::uint64_t>() > 0);
  CHECK(ingest["mean_blocked"].get<double>() > 0.5);  // of 2 workers, on average over the run
  CHECK(ingest["peak_queue"].get<std::uint64_t>() > 0);
  CHECK(ingest["peak_queue"].get<std::uint64_t>() <= kIngestBound);
  // Ingest refuses only once its own queue is full: then the channel resends.
  if (ingest["refused"].get<std::uint64_t>() > 0) CHECK(ingest["peak_queue"].get<std::uint64_t>() == kIngestBound);
  check_integrity(r);
  CHECK(res.exit_code == estate::harness::kExitOk);
}

TEST_CASE("backpressure refuse: allocate's queue stays within its bound, ingest answers 503 and the channel resends") {
  const auto res = run_doc(slow_allocate("refuse"), 7);
  const Json& r = res.report;
  const auto& alloc = r["stages"]["pipeline.allocate"];
  const auto& ingest = r["stages"]["pipeline.ingest"];
  CHECK(alloc["peak_queue"].get<std::uint64_t>() <= kAllocateBound);
  CHECK(alloc["peak_queue"].get<std::uint64_t>() == kAllocateBound);
  // Orders wait at the channel instead: refused at the door, sent again later.
  CHECK(ingest["refused"].get<std::uint64_t>() > 100);
  CHECK(r["retries"]["deliveries_resent"].get<std::uint64_t>() > 100);
  CHECK(r["retries"]["deliveries_resent"].get<std::uint64_t>() >= ingest["refused"].get<std::uint64_t>());
  // Nothing piles up inside: ingest's workers are never held and nothing waits outside allocate.
  CHECK(ingest["blocked"].get<std::uint64_t>() == 0);
  CHECK(ingest["peak_queue"].get<std::uint64_t>() < kIngestBound);
  CHECK(alloc["held_upstream"].get<std::uint64_t>() == 0);
  check_integrity(r);
  CHECK(res.exit_code == estate::harness::kExitOk);
}

TEST_CASE("a queue of one at every stage does not deadlock: the run drains, bounds hold, nothing is lost") {
  // Every hand-off meets a full queue: ingest -> allocate -> erp_sync -> release, events ->
  // erp_sync/release/feed, timers (snapshots, 940s, retries, redrives), a warehouse outage,
  // an allocate outage, and correct-mode reconciliation whose corrections go from the
  // connectors' answers back to erp_sync (with one erp_sync worker, holding it for those
  // would deadlock at once). Channels keep resending until they get in.
  Json doc = Json::parse(R"({
    "duration": "1h",
    "catalogue": {"skus": 200, "stock": {"cover": "3h"}},
    "pipeline": {
      "stages": {"ingest": {"queue": 1}, "allocate": {"queue": 1, "workers": 1}, "erp_sync": {"queue": 1, "workers": 1},
                 "release": {"queue": 1, "workers": 1}, "events": {"queue": 1, "workers": 1}, "feed": {"queue": 1, "workers": 1}},
      "reconciliation": {"interval": "20m", "mode": "correct"}
    },
    "timeline": [
      {"at": "5m", "drift": {"location": "wh1", "skus": {"top": 30}, "units": -4}},
      {"at": "15m", "for": "10m", "outage": {"system": "wh2", "mode": "down"}},
      {"at": "25m", "for": "5m", "outage": {"system": "pipeline.allocate", "mode": "down"}},
      {"at": "30m", "for": "20m", "promotion": {"multiplier": 4, "skus": {"top": 10}}}
    ]
  })");
  for (const char* ch : {"storefront", "marketplace", "edi", "b2b"})
    doc["channels"][ch] = {{"delivery", {{"attempts", 100}, {"retry_cap", "10m"}}}};
  for (const char* mode : {"block", "refuse"}) {
    INFO(mode);
    doc["pipeline"]["backpressure"] = mode;
    const Json r = run_doc(doc, 11).report;
    std::uint64_t blocked = 0, held = 0;
    for (const auto& [name, stage] : r["stages"].items()) {
      if (name.rfind("pipeline.", 0) != 0) continue;
      INFO(name);
      CHECK(stage["peak_queue"].get<std::uint64_t>() <= 1);
      CHECK(stage["in_system_at_end"].get<std::uint64_t>() == 0);
      blocked += stage["blocked"].get<std::uint64_t>();
      held += stage["held_upstream"].get<std::uint64_t>();
    }
    CHECK(blocked > 1000);
    CHECK(held > 1000);
    CHECK(r["stages"]["pipeline.ingest"]["refused"].get<std::uint64_t>() > 0);
    CHECK(r["reconciliation"]["settled_variance"].get<double>() == 0.0);
    check_integrity(r);
  }
}

// Batch feeds have a phase: a snapshot at offset + k * interval. By default the batch-fed
// channels are spread out, so two feeds of the same interval do not publish together.
#include <catch2/catch.hpp>

#include <set>

#include "support.h"

using estate::test::Json;
using estate::test::run_doc;
using estate::test::textbook_estate;

namespace {

// Two channels on 10-minute batch feeds, zero latencies and service times, a one-minute
// series. A change is reflected once both channels have a figure that covers it, so
// inventory_to_channel completes only at the instants the feeds publish.
Json two_batch_channels() {
  Json doc = textbook_estate();
  doc["report"] = {{"series_interval", "1m"}};
  doc["erp"]["concurrency"] = 100;
  Json shop = doc["channels"]["shop"];
  shop["rate"] = "0.2/s";
  shop["feed"] = {{"mode", "batch"}, {"interval", "10m"}};
  doc["channels"] = {{"a", shop}, {"b", shop}};
  return doc;
}

// Where in the 10-minute cycle the series has completions: the set of (minute mod 10).
std::set<long> publish_minutes(const Json& doc) {
  const Json r = run_doc(doc, 5).report;
  std::set<long> minutes;
  for (const auto& point : r["latency"]["inventory_to_channel"]["series"])
    if (point["count"].get<std::uint64_t>() > 0) minutes.insert(std::lround(point["t_s"].get<double>() / 60.0) % 10);
  return minutes;
}

}  // namespace

TEST_CASE("two batch feeds of one interval publish at different instants by default, and an offset moves them") {
  Json aligned = two_batch_channels();
  aligned["channels"]["a"]["feed"]["offset"] = "0s";
  aligned["channels"]["b"]["feed"]["offset"] = "0s";
  const auto together = publish_minutes(aligned);
  REQUIRE(together.size() == 1);  // both publish at k * 10m: one phase
  const long base = *together.begin();

  // Default: a at 0, b at 5m (G = 10m, n = 2).
  const auto spread = publish_minutes(two_batch_channels());
  CHECK(spread == std::set<long>{base, (base + 5) % 10});

  // b moved to 2m past: changes now complete at both phases, 2 minutes apart.
  Json moved = two_batch_channels();
  moved["channels"]["a"]["feed"]["offset"] = "0s";
  moved["channels"]["b"]["feed"]["offset"] = "2m";
  CHECK(publish_minutes(moved) == std::set<long>{base, (base + 2) % 10});

  // Both moved by the same offset: one phase again, shifted by it.
  aligned["channels"]["a"]["feed"]["offset"] = "3m";
  aligned["channels"]["b"]["feed"]["offset"] = "3m";
  CHECK(publish_minutes(aligned) == std::set<long>{(base + 3) % 10});
}

// latency.<flow>.plot_windows: the per-interval points merged until a window holds enough events
// for a p99 (the HTML draws its percentile lines from them).
#include <algorithm>
#include <catch2/catch.hpp>
#include <limits>
#include <string>

#include "support.h"

using estate::test::Json;
using estate::test::run_doc;
using estate::test::textbook_estate;

TEST_CASE("latency windows hold 100 events and 5 minutes, tile the series, and report the merged percentiles") {
  // Proves, on a quiet estate (0.2 orders/s: 12 a minute, so a window needs about 9 minutes)
  // and on every flow: windows are in order and do not overlap; each starts and ends on
  // intervals of the series; together they hold every event, each exactly the events of the
  // series points it spans; every window but the last holds at least 100 events over at
  // least 5 minutes; and its percentiles are those of the merged events: each lies between
  // the smallest and the largest of its points' (a mixture's quantile always does), and its
  // max is their max.
  Json doc = textbook_estate();
  doc["duration"] = "2h";
  doc["channels"]["shop"]["rate"] = "0.2/s";
  const auto result = run_doc(doc, 7);
  const Json& latency = result.report["latency"];
  const double interval = result.report["run"]["series_interval_s"].get<double>();
  int flows_checked = 0;
  for (const auto& [flow, v] : latency.items()) {
    const Json& windows = v["plot_windows"];
    const Json& points = v["series"];
    INFO(flow);
    if (v["count"].get<std::uint64_t>() == 0) {
      CHECK(windows.empty());
      continue;
    }
    ++flows_checked;
    REQUIRE(!windows.empty());
    std::uint64_t total = 0;
    std::size_t p = 0;  // the first series point not yet in a window
    for (std::size_t i = 0; i < windows.size(); ++i) {
      const Json& w = windows[i];
      INFO("window " << i << ": " << w.dump());
      const double t0 = w["t_s"].get<double>(), t1 = w["end_s"].get<double>();
      const auto count = w["count"].get<std::uint64_t>();
      total += count;
      CHECK(t0 < t1);
      if (i > 0) CHECK(windows[i - 1]["end_s"].get<double>() <= t0);
      if (i + 1 < windows.size()) {
        CHECK(count >= 100);
        CHECK(t1 - t0 >= 300.0);
      }
      // The points it spans: from a point at t0 to one at t1 - interval.
      REQUIRE(p < points.size());
      CHECK(points[p]["t_s"].get<double>() == t0);
      std::uint64_t in = 0;
      double lo[3], hi[3], max = 0;
      std::fill(lo, lo + 3, std::numeric_limits<double>::infinity());
      std::fill(hi, hi + 3, 0.0);
      const char* keys[] = {"p50_s", "p90_s", "p99_s"};
      double last_t = t0;
      for (; p < points.size() && points[p]["t_s"].get<double>() < t1; ++p) {
        in += points[p]["count"].get<std::uint64_t>();
        for (int k = 0; k < 3; ++k) {
          lo[k] = std::min(lo[k], points[p][keys[k]].get<double>());
          hi[k] = std::max(hi[k], points[p][keys[k]].get<double>());
        }
        max = std::max(max, points[p]["max_s"].get<double>());
        last_t = points[p]["t_s"].get<double>();
      }
      CHECK(last_t + interval == Approx(t1));
      CHECK(in == count);
      for (int k = 0; k < 3; ++k) {
        INFO(keys[k]);
        CHECK(w[keys[k]].get<double>() >= lo[k]);
        CHECK(w[keys[k]].get<double>() <= hi[k]);
      }
      CHECK(w["max_s"].get<double>() == max);
      CHECK(w["p50_s"].get<double>() <= w["p90_s"].get<double>());
      CHECK(w["p90_s"].get<double>() <= w["p99_s"].get<double>());
      CHECK(w["p99_s"].get<double>() <= w["max_s"].get<double>());
    }
    CHECK(p == points.size());
    CHECK(total == v["count"].get<std::uint64_t>());
    // Quiet enough that windows merge many intervals: fewer windows than points.
    if (v["count"].get<std::uint64_t>() > 1000) CHECK(windows.size() * 5 <= points.size());
  }
  CHECK(flows_checked >= 4);
}

// sim::Histogram as the metrics use it. Values are latencies in ticks (microseconds) drawn
// once, up front, from a wide lognormal (median 1 min, p99 4 h: many octaves, like
// order_to_ship), so RNG cost is out of the timed loops.
//
// - Record: one histogram that is never reset (a flow's `all`); one item = one record.
// - MinuteSeries/N: what Metrics does every simulated minute for one flow: N records into
//   the minute's histogram, then p50/p90/p99 in one pass and a reset. One item = one minute.
// - Percentiles: p50..p99.9 of a histogram holding 1M values (the end-of-run report).
// - PartsMerge: a histogram of 1M values written as its parts, read back and merged (what a
//   sharded sweep's merge does per histogram of every run).
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "sim/distribution.h"
#include "sim/histogram.h"
#include "sim/rng.h"
#include "sim/time.h"

namespace {

using estate::sim::Histogram;

constexpr std::size_t kValues = std::size_t{1} << 20;
constexpr std::size_t kValueMask = kValues - 1;

const std::vector<std::int64_t>& values() {
  static const std::vector<std::int64_t> v = [] {
    estate::sim::Rng rng(20240602);
    const auto dist = estate::sim::Distribution::lognormal(60.0, 4 * 3600.0);
    std::vector<std::int64_t> out(kValues);
    for (auto& x : out) x = estate::sim::from_seconds(dist.sample(rng));
    return out;
  }();
  return v;
}

void BM_Histogram_Record(benchmark::State& state) {
  const auto& v = values();
  Histogram h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(v[i++ & kValueMask]);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_Histogram_MinuteSeries(benchmark::State& state) {
  const auto& v = values();
  const auto per_minute = static_cast<std::size_t>(state.range(0));
  Histogram current;
  std::size_t i = 0;
  const std::array<double, 3> qs = {0.5, 0.9, 0.99};
  std::array<std::int64_t, 3> out{};
  for (auto _ : state) {
    for (std::size_t k = 0; k < per_minute; ++k) current.record(v[i++ & kValueMask]);
    current.percentiles(qs, out);
    benchmark::DoNotOptimize(out);
    current.reset();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_Histogram_Percentiles(benchmark::State& state) {
  const auto& v = values();
  Histogram h;
  for (const auto x : v) h.record(x);
  const std::array<double, 5> qs = {0.5, 0.9, 0.95, 0.99, 0.999};
  std::array<std::int64_t, 5> out{};
  for (auto _ : state) {
    h.percentiles(qs, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// What a shard costs per histogram and a merge gets back: parts() of a histogram holding 1M
// values, rebuilt with from_parts() and merged into an accumulator (one item = one histogram).
void BM_Histogram_PartsMerge(benchmark::State& state) {
  const auto& v = values();
  Histogram h;
  for (const auto x : v) h.record(x);
  Histogram acc;
  for (auto _ : state) {
    const Histogram back = Histogram::from_parts(h.parts());
    acc.merge(back);
    benchmark::DoNotOptimize(acc.count());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["buckets"] = static_cast<double>(h.parts().buckets.size());
}

}  // namespace

BENCHMARK(BM_Histogram_Record);
BENCHMARK(BM_Histogram_MinuteSeries)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK(BM_Histogram_Percentiles);
BENCHMARK(BM_Histogram_PartsMerge);

// The event queue against std::priority_queue doing the same work, so the README can state
// the ratio. Workload: the classic "hold model": N events pending; each item pops the
// earliest event and schedules a new one at (popped time + an exponential increment). The
// increments are drawn once, up front, from sim::Rng/Distribution, so RNG cost is out of
// the timed loop and every queue sees the identical sequence of times. One item = one
// pop + one push; the ratio to read is EventQueue_Hold / StdPQ_Hold_Payload items/s.
//
// PushCancel models requests with timeouts (std::priority_queue has no cancel): N requests
// in flight, each with its response event and a timeout 4 s later. Increments are capped
// below the timeout so every timeout is cancelled before it fires; cancelled keys stay in
// the heap until they surface (about 4N of them in steady state), which it measures too.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "model/message.h"
#include "sim/distribution.h"
#include "sim/event_queue.h"
#include "sim/rng.h"
#include "sim/time.h"

namespace {

using estate::model::Msg;
using estate::sim::EventId;
using estate::sim::EventQueue;
using estate::sim::Tick;

static_assert(sizeof(Msg) == 64, "the comparison assumes the 64-byte message");

constexpr std::size_t kIncrements = std::size_t{1} << 20;  // covers the 1M initial fill
constexpr std::size_t kIncrementMask = kIncrements - 1;

// Exponential increments, mean 1 s, in ticks; the same vector for every benchmark.
const std::vector<Tick>& increments() {
  static const std::vector<Tick> incs = [] {
    estate::sim::Rng rng(20240601);
    const auto dist = estate::sim::Distribution::exponential(1.0);
    std::vector<Tick> v(kIncrements);
    for (Tick& t : v) t = std::max<Tick>(1, estate::sim::from_seconds(dist.sample(rng)));
    return v;
  }();
  return incs;
}

std::size_t pending(const benchmark::State& state) { return static_cast<std::size_t>(state.range(0)); }

Msg payload(std::size_t i) {
  Msg m = estate::model::make_timer(1, i);
  m.order = static_cast<std::uint32_t>(i);
  m.value = static_cast<std::int64_t>(i);
  return m;
}

// Hold model on estate::sim::EventQueue<model::Msg>: what the simulator's hot loop does.
void BM_EventQueue_Hold(benchmark::State& state) {
  const std::vector<Tick>& incs = increments();
  const std::size_t n = pending(state);
  EventQueue<Msg> q;
  for (std::size_t i = 0; i < n; ++i) q.push(incs[i & kIncrementMask], payload(i));
  std::size_t k = n;
  Tick at = 0;
  Msg m;
  for (auto _ : state) {
    q.pop(at, m);
    benchmark::DoNotOptimize(m);
    m.id += 1;
    q.push(at + incs[k++ & kIncrementMask], m);
  }
  state.SetItemsProcessed(state.iterations());
}

struct FullEntry {
  Tick time;
  std::uint64_t seq;
  Msg payload;
};
struct FullLater {
  bool operator()(const FullEntry& a, const FullEntry& b) const {
    return a.time > b.time || (a.time == b.time && a.seq > b.seq);
  }
};

// Fair baseline: std::priority_queue of {time, seq, Msg} on (time, seq), as stable as ours, same payload.
void BM_StdPQ_Hold_Payload(benchmark::State& state) {
  const std::vector<Tick>& incs = increments();
  const std::size_t n = pending(state);
  std::vector<FullEntry> init;
  init.reserve(n);
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < n; ++i) init.push_back({incs[i & kIncrementMask], ++seq, payload(i)});
  std::priority_queue<FullEntry, std::vector<FullEntry>, FullLater> pq(FullLater{}, std::move(init));
  std::size_t k = n;
  for (auto _ : state) {
    FullEntry e = pq.top();
    pq.pop();
    benchmark::DoNotOptimize(e.payload);
    e.payload.id += 1;
    e.time += incs[k++ & kIncrementMask];
    e.seq = ++seq;
    pq.push(e);
  }
  state.SetItemsProcessed(state.iterations());
}

struct IndexEntry {
  Tick time;
  std::uint64_t seq;
  std::uint32_t index;
};
struct IndexLater {
  bool operator()(const IndexEntry& a, const IndexEntry& b) const {
    return a.time > b.time || (a.time == b.time && a.seq > b.seq);
  }
};

// Cheapest reasonable alternative: std::priority_queue of {time, seq, index} + side vector of Msg.
void BM_StdPQ_Hold_Index(benchmark::State& state) {
  const std::vector<Tick>& incs = increments();
  const std::size_t n = pending(state);
  std::vector<Msg> payloads;
  payloads.reserve(n);
  std::vector<IndexEntry> init;
  init.reserve(n);
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    payloads.push_back(payload(i));
    init.push_back({incs[i & kIncrementMask], ++seq, static_cast<std::uint32_t>(i)});
  }
  std::priority_queue<IndexEntry, std::vector<IndexEntry>, IndexLater> pq(IndexLater{}, std::move(init));
  std::size_t k = n;
  for (auto _ : state) {
    IndexEntry e = pq.top();
    pq.pop();
    Msg m = payloads[e.index];
    benchmark::DoNotOptimize(m);
    m.id += 1;
    payloads[e.index] = m;
    e.time += incs[k++ & kIncrementMask];
    e.seq = ++seq;
    pq.push(e);
  }
  state.SetItemsProcessed(state.iterations());
}

// Timeouts cancelled before they fire (std::priority_queue cannot): item = pop + cancel + 2 pushes.
void BM_EventQueue_PushCancel(benchmark::State& state) {
  const std::vector<Tick>& incs = increments();
  const std::size_t n = pending(state);
  constexpr Tick kTimeout = estate::sim::seconds(4);
  auto response_after = [&](std::size_t k) { return std::min(incs[k & kIncrementMask], kTimeout - 1); };
  EventQueue<Msg> q;
  for (std::size_t i = 0; i < n; ++i) {
    Msg m = payload(i);
    m.ref = q.push(kTimeout, estate::model::make_timer(2, i));  // the timeout, to cancel
    q.push(response_after(i), m);
  }
  std::size_t k = n;
  std::int64_t cancelled = 0;
  Tick at = 0;
  Msg m;
  for (auto _ : state) {
    q.pop(at, m);
    cancelled += q.cancel(m.ref) ? 1 : 0;
    m.id += 1;
    m.ref = q.push(at + kTimeout, estate::model::make_timer(2, m.id));
    q.push(at + response_after(k++), m);
  }
  if (cancelled != state.iterations()) state.SkipWithError("a timeout fired before it was cancelled");
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_EventQueue_Hold)->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20);
BENCHMARK(BM_StdPQ_Hold_Payload)->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20);
BENCHMARK(BM_StdPQ_Hold_Index)->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20);
BENCHMARK(BM_EventQueue_PushCancel)->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20);

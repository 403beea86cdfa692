// Replaying a log (harness/replay.h): at scale 1 the channels get exactly the logged orders at
// their instants after from, offset and speed; the volume scale thins or superposes on common
// random numbers, so a smaller scale's orders are a subset of a larger one's, 0.5 keeps about
// half, 2 doubles exactly, and the log's shape over the day is kept.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "harness/replay.h"

using namespace estate::harness;
using estate::sim::Tick;

namespace {

constexpr Tick kHour = 3'600'000'000LL;

// A day-shaped log: two channels, orders every few seconds, three times as dense from 2h to 3h.
OrderLog shaped_log() {
  OrderLog log;
  Tick t = 0;
  for (std::uint32_t i = 0; t < 6 * kHour; ++i) {
    const bool busy = t >= 2 * kHour && t < 3 * kHour;
    t += (busy ? 2'000'000 : 6'000'000) + static_cast<Tick>(i % 7) * 100'000;
    const auto lines = static_cast<std::uint8_t>(1 + i % 3);
    log.orders.push_back({t, static_cast<estate::model::ChannelId>(i % 2), lines, static_cast<std::uint32_t>(log.lines.size()), i + 2});
    for (std::uint8_t l = 0; l < lines; ++l) log.lines.push_back({static_cast<estate::model::SkuId>((i + l) % 50), 1 + l});
  }
  log.file_lines = log.lines.size();
  return log;
}

TraceSpec spec_of(const OrderLog& log) {
  TraceSpec s;
  s.file = "log.csv";
  s.log = std::make_shared<const OrderLog>(log);
  return s;
}

ReplayPlan plan(const TraceSpec& s, double scale, std::uint64_t seed = 1, Tick duration = 6 * kHour) {
  return plan_replay(s, {scale, seed, duration, 2, 50});
}

// Every placed order as (channel, instant, first sku, lines), sorted: a multiset to compare.
using Placed = std::tuple<std::size_t, Tick, std::uint32_t, int>;
std::vector<Placed> placed(const ReplayPlan& p) {
  std::vector<Placed> out;
  for (std::size_t c = 0; c < p.channels.size(); ++c)
    for (const auto& o : p.channels[c].orders) out.emplace_back(c, o.at, p.channels[c].lines[o.first_line].sku, o.line_count);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<double> per_quarter_hour(const ReplayPlan& p) {
  std::vector<double> bins(24, 0.0);
  for (const auto& c : p.channels)
    for (const auto& o : c.orders) bins[static_cast<std::size_t>(o.at / (kHour / 4))] += 1;
  return bins;
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ma += a[i] / n, mb += b[i] / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

}  // namespace

TEST_CASE("at scale 1 the channels get exactly the logged orders, at their instants") {
  const OrderLog log = shaped_log();
  const ReplayPlan p = plan(spec_of(log), 1.0);
  CHECK(p.placed == log.orders.size() - p.after);
  CHECK(p.copies == 0);
  CHECK(p.thinned == 0);
  std::size_t next[2] = {0, 0};
  for (std::uint32_t i = 0; i < log.orders.size(); ++i) {
    const LoggedOrder& o = log.orders[i];
    if (o.t >= 6 * kHour) continue;
    const auto& ch = p.channels[o.channel];
    REQUIRE(next[o.channel] < ch.orders.size());
    const auto& r = ch.orders[next[o.channel]++];
    CHECK(r.at == o.t);
    REQUIRE(r.line_count == o.line_count);
    CHECK(ch.lines[r.first_line].sku == log.lines[o.first_line].sku);
    CHECK(ch.lines[r.first_line].qty == log.lines[o.first_line].qty);
  }
  CHECK(next[0] == p.channels[0].orders.size());
  CHECK(next[1] == p.channels[1].orders.size());
  // Scale 1 is the log whatever the seed.
  CHECK(placed(plan(spec_of(log), 1.0, 99)) == placed(p));
}

TEST_CASE("from, offset and speed move the log onto the run, and what falls outside is counted") {
  const OrderLog log = shaped_log();
  TraceSpec s = spec_of(log);
  s.from = 2 * kHour;     // start two hours into the log...
  s.offset = kHour / 2;   // ...at 30 minutes into the run...
  s.speed = 2;            // ...twice as fast: log 2h..4h plays at 0h30..1h30 of a 1h30 run
  const ReplayPlan p = plan(s, 1.0, 1, 3 * kHour / 2);
  std::uint64_t before = 0, inside = 0, after = 0;
  for (const auto& o : log.orders) {
    if (o.t < 2 * kHour) ++before;
    else if (o.t < 4 * kHour) ++inside;
    else ++after;
  }
  CHECK(p.before == before);
  CHECK(p.after == after);
  CHECK(p.placed == inside);
  const auto all = placed(p);
  CHECK(std::get<1>(all.front()) >= kHour / 2);
  CHECK(std::get<1>(all.back()) < 3 * kHour / 2);
  // An order at log time t plays at offset + (t - from) / speed.
  const auto first = std::find_if(log.orders.begin(), log.orders.end(), [](const LoggedOrder& o) { return o.t >= 2 * kHour; });
  const auto& ch = p.channels[first->channel];
  CHECK(ch.orders.front().at == kHour / 2 + (first->t - 2 * kHour) / 2);
}

TEST_CASE("the volume scale thins and superposes on common random numbers: nested, about right, shape kept") {
  const OrderLog log = shaped_log();
  const TraceSpec s = spec_of(log);
  const auto n = static_cast<double>(plan(s, 1.0).placed);
  const auto half = plan(s, 0.5), one = plan(s, 1.0), two = plan(s, 2.0), two_half = plan(s, 2.5), three = plan(s, 3.0);
  // 0.5 keeps each order with probability 1/2 (binomial: within 4 standard deviations).
  CHECK(std::abs(static_cast<double>(half.placed) - n / 2) < 4 * std::sqrt(n / 4));
  CHECK(half.thinned == static_cast<std::uint64_t>(n) - half.placed);
  // 2 plays every order twice; 2.5 a third copy of about half of them.
  CHECK(std::abs(static_cast<double>(two.placed) - 2 * n) <= 2);  // a copy of the last orders may land past the end
  CHECK(std::abs(static_cast<double>(two_half.placed) - 2.5 * n) < 4 * std::sqrt(n / 4) + 2);
  // Nested: every order placed at a smaller scale is placed, at the same instant, at a larger one.
  auto subset = [](const std::vector<Placed>& a, const std::vector<Placed>& b) { return std::includes(b.begin(), b.end(), a.begin(), a.end()); };
  CHECK(subset(placed(half), placed(one)));
  CHECK(subset(placed(one), placed(two)));
  CHECK(subset(placed(two), placed(two_half)));
  CHECK(subset(placed(two_half), placed(three)));
  CHECK_FALSE(subset(placed(three), placed(two_half)));
  // A copy is not its original's twin: no two orders of a channel share an instant at scale 3
  // that did not at scale 1.
  std::map<std::pair<std::size_t, Tick>, int> at;
  for (const auto& [c, t, sku, lines] : placed(three)) ++at[{c, t}];
  CHECK(std::none_of(at.begin(), at.end(), [](const auto& kv) { return kv.second > 1; }));
  // The shape: orders per quarter hour at 0.5 and 3 follow the log's (the busy hour included).
  CHECK(correlation(per_quarter_hour(one), per_quarter_hour(three)) > 0.95);
  CHECK(correlation(per_quarter_hour(one), per_quarter_hour(half)) > 0.9);
  const auto bins = per_quarter_hour(three);
  CHECK(bins[9] > 2 * bins[4]);  // 2h15..2h30 is in the busy hour, about 2.7 times as dense
  // Another seed thins differently (the scale's noise is the seed's, as rates' is).
  CHECK(placed(plan(s, 0.5, 2)) != placed(half));
}

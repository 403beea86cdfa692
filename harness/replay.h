#pragma once
// Replaying an order log as a run's demand (demand.trace): which logged orders each channel
// places, and when, after the time offset, the speed factor and the volume scale.
//
// The volume scale s (demand.scale) thins or superposes the log on common random numbers.
// Copy k = 0, 1, ... of logged order i is placed iff u(seed, i, k) < s - k, u uniform on [0, 1)
// and a pure function of the run's seed, the order's position in the log and k. So at s = 1
// the log plays exactly; s = 0.5 keeps each order with probability one half; s = 2.5 plays
// every order twice and a third copy of half of them. Because u does not depend on s, the
// orders placed at a smaller scale are a subset of those at a larger one (a sweep of
// demand.scale compares nested demands, as rates on common random numbers do), and because
// each order's copies stay near it, the log's shape over the day is kept at every scale.
// Copy 0 keeps the order's instant; a copy k >= 1 lands at a uniform point (another
// hash-derived uniform) between the order and its channel's next order in the log (the last
// one: between the previous order and it), so a superposed day has no simultaneous twins and
// the channel's local rate, not a global jitter, sets how far a copy moves.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/order_log.h"
#include "harness/reader.h"
#include "mocks/channel.h"
#include "sim/time.h"

namespace estate::harness {

struct TraceSpec {
  std::string file;  // as the scenario writes it
  std::string path;  // resolved against the scenario file's folder
  LogFormat format = LogFormat::csv;
  sim::Tick offset = 0;  // the scenario instant at which log time `from` plays
  sim::Tick from = 0;    // where in the log replay begins; earlier orders are not replayed
  double speed = 1.0;    // log seconds per scenario second
  std::shared_ptr<const OrderLog> log;
};

struct ChannelReplay {
  std::vector<mocks::ReplayedOrder> orders;  // in time order
  std::vector<model::OrderLine> lines;
};

struct ReplayPlan {
  std::vector<ChannelReplay> channels;
  // Units per second each SKU sells in the replayed part of the log at scale 1 (stock is
  // sized from it, as it is from the rates as written without a log).
  std::vector<double> base_units_per_s;
  std::uint64_t before = 0;    // logged orders before `from`, or that would play before 0
  std::uint64_t after = 0;     // logged orders that would play at or after the duration
  std::uint64_t placed = 0;    // orders the channels are given (every copy)
  std::uint64_t copies = 0;    // of those, copies k >= 1
  std::uint64_t thinned = 0;   // logged orders in the window whose copy 0 the scale left out
};

struct ReplayTarget {
  double scale = 1.0;
  std::uint64_t seed = 0;
  sim::Tick duration = 0;
  std::size_t channels = 0;
  std::size_t skus = 0;
};

ReplayPlan plan_replay(const TraceSpec& spec, const ReplayTarget& target);

// The report's "trace" section: the log, how it was replayed, and what was left out.
Json replay_json(const TraceSpec& spec, const ReplayPlan& plan, double scale);
// A warning for the verdict when logged orders fell outside the run; empty otherwise.
std::string replay_warning(const ReplayPlan& plan, const TraceSpec& spec);

}  // namespace estate::harness

#include "harness/replay.h"

#include <algorithm>
#include <cmath>

#include "harness/metrics.h"
#include "harness/units.h"
#include "sim/rng.h"

namespace estate::harness {
using sim::Tick;

namespace {

// A uniform on [0, 1) from (key, order, copy, purpose) alone: the same logged order gets the
// same number at every scale, which is what makes the scales nested.
double crn_uniform(std::uint64_t key, std::uint64_t order, std::uint64_t copy, std::uint64_t purpose) {
  std::uint64_t state = key;
  state = sim::splitmix64(state) ^ order;
  state = sim::splitmix64(state) ^ (copy << 1 | purpose);
  return static_cast<double>(sim::splitmix64(state) >> 11) * 0x1.0p-53;
}

struct Placement {
  Tick at;
  std::uint32_t order;  // index into the log
  std::uint32_t copy;
};

// Log time of copy k of order i: the order's own for k = 0, else a uniform point towards its
// channel's next logged order (the previous one for the last).
Tick copy_time(const OrderLog& log, const std::vector<std::uint32_t>& neighbour, std::uint32_t i, double u) {
  const Tick t = log.orders[i].t;
  const Tick other = log.orders[neighbour[i]].t;
  return t + static_cast<Tick>(std::llround(u * static_cast<double>(other - t)));
}

// For each logged order, the channel's next order in the log (or its previous, for the last;
// itself when the channel has one order).
std::vector<std::uint32_t> neighbours(const OrderLog& log, std::size_t channels) {
  const auto n = static_cast<std::uint32_t>(log.orders.size());
  std::vector<std::uint32_t> next(n), last(channels, n), prev(n, n);
  for (std::uint32_t i = n; i-- > 0;) {
    const auto c = log.orders[i].channel;
    next[i] = last[c];
    last[c] = i;
  }
  std::vector<std::uint32_t> seen(channels, n);
  for (std::uint32_t i = 0; i < n; ++i) {
    const auto c = log.orders[i].channel;
    prev[i] = seen[c];
    seen[c] = i;
  }
  for (std::uint32_t i = 0; i < n; ++i)
    if (next[i] == n) next[i] = prev[i] == n ? i : prev[i];
  return next;
}

}  // namespace

ReplayPlan plan_replay(const TraceSpec& spec, const ReplayTarget& target) {
  const OrderLog& log = *spec.log;
  ReplayPlan plan;
  plan.channels.resize(target.channels);
  plan.base_units_per_s.assign(target.skus, 0.0);
  const std::uint64_t key = sim::Rng::stream(target.seed, "demand:trace").next();
  const auto near = neighbours(log, target.channels);
  // Scenario instant of a log time; after the run (or before it) when outside.
  auto instant = [&](Tick t) -> Tick {
    const Tick into = t - spec.from;
    return spec.offset + (spec.speed == 1.0 ? into : static_cast<Tick>(std::llround(static_cast<double>(into) / spec.speed)));
  };
  const auto copies = static_cast<std::uint32_t>(std::ceil(target.scale));
  std::vector<std::vector<Placement>> placed(target.channels);
  for (std::uint32_t i = 0; i < log.orders.size(); ++i) {
    const LoggedOrder& o = log.orders[i];
    const Tick at = instant(o.t);
    if (o.t < spec.from || at < 0) {
      ++plan.before;
      continue;
    }
    if (at >= target.duration) {
      ++plan.after;
      continue;
    }
    for (const auto& l : log.lines_of(o)) plan.base_units_per_s[l.sku] += l.qty;
    for (std::uint32_t k = 0; k < copies; ++k) {
      if (!(crn_uniform(key, i, k, 0) < target.scale - k)) {
        if (k == 0) ++plan.thinned;
        continue;
      }
      const Tick copy_at = k == 0 ? at : instant(copy_time(log, near, i, crn_uniform(key, i, k, 1)));
      if (copy_at < 0 || copy_at >= target.duration) continue;
      placed[o.channel].push_back({copy_at, i, k});
      ++plan.placed;
      plan.copies += k > 0;
    }
  }
  for (double& u : plan.base_units_per_s) u /= sim::to_seconds(target.duration);
  for (std::size_t c = 0; c < target.channels; ++c) {
    auto& ps = placed[c];
    std::sort(ps.begin(), ps.end(), [](const Placement& a, const Placement& b) {
      return a.at != b.at ? a.at < b.at : a.order != b.order ? a.order < b.order : a.copy < b.copy;
    });
    ChannelReplay& out = plan.channels[c];
    out.orders.reserve(ps.size());
    for (const auto& p : ps) {
      const LoggedOrder& o = log.orders[p.order];
      out.orders.push_back({p.at, static_cast<std::uint32_t>(out.lines.size()), o.line_count});
      const auto lines = log.lines_of(o);
      out.lines.insert(out.lines.end(), lines.begin(), lines.end());
    }
  }
  return plan;
}

Json replay_json(const TraceSpec& spec, const ReplayPlan& plan, double scale) {
  return {{"file", spec.file},
          {"format", log_format_name(spec.format)},
          {"hash", spec.log->hash},
          {"log_lines", spec.log->file_lines},
          {"log_orders", spec.log->orders.size()},
          {"offset_s", round6(sim::to_seconds(spec.offset))},
          {"from_s", round6(sim::to_seconds(spec.from))},
          {"speed", spec.speed},
          {"scale", scale},
          {"orders_placed", plan.placed},
          {"copies", plan.copies},
          {"thinned", plan.thinned},
          {"outside_run", {{"before", plan.before}, {"after", plan.after}}}};
}

std::string replay_warning(const ReplayPlan& plan, const TraceSpec& spec) {
  if (plan.before + plan.after == 0) return "";
  return "demand.trace: " + std::to_string(plan.before + plan.after) + " of " + std::to_string(spec.log->orders.size()) +
         " logged orders fall outside the run after from, offset and speed (" + std::to_string(plan.before) + " before, " +
         std::to_string(plan.after) + " after) and were not replayed";
}

}  // namespace estate::harness

#include "harness/metrics.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "sim/assert.h"

namespace estate::harness {
using sim::Tick;

namespace {
constexpr std::uint8_t kDoubled = 32;
const char* kDuplicateKinds[] = {"erp_order", "shipment", "erp_shipment", "stock_movement"};
constexpr double kQuantiles[] = {0.5, 0.9, 0.95, 0.99, 0.999};
// A latency window closes once it holds this many events (enough for a p99 that is not just
// the window's largest value) and spans at least this long (so batch deliveries every minute
// or two, say, do not make a line alternate from one interval to the next). The charts draw
// their percentile lines from windows.
constexpr std::uint64_t kWindowEvents = 100;
constexpr Tick kWindowSpan = sim::minutes(5);
}  // namespace

double round6(double v) {
  if (v == 0 || !std::isfinite(v)) return std::isfinite(v) ? 0.0 : v;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return std::strtod(buf, nullptr);
}

const char* flow_name(Flow f) {
  switch (f) {
    case Flow::order_to_erp: return "order_to_erp";
    case Flow::order_to_warehouse: return "order_to_warehouse";
    case Flow::order_to_ship: return "order_to_ship";
    case Flow::ship_to_erp: return "ship_to_erp";
    case Flow::inventory_to_channel: return "inventory_to_channel";
    case Flow::order_ack: return "order_ack";
    case Flow::count: break;
  }
  return "?";
}

Metrics::Metrics(MetricsSetup setup, const model::OrderBook& book) : setup_(std::move(setup)), book_(book) {
  const std::size_t records = setup_.locations * setup_.skus;
  ESTATE_ASSERT(setup_.initial_on_hand.size() == records, "metrics: initial stock size");
  open_units_.assign(setup_.skus, 0);
  moved_.assign(records, 0);
  shipped_units_.assign(records, 0);
  last_version_.assign(setup_.channel_names.size() * setup_.skus, 0);
  head_.assign(records, kNil);
  tail_.assign(records, kNil);
  refused_by_channel_.assign(setup_.channel_names.size(), 0);
  resent_by_channel_.assign(setup_.channel_names.size(), 0);
  retries_.assign(setup_.system_names.size(), std::vector<std::uint64_t>(5, 0));
  dead_letters_.assign(setup_.system_names.size(), std::vector<std::uint64_t>(5, 0));
  if (setup_.series_interval <= 0) setup_.series_interval = sim::minutes(1);
  for (auto& v : by_channel_) v.resize(setup_.channel_names.size());
  for (auto& v : by_location_) v.resize(setup_.locations);
  cursor_.assign(setup_.channel_names.size() * records, kNil);
  // Group locations by the set of channels that must come to see their changes (usually one
  // set for all), so a feed message computes each set's minimum version once.
  watcher_set_.assign(setup_.locations, 0);
  for (std::size_t l = 0; l < setup_.locations; ++l) {
    std::vector<model::ChannelId> set;
    for (std::size_t c = 0; c < setup_.sells_from.size(); ++c) {
      const auto& sf = setup_.sells_from[c];
      if (setup_.has_feed[c] && std::find(sf.begin(), sf.end(), l) != sf.end()) set.push_back(static_cast<model::ChannelId>(c));
    }
    auto it = std::find(watchers_.begin(), watchers_.end(), set);
    watcher_set_[l] = static_cast<std::uint8_t>(it - watchers_.begin());
    if (it == watchers_.end()) watchers_.push_back(set);
  }
}

// ------------------------------------------------------------------------------- latency

void Metrics::flush_series(Series& s, std::int64_t upto_bucket) {
  if (s.current.count() > 0) {
    std::int64_t q[3];
    const double qs[] = {0.5, 0.9, 0.99};
    s.current.percentiles(qs, q);
    s.points.push_back({{"t_s", round6(sim::to_seconds(s.bucket * setup_.series_interval))},
                        {"count", s.current.count()},
                        {"mean_s", round6(s.current.mean() / 1e6)},
                        {"p50_s", round6(sim::to_seconds(q[0]))},
                        {"p90_s", round6(sim::to_seconds(q[1]))},
                        {"p99_s", round6(sim::to_seconds(q[2]))},
                        {"max_s", round6(sim::to_seconds(s.current.max()))}});
    if (s.window.count() == 0) s.window_first = s.bucket;
    s.window_last = s.bucket;
    s.window.merge(s.current);
    if (s.window.count() >= kWindowEvents && (s.bucket + 1 - s.window_first) * setup_.series_interval >= kWindowSpan)
      flush_window(s);
    s.current.reset();
  }
  s.bucket = upto_bucket;
}

void Metrics::flush_window(Series& s) {
  if (s.window.count() == 0) return;
  std::int64_t q[3];
  const double qs[] = {0.5, 0.9, 0.99};
  s.window.percentiles(qs, q);
  s.windows.push_back({{"t_s", round6(sim::to_seconds(s.window_first * setup_.series_interval))},
                       {"end_s", round6(sim::to_seconds((s.window_last + 1) * setup_.series_interval))},
                       {"count", s.window.count()},
                       {"p50_s", round6(sim::to_seconds(q[0]))},
                       {"p90_s", round6(sim::to_seconds(q[1]))},
                       {"p99_s", round6(sim::to_seconds(q[2]))},
                       {"max_s", round6(sim::to_seconds(s.window.max()))}});
  s.window.reset();
}

namespace {
// Which breakdowns a flow has: every flow is some channel's; the flows that happen at or after
// a warehouse have a fulfilling location (inventory_to_channel: where the change happened).
bool has_location(Flow f) { return f != Flow::order_to_erp && f != Flow::order_ack; }
}  // namespace

void Metrics::add_outage(OutageWindow w) {
  outages_.push_back({std::move(w), -1, {}});
}

void Metrics::add_window(WindowSpec w) { windows_.push_back({std::move(w), {}, {}}); }

// After an outage ends, a flow has recovered once the p90 of what completes is back within the
// p90 of everything that completed before the outage began: samples are taken in probes of
// kProbe completions, and the first probe that passes marks the recovery at its first sample.
void Metrics::track_recovery(Flow f, Tick now, Tick latency, int loc) {
  constexpr std::uint64_t kProbe = 20;
  const int fi = static_cast<int>(f);
  if (now >= setup_.demand_end) return;  // without demand, nothing new completes to judge
  for (auto& o : outages_) {
    if (now < o.w.start) continue;
    // After a location's outage, the flows through locations are judged on its own orders:
    // the others' mix (a 3PL's hours beside a WMS's minutes) would hide or fake a recovery.
    const bool own = o.w.location >= 0 && has_location(f);
    if (own && loc != o.w.location) continue;
    const sim::Histogram& before = own ? by_location_[fi][static_cast<std::size_t>(o.w.location)] : flows_[fi].all;
    FlowRecovery& r = o.flows[fi];
    if (r.pre_p90 == -1) r.pre_p90 = before.count() > 0 ? before.percentile(0.9) : -2;
    if (now < o.w.end || r.pre_p90 < 0 || r.recovered_at >= 0) continue;
    if (r.probe_start < 0) r.probe_start = now;
    r.probe.record(latency);
    if (r.probe.count() < kProbe) continue;
    if (r.probe.percentile(0.9) <= r.pre_p90) r.recovered_at = r.probe_start;
    r.probe.reset();
    r.probe_start = -1;
  }
}

void Metrics::record(Flow f, Tick now, Tick start, int channel, int loc) {
  const int fi = static_cast<int>(f);
  Series& s = flows_[fi];
  const Tick latency = std::max<Tick>(0, now - start);
  if (!outages_.empty()) track_recovery(f, now, latency, loc);
  s.all.record(latency);
  if (channel >= 0) by_channel_[fi][static_cast<std::size_t>(channel)].record(latency);
  if (loc >= 0) by_location_[fi][static_cast<std::size_t>(loc)].record(latency);
  for (auto& w : windows_) {
    if (start >= w.spec.start && start < w.spec.end) w.during.latency[fi].record(latency);
    else if (start >= w.spec.end && start < w.spec.after_end) w.after.latency[fi].record(latency);
  }
  const std::int64_t bucket = now / setup_.series_interval;
  if (bucket != s.bucket) flush_series(s, bucket);
  s.current.record(latency);
}

namespace {
// A histogram coarsened for plotting: [upper bound in seconds, count] with eight bins per
// power of two (about 9% wide), empty bins left out.
Json distribution(const sim::Histogram& h) {
  Json out = Json::array();
  std::uint64_t bin_upper = 0, count = 0;
  auto flush = [&] {
    if (count > 0) out.push_back({round6(sim::to_seconds(static_cast<Tick>(bin_upper))), count});
    count = 0;
  };
  h.for_each_bucket([&](std::uint64_t low, std::uint64_t width, std::uint64_t n) {
    const std::uint64_t high = low + width;
    if (high > bin_upper) {
      flush();
      // The next bin edge at or above `high` on the grid 2^(k/8) (values below 8 ticks: exact).
      bin_upper = high <= 8 ? high : static_cast<std::uint64_t>(std::ceil(std::exp2(std::ceil(std::log2(static_cast<double>(high)) * 8) / 8)));
    }
    count += n;
  });
  flush();
  return out;
}
}  // namespace

Json latency_summary(const sim::Histogram& h) {
  std::int64_t q[5];
  h.percentiles(kQuantiles, q);
  return {{"count", h.count()},
          {"mean_s", round6(h.mean() / 1e6)},
          {"p50_s", round6(sim::to_seconds(q[0]))},
          {"p90_s", round6(sim::to_seconds(q[1]))},
          {"p95_s", round6(sim::to_seconds(q[2]))},
          {"p99_s", round6(sim::to_seconds(q[3]))},
          {"p999_s", round6(sim::to_seconds(q[4]))},
          {"max_s", round6(sim::to_seconds(h.max()))}};
}


Json Metrics::latency_json(Tick) {
  Json out = Json::object();
  for (int f = 0; f < static_cast<int>(Flow::count); ++f) {
    Series& s = flows_[f];
    flush_series(s, s.bucket + 1);
    flush_window(s);  // the last window, with however many events it holds
    Json j = latency_summary(s.all);
    Json by_channel = Json::object();
    for (std::size_t c = 0; c < by_channel_[f].size(); ++c)
      if (static_cast<Flow>(f) != Flow::inventory_to_channel || setup_.has_feed[c])
        by_channel[setup_.channel_names[c]] = latency_summary(by_channel_[f][c]);
    j["by_channel"] = std::move(by_channel);
    if (has_location(static_cast<Flow>(f))) {
      Json by_location = Json::object();
      for (std::size_t l = 0; l < by_location_[f].size(); ++l)
        by_location[setup_.location_names[l]] = latency_summary(by_location_[f][l]);
      j["by_location"] = std::move(by_location);
    }
    j["distribution"] = distribution(s.all);
    j["series"] = s.points;
    j["plot_windows"] = s.windows;
    out[flow_name(static_cast<Flow>(f))] = std::move(j);
  }
  return out;
}

std::vector<std::pair<std::string, const sim::Histogram*>> Metrics::histograms() const {
  std::vector<std::pair<std::string, const sim::Histogram*>> out;
  for (int f = 0; f < static_cast<int>(Flow::count); ++f) {
    const std::string base = std::string("/latency/") + flow_name(static_cast<Flow>(f));
    out.emplace_back(base, &flows_[f].all);
    for (std::size_t c = 0; c < by_channel_[f].size(); ++c)
      if (static_cast<Flow>(f) != Flow::inventory_to_channel || setup_.has_feed[c])
        out.emplace_back(base + "/by_channel/" + json_pointer_escape(setup_.channel_names[c]), &by_channel_[f][c]);
    if (has_location(static_cast<Flow>(f)))
      for (std::size_t l = 0; l < by_location_[f].size(); ++l)
        out.emplace_back(base + "/by_location/" + json_pointer_escape(setup_.location_names[l]), &by_location_[f][l]);
    for (const auto& w : windows_) {
      const std::string wb = "/windows/" + json_pointer_escape(w.spec.key);
      out.emplace_back(wb + "/during/latency/" + flow_name(static_cast<Flow>(f)), &w.during.latency[f]);
      out.emplace_back(wb + "/after/latency/" + flow_name(static_cast<Flow>(f)), &w.after.latency[f]);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------- orders

void Metrics::order_placed(model::OrderId o, Tick) {
  ESTATE_ASSERT(o == tracks_.size(), "metrics: orders must be observed in book order");
  tracks_.push_back({});
  for (const auto& l : book_.lines(o)) open_units_[l.sku] += l.qty;
}

void Metrics::order_refused_at_channel(model::ChannelId ch, model::ChannelRefusal why, Tick) {
  ++refused_by_channel_[ch];
  (why == model::ChannelRefusal::no_availability ? refused_no_stock_ : refused_down_) += 1;
}

void Metrics::delivery_failed(model::OrderId o, Tick) {
  tracks_[o].flags |= delivery_lost;
  ++deliveries_failed_;
}

void Metrics::delivery_retried(model::OrderId o, Tick) { ++resent_by_channel_[book_.order(o).channel]; }

void Metrics::order_acked(model::OrderId o, model::LineMask, Tick now) {
  Track& t = tracks_[o];
  if (t.flags & acked) return;
  t.flags |= acked;
  record(Flow::order_ack, now, book_.order(o).placed_at, book_.order(o).channel, -1);
}

void Metrics::lines_cancelled(model::OrderId o, model::LineMask mask, Tick now) {
  Track& t = tracks_[o];
  const auto lines = book_.lines(o);
  const model::LineMask fresh = mask & static_cast<model::LineMask>(~(t.cancelled | t.shipped));
  t.cancelled |= mask;
  const std::int64_t bucket = now / setup_.series_interval;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!model::has_line(fresh, i)) continue;
    open_units_[lines[i].sku] -= lines[i].qty;
    oversold_by_bucket_[bucket] += lines[i].qty;
  }
  const model::LineMask all = book_.all_lines_mask(o);
  if (!(t.flags & ship_done) && t.shipped && ((t.shipped | t.cancelled) & all) == all) {
    t.flags |= ship_done;
    record(Flow::order_to_ship, now, book_.order(o).placed_at, book_.order(o).channel, t.loc == kNoLoc ? -1 : t.loc);
  }
}

void Metrics::erp_order_recorded(model::OrderId o, Tick now) {
  Track& t = tracks_[o];
  if (t.flags & erp_recorded) {
    effect_twice(0);
    t.flags |= kDoubled;
    return;
  }
  t.flags |= erp_recorded;
  record(Flow::order_to_erp, now, book_.order(o).placed_at, book_.order(o).channel, -1);
}

void Metrics::release_received(model::OrderId o, model::LocId loc, model::LineMask, Tick now) {
  Track& t = tracks_[o];
  t.loc = loc;
  if (t.flags & released) return;
  t.flags |= released;
  record(Flow::order_to_warehouse, now, book_.order(o).placed_at, book_.order(o).channel, loc);
}

void Metrics::shipped(std::uint64_t, model::OrderId o, model::LocId loc, model::LineMask mask, Tick now) {
  Track& t = tracks_[o];
  if (mask & t.shipped) {
    effect_twice(1);
    t.flags |= kDoubled;
  }
  const auto lines = book_.lines(o);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!model::has_line(mask, i)) continue;
    shipped_units_[loc * setup_.skus + lines[i].sku] += lines[i].qty;
    if (!model::has_line(t.shipped | t.cancelled, i)) open_units_[lines[i].sku] -= lines[i].qty;
  }
  t.shipped |= mask;
  t.loc = loc;
  const model::LineMask all = book_.all_lines_mask(o);
  if (!(t.flags & ship_done) && ((t.shipped | t.cancelled) & all) == all) {
    t.flags |= ship_done;
    record(Flow::order_to_ship, now, book_.order(o).placed_at, book_.order(o).channel, loc);
  }
}

void Metrics::erp_shipment_recorded(std::uint64_t shipment, model::OrderId o, model::LocId loc, model::LineMask mask,
                                    Tick shipped_at, Tick now) {
  Track& t = tracks_[o];
  if (!erp_shipments_.insert(shipment)) {
    effect_twice(2);
    t.flags |= kDoubled;
    return;
  }
  t.erp_shipped |= mask;
  record(Flow::ship_to_erp, now, shipped_at, book_.order(o).channel, loc);
}

void Metrics::erp_movement_recorded(std::uint64_t movement, Tick) {
  if (!erp_movements_.insert(movement)) effect_twice(3);
}

void Metrics::erp_inventory_set(model::LocId, model::SkuId, std::int64_t from, std::int64_t to, Tick) {
  ++corrections_;
  corrected_units_ += std::abs(to - from);
}

void Metrics::stock_moved(model::LocId loc, model::SkuId sku, std::int64_t delta, bool reported, Tick) {
  moved_[loc * setup_.skus + sku] += delta;
  if (!reported) unreported_units_ += std::abs(delta);
}

// ------------------------------------------------------------------- inventory_to_channel

std::uint32_t Metrics::push_pending(std::uint32_t tail, std::uint64_t version, Tick happened_at) {
  std::uint32_t n;
  if (!free_pending_.empty()) {
    n = free_pending_.back();
    free_pending_.pop_back();
  } else {
    n = static_cast<std::uint32_t>(pending_.size());
    pending_.push_back({});
  }
  pending_[n] = {version, happened_at, kNil};
  if (tail != kNil) pending_[tail].next = n;
  return n;
}

void Metrics::inventory_applied(model::LocId loc, model::SkuId sku, Tick happened_at, std::uint64_t version, Tick) {
  ++inventory_applied_;
  const auto& watchers = watchers_[watcher_set_[loc]];
  if (watchers.empty()) return;  // no channel needs to hear of it
  const std::size_t records = setup_.locations * setup_.skus;
  const std::size_t r = loc * setup_.skus + sku;
  // One entry until every watching channel reflects the change; each channel keeps a cursor
  // to the first entry it has not reflected yet (versions rise along the list, so what a
  // channel reflected is a prefix, and an entry leaves only once every cursor passed it).
  const std::uint32_t n = push_pending(tail_[r], version, happened_at);
  if (tail_[r] == kNil) head_[r] = n;
  tail_[r] = n;
  for (model::ChannelId c : watchers)
    if (cursor_[c * records + r] == kNil) cursor_[c * records + r] = n;
}

std::uint64_t Metrics::reflected_version(std::size_t w, model::SkuId sku) const {
  std::uint64_t reflected = ~std::uint64_t{0};
  for (model::ChannelId c : watchers_[w]) reflected = std::min(reflected, last_version_[c * setup_.skus + sku]);
  return reflected;
}

void Metrics::drain_pending(model::LocId loc, model::SkuId sku, std::uint64_t reflected, Tick now) {
  const std::size_t r = loc * setup_.skus + sku;
  while (head_[r] != kNil && pending_[head_[r]].version <= reflected) {
    const std::uint32_t n = head_[r];
    record(Flow::inventory_to_channel, now, pending_[n].happened_at, -1, loc);
    ++reflected_;
    head_[r] = pending_[n].next;
    free_pending_.push_back(n);
  }
  if (head_[r] == kNil) tail_[r] = kNil;
}

void Metrics::drain_sku(model::ChannelId ch, model::SkuId sku, Tick now) {
  // This channel's own view first.
  const std::size_t records = setup_.locations * setup_.skus;
  const std::uint64_t mine = last_version_[ch * setup_.skus + sku];
  auto& hist = by_channel_[static_cast<int>(Flow::inventory_to_channel)][ch];
  for (model::LocId loc : setup_.sells_from[ch]) {
    std::uint32_t& at = cursor_[ch * records + loc * setup_.skus + sku];
    while (at != kNil && pending_[at].version <= mine) {
      hist.record(std::max<Tick>(0, now - pending_[at].happened_at));
      at = pending_[at].next;
    }
  }
  std::uint64_t by_set[8];
  std::uint8_t known = 0;  // bit w: by_set[w] computed
  for (model::LocId loc : setup_.sells_from[ch]) {
    if (head_[loc * setup_.skus + sku] == kNil) continue;
    const std::uint8_t w = watcher_set_[loc];
    if (w >= 8) {
      drain_pending(loc, sku, reflected_version(w, sku), now);
      continue;
    }
    if (!model::has_bit(known, w)) {
      by_set[w] = reflected_version(w, sku);
      known = static_cast<std::uint8_t>(known | 1u << w);
    }
    drain_pending(loc, sku, by_set[w], now);
  }
}

void Metrics::view_updated(model::ChannelId ch, model::SkuId sku, std::uint64_t version, Tick now) {
  auto& v = last_version_[ch * setup_.skus + sku];
  v = std::max(v, version);
  drain_sku(ch, sku, now);
}

void Metrics::view_snapshot(model::ChannelId ch, std::uint64_t version, Tick now) {
  for (std::size_t s = 0; s < setup_.skus; ++s) {
    auto& v = last_version_[ch * setup_.skus + s];
    v = std::max(v, version);
  }
  for (std::size_t s = 0; s < setup_.skus; ++s) drain_sku(ch, static_cast<model::SkuId>(s), now);
}

// ----------------------------------------------------------------- pipeline, reliability

void Metrics::bump(std::map<std::int64_t, std::uint64_t>& series, Tick now) { ++series[now / setup_.series_interval]; }

namespace {
// The periods of the windows an instant falls in (a window's own span, then its recovery period).
template <class Windows, class F>
void in_windows(Windows& windows, Tick now, F&& f) {
  for (auto& w : windows) {
    if (now >= w.spec.start && now < w.spec.end) f(w.during);
    else if (now >= w.spec.end && now < w.spec.after_end) f(w.after);
  }
}
}  // namespace

void Metrics::erp_requested(model::CallFlow flow, Tick now) {
  const auto k = static_cast<std::size_t>(flow);
  ++calls_.erp_requests[k];
  in_windows(windows_, now, [k](Period& p) { ++p.calls.erp_requests[k]; });
}

void Metrics::erp_throttled(model::CallFlow flow, Tick now) {
  ++erp_throttled_;
  bump(throttled_by_bucket_, now);
  const auto k = static_cast<std::size_t>(flow);
  ++calls_.erp_429[k];
  in_windows(windows_, now, [k](Period& p) { ++p.calls.erp_429[k]; });
}

void Metrics::request_retried(model::Address system, model::CallFlow flow, model::Failure f, Tick now) {
  ++retries_[system][static_cast<std::size_t>(f)];
  bump(retries_by_bucket_, now);
  const auto k = static_cast<std::size_t>(flow);
  ++calls_.retries[k];
  in_windows(windows_, now, [k](Period& p) { ++p.calls.retries[k]; });
}

void Metrics::request_settled(model::Address system, Tick first_attempt, bool, Tick now) {
  for (auto& o : outages_)
    if (o.w.address == system && first_attempt < o.w.end && now >= o.w.start) o.last_settled = std::max(o.last_settled, now);
}

void Metrics::dead_lettered(model::OrderId o, model::Address system, model::CallFlow flow, model::Failure f, Tick) {
  ++dead_letter_events_;
  ++dead_now_[static_cast<std::size_t>(flow)];
  ++dead_letters_[system][static_cast<std::size_t>(f)];
  if (o != model::kNoOrder) ++tracks_[o].dead;
}

void Metrics::redriven(model::OrderId o, model::CallFlow flow, Tick) {
  ++redrives_;
  --dead_now_[static_cast<std::size_t>(flow)];
  if (o != model::kNoOrder) --tracks_[o].dead;
}

// ------------------------------------------------------------------------ reconciliation

Metrics::Checkpoint Metrics::checkpoint(Tick now) const {
  const std::size_t n = setup_.skus;
  double diff = 0, truth_total = 0, mismatched = 0;
  std::vector<std::span<const std::int64_t>> truth(setup_.locations);
  for (std::size_t l = 0; l < setup_.locations; ++l) {
    truth[l] = probe_.truth(static_cast<model::LocId>(l));
    const auto erp = probe_.erp(static_cast<model::LocId>(l));
    for (std::size_t s = 0; s < n; ++s) {
      diff += static_cast<double>(std::abs(erp[s] - truth[l][s]));
      truth_total += static_cast<double>(truth[l][s]);
      mismatched += erp[s] != truth[l][s] ? 1.0 : 0.0;
    }
  }
  double view_diff = 0, ats_total = 0;
  std::vector<std::int64_t> ats(n);
  for (std::size_t c = 0; c < setup_.sells_from.size(); ++c) {
    if (!setup_.has_feed[c]) continue;
    std::fill(ats.begin(), ats.end(), 0);
    for (model::LocId loc : setup_.sells_from[c])
      for (std::size_t s = 0; s < n; ++s) ats[s] += std::max<std::int64_t>(0, truth[loc][s] - setup_.safety_stock);
    const auto view = probe_.view(static_cast<model::ChannelId>(c));
    for (std::size_t s = 0; s < n; ++s) {
      const std::int64_t a = std::max<std::int64_t>(0, ats[s] - open_units_[s] - setup_.safety_buffer);
      view_diff += static_cast<double>(std::abs(view[s] - a));
      ats_total += static_cast<double>(a);
    }
  }
  const double records = static_cast<double>(setup_.locations * n);
  // With no stock at all (a sum of 0) the denominator counts as one unit, so a difference still
  // shows: a variance of 0 always means every record agrees.
  return {sim::to_seconds(now), diff / std::max(truth_total, 1.0), records > 0 ? mismatched / records : 0.0,
          view_diff / std::max(ats_total, 1.0)};
}

void Metrics::reconciliation_checkpoint(Tick now) { checkpoints_.push_back(checkpoint(now)); }

void Metrics::sample(Tick now) { samples_.push_back(checkpoint(now)); }

Json Metrics::reconciliation_json() {
  const Checkpoint settled = checkpoint(0);
  double peak = 0, peak_mismatch = 0, peak_view = 0;
  Json series = Json::array();
  for (const auto& c : checkpoints_) {
    peak = std::max(peak, c.variance);
    peak_mismatch = std::max(peak_mismatch, c.mismatch);
    peak_view = std::max(peak_view, c.view_variance);
    series.push_back({{"t_s", round6(c.t_s)},
                      {"variance", round6(c.variance)},
                      {"record_mismatch_rate", round6(c.mismatch)},
                      {"channel_view_variance", round6(c.view_variance)}});
  }
  Json findings = Json::array();
  if (settled.variance > 0) {
    const std::uint64_t unrecorded = shipments_not_in_erp();
    if (lost_events_ > 0) findings.push_back(std::to_string(lost_events_) + " warehouse events were lost on their way to the pipeline");
    if (unrecorded > 0) findings.push_back(std::to_string(unrecorded) + " orders were shipped but the ERP never recorded the shipment");
    if (duplicates_[2] > 0) findings.push_back(std::to_string(duplicates_[2]) + " shipments were applied to the ERP twice");
    if (duplicates_[3] > 0) findings.push_back(std::to_string(duplicates_[3]) + " stock movements were applied to the ERP twice");
    // Given up on for good: still in the dead-letter queue after the drain.
    const auto dead = [this](model::CallFlow f) { return dead_now_[static_cast<std::size_t>(f)]; };
    if (dead(model::CallFlow::stock_movement) > 0)
      findings.push_back(std::to_string(dead(model::CallFlow::stock_movement)) +
                         " stock movements were dead-lettered and never reached the ERP (still in the dead-letter queue after the drain)");
    if (dead(model::CallFlow::shipment_confirmation) > 0)
      findings.push_back(std::to_string(dead(model::CallFlow::shipment_confirmation)) +
                         " shipment confirmations were dead-lettered and never reached the ERP (still in the dead-letter queue after the drain)");
    if (unreported_units_ > corrected_units_)
      findings.push_back(std::to_string(unreported_units_) + " units of stock changed without being reported (drift)" +
                         (corrected_units_ > 0 ? ", " + std::to_string(corrected_units_) + " corrected by reconciliation" : ""));
    if (findings.empty()) findings.push_back("the ERP differs from the warehouses after the drain, with no lost, doubled or unreported change to explain it");
  }
  Json sampled = Json::array();
  for (const auto& c : samples_)
    sampled.push_back({{"t_s", round6(c.t_s)},
                       {"variance", round6(c.variance)},
                       {"record_mismatch_rate", round6(c.mismatch)},
                       {"channel_view_variance", round6(c.view_variance)}});
  return {{"peak_variance", round6(peak)},
          {"settled_variance", round6(settled.variance)},
          {"record_mismatch_rate", round6(settled.mismatch)},
          {"peak_record_mismatch_rate", round6(peak_mismatch)},
          {"peak_channel_view_variance", round6(peak_view)},
          {"settled_channel_view_variance", round6(settled.view_variance)},
          {"checkpoints", checkpoints_.size()},
          {"corrections", corrections_},
          {"corrected_units", corrected_units_},
          {"findings", findings},
          {"series", series},
          {"sampled", sampled}};
}

// -------------------------------------------------------------------- oversell, integrity

Json Metrics::oversell_json(Tick) const {
  const std::size_t channels = setup_.channel_names.size();
  std::vector<std::int64_t> acc(channels, 0), over(channels, 0);
  std::int64_t acc_class[3] = {0, 0, 0}, over_class[3] = {0, 0, 0};
  std::uint64_t orders_over = 0;
  std::vector<std::uint64_t> orders_ch(channels, 0), orders_over_ch(channels, 0);
  const std::size_t a_end = std::max<std::size_t>(1, setup_.skus / 5), b_end = std::max(a_end, setup_.skus / 2);
  // By the location that was to fulfil the lines (the last one released to or short-picked at);
  // lines cancelled before any location took them are "unallocated".
  std::vector<std::int64_t> acc_loc(setup_.locations + 1, 0), over_loc(setup_.locations + 1, 0);
  for (std::size_t o = 0; o < tracks_.size(); ++o) {
    const auto id = static_cast<model::OrderId>(o);
    const auto ch = book_.order(id).channel;
    const std::size_t loc = tracks_[o].loc == kNoLoc ? setup_.locations : tracks_[o].loc;
    const auto lines = book_.lines(id);
    const model::LineMask oversold = tracks_[o].cancelled & static_cast<model::LineMask>(~tracks_[o].shipped);
    ++orders_ch[ch];
    if (oversold) {
      ++orders_over;
      ++orders_over_ch[ch];
    }
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const int cls = lines[i].sku < a_end ? 0 : lines[i].sku < b_end ? 1 : 2;
      acc[ch] += lines[i].qty;
      acc_class[cls] += lines[i].qty;
      acc_loc[loc] += lines[i].qty;
      if (model::has_line(oversold, i)) {
        over[ch] += lines[i].qty;
        over_class[cls] += lines[i].qty;
        over_loc[loc] += lines[i].qty;
      }
    }
  }
  auto ratio = [](double a, double b) { return b > 0 ? round6(a / b) : 0.0; };
  Json by_location = Json::object();
  for (std::size_t l = 0; l <= setup_.locations; ++l)
    by_location[l < setup_.locations ? setup_.location_names[l] : std::string("unallocated")] = {
        {"rate", ratio(static_cast<double>(over_loc[l]), static_cast<double>(acc_loc[l]))},
        {"accepted_units", acc_loc[l]},
        {"oversold_units", over_loc[l]}};
  std::int64_t accepted = 0, oversold_units = 0;
  Json by_channel = Json::object();
  for (std::size_t c = 0; c < channels; ++c) {
    accepted += acc[c];
    oversold_units += over[c];
    by_channel[setup_.channel_names[c]] = {{"rate", ratio(static_cast<double>(over[c]), static_cast<double>(acc[c]))},
                                           {"accepted_units", acc[c]},
                                           {"oversold_units", over[c]},
                                           {"order_rate", ratio(static_cast<double>(orders_over_ch[c]), static_cast<double>(orders_ch[c]))},
                                           {"refused_at_channel", refused_by_channel_[c]}};
  }
  Json by_class = Json::object();
  const char* names[] = {"A", "B", "C"};
  for (int k = 0; k < 3; ++k)
    by_class[names[k]] = {{"rate", ratio(static_cast<double>(over_class[k]), static_cast<double>(acc_class[k]))},
                          {"accepted_units", acc_class[k]},
                          {"oversold_units", over_class[k]}};
  Json series = Json::array();
  std::int64_t cumulative = 0;
  for (const auto& [b, units] : oversold_by_bucket_) {
    if (units == 0) continue;
    cumulative += units;
    series.push_back({{"t_s", round6(sim::to_seconds(b * setup_.series_interval))}, {"cumulative_units", cumulative}});
  }
  return {{"rate", ratio(static_cast<double>(oversold_units), static_cast<double>(accepted))},
          {"accepted_units", accepted},
          {"oversold_units", oversold_units},
          {"order_rate", ratio(static_cast<double>(orders_over), static_cast<double>(tracks_.size()))},
          {"accepted_orders", tracks_.size()},
          {"oversold_orders", orders_over},
          {"refused_at_channel", {{"no_availability", refused_no_stock_}, {"channel_down", refused_down_}}},
          {"by_channel", by_channel},
          {"by_location", by_location},
          {"by_sku_class", by_class},
          {"sku_classes", "A: top 20% of SKUs by popularity, B: next 30%, C: the rest"},
          {"series", series}};
}

// Terminal states (domain.md): every line shipped by a warehouse or cancelled for lack of
// stock, or the order dead-lettered with a reason. Whether the ERP heard of the shipment is
// a separate question (shipments_not_in_erp, and reconciliation variance).
std::uint64_t Metrics::lost_orders() const {
  std::uint64_t lost = 0;
  for (std::size_t o = 0; o < tracks_.size(); ++o) {
    const Track& t = tracks_[o];
    const model::LineMask all = book_.all_lines_mask(static_cast<model::OrderId>(o));
    if (t.dead > 0 || ((t.shipped | t.cancelled) & all) == all) continue;
    ++lost;
  }
  return lost;
}

std::uint64_t Metrics::shipments_not_in_erp() const {
  std::uint64_t n = 0;
  for (const Track& t : tracks_) n += (t.shipped & static_cast<model::LineMask>(~t.erp_shipped)) != 0;
  return n;
}

std::uint64_t Metrics::duplicate_effects() const {
  return duplicates_[0] + duplicates_[1] + duplicates_[2] + duplicates_[3];
}

bool Metrics::conservation_ok() const {
  for (std::size_t l = 0; l < setup_.locations; ++l)
    for (std::size_t s = 0; s < setup_.skus; ++s) {
      const std::size_t r = l * setup_.skus + s;
      if (setup_.initial_on_hand[r] + moved_[r] - shipped_units_[r] != probe_.truth(static_cast<model::LocId>(l))[s])
        return false;
    }
  return true;
}

Json Metrics::integrity_json() const {
  std::uint64_t never_delivered = 0, not_acked = 0, not_in_erp = 0, not_released = 0, not_shipped = 0, dead_orders = 0,
                doubled = 0;
  for (std::size_t o = 0; o < tracks_.size(); ++o) {
    const Track& t = tracks_[o];
    if (t.flags & kDoubled) ++doubled;
    const model::LineMask all = book_.all_lines_mask(static_cast<model::OrderId>(o));
    if (t.dead > 0) {
      ++dead_orders;
      continue;
    }
    if (((t.shipped | t.cancelled) & all) == all) continue;
    if (t.flags & delivery_lost) ++never_delivered;
    else if (!(t.flags & acked)) ++not_acked;
    else if (!(t.flags & erp_recorded)) ++not_in_erp;
    else if (!(t.flags & released)) ++not_released;
    else ++not_shipped;
  }
  const std::uint64_t unrecorded = shipments_not_in_erp();
  std::uint64_t violations = 0;
  for (std::size_t l = 0; l < setup_.locations; ++l)
    for (std::size_t s = 0; s < setup_.skus; ++s) {
      const std::size_t r = l * setup_.skus + s;
      if (setup_.initial_on_hand[r] + moved_[r] - shipped_units_[r] != probe_.truth(static_cast<model::LocId>(l))[s])
        ++violations;
    }
  Json by_kind = Json::object();
  for (int k = 0; k < 4; ++k) by_kind[kDuplicateKinds[k]] = duplicates_[k];
  // Every system the pipeline calls and every failure, zeros included, so each can be named
  // in a threshold or compared with a baseline.
  Json dl = Json::object();
  for (model::Address a : setup_.called_systems)
    for (std::size_t f = 0; f < 5; ++f)
      dl[setup_.system_names[a] + ":" + model::failure_name(static_cast<model::Failure>(f))] = dead_letters_[a][f];
  Json dead_at_end = Json::object();
  for (std::size_t f = 0; f < static_cast<std::size_t>(model::CallFlow::count); ++f)
    dead_at_end[model::call_flow_name(static_cast<model::CallFlow>(f))] = dead_now_[f];
  const std::uint64_t lost = lost_orders();
  return {{"lost_orders", lost},
          {"lost_orders_by_stage",
           {{"never_delivered", never_delivered},
            {"not_acknowledged", not_acked},
            {"not_in_erp", not_in_erp},
            {"not_released", not_released},
            {"not_shipped", not_shipped}}},
          {"shipments_not_in_erp", unrecorded},
          {"duplicate_effects", duplicate_effects()},
          {"duplicate_effects_by_kind", by_kind},
          {"orders_with_duplicate_effects", doubled},
          {"duplicate_order_rate", tracks_.empty() ? 0.0 : round6(static_cast<double>(doubled) / static_cast<double>(tracks_.size()))},
          {"conservation_ok", violations == 0},
          {"conservation_violations", violations},
          {"dead_letters", dl},
          {"dead_letter_events", dead_letter_events_},
          {"redrives", redrives_},
          {"dead_lettered_orders", dead_orders},
          {"dead_letters_at_end_by_flow", dead_at_end},
          {"deliveries_failed", deliveries_failed_},
          {"warehouse_events_lost", lost_events_},
          {"duplicates_dropped", duplicates_dropped_},
          {"short_picks", short_picks_},
          {"inventory_changes", inventory_changes_},
          {"inventory_changes_applied", inventory_applied_},
          {"inventory_changes_reflected", reflected_}};
}

Json Metrics::retries_json() const {
  Json out = Json::object();
  std::uint64_t total = 0;
  for (model::Address a : setup_.called_systems)
    for (std::size_t f = 0; f < 5; ++f) {
      out[setup_.system_names[a]][model::failure_name(static_cast<model::Failure>(f))] = retries_[a][f];
      total += retries_[a][f];
    }
  Json series = Json::array();
  std::map<std::int64_t, std::pair<std::uint64_t, std::uint64_t>> by_bucket;  // retries, 429s
  for (const auto& [b, n] : retries_by_bucket_) by_bucket[b].first = n;
  for (const auto& [b, n] : throttled_by_bucket_) by_bucket[b].second = n;
  for (const auto& [b, rt] : by_bucket)
    series.push_back({{"t_s", round6(sim::to_seconds(b * setup_.series_interval))}, {"retries", rt.first}, {"erp_429", rt.second}});
  // The channels' side: order deliveries sent again (a webhook refused or unanswered in time).
  Json resent = Json::object();
  std::uint64_t resent_total = 0;
  for (std::size_t c = 0; c < resent_by_channel_.size(); ++c) {
    resent[setup_.channel_names[c]] = resent_by_channel_[c];
    resent_total += resent_by_channel_[c];
  }
  return {{"total", total},
          {"erp_429", erp_throttled_},
          {"by_system", out},
          {"deliveries_resent", resent_total},
          {"deliveries_resent_by_channel", resent},
          {"series", series}};
}

Json Metrics::calls_json(const Calls& c) const {
  Json by_flow = Json::object();
  std::uint64_t req = 0, thr = 0, ret = 0;
  for (int k = 0; k < kCallFlows; ++k) {
    by_flow[model::call_flow_name(static_cast<model::CallFlow>(k))] = {
        {"erp_requests", c.erp_requests[k]}, {"erp_429", c.erp_429[k]}, {"retries", c.retries[k]}};
    req += c.erp_requests[k];
    thr += c.erp_429[k];
    ret += c.retries[k];
  }
  return {{"erp_requests", req}, {"erp_429", thr}, {"retries", ret}, {"by_flow", by_flow}};
}

Json Metrics::erp_calls_json() const { return calls_json(calls_); }

Json Metrics::period_json(const Period& p, Tick from, Tick to) const {
  Json latency = Json::object();
  for (int f = 0; f < static_cast<int>(Flow::count); ++f) latency[flow_name(static_cast<Flow>(f))] = latency_summary(p.latency[f]);
  // Oversell of the orders placed in the period.
  const std::size_t channels = setup_.channel_names.size();
  std::vector<std::int64_t> acc(channels, 0), over(channels, 0);
  for (std::size_t o = 0; o < tracks_.size(); ++o) {
    const auto& order = book_.order(static_cast<model::OrderId>(o));
    if (order.placed_at < from || order.placed_at >= to) continue;
    const auto lines = book_.lines(static_cast<model::OrderId>(o));
    const model::LineMask oversold = tracks_[o].cancelled & static_cast<model::LineMask>(~tracks_[o].shipped);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      acc[order.channel] += lines[i].qty;
      if (model::has_line(oversold, i)) over[order.channel] += lines[i].qty;
    }
  }
  auto ratio = [](std::int64_t a, std::int64_t b) { return b > 0 ? round6(static_cast<double>(a) / static_cast<double>(b)) : 0.0; };
  std::int64_t a_all = 0, o_all = 0;
  Json by_channel = Json::object();
  for (std::size_t c = 0; c < channels; ++c) {
    a_all += acc[c];
    o_all += over[c];
    by_channel[setup_.channel_names[c]] = {{"rate", ratio(over[c], acc[c])}, {"accepted_units", acc[c]}, {"oversold_units", over[c]}};
  }
  return {{"start_s", round6(sim::to_seconds(from))},
          {"end_s", round6(sim::to_seconds(to))},
          {"latency", latency},
          {"oversell", {{"rate", ratio(o_all, a_all)}, {"accepted_units", a_all}, {"oversold_units", o_all}, {"by_channel", by_channel}}},
          {"calls", calls_json(p.calls)}};
}

Json Metrics::windows_json() const {
  Json out = Json::object();
  for (const auto& w : windows_)
    out[w.spec.key] = {{"kind", w.spec.kind},
                       {"label", w.spec.label},
                       {"during", period_json(w.during, w.spec.start, w.spec.end)},
                       {"after", period_json(w.after, w.spec.end, w.spec.after_end)}};
  return out;
}

Json Metrics::outages_json() const {
  Json out = Json::array();
  for (const auto& o : outages_) {
    Json recover = nullptr;
    if (o.w.address != model::kNoAddress) recover = round6(sim::to_seconds(std::max<Tick>(0, o.last_settled - o.w.end)));
    // Per flow: how long after the end until its p90 was back within the pre-outage p90
    // (null: not before the demand ended; flows with nothing before the outage are left out).
    Json latency = Json::object();
    for (int f = 0; f < static_cast<int>(Flow::count); ++f) {
      const FlowRecovery& r = o.flows[f];
      if (r.pre_p90 < 0) continue;
      latency[flow_name(static_cast<Flow>(f))] = {
          {"judged_on", o.w.location >= 0 && has_location(static_cast<Flow>(f)) ? setup_.location_names[static_cast<std::size_t>(o.w.location)] : "all"},
          {"pre_outage_p90_s", round6(sim::to_seconds(r.pre_p90))},
          {"recovered_after_s", r.recovered_at >= 0 ? Json(round6(sim::to_seconds(r.recovered_at - o.w.end))) : Json(nullptr)},
          {"status", r.recovered_at >= 0 ? "recovered" : "not_by_demand_end"}};
    }
    out.push_back({{"system", o.w.system},
                   {"mode", o.w.mode},
                   {"start_s", round6(sim::to_seconds(o.w.start))},
                   {"end_s", round6(sim::to_seconds(o.w.end))},
                   {"called_by", o.w.address == model::kNoAddress ? Json(nullptr)
                                 : !setup_.called_systems.empty() && o.w.address == setup_.called_systems[0] ? Json("pipeline.erp_sync")
                                                                                                             : Json("pipeline.release")},
                   {"requests_settled_s", recover},
                   {"latency_recovery", latency}});
  }
  return out;
}

}  // namespace estate::harness

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

void Metrics::record(Flow f, Tick now, Tick start) {
  Series& s = flows_[static_cast<int>(f)];
  const Tick latency = std::max<Tick>(0, now - start);
  s.all.record(latency);
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

Json Metrics::latency_json(Tick) {
  Json out = Json::object();
  for (int f = 0; f < static_cast<int>(Flow::count); ++f) {
    Series& s = flows_[f];
    flush_series(s, s.bucket + 1);
    flush_window(s);  // the last window, with however many events it holds
    std::int64_t q[5];
    s.all.percentiles(kQuantiles, q);
    out[flow_name(static_cast<Flow>(f))] = {
        {"count", s.all.count()},           {"mean_s", round6(s.all.mean() / 1e6)},
        {"p50_s", round6(sim::to_seconds(q[0]))}, {"p90_s", round6(sim::to_seconds(q[1]))},
        {"p95_s", round6(sim::to_seconds(q[2]))}, {"p99_s", round6(sim::to_seconds(q[3]))},
        {"p999_s", round6(sim::to_seconds(q[4]))}, {"max_s", round6(sim::to_seconds(s.all.max()))},
        {"distribution", distribution(s.all)},
        {"series", s.points},
        {"windows", s.windows}};
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
  record(Flow::order_ack, now, book_.order(o).placed_at);
}

void Metrics::lines_cancelled(model::OrderId o, model::LineMask mask, Tick now) {
  Track& t = tracks_[o];
  const auto lines = book_.lines(o);
  const model::LineMask fresh = mask & static_cast<model::LineMask>(~(t.cancelled | t.shipped));
  t.cancelled |= mask;
  const auto bucket = static_cast<std::size_t>(now / setup_.series_interval);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!model::has_line(fresh, i)) continue;
    open_units_[lines[i].sku] -= lines[i].qty;
    if (oversold_by_bucket_.size() <= bucket) oversold_by_bucket_.resize(bucket + 1, 0);
    oversold_by_bucket_[bucket] += lines[i].qty;
  }
  const model::LineMask all = book_.all_lines_mask(o);
  if (!(t.flags & ship_done) && t.shipped && ((t.shipped | t.cancelled) & all) == all) {
    t.flags |= ship_done;
    record(Flow::order_to_ship, now, book_.order(o).placed_at);
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
  record(Flow::order_to_erp, now, book_.order(o).placed_at);
}

void Metrics::release_received(model::OrderId o, model::LocId, model::LineMask, Tick now) {
  Track& t = tracks_[o];
  if (t.flags & released) return;
  t.flags |= released;
  record(Flow::order_to_warehouse, now, book_.order(o).placed_at);
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
  const model::LineMask all = book_.all_lines_mask(o);
  if (!(t.flags & ship_done) && ((t.shipped | t.cancelled) & all) == all) {
    t.flags |= ship_done;
    record(Flow::order_to_ship, now, book_.order(o).placed_at);
  }
}

void Metrics::erp_shipment_recorded(std::uint64_t shipment, model::OrderId o, model::LocId, model::LineMask mask,
                                    Tick shipped_at, Tick now) {
  Track& t = tracks_[o];
  if (!erp_shipments_.insert(shipment)) {
    effect_twice(2);
    t.flags |= kDoubled;
    return;
  }
  t.erp_shipped |= mask;
  record(Flow::ship_to_erp, now, shipped_at);
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

void Metrics::inventory_applied(model::LocId loc, model::SkuId sku, Tick happened_at, std::uint64_t version, Tick) {
  ++inventory_applied_;
  if (watchers_[watcher_set_[loc]].empty()) return;  // no channel needs to hear of it
  std::uint32_t n;
  if (!free_pending_.empty()) {
    n = free_pending_.back();
    free_pending_.pop_back();
  } else {
    n = static_cast<std::uint32_t>(pending_.size());
    pending_.push_back({});
  }
  pending_[n] = {version, happened_at, kNil};
  const std::size_t r = loc * setup_.skus + sku;
  if (tail_[r] == kNil) head_[r] = n;
  else pending_[tail_[r]].next = n;
  tail_[r] = n;
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
    record(Flow::inventory_to_channel, now, pending_[n].happened_at);
    ++reflected_;
    head_[r] = pending_[n].next;
    free_pending_.push_back(n);
  }
  if (head_[r] == kNil) tail_[r] = kNil;
}

void Metrics::drain_sku(model::ChannelId ch, model::SkuId sku, Tick now) {
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

void Metrics::bump(std::vector<std::uint64_t>& series, Tick now) {
  const auto bucket = static_cast<std::size_t>(now / setup_.series_interval);
  if (series.size() <= bucket) series.resize(bucket + 1, 0);
  ++series[bucket];
}

void Metrics::erp_throttled(Tick now) {
  ++erp_throttled_;
  bump(throttled_by_bucket_, now);
}

void Metrics::request_retried(model::Address system, model::Failure f, Tick now) {
  ++retries_[system][static_cast<std::size_t>(f)];
  bump(retries_by_bucket_, now);
}

void Metrics::request_settled(model::Address system, Tick first_attempt, bool, Tick now) {
  for (auto& o : outages_)
    if (o.w.address == system && first_attempt < o.w.end && now >= o.w.start) o.last_settled = std::max(o.last_settled, now);
}

void Metrics::dead_lettered(model::OrderId o, model::Address system, model::Failure f, Tick) {
  ++dead_letter_events_;
  ++dead_letters_[system][static_cast<std::size_t>(f)];
  if (o != model::kNoOrder) ++tracks_[o].dead;
}

void Metrics::redriven(model::OrderId o, Tick) {
  ++redrives_;
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
  return {sim::to_seconds(now), truth_total > 0 ? diff / truth_total : 0.0, records > 0 ? mismatched / records : 0.0,
          ats_total > 0 ? view_diff / ats_total : 0.0};
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
  for (std::size_t o = 0; o < tracks_.size(); ++o) {
    const auto id = static_cast<model::OrderId>(o);
    const auto ch = book_.order(id).channel;
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
      if (model::has_line(oversold, i)) {
        over[ch] += lines[i].qty;
        over_class[cls] += lines[i].qty;
      }
    }
  }
  auto ratio = [](double a, double b) { return b > 0 ? round6(a / b) : 0.0; };
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
  for (std::size_t b = 0; b < oversold_by_bucket_.size(); ++b) {
    if (oversold_by_bucket_[b] == 0) continue;
    cumulative += oversold_by_bucket_[b];
    series.push_back({{"t_s", round6(sim::to_seconds(static_cast<Tick>(b) * setup_.series_interval))}, {"cumulative_units", cumulative}});
  }
  return {{"rate", ratio(static_cast<double>(oversold_units), static_cast<double>(accepted))},
          {"accepted_units", accepted},
          {"oversold_units", oversold_units},
          {"order_rate", ratio(static_cast<double>(orders_over), static_cast<double>(tracks_.size()))},
          {"accepted_orders", tracks_.size()},
          {"oversold_orders", orders_over},
          {"refused_at_channel", {{"no_availability", refused_no_stock_}, {"channel_down", refused_down_}}},
          {"by_channel", by_channel},
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
  const std::size_t n = std::max(retries_by_bucket_.size(), throttled_by_bucket_.size());
  for (std::size_t b = 0; b < n; ++b) {
    const std::uint64_t r = b < retries_by_bucket_.size() ? retries_by_bucket_[b] : 0;
    const std::uint64_t t = b < throttled_by_bucket_.size() ? throttled_by_bucket_[b] : 0;
    if (r == 0 && t == 0) continue;
    series.push_back({{"t_s", round6(sim::to_seconds(static_cast<Tick>(b) * setup_.series_interval))}, {"retries", r}, {"erp_429", t}});
  }
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

Json Metrics::outages_json() const {
  Json out = Json::array();
  for (const auto& o : outages_) {
    Json recover = nullptr;
    if (o.w.address != model::kNoAddress) recover = round6(sim::to_seconds(std::max<Tick>(0, o.last_settled - o.w.end)));
    out.push_back({{"system", o.w.system},
                   {"mode", o.w.mode},
                   {"start_s", round6(sim::to_seconds(o.w.start))},
                   {"end_s", round6(sim::to_seconds(o.w.end))},
                   {"recover_s", recover}});
  }
  return out;
}

}  // namespace estate::harness

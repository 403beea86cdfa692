#include "harness/scenario.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "harness/locate.h"
#include "harness/units.h"
#include "pipeline/pipeline.h"
#include "sim/rng.h"

namespace estate::harness {
using sim::Tick;

namespace {

const char* kChannelKinds[] = {"storefront", "marketplace", "edi", "b2b"};

// Defaults that make a short scenario credible (see ../shared/domain.md, "Realistic defaults").
struct ChannelDefaults {
  const char* rate;
  Json lines;
  Json units;
  int feed;  // FeedMode
  const char* feed_interval;
  int delivery;  // DeliveryMode
  const char* delivery_interval;
  double duplicates;
};

ChannelDefaults channel_defaults(mocks::ChannelKind kind) {
  switch (kind) {
    case mocks::ChannelKind::storefront:
      return {"1.2/s", {{"geometric", {{"mean", 1.6}}}}, {{"uniform", {{"min", 1}, {"max", 2}}}}, 0, "15m", 0, "2m", 0.005};
    case mocks::ChannelKind::marketplace:
      return {"0.8/s", {{"geometric", {{"mean", 1.2}}}}, 1, 1, "15m", 1, "2m", 0.0};
    case mocks::ChannelKind::edi:
      return {"120/h", {{"uniform", {{"min", 2}, {"max", 8}}}}, {{"uniform", {{"min", 2}, {"max", 12}}}}, 1, "1h", 1, "1h", 0.0};
    case mocks::ChannelKind::b2b:
      return {"0.2/s", {{"uniform", {{"min", 1}, {"max", 6}}}}, {{"uniform", {{"min", 1}, {"max", 6}}}}, 0, "15m", 0, "2m", 0.0};
  }
  return {};
}

Json lognormal(const char* median, const char* p99) { return {{"lognormal", {{"median", median}, {"p99", p99}}}}; }

Tick dur(const char* text) { return *parse_duration(text); }

SkuSelector read_skus(Node& n, std::string_view key, std::string_view doc) {
  SkuSelector sel;
  const Json* v = n.raw(key, doc, "#/$defs/sku_selector");
  if (!v) return sel;
  const std::string what = "\"all\", {\"top\": N} or {\"ranks\": [1, 2, ...]}";
  if (v->is_string() && v->get<std::string>() == "all") return sel;
  if (!v->is_object() || v->size() != 1) n.expected(key, what);
  if (v->contains("top")) {
    const Json& t = v->at("top");
    if (!t.is_number_integer() || t.get<std::int64_t>() < 1 || t.get<std::int64_t>() > kMaxSkus)
      n.fail(std::string(key) + "/top", "expected a whole number of SKUs from 1 to " + std::to_string(kMaxSkus) + ", got " + describe_json(t));
    sel.kind = SkuSelector::Kind::top;
    sel.top = static_cast<std::uint32_t>(t.get<std::int64_t>());
    return sel;
  }
  if (v->contains("ranks")) {
    const Json& r = v->at("ranks");
    if (!r.is_array() || r.empty()) n.fail(std::string(key) + "/ranks", "expected a non-empty list of ranks");
    sel.kind = SkuSelector::Kind::ranks;
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (!r[i].is_number_integer() || r[i].get<std::int64_t>() < 1 || r[i].get<std::int64_t>() > kMaxSkus)
        n.fail(std::string(key) + "/ranks/" + std::to_string(i), "expected a rank from 1 to " + std::to_string(kMaxSkus) + ", got " + describe_json(r[i]));
      sel.ranks.push_back(static_cast<std::uint32_t>(r[i].get<std::int64_t>()));
    }
    return sel;
  }
  n.expected(key, what);
}

int find_name(const std::vector<std::string>& names, const std::string& name) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
  return out;
}

struct Names {
  std::vector<std::string> locations, channels;
};

// A system named in the timeline: "erp", a location, a channel, or "pipeline.<stage>".
SystemRef read_system(Node& n, std::string_view key, std::string_view doc, const Names& names, bool required) {
  const std::string name = n.text(key, "", doc);
  if (n.schema_mode()) return {};
  if (name.empty()) {
    if (required) n.expected(key, "the name of a system");
    return {};
  }
  if (name == "erp") return {SystemRef::Kind::erp, 0};
  if (int i = find_name(names.locations, name); i >= 0) return {SystemRef::Kind::location, i};
  if (int i = find_name(names.channels, name); i >= 0) return {SystemRef::Kind::channel, i};
  for (int s = 0; s < static_cast<int>(pipeline::StageId::count); ++s)
    if (name == std::string("pipeline.") + pipeline::stage_name(static_cast<pipeline::StageId>(s)))
      return {SystemRef::Kind::stage, s};
  std::vector<std::string> all = {"erp"};
  all.insert(all.end(), names.locations.begin(), names.locations.end());
  all.insert(all.end(), names.channels.begin(), names.channels.end());
  for (int s = 0; s < static_cast<int>(pipeline::StageId::count); ++s)
    all.push_back(std::string("pipeline.") + pipeline::stage_name(static_cast<pipeline::StageId>(s)));
  n.fail(key, "expected a system of this estate (" + quoted_list(all) + "), got \"" + name + "\"");
}

// Location and channel names key the report (latency.<flow>.by_location.<name>,
// integrity.dead_letters."<system>:<reason>", stages.<name>.pick) and name outage targets, so
// they must not collide with each other or with names the estate already uses.
void check_system_name(Node& n, const std::string& name, const Names& names) {
  if (n.schema_mode()) return;
  static const char* kReserved[] = {"erp", "pipeline", "unallocated", "total"};
  for (const char* r : kReserved)
    if (name == r)
      n.fail_here("expected a name that is not one the estate uses itself (\"erp\", \"pipeline\", \"unallocated\", \"total\"), got \"" + name + "\"");
  if (name.rfind("pipeline.", 0) == 0) n.fail_here("expected a name that does not start with \"pipeline.\" (the pipeline's stages), got \"" + name + "\"");
  if (name.find(':') != std::string::npos) n.fail_here("expected a name without ':' (it separates system and reason in the report), got \"" + name + "\"");
  if (find_name(names.locations, name) >= 0 || find_name(names.channels, name) >= 0)
    n.fail_here("expected a name no other location or channel has; \"" + name + "\" is already a " +
                (find_name(names.locations, name) >= 0 ? "location" : "channel"));
}

void read_stage(Node& stages, const char* key, pipeline::StageConfig& cfg, const char* doc, bool compute) {
  Node s = stages.object(key, doc);
  cfg.workers = static_cast<std::uint32_t>(s.integer("workers", cfg.workers, "Workers (concurrent jobs).", 1, 100000));
  cfg.queue = static_cast<std::uint64_t>(s.integer(
      "queue", static_cast<std::int64_t>(cfg.queue),
      "Jobs that may wait for a worker. The bound holds; what work that finds it full does is pipeline.backpressure.", 1,
      100'000'000));
  if (compute) {
    const double mean_ms = cfg.service_s.mean() * 1000;
    const std::string median = std::to_string(static_cast<int>(mean_ms)) + "ms";
    const std::string p99 = std::to_string(static_cast<int>(mean_ms * 10)) + "ms";
    cfg.service_s = s.duration_dist("service_time", lognormal(median.c_str(), p99.c_str()), "Service time per job.");
  }
  s.finish();
}

pipeline::RetryPolicy read_retry(Node& p, const char* key, const char* doc) {
  pipeline::RetryPolicy r;
  Node n = p.object(key, doc);
  r.attempts = static_cast<int>(n.integer("attempts", 5, "Attempts before dead-lettering, the first included.", 1, 100));
  r.base = n.duration("base", sim::seconds(1), "Backoff base: attempt n waits up to base * 2^(n-1).", 1);
  r.cap = n.duration("cap", sim::seconds(60), "Longest backoff.", 1);
  r.jitter = static_cast<pipeline::Jitter>(
      n.choice("jitter", 1, {"none", "full", "equal"}, "Full jitter waits random(0, backoff); equal waits backoff/2 + random(0, backoff/2)."));
  r.timeout = n.duration("timeout", sim::seconds(30), "A request with no answer by then counts as failed.", 1);
  n.finish();
  return r;
}

void read_catalogue(Node& root, Scenario& sc) {
  Node c = root.object("catalogue", "The SKUs on sale and the stock they start with.");
  sc.skus = static_cast<std::size_t>(c.integer("skus", 1000, "Number of SKUs, numbered by popularity rank.", 1, kMaxSkus));
  sc.zipf = c.number("zipf", 1.0, "Popularity skew: SKU of rank r sells in proportion to 1/r^zipf (0: all alike).", 0, 5);
  Node stock = c.object("stock", "Initial stock per (SKU, location).");
  sc.cover = stock.duration("cover", sim::hours(24),
                            "Days of cover: initial on-hand = base demand for the SKU over this long, split over locations by stock_share.");
  sc.min_units = stock.integer("min_units", 5, "Least initial on-hand per (SKU, location).", 0, 1'000'000'000);
  stock.finish();
  sc.safety_stock = c.integer("safety_stock", 0, "Units per (SKU, location) never offered to channels.", 0, 1'000'000'000);
  c.finish();
}

Json default_locations() {
  return {{"wh1", {{"kind", "wms"}}}, {"wh2", {{"kind", "wms"}}}, {"tpl", {{"kind", "3pl"}, {"stock_share", 0.5}}}};
}
Json default_channels() {
  return {{"storefront", Json::object()}, {"marketplace", Json::object()}, {"edi", Json::object()}, {"b2b", Json::object()}};
}

void read_locations(Node& root, Scenario& sc, Names& names) {
  const Json def = default_locations();
  root.entries("locations", "Warehouses: owned ones run by a WMS, and 3PLs. Keys are location names.", def,
               [&](const std::string& name, Node& n) {
                 check_system_name(n, name, names);
                 LocationSpec loc;
                 loc.name = name;
                 loc.stock_share = n.number("stock_share", 1.0, "Share of initial stock held here, relative to other locations.", 0, 1000);
                 loc.latency_s = n.duration_dist("latency", lognormal("50ms", "500ms"), "Network latency between the pipeline and this location, each way.");
                 n.variant("kind", 0,
                           {{"wms",
                             [&](Node& w) {
                               loc.kind = LocationKind::wms;
                               loc.wms.pickers = static_cast<std::uint32_t>(w.integer("pickers", 60, "Pickers working in parallel.", 1, 100000));
                               loc.wms.pick_s_per_line = w.duration_dist("pick_time", lognormal("20s", "90s"), "Pick time per order line.");
                               loc.wms.packers = static_cast<std::uint32_t>(w.integer("packers", 50, "Pack stations working in parallel.", 1, 100000));
                               loc.wms.pack_s = w.duration_dist("pack_time", lognormal("30s", "2m"), "Pack-out time per shipment.");
                               loc.wms.on_recovery = static_cast<mocks::RecoveryMode>(w.choice(
                                   "on_recovery", 0, {"replay", "lose"}, "After an outage, the WMS replays the events it buffered, or loses them."));
                             }},
                            {"3pl",
                             [&](Node& t) {
                               loc.kind = LocationKind::tpl;
                               loc.tpl.workers = static_cast<std::uint32_t>(t.integer("workers", 20000, "Orders in process at once (dock-to-ship is mostly waiting for waves and cut-offs, not labour).", 1, 10000000));
                               loc.tpl.dock_to_ship_s = t.duration_dist("dock_to_ship", lognormal("4h", "12h"), "From receipt of a shipping order (940) to shipment.");
                               Node iv = t.object("intervals", "How often the 3PL files travel.");
                               loc.orders_interval = iv.duration("orders", sim::minutes(15), "Shipping orders (940), sent by the pipeline.", 1);
                               loc.tpl.advice_interval = iv.duration("advice", sim::minutes(30), "Shipping advice (945), sent by the 3PL.", 1);
                               loc.tpl.inventory_interval = iv.duration("inventory", sim::hours(1), "Inventory snapshot (846), sent by the 3PL.", 1);
                               iv.finish();
                               loc.tpl.on_recovery = static_cast<mocks::RecoveryMode>(t.choice(
                                   "on_recovery", 0, {"replay", "lose"}, "After an outage, the 3PL sends the advice it held, or loses it."));
                             }}},
                           "wms (an owned warehouse run by a WMS) or 3pl (a third-party warehouse that trades batch files).");
                 n.finish();
                 sc.locations.push_back(loc);
                 names.locations.push_back(name);
               });
  if (!root.schema_mode() && sc.locations.size() > 16)
    root.fail("locations", "expected at most 16 locations, got " + std::to_string(sc.locations.size()));
}

void read_channels(Node& root, Scenario& sc, Names& names) {
  const Json def = default_channels();
  root.entries("channels", "Sales channels. Keys are channel names; a name that is a kind (storefront, marketplace, edi, b2b) needs no \"kind\".", def,
               [&](const std::string& name, Node& n) {
                 check_system_name(n, name, names);
                 ChannelSpec ch;
                 ch.name = name;
                 std::size_t kind_default = 0;
                 for (std::size_t k = 0; k < 4; ++k)
                   if (name == kChannelKinds[k]) kind_default = k;
                 if (!n.schema_mode() && !n.has("kind") && find_name({"storefront", "marketplace", "edi", "b2b"}, name) < 0)
                   n.fail("kind", "missing: channel \"" + name + "\" needs a kind (storefront, marketplace, edi or b2b)");
                 ch.kind = static_cast<mocks::ChannelKind>(n.choice("kind", kind_default, {"storefront", "marketplace", "edi", "b2b"},
                                                                   "What sort of channel; sets the defaults below (shown for storefront)."));
                 const ChannelDefaults d = channel_defaults(ch.kind);
                 ch.rate_per_s = n.rate("rate", *parse_rate_per_s(d.rate), "Orders placed per unit of time, before promotions.");
                 ch.lines = n.count_dist("lines", d.lines, "Lines per order, 1 to 16 (a geometric's tail beyond 16 counts 16).", 1,
                                         model::kMaxLinesPerOrder);
                 ch.units = n.count_dist("units", d.units, "Units per line, 1 to 1000000 (a geometric's tail beyond counts 1000000).", 1,
                                         static_cast<double>(mocks::kMaxUnitsPerLine));
                 const auto sells = n.names("sells_from", {}, "Locations whose stock this channel sells (default: all).");
                 if (!n.schema_mode()) {
                   if (sells.empty() && n.has("sells_from")) n.fail("sells_from", "expected at least one location");
                   for (std::size_t i = 0; i < names.locations.size(); ++i)
                     if (sells.empty()) ch.sells_from.push_back(static_cast<model::LocId>(i));
                   for (std::size_t i = 0; i < sells.size(); ++i) {
                     const int l = find_name(names.locations, sells[i]);
                     if (l < 0)
                       n.fail("sells_from/" + std::to_string(i), "expected a location (" + quoted_list(names.locations) + "), got \"" + sells[i] + "\"");
                     ch.sells_from.push_back(static_cast<model::LocId>(l));
                   }
                 }
                 Node feed = n.object("feed", "How the pipeline publishes availability to this channel.");
                 ch.feed = static_cast<pipeline::FeedMode>(feed.choice(
                     "mode", static_cast<std::size_t>(d.feed), {"event", "batch", "none"},
                     "event: every change, as it happens; batch: a full snapshot every interval; none: the channel never checks availability."));
                 ch.feed_interval = feed.duration("interval", dur(d.feed_interval), "Snapshot interval for a batch feed.", 1);
                 ch.feed_offset = feed.optional_duration(
                     "offset",
                     "Phase of a batch feed: snapshots are published at offset + k * interval (every such instant after 0), "
                     "0 <= offset < interval. Default: the batch-fed channels are spread evenly over G, the greatest common "
                     "divisor of their intervals: the i-th of n (in the order written, from 0) gets G * i / n, so no two batch "
                     "feeds publish at the same instant (three 30m feeds: 0, 10m, 20m; 15m and 1h: 0 and 7m30s).");
                 if (!n.schema_mode() && ch.feed_offset && (*ch.feed_offset < 0 || *ch.feed_offset >= ch.feed_interval))
                   feed.fail("offset", "expected a duration from 0 to below the interval (" + format_duration(ch.feed_interval) +
                                           "), got \"" + format_duration(*ch.feed_offset) + "\"");
                 feed.finish();
                 Node del = n.object("delivery", "How orders travel from the channel to the pipeline (at least once).");
                 ch.delivery = static_cast<mocks::DeliveryMode>(del.choice(
                     "mode", static_cast<std::size_t>(d.delivery), {"push", "batch"},
                     "push: a webhook per order, retried on refusal or timeout; batch: collected and sent every interval (EDI files, marketplace polling)."));
                 ch.delivery_interval = del.duration("interval", dur(d.delivery_interval), "Batch interval.", 1);
                 ch.latency_s = del.duration_dist("latency", lognormal("150ms", "1500ms"), "Network latency to the pipeline, each way.");
                 ch.timeout = del.duration("timeout", sim::seconds(5), "A delivery with no answer by then is retried.", 1);
                 ch.attempts = static_cast<int>(del.integer("attempts", 8, "Delivery attempts before the channel gives up (the order is then lost).", 1, 100));
                 ch.retry_base = del.duration("retry_base", sim::minutes(1), "Exponential retry base.", 1);
                 ch.retry_cap = del.duration("retry_cap", sim::hours(2), "Longest wait between attempts.", 1);
                 ch.duplicates = del.probability("duplicates", d.duplicates, "Fraction of deliveries sent twice (at-least-once).");
                 ch.duplicate_delay_s = del.duration_dist("duplicate_delay", lognormal("30s", "10m"), "How long after the original a duplicate arrives.");
                 ch.reorder = del.duration("reorder", 0, "Deliveries within this window may overtake one another.");
                 del.finish();
                 n.finish();
                 sc.channels.push_back(ch);
                 names.channels.push_back(name);
               });
  if (!root.schema_mode() && sc.channels.size() > 32)
    root.fail("channels", "expected at most 32 channels, got " + std::to_string(sc.channels.size()));
  if (root.schema_mode()) return;
  // Batch feeds that all started at 0 would publish together at every common multiple of
  // their intervals. By default they are spread evenly over G = gcd of the intervals: the
  // i-th of n gets G * i / n. Two of them then never publish at the same instant: both
  // intervals are multiples of G, and their offsets differ by more than 0 and less than G.
  std::vector<std::size_t> batch;
  Tick g = 0;
  for (std::size_t c = 0; c < sc.channels.size(); ++c) {
    if (sc.channels[c].feed != pipeline::FeedMode::batch) continue;
    batch.push_back(c);
    g = std::gcd(g, sc.channels[c].feed_interval);
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    ChannelSpec& ch = sc.channels[batch[i]];
    if (!ch.feed_offset) ch.feed_offset = g * static_cast<Tick>(i) / static_cast<Tick>(batch.size());
  }
}

void read_erp(Node& root, Scenario& sc) {
  Node e = root.object("erp", "The ERP: system of record, guarded by API quotas.");
  Node q = e.object("quota", "Token-bucket request quota; beyond it, 429 with Retry-After.");
  sc.erp.quota_per_s = q.rate("rate", 10.0, "Sustained request rate (\"0/s\": no quota).");
  sc.erp.burst = q.number("burst", 100, "Bucket size: requests that may go at once after a quiet spell.", 1, 1e9);
  q.finish();
  sc.erp.concurrency = static_cast<std::uint32_t>(e.integer("concurrency", 15, "Requests served at once.", 1, 100000));
  sc.erp.queue = static_cast<std::uint64_t>(e.integer("queue", 0, "Requests that may wait for a free slot; beyond that, 429.", 0, 100'000'000));
  sc.erp.service_s = e.duration_dist("service_time", lognormal("250ms", "2s"), "Time to serve one request.");
  sc.erp.retry_after_busy = e.duration("retry_after", sim::seconds(1), "Retry-After sent when the concurrency limit refuses.", 1);
  sc.erp_latency_s = e.duration_dist("latency", lognormal("30ms", "200ms"), "Network latency between the pipeline and the ERP, each way.");
  e.finish();
}

void read_pipeline(Node& root, Scenario& sc, const Names& names) {
  pipeline::PipelineConfig& p = sc.pipeline;
  Node n = root.object("pipeline", "The sync pipeline under test: its design choices.");
  Node idem = n.object("idempotency", "Deduplication by idempotency key (ingest, warehouse events) and keys on ERP and warehouse requests.");
  p.idempotency = idem.boolean("enabled", true, "Deduplicate, and send idempotency keys.");
  p.idempotency_window = idem.duration("window", sim::hours(24), "How long a key is remembered (a broker's duplicate detection is often only 10m).", 1);
  idem.finish();
  Node res = n.object("reservation", "The reservation model.");
  p.reservation = res.boolean("enabled", true, "Reserve stock per line at allocation, and publish on-hand minus reservations; off: route blindly and let warehouses short-pick.");
  res.finish();
  Node route = n.object("routing", "Which location fulfils a line.");
  p.routing = static_cast<pipeline::RoutingRule>(route.choice("rule", 1, {"priority", "most_stock"},
                                                              "priority: the first location in order with stock; most_stock: the one with most available."));
  const auto order = route.names("order", {}, "Location order for the priority rule (default: as declared).");
  route.finish();
  if (!n.schema_mode()) {
    std::vector<model::LocId> prio;
    for (std::size_t i = 0; i < order.size(); ++i) {
      const int l = find_name(names.locations, order[i]);
      if (l < 0) n.fail("routing/order/" + std::to_string(i), "expected a location (" + quoted_list(names.locations) + "), got \"" + order[i] + "\"");
      if (std::find(prio.begin(), prio.end(), l) != prio.end()) n.fail("routing/order/" + std::to_string(i), "expected each location once, got \"" + order[i] + "\" twice");
      prio.push_back(static_cast<model::LocId>(l));
    }
    for (std::size_t i = 0; i < names.locations.size(); ++i)
      if (std::find(prio.begin(), prio.end(), i) == prio.end()) prio.push_back(static_cast<model::LocId>(i));
    p.priority = prio;
  }
  p.release_after = static_cast<pipeline::ReleaseGate>(n.choice("release_after", 0, {"erp", "allocation"},
                                                               "Release to the warehouse once the ERP has the order, or right after allocation."));
  Node stages = n.object("stages", "Worker pools and queues of each stage.");
  read_stage(stages, "ingest", p.ingest, "Takes channel orders; a full queue refuses them with 503 (the channel resends).", true);
  read_stage(stages, "allocate", p.allocate, "Availability check, reservation and routing.", true);
  read_stage(stages, "erp_sync", p.erp_sync, "The ERP connector; a worker waits out each request.", false);
  read_stage(stages, "release", p.release, "The warehouse connector; a worker waits out each request.", false);
  read_stage(stages, "events", p.events, "Consumes warehouse events.", true);
  read_stage(stages, "feed", p.feed, "Publishes availability to channels.", true);
  stages.finish();
  p.backpressure = static_cast<pipeline::Backpressure>(n.choice(
      "backpressure", 0, {"block", "refuse"},
      "What a full stage queue does. Either way every stage queue stays within its bound and nothing is lost. "
      "block: a worker handing work to a full queue stays held (blocked) until there is room, so back-pressure travels "
      "upstream stage by stage until ingest's own queue is full and it refuses deliveries with 503. refuse: ingest also "
      "refuses a delivery with 503 as soon as allocate has no room left for it (counting the orders already in ingest), "
      "and the channel resends it by its retry policy; past ingest, accepted work that meets a full queue still holds "
      "the worker handing it on. Work from timers, warehouses and retries waits outside a full queue without holding a worker."));
  p.erp_retry = read_retry(n, "erp_retry", "Retry policy of the ERP connector.");
  p.warehouse_retry = read_retry(n, "warehouse_retry", "Retry policy of the warehouse connector.");
  Node dlq = n.object("dlq", "Dead-letter queue.");
  p.redrive_interval = dlq.duration("redrive", sim::minutes(15), "Dead letters are redriven this often.", 1);
  p.max_redrives = static_cast<int>(dlq.integer("max_redrives", 16, "After this many redrives a message stays dead.", 0, 200));
  const double redrive_rate = dlq.rate("redrive_rate", 20.0, "How fast dead letters go back (a redrive velocity), so a big DLQ does not hit the recovering system all at once.", true);
  p.redrive_spacing = redrive_rate > 0 ? std::max<Tick>(1, sim::from_seconds(1.0 / redrive_rate)) : 1;
  dlq.finish();
  Node feed = n.object("feed", "Availability publishing.");
  p.safety_buffer = feed.integer("safety_buffer", 0, "Units held back from every published figure.", 0, 1'000'000'000);
  feed.finish();
  Node rec = n.object("reconciliation", "The reconciliation job.");
  p.recon_interval = rec.duration("interval", sim::hours(1), "How often it runs.", 1);
  p.recon_mode = static_cast<pipeline::ReconMode>(rec.choice("mode", 0, {"report", "correct"},
                                                             "report: measure only; correct: also set the ERP (and the pipeline's ledger) to warehouse counts where both have seen the same movements."));
  rec.finish();
  n.finish();
}

void read_timeline(Node& root, Scenario& sc, const Names& names) {
  root.items("timeline", "What happens during the run, in simulated time from the start.", [&](std::size_t, Node& n) {
    TimelineEvent ev;
    ev.path = n.path();
    const auto at = n.optional_duration("at", "When it starts.");
    const auto span = n.optional_duration("for", "How long it lasts (windowed events only).", 1);
    n.one_of(
        {{"promotion", "Demand on some SKUs and channels multiplied for a window."},
         {"outage", "A system misbehaves for a window."},
         {"duplicates", "A source re-delivers a fraction of its messages for a window."},
         {"reorder", "A source's messages may overtake one another within a window."},
         {"throttle", "The ERP quota drops for a window."},
         {"drift", "Unreported (or reported) physical stock changes at a location: shrinkage, cycle counts."},
         {"replenishment", "Stock received at a location."},
         {"returns", "Customer returns received at a location."},
         {"transfer", "Stock moved between locations."},
         {"late_batch", "Batches of a 3PL or a batch channel arrive late, or not at all, for a window."}},
        [&](std::string_view kind, Node& k) {
          using K = TimelineEvent::Kind;
          if (kind == "promotion") {
            ev.kind = K::promotion;
            if (sc.trace)
              n.fail("promotion", "unexpected with demand.trace: a promotion multiplies the channels' rates, and a replayed log has its own shape; "
                                  "use demand.scale for volume, or put the promotion in the log");
            ev.multiplier = k.number("multiplier", 2.0, "Demand multiplier (below 1: a dip).", 0, 1000);
            ev.skus = read_skus(k, "skus", "Which SKUs.");
            const auto chans = k.names("channels", {}, "Which channels (default: all).");
            ev.ramp = k.duration("ramp", 0, "Linear ramp up at the start and down at the end.");
            for (std::size_t i = 0; i < chans.size(); ++i) {
              const int c = find_name(names.channels, chans[i]);
              if (c < 0) k.fail("channels/" + std::to_string(i), "expected a channel (" + quoted_list(names.channels) + "), got \"" + chans[i] + "\"");
              ev.channels.push_back(c);
            }
          } else if (kind == "outage") {
            ev.kind = K::outage;
            ev.system = read_system(k, "system", "\"erp\", a location, a channel, or \"pipeline.<stage>\".", names, true);
            ev.outage.mode = static_cast<model::OutageMode>(
                1 + k.choice("mode", 0, {"down", "slow", "blackhole", "flaky"},
                             "down: refuses; slow: service times x factor; blackhole: accepts, never answers; flaky: fails error_rate of requests."));
            ev.outage.factor = k.number("factor", 5, "Slowdown factor (slow).", 1, 1e6);
            ev.outage.error_rate = k.probability("error_rate", 0.3, "Fraction of requests failed (flaky).");
          } else if (kind == "duplicates") {
            ev.kind = K::duplicates;
            ev.source = read_system(k, "source", "A channel or a location whose messages to the pipeline are duplicated.", names, true);
            ev.rate = k.probability("rate", 0.05, "Fraction of messages delivered twice.");
            ev.delay_s = k.duration_dist("delay", lognormal("30s", "10m"), "How long after the original the duplicate arrives.");
          } else if (kind == "reorder") {
            ev.kind = K::reorder;
            ev.source = read_system(k, "source", "A channel or a location whose messages to the pipeline are reordered.", names, true);
            ev.window = k.duration("window", sim::seconds(30), "Messages within this window may overtake one another.", 1);
          } else if (kind == "throttle") {
            ev.kind = K::throttle;
            ev.quota_per_s = k.rate("quota", 5.0, "The ERP's request quota during the window.");
            ev.burst = k.number("burst", 10, "Bucket size during the window.", 1, 1e9);
          } else if (kind == "late_batch") {
            ev.kind = K::late_batch;
            ev.source = read_system(k, "source", "A 3PL location or a channel with batch delivery.", names, true);
            if (!k.schema_mode() && ev.source.kind == SystemRef::Kind::channel && k.has("batch"))
              k.fail("batch", "unexpected: \"batch\" names a 3PL file; a channel has one kind of batch");
            ev.batch = static_cast<mocks::TplBatch>(k.choice("batch", 1, {"orders", "advice", "inventory"},
                                                              "3PL only: shipping orders (940, from the pipeline), advice (945) or inventory (846)."));
            ev.missing = k.boolean("missing", false, "Never sent (its records are lost).");
            ev.late_by = k.duration("delay", sim::hours(1), "How late (when not missing).", 1);
          } else {
            ev.kind = kind == "drift" ? K::drift : kind == "replenishment" ? K::replenishment : kind == "returns" ? K::returns : K::transfer;
            const char* loc_key = ev.kind == K::transfer ? "from" : "location";
            const std::string loc = k.text(loc_key, "", "The location.");
            if (!k.schema_mode()) {
              ev.location = find_name(names.locations, loc);
              if (ev.location < 0) k.fail(loc_key, "expected a location (" + quoted_list(names.locations) + "), got \"" + loc + "\"");
            }
            if (ev.kind == K::transfer) {
              const std::string to = k.text("to", "", "The receiving location.");
              ev.transit = k.duration("transit", sim::hours(24), "Time in transit.");
              if (!k.schema_mode()) {
                ev.to_location = find_name(names.locations, to);
                if (ev.to_location < 0) k.fail("to", "expected a location (" + quoted_list(names.locations) + "), got \"" + to + "\"");
                if (ev.to_location == ev.location) k.fail("to", "expected a location other than \"from\"");
              }
            }
            ev.skus = read_skus(k, "skus", "Which SKUs.");
            if (ev.kind == K::drift) {
              ev.units = k.integer("units", -5, "Units per SKU (negative: shrinkage).", -1'000'000'000, 1'000'000'000);
              ev.reported = k.boolean("reported", false, "Reported as an adjustment event; unreported drift is only found by reconciliation.");
            } else if (ev.kind == K::replenishment) {
              ev.units = k.integer("units", 0, "Units per SKU (or use cover).", 0, 1'000'000'000);
              ev.cover = k.duration("cover", 0, "Units per SKU = base demand over this long (instead of units).");
              if (!k.schema_mode() && ev.units == 0 && ev.cover == 0) k.fail_here("expected units or cover above 0");
            } else {
              ev.units = k.integer("units", 1, "Units per SKU.", 1, 1'000'000'000);
            }
          }
          k.finish();
        });
    n.finish();
    if (n.schema_mode()) return;
    using K = TimelineEvent::Kind;
    if (!at) n.fail("at", "missing: every timeline entry needs \"at\"");
    ev.at = *at;
    if (ev.at >= sc.duration) n.fail("at", "expected a time within the run (before " + format_duration(sc.duration) + "), got \"" + format_duration(ev.at) + "\"");
    const bool windowed = ev.kind == K::promotion || ev.kind == K::outage || ev.kind == K::duplicates ||
                          ev.kind == K::reorder || ev.kind == K::throttle || ev.kind == K::late_batch;
    if (windowed && !span) n.fail("for", "missing: this kind of event lasts a while; say how long with \"for\"");
    if (!windowed && span) n.fail("for", "unexpected: this kind of event happens at an instant");
    ev.span = span.value_or(0);
    const std::string kind_path = [&] {
      for (const char* kname : {"promotion", "outage", "duplicates", "reorder", "throttle", "late_batch"})
        if (n.has(kname)) return std::string(kname);
      return std::string();
    }();
    if (ev.kind == K::promotion && 2 * ev.ramp > ev.span)
      n.fail("promotion/ramp", "expected a ramp of at most half the window (" + format_duration(ev.span / 2) + ")");
    if (ev.kind == K::outage) {
      const auto mode = ev.outage.mode;
      if (ev.system.kind == SystemRef::Kind::channel && mode != model::OutageMode::down)
        n.fail("outage/mode", "expected \"down\": a channel outage stops its sales and feed; other modes apply to systems with an API");
      if (ev.system.kind == SystemRef::Kind::stage && mode != model::OutageMode::down && mode != model::OutageMode::slow)
        n.fail("outage/mode", "expected \"down\" or \"slow\" for a pipeline stage");
      const auto stage = static_cast<pipeline::StageId>(ev.system.index);
      if (ev.system.kind == SystemRef::Kind::stage && mode == model::OutageMode::slow &&
          (stage == pipeline::StageId::erp_sync || stage == pipeline::StageId::release))
        n.fail("outage/mode", "expected \"down\": a connector stage's time is its round trip; slow the ERP or the warehouse instead");
    }
    if (ev.kind == K::duplicates || ev.kind == K::reorder) {
      if (ev.source.kind != SystemRef::Kind::channel && ev.source.kind != SystemRef::Kind::location)
        n.fail(kind_path + "/source", "expected a channel or a location: they are the sources of messages to the pipeline");
    }
    if (ev.kind == K::late_batch) {
      const bool tpl = ev.source.kind == SystemRef::Kind::location && sc.locations[static_cast<std::size_t>(ev.source.index)].kind == LocationKind::tpl;
      const bool batch_channel = ev.source.kind == SystemRef::Kind::channel &&
                                 sc.channels[static_cast<std::size_t>(ev.source.index)].delivery == mocks::DeliveryMode::batch;
      if (!tpl && !batch_channel) n.fail("late_batch/source", "expected a 3PL location or a channel with batch delivery");
    }
    sc.timeline.push_back(ev);
  });
}

// Two windows of the same kind on the same target cannot overlap: the end of the first
// would undo the second.
void check_overlaps(const Node& root, const Scenario& sc) {
  using K = TimelineEvent::Kind;
  auto target = [](const TimelineEvent& e) -> std::string {
    switch (e.kind) {
      case K::outage: return "outage:" + std::to_string(static_cast<int>(e.system.kind)) + ":" + std::to_string(e.system.index);
      case K::throttle: return "throttle";
      case K::duplicates: case K::reorder: case K::late_batch:
        return std::to_string(static_cast<int>(e.kind)) + ":" + std::to_string(static_cast<int>(e.source.kind)) + ":" +
               std::to_string(e.source.index) + (e.kind == K::late_batch ? ":" + std::to_string(static_cast<int>(e.batch)) : "");
      default: return "";
    }
  };
  for (std::size_t i = 0; i < sc.timeline.size(); ++i) {
    const std::string ti = target(sc.timeline[i]);
    if (ti.empty()) continue;
    for (std::size_t j = 0; j < i; ++j) {
      if (target(sc.timeline[j]) != ti) continue;
      const auto& a = sc.timeline[j];
      const auto& b = sc.timeline[i];
      if (b.at < a.at + a.span && a.at < b.at + b.span)
        root.fail(b.path.substr(1), "expected a window that does not overlap the one at " + a.path +
                                         " (same kind, same system); merge them or make them follow each other");
    }
  }
}

// demand.trace: the log is read here, with the scenario's channels and catalogue, so a bad
// log is refused before anything runs, naming its own file, line and column.
void read_trace(Node& demand, Scenario& sc) {
  Node tr = demand.object("trace", "Demand from an order log instead of the channels' rates: every logged order placed at its instant (README, \"Order logs\"). Channels' rate, lines and units are then not used, and promotions are refused.");
  TraceSpec spec;
  spec.file = tr.text("file", "", "The log, CSV or JSON Lines, relative to the scenario file's folder.");
  const std::size_t format = tr.choice("format", 0, {"auto", "csv", "jsonl"}, "auto: by the file's extension (.csv; .jsonl or .ndjson).");
  spec.offset = tr.duration("offset", 0, "The scenario instant at which the log's `from` plays.");
  spec.from = tr.duration("from", 0, "Where in the log replay begins (log time); earlier orders are not replayed.");
  spec.speed = tr.number("speed", 1.0, "Log time played per scenario second (2: a 12h log in 6h, at twice the rate).", 0.001, 1000.0);
  tr.finish();
  if (demand.schema_mode() || !demand.has("trace")) return;
  if (spec.file.empty()) tr.fail("file", "missing: a trace needs the log's file");
  const std::filesystem::path written(spec.file);
  spec.path = (written.is_absolute() ? written : std::filesystem::path(sc.file).parent_path() / written).string();
  const auto by_extension = log_format_of(spec.path);
  if (format == 0 && !by_extension)
    tr.fail("file", "expected a file ending in .csv, .jsonl or .ndjson, or an explicit \"format\", got \"" + spec.file + "\"");
  spec.format = format == 0 ? *by_extension : format == 1 ? LogFormat::csv : LogFormat::jsonl;
  if (std::error_code ec; !std::filesystem::is_regular_file(spec.path, ec))
    tr.fail("file", "cannot read the order log \"" + spec.path + "\"");
  LogRoster roster;
  for (const auto& c : sc.channels) roster.channels.push_back(c.name);
  roster.skus = sc.skus;
  spec.log = std::make_shared<const OrderLog>(read_order_log(spec.path, spec.format, roster));
  sc.trace = std::move(spec);
}

void read_demand(Node& root, Scenario& sc) {
  Node demand = root.object("demand", "Demand as a whole, over every channel.");
  sc.demand_scale = demand.number("scale", 1.0, "Multiplies every channel's order rate, promotions included (3 for three times today's demand); with a trace, the log's volume, thinned or superposed on common random numbers. Stock stays sized from the demand as written (scale 1).", 0.001, 1000.0);
  read_trace(demand, sc);
  demand.finish();
}

// Bounds on everything a scenario can make grow. A run that reaches one stops, like one that
// runs out of events, and fails integrity (its figures cannot be trusted); the report says
// which (run.limit_hit, run.limits). The series bound is known before the run, so it is
// checked here.
void read_limits(Node& root, Scenario& sc) {
  Node limits = root.object("limits", "Bounds on the run; the report says when one was hit (run.limit_hit) and how much of each was used (run.limits).");
  sc.max_events = static_cast<std::uint64_t>(limits.integer("max_events", 500'000'000, "Most events to simulate (about two minutes of work).", 1, 1'000'000'000'000));
  sc.max_orders = static_cast<std::uint64_t>(limits.integer(
      "max_orders", 10'000'000,
      "Most orders the channels may place (accepted or not). Every system keeps state per order (the order book, the pipeline's records and idempotency keys, the ERP's keys), about 350 bytes in all.",
      1, 1'000'000'000));
  sc.max_documents_mb = static_cast<std::uint64_t>(limits.integer(
      "max_documents_mb", 4096, "Most megabytes of documents (batch files, snapshots, query answers) held; they are kept until the run ends.", 1,
      1'000'000));
  sc.max_series_points = static_cast<std::uint64_t>(limits.integer(
      "max_series_points", 10'000, "Most points per time series over the duration (report.series_interval may not be shorter than duration / this).", 1,
      1'000'000));
  limits.finish();
  Node rep = root.object("report", "What the report keeps.");
  sc.series_interval = rep.duration("series_interval", 0, "Interval of time series (0: one minute, widened to keep at most 720 points and at most limits.max_series_points).");
  if (!rep.schema_mode() && sc.series_interval > 0) {
    const auto points = static_cast<std::uint64_t>((sc.duration + sc.series_interval - 1) / sc.series_interval);
    if (points > sc.max_series_points) {
      const Tick shortest = (sc.duration + static_cast<Tick>(sc.max_series_points) - 1) / static_cast<Tick>(sc.max_series_points);
      rep.fail("series_interval", "expected an interval of at least " + format_duration(shortest) + " (duration " + format_duration(sc.duration) +
                                      " / limits.max_series_points " + std::to_string(sc.max_series_points) + "), got \"" +
                                      format_duration(sc.series_interval) + "\": " + std::to_string(points) + " points per series");
    }
  }
  rep.finish();
}

void read_scenario(Node& root, Scenario& sc) {
  root.text("$schema", "", "The schema this file follows (for editors).");
  sc.name = root.text("name", sc.name, "Short name of the scenario (default: the file name): letters, digits, '.', '_', '-'; it names the output folder.");
  // The name becomes a folder under --out: no separators, no "." or "..", nothing that
  // collides with a gate's own files.
  if (!root.schema_mode()) {
    const bool ok = !sc.name.empty() && sc.name.size() <= 100 && sc.name.front() != '.' &&
                    std::all_of(sc.name.begin(), sc.name.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
                    }) &&
                    sc.name != "summary.md" && sc.name != "junit.xml";
    if (!ok)
      root.fail(root.has("name") ? "name" : "",
                "expected a scenario name of letters, digits, '.', '_' and '-' (not starting with '.'), got \"" + sc.name + "\"" +
                    (root.has("name") ? "" : " (from the file name; set \"name\")"));
  }
  sc.description = root.text("description", "", "What the scenario answers, in a sentence.");
  sc.seed = static_cast<std::uint64_t>(root.integer("seed", 1, "Random seed (--seed overrides).", 0, 9'007'199'254'740'991));
  sc.duration = root.duration("duration", sim::hours(6), "Simulated time with demand; a drain follows.", sim::seconds(1));
  Node drain = root.object("drain", "After the duration: no new demand until every queue is empty and every retry settled.");
  sc.drain_max = drain.duration("max", sim::hours(72), "Longest drain; the report says when it was hit (3PLs take up to 48h to ship).");
  drain.finish();
  read_limits(root, sc);
  Names names;
  read_catalogue(root, sc);
  read_locations(root, sc, names);
  read_channels(root, sc, names);
  read_demand(root, sc);
  read_erp(root, sc);
  read_pipeline(root, sc, names);
  read_timeline(root, sc, names);
  sc.thresholds = read_thresholds(root);
  root.finish();
  if (!root.schema_mode()) check_overlaps(root, sc);
}

std::string strip_extension(const std::string& file) {
  const auto slash = file.find_last_of('/');
  std::string base = slash == std::string::npos ? file : file.substr(slash + 1);
  const auto dot = base.find_last_of('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

}  // namespace

std::vector<model::SkuId> SkuSelector::resolve(std::size_t skus) const {
  std::vector<model::SkuId> out;
  switch (kind) {
    case Kind::all:
      for (std::size_t s = 0; s < skus; ++s) out.push_back(static_cast<model::SkuId>(s));
      break;
    case Kind::top:
      for (std::size_t s = 0; s < std::min<std::size_t>(top, skus); ++s) out.push_back(static_cast<model::SkuId>(s));
      break;
    case Kind::ranks:
      for (auto r : ranks)
        if (r >= 1 && r <= skus) out.push_back(r - 1);
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      break;
  }
  return out;
}

const char* location_kind_name(LocationKind kind) { return kind == LocationKind::wms ? "wms" : "3pl"; }

std::string system_name(const Scenario& s, const SystemRef& ref) {
  switch (ref.kind) {
    case SystemRef::Kind::erp: return "erp";
    case SystemRef::Kind::location: return s.locations[static_cast<std::size_t>(ref.index)].name;
    case SystemRef::Kind::channel: return s.channels[static_cast<std::size_t>(ref.index)].name;
    case SystemRef::Kind::stage: return std::string("pipeline.") + pipeline::stage_name(static_cast<pipeline::StageId>(ref.index));
  }
  return "?";
}

std::string scenario_hash(const Json& document) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(sim::hash_name(document.dump())));
  return buf;
}

Scenario parse_scenario(const Json& doc, const Origin& origin) {
  Scenario sc;
  sc.file = origin.file;
  sc.name = strip_extension(origin.file);
  Node root = Node::read(origin, doc);
  read_scenario(root, sc);
  sc.document = doc;
  sc.file_hash = scenario_hash(doc);
  return sc;
}

std::string apply_override(Json& doc, const std::string& assignment, const std::string& file, const std::string& flag) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError(file, "", flag + " " + assignment + ": expected path=value, like pipeline.idempotency.enabled=false");
  const std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  std::vector<std::string> parts;
  if (path.front() == '/') {
    std::stringstream ss(path.substr(1));
    for (std::string part; std::getline(ss, part, '/');) parts.push_back(part);
  } else {
    std::stringstream ss(path);
    for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  }
  Json value;
  try {
    value = Json::parse(text);
  } catch (const nlohmann::json::exception&) {
    value = text;  // not JSON: a string such as 5m or most_stock
  }
  try {
    (void)value.dump();
  } catch (const nlohmann::json::exception&) {
    throw InputError(file, "", flag + " " + assignment + ": expected UTF-8 text");
  }
  // An override inside a map the file leaves to its defaults (the channels, the
  // locations) changes that default map; it does not replace it with one entry.
  if (parts.size() > 1 && doc.is_object() && !doc.contains(parts[0])) {
    if (parts[0] == "channels") doc["channels"] = default_channels();
    if (parts[0] == "locations") doc["locations"] = default_locations();
  }
  Json* at = &doc;
  std::string pointer;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (part.empty()) throw InputError(file, pointer, flag + " " + assignment + ": empty path segment");
    pointer += "/" + json_pointer_escape(part);
    const bool last = i + 1 == parts.size();
    if (at->is_array()) {
      std::size_t idx = 0;
      const auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), idx);
      if (ec != std::errc() || p != part.data() + part.size() || idx >= at->size())
        throw InputError(file, pointer, flag + " " + assignment + ": expected an index below " + std::to_string(at->size()));
      at = &(*at)[idx];
    } else {
      if (at->is_null()) *at = Json::object();
      if (!at->is_object())
        throw InputError(file, pointer, flag + " " + assignment + ": cannot set a key inside " + describe_json(*at));
      at = &(*at)[part];
    }
    if (last) *at = value;
  }
  return pointer;
}

Scenario load_scenario(const std::string& name, const std::vector<std::string>& sets, const std::vector<std::string>& changes) {
  const std::string file = locate_input(name);
  return scenario_from_document(read_scenario_document(file), file, sets, changes);
}

Json read_scenario_document(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file, "", "cannot read the file");
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  Json doc;
  try {
    doc = Json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    // Turn the byte offset into a line and column.
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    const auto colon = what.find("syntax error");
    throw InputError(file, "", "line " + std::to_string(line) + ", column " + std::to_string(col) + ": not valid JSON (" +
                                   (colon == std::string::npos ? what : what.substr(colon)) + ")");
  }
  return doc;
}

Scenario scenario_from_document(Json doc, const std::string& file, const std::vector<std::string>& sets,
                                const std::vector<std::string>& changes, const std::string& change_flag) {
  Origin origin{file, {}};
  const std::string file_hash = scenario_hash(doc);
  for (const auto& s : sets) origin.overrides.emplace_back(apply_override(doc, s, file, "--set"), "--set " + s);
  for (const auto& s : changes) origin.overrides.emplace_back(apply_override(doc, s, file, change_flag), change_flag + " " + s);
  Json overrides = Json::array();
  for (const auto& [pointer, typed] : origin.overrides) overrides.push_back(typed);
  Scenario sc = parse_scenario(doc, origin);
  // The file's hash names the exact input of a report; with a trace, the log is input too.
  sc.file_hash = sc.trace ? scenario_hash(Json::array({file_hash, sc.trace->log->hash})) : file_hash;
  sc.overrides = overrides;
  return sc;
}

Json scenario_schema() {
  Json out = {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
              {"$id", "https://estate.dev/schema/scenario.json"},
              {"title", "estate scenario"},
              {"description", "A scenario for estate: the integration estate, the sync pipeline's design, and a timeline of what happens. Generated by `estate schema` from the parser itself."},
              {"type", "object"}};
  Scenario sc;
  Node root = Node::schema(out);
  read_scenario(root, sc);
  out["$defs"] = schema_definitions();
  return out;
}

}  // namespace estate::harness

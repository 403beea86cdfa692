#include "harness/live.h"

#include "harness/estate.h"
#include "harness/report.h"
#include "harness/timeline.h"
#include "harness/units.h"

namespace estate::harness {
using sim::Tick;

wire::Roster roster_of(const Scenario& sc) {
  wire::Roster r;
  for (const auto& l : sc.locations) {
    r.locations.push_back(l.name);
    r.third_party.push_back(l.kind == LocationKind::tpl);
  }
  for (const auto& c : sc.channels) r.channels.push_back(c.name);
  r.skus = sc.skus;
  return r;
}

std::vector<std::string> live_refusals(const Scenario& sc, bool foreign) {
  std::vector<std::string> out;
  // Names become URL path segments (/wms/wh1, /channels/storefront).
  auto url_safe = [](const std::string& name) {
    return !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~-") == std::string::npos;
  };
  for (const auto& l : sc.locations)
    if (!url_safe(l.name)) out.push_back("/locations/" + l.name + ": a location name is part of its URL when served (live, serve); use letters, digits, '.', '_', '~' or '-'");
  for (const auto& c : sc.channels)
    if (!url_safe(c.name)) out.push_back("/channels/" + c.name + ": a channel name is part of its URL when served (live, serve); use letters, digits, '.', '_', '~' or '-'");
  if (!foreign) return out;  // the embedded pipeline has every control surface
  for (std::size_t i = 0; i < sc.timeline.size(); ++i) {
    const auto& ev = sc.timeline[i];
    if (ev.kind == TimelineEvent::Kind::outage && ev.system.kind == SystemRef::Kind::stage)
      out.push_back(ev.path + ": an outage of the pipeline stage \"" + system_name(sc, ev.system) +
                    "\" needs the embedded pipeline; a pipeline at a URL has no stages estate can act on");
  }
  return out;
}

namespace {

Json admin_error(std::uint16_t status, const std::string& detail) {
  return {{"type", "urn:estate:problem:admin"}, {"title", "Admin request refused"}, {"status", status}, {"detail", detail}};
}

hosts::live::AdminReply reply(std::uint16_t status, const Json& body) { return {status, body.dump()}; }

// The system a name refers to, as the timeline would write it.
std::optional<SystemRef> find_system(const Scenario& sc, const std::string& name) {
  if (name == "erp") return SystemRef{SystemRef::Kind::erp, 0};
  for (std::size_t l = 0; l < sc.locations.size(); ++l)
    if (sc.locations[l].name == name) return SystemRef{SystemRef::Kind::location, static_cast<int>(l)};
  for (std::size_t c = 0; c < sc.channels.size(); ++c)
    if (sc.channels[c].name == name) return SystemRef{SystemRef::Kind::channel, static_cast<int>(c)};
  return std::nullopt;
}

std::optional<model::OutageMode> mode_of(const std::string& s) {
  for (auto m : {model::OutageMode::down, model::OutageMode::slow, model::OutageMode::blackhole, model::OutageMode::flaky})
    if (s == model::outage_mode_name(m)) return m;
  return std::nullopt;
}

Json state_json(Estate& estate, sim::Tick now) {
  const Scenario& sc = estate.scenario();
  Json systems = Json::object();
  systems["erp"] = {{"busy", estate.erp().station().busy()}, {"waiting", estate.erp().station().waiting()}};
  for (std::size_t l = 0; l < sc.locations.size(); ++l) {
    std::int64_t units = 0;
    const auto& stock = estate.wms(l) ? estate.wms(l)->stock() : estate.tpl(l)->stock();
    for (auto v : stock.on_hand_all()) units += v;
    systems[sc.locations[l].name] = {{"kind", location_kind_name(sc.locations[l].kind)}, {"on_hand_units", units}};
  }
  for (std::size_t c = 0; c < sc.channels.size(); ++c) {
    std::int64_t units = 0;
    for (auto v : estate.channel(c).views()) units += v;
    systems[sc.channels[c].name] = {{"kind", mocks::channel_kind_name(sc.channels[c].kind)}, {"available_units_shown", units}};
  }
  return {{"scenario", sc.name},
          {"time_s", round6(sim::to_seconds(now))},
          {"orders_placed", estate.metrics().accepted_orders()},
          {"systems", systems}};
}

}  // namespace

hosts::live::AdminHandler admin_api(Estate& estate, hosts::live::LiveEstate& live) {
  hosts::Host& host = live;
  return [&estate, &host, &live](wire::Method method, std::string_view path, std::string_view body) -> hosts::live::AdminReply {
    const Scenario& sc = estate.scenario();
    const std::string p(path);
    Json j = Json::object();
    if (!body.empty()) {
      j = Json::parse(body.begin(), body.end(), nullptr, false);
      if (j.is_discarded() || !j.is_object()) return reply(400, admin_error(400, "the body is not a JSON object"));
    }
    auto text = [&](const char* key) -> std::optional<std::string> {
      if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
      return j[key].get<std::string>();
    };
    if (method == wire::Method::get && (p == "/health" || p == "/" || p.empty())) return reply(200, {{"ok", true}});
    if (method == wire::Method::get && p == "/state") return reply(200, state_json(estate, live.clock_now()));
    // Orders by hand: POST /orders {"channel": "storefront", "lines": [{"sku": 3, "qty": 1}]}.
    if (method == wire::Method::post && p == "/orders") {
      const auto name = text("channel");
      const auto sys = name ? find_system(sc, *name) : std::nullopt;
      if (!sys || sys->kind != SystemRef::Kind::channel) return reply(422, admin_error(422, "/channel: expected the name of a channel"));
      if (!j.contains("lines") || !j["lines"].is_array() || j["lines"].empty() || j["lines"].size() > model::kMaxLinesPerOrder)
        return reply(422, admin_error(422, "/lines: expected 1 to 16 lines like {\"sku\": 3, \"qty\": 1}"));
      std::vector<model::OrderLine> lines;
      for (std::size_t i = 0; i < j["lines"].size(); ++i) {
        const Json& l = j["lines"][i];
        const std::string at = "/lines/" + std::to_string(i);
        if (!l.is_object() || !l.contains("sku") || !l["sku"].is_number_unsigned() || l["sku"].get<std::uint64_t>() >= sc.skus)
          return reply(422, admin_error(422, at + "/sku: expected a sku from 0 to " + std::to_string(sc.skus - 1)));
        if (!l.contains("qty") || !l["qty"].is_number_unsigned() || l["qty"].get<std::uint64_t>() == 0 || l["qty"].get<std::uint64_t>() > 1'000'000)
          return reply(422, admin_error(422, at + "/qty: expected a quantity from 1 to 1000000"));
        const auto sku = static_cast<model::SkuId>(l["sku"].get<std::uint64_t>());
        for (const auto& seen : lines)
          if (seen.sku == sku) return reply(422, admin_error(422, at + "/sku: each sku at most once per order"));
        lines.push_back({sku, static_cast<std::int32_t>(l["qty"].get<std::uint64_t>())});
      }
      const std::size_t before = estate.book().size();
      const model::Address ch = estate.channel_address(static_cast<std::size_t>(sys->index));
      host.as(ch, [&](model::Context& ctx) { estate.channel(static_cast<std::size_t>(sys->index)).place(ctx, lines); });
      if (estate.book().size() == before)
        return reply(409, admin_error(409, "the channel refused the order: it is down, or its view shows too little stock"));
      return reply(201, {{"order_id", live.id_base() + estate.book().size()}, {"channel", *name}});
    }
    // Outages: POST /outages {"system": "wh2", "mode": "down"}; ended by POST /outages/wh2/end.
    if (method == wire::Method::post && p == "/outages") {
      const auto name = text("system");
      const auto sys = name ? find_system(sc, *name) : std::nullopt;
      if (!sys) return reply(422, admin_error(422, "/system: expected the name of the ERP, a location or a channel"));
      const auto mode = text("mode") ? mode_of(*text("mode")) : std::nullopt;
      if (!mode) return reply(422, admin_error(422, "/mode: expected one of down, slow, blackhole, flaky"));
      model::Outage o;
      o.mode = *mode;
      if (o.mode == model::OutageMode::slow) {
        if (!j.contains("factor") || !j["factor"].is_number() || j["factor"].get<double>() < 1 || j["factor"].get<double>() > 1e6)
          return reply(422, admin_error(422, "/factor: a slow outage needs a factor from 1 to 1000000 (service times multiplied by it)"));
        o.factor = j["factor"].get<double>();
      }
      if (o.mode == model::OutageMode::flaky) {
        if (!j.contains("error_rate") || !j["error_rate"].is_number() || j["error_rate"].get<double>() < 0 || j["error_rate"].get<double>() > 1)
          return reply(422, admin_error(422, "/error_rate: a flaky outage needs an error_rate from 0 to 1"));
        o.error_rate = j["error_rate"].get<double>();
      }
      if (sys->kind == SystemRef::Kind::channel && o.mode != model::OutageMode::down)
        return reply(422, admin_error(422, "/mode: a channel can only be down"));
      estate.set_outage(host, *sys, o);
      return reply(200, {{"system", *name}, {"mode", model::outage_mode_name(o.mode)}});
    }
    if (method == wire::Method::post && p.rfind("/outages/", 0) == 0 && p.size() > 13 && p.substr(p.size() - 4) == "/end") {
      const std::string name = p.substr(9, p.size() - 13);
      const auto sys = find_system(sc, name);
      if (!sys) return reply(404, admin_error(404, "no system \"" + name + "\""));
      estate.set_outage(host, *sys, model::Outage{});
      return reply(200, {{"system", name}, {"mode", "none"}});
    }
    // Throttles: POST /throttle {"rate": "300/min", "burst": 50}; POST /throttle/end.
    if (method == wire::Method::post && p == "/throttle") {
      const auto rate = text("rate") ? parse_rate_per_s(*text("rate")) : std::nullopt;
      if (!rate || *rate < 0) return reply(422, admin_error(422, "/rate: expected a rate like \"300/min\""));
      if (j.contains("burst") && (!j["burst"].is_number() || j["burst"].get<double>() < 1))
        return reply(422, admin_error(422, "/burst: expected a number of requests, at least 1"));
      const double burst = j.contains("burst") ? j["burst"].get<double>() : std::max(1.0, *rate);
      estate.set_quota(*rate, burst);
      return reply(200, {{"quota", format_rate(*rate)}, {"burst", burst}});
    }
    if (method == wire::Method::post && p == "/throttle/end") {
      estate.restore_quota();
      return reply(200, {{"quota", "as configured"}});
    }
    // Duplicate storms: POST /duplicates {"source": "marketplace", "rate": 0.05, "delay": "30s"}; POST /duplicates/<source>/end.
    if (method == wire::Method::post && p == "/duplicates") {
      const auto name = text("source");
      const auto sys = name ? find_system(sc, *name) : std::nullopt;
      if (!sys || sys->kind == SystemRef::Kind::erp) return reply(422, admin_error(422, "/source: expected the name of a channel or a location"));
      if (!j.contains("rate") || !j["rate"].is_number() || j["rate"].get<double>() < 0 || j["rate"].get<double>() > 1)
        return reply(422, admin_error(422, "/rate: expected a fraction from 0 to 1"));
      sim::Tick delay = sim::seconds(30);
      if (text("delay")) {
        const auto d = parse_duration(*text("delay"));
        if (!d) return reply(422, admin_error(422, "/delay: expected a duration like \"30s\""));
        delay = *d;
      }
      estate.outbound(*sys).set_duplicates(j["rate"].get<double>(), sim::Distribution::constant(sim::to_seconds(delay)));
      return reply(200, {{"source", *name}, {"rate", j["rate"]}});
    }
    if (method == wire::Method::post && p.rfind("/duplicates/", 0) == 0 && p.size() > 16 && p.substr(p.size() - 4) == "/end") {
      const std::string name = p.substr(12, p.size() - 16);
      const auto sys = find_system(sc, name);
      if (!sys || sys->kind == SystemRef::Kind::erp) return reply(404, admin_error(404, "no channel or location \"" + name + "\""));
      estate.outbound(*sys).restore_duplicates();
      return reply(200, {{"source", name}, {"duplicates", "as configured"}});
    }
    return reply(404, admin_error(404, "no admin endpoint " + std::string(wire::method_name(method)) + " /_estate" + p +
                                           "; see GET /_estate/state, POST /_estate/outages, /_estate/throttle, /_estate/duplicates"));
  };
}

namespace {

// A request unanswered for longer than every caller's own timeout (x1.5) has been given up on:
// its connection is dropped so it can serve the retry.
double answer_timeout_s(const Scenario& sc) {
  Tick longest = std::max(sc.pipeline.erp_retry.timeout, sc.pipeline.warehouse_retry.timeout);
  for (const auto& c : sc.channels) longest = std::max(longest, c.timeout);
  return std::max(1.0, sim::to_seconds(longest) * 1.5);
}

struct LiveSetup {
  model::OrderBook pipeline_book;
  hosts::live::ObserverRelay relay;
};

std::unique_ptr<hosts::live::LiveEstate> start_live(const Scenario& sc, const wire::Roster& roster, Estate& estate, LiveSetup& setup,
                                                    hosts::live::LiveOptions options, bool foreign) {
  try {
    return std::make_unique<hosts::live::LiveEstate>(roster, estate.book(), foreign ? nullptr : &setup.pipeline_book,
                                                     foreign ? nullptr : &setup.relay, estate.metrics(), std::move(options));
  } catch (const hosts::live::StartError& e) {
    throw InputError(sc.file, "", e.what);
  }
}

}  // namespace

RunResult run_live(const Scenario& sc, const LiveRunOptions& options) {
  const bool foreign = options.live.pipeline_url.has_value();
  const auto refusals = live_refusals(sc, foreign);
  if (!refusals.empty()) throw InputError(sc.file, "", "live mode cannot play this scenario: " + refusals.front());
  const std::uint64_t seed = options.seed.value_or(sc.seed);
  const wire::Roster roster = roster_of(sc);
  LiveSetup setup;
  EstateOptions eo;
  if (foreign) eo.site = PipelineSite::foreign;
  else eo = {PipelineSite::embedded, &setup.pipeline_book, &setup.relay};
  Estate estate(sc, seed, eo);
  hosts::live::LiveOptions lo = options.live;
  lo.seed = seed;
  lo.client_timeout_s = answer_timeout_s(sc);
  auto live = start_live(sc, roster, estate, setup, lo, foreign);
  live->set_admin(admin_api(estate, *live));
  live->set_drain_start(sc.duration);
  estate.install(*live);
  schedule_timeline(estate, *live);
  if (foreign) {
    // A foreign pipeline's reconciliation is its own business; the checkpoints of the report
    // are taken on the scenario's reconciliation interval.
    Metrics* metrics = &estate.metrics();
    for (Tick t = sc.pipeline.recon_interval; t <= sc.duration; t += sc.pipeline.recon_interval)
      live->at(t, [metrics, live = live.get()] { metrics->reconciliation_checkpoint(live->clock_now()); });
  }
  if (options.on_listening) options.on_listening(live->endpoints());

  DriveOptions d;
  d.progress = options.progress;
  d.can_reconcile = !foreign;
  // Checks for quiescence every 50 ms of wall time in the drain (and at least every second of it).
  const double drain_scale = lo.drain_time_scale > 0 ? lo.drain_time_scale : lo.time_scale;
  d.drain_step = std::max<Tick>(sim::seconds(1), sim::from_seconds(0.05 * drain_scale));
  RunFacts facts = drive(estate, *live, d);
  live->finish();
  // The services ran on past the harness's last step; the run ends when they stopped.
  facts.end = std::max(facts.end, live->end_tick());
  facts.interrupted = live->interrupted();
  RunOptions ro;
  ro.baseline_metrics = options.baseline_metrics;
  ro.max_regression = options.max_regression;
  Json sections = Json::object();
  sections["live"] = Json::parse(live->report_json().dump());
  return assemble_report(estate, facts, ro, "live", sections);
}

void serve_estate(const Scenario& scenario, const LiveRunOptions& options, double for_s) {
  if (const auto refusals = live_refusals(scenario, false); !refusals.empty())
    throw InputError(scenario.file, "", "estate serve cannot serve this scenario: " + refusals.front());
  // No demand and no timeline: the channels take orders only when the admin API says so.
  Scenario sc = scenario;
  for (auto& c : sc.channels) c.rate_per_s = 0;
  sc.timeline.clear();
  // Mocks only (the pipeline, if any, is at a URL): no reference pipeline is built.
  const bool foreign = options.live.pipeline_url.has_value() || options.live.no_pipeline;
  const wire::Roster roster = roster_of(sc);
  LiveSetup setup;
  EstateOptions eo;
  eo.site = PipelineSite::foreign;
  Estate estate(sc, options.seed.value_or(sc.seed), eo);
  hosts::live::LiveOptions lo = options.live;
  lo.drain_time_scale = 0;  // nothing drains in serve
  auto live = start_live(sc, roster, estate, setup, lo, foreign);
  live->set_admin(admin_api(estate, *live));
  estate.install(*live);
  if (options.on_listening) options.on_listening(live->endpoints());
  live->start();
  live->serve(for_s);
  live->finish();
}

}  // namespace estate::harness

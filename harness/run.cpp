#include "harness/run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <queue>

#include "harness/metrics.h"
#include "harness/sim_host.h"
#include "harness/units.h"
#include "mocks/channel.h"
#include "mocks/erp.h"
#include "mocks/tpl.h"
#include "mocks/wms.h"
#include "pipeline/pipeline.h"
#include "sim/assert.h"

namespace estate::harness {
using sim::Tick;

namespace {

std::vector<double> popularity(const Scenario& sc) {
  std::vector<double> w(sc.skus);
  for (std::size_t s = 0; s < sc.skus; ++s) w[s] = 1.0 / std::pow(static_cast<double>(s + 1), sc.zipf);
  return w;
}

// Units per second each SKU sells at base demand (no promotions).
std::vector<double> base_demand(const Scenario& sc, const std::vector<double>& pop) {
  double total = 0;
  for (double w : pop) total += w;
  double units_per_s = 0;
  for (const auto& ch : sc.channels)
    units_per_s += ch.rate_per_s * std::clamp(ch.lines.mean(), 1.0, 16.0) * std::max(ch.units.mean(), 1.0);
  std::vector<double> d(sc.skus);
  for (std::size_t s = 0; s < sc.skus; ++s) d[s] = units_per_s * pop[s] / total;
  return d;
}

void apply_promotion(sim::RateProfile& profile, const TimelineEvent& ev) {
  const Tick start = ev.at, end = ev.at + ev.span;
  if (ev.ramp <= 0) {
    profile.multiply(start, end, ev.multiplier);
    return;
  }
  const Tick steps = std::clamp<Tick>(ev.ramp / sim::seconds(1), 1, 20);
  for (Tick k = 0; k < steps; ++k) {
    const double f = 1.0 + (ev.multiplier - 1.0) * (static_cast<double>(k) + 0.5) / static_cast<double>(steps);
    profile.multiply(start + ev.ramp * k / steps, start + ev.ramp * (k + 1) / steps, f);
    profile.multiply(end - ev.ramp * (k + 1) / steps, end - ev.ramp * k / steps, f);
  }
  profile.multiply(start + ev.ramp, end - ev.ramp, ev.multiplier);
}

// Splits the catalogue into demand groups by which promotions cover each SKU for this channel.
std::vector<mocks::DemandGroup> demand_groups(const Scenario& sc, std::size_t channel, const std::vector<double>& pop) {
  std::vector<const TimelineEvent*> promos;
  for (const auto& ev : sc.timeline) {
    if (ev.kind != TimelineEvent::Kind::promotion) continue;
    if (!ev.channels.empty() && std::find(ev.channels.begin(), ev.channels.end(), static_cast<int>(channel)) == ev.channels.end())
      continue;
    promos.push_back(&ev);
  }
  ESTATE_ASSERT(promos.size() <= 64, "more than 64 promotions on one channel");
  std::vector<std::uint64_t> signature(sc.skus, 0);
  for (std::size_t p = 0; p < promos.size(); ++p)
    for (model::SkuId s : promos[p]->skus.resolve(sc.skus)) signature[s] |= std::uint64_t{1} << p;
  std::vector<std::uint64_t> sigs;
  std::vector<mocks::DemandGroup> groups;
  double total = 0;
  for (double w : pop) total += w;
  for (std::size_t s = 0; s < sc.skus; ++s) {
    auto it = std::find(sigs.begin(), sigs.end(), signature[s]);
    std::size_t g = static_cast<std::size_t>(it - sigs.begin());
    if (it == sigs.end()) {
      sigs.push_back(signature[s]);
      groups.emplace_back();
    }
    groups[g].skus.push_back(static_cast<model::SkuId>(s));
    groups[g].weights.push_back(pop[s]);
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    double share = 0;
    for (double w : groups[g].weights) share += w;
    groups[g].orders_per_s = sim::RateProfile(sc.channels[channel].rate_per_s * share / total, sc.duration);
    for (std::size_t p = 0; p < promos.size(); ++p)
      if (sigs[g] >> p & 1u) apply_promotion(groups[g].orders_per_s, *promos[p]);
  }
  return groups;
}

sim::Tick series_interval(const Scenario& sc) {
  if (sc.series_interval > 0) return sc.series_interval;
  const Tick minute = sim::minutes(1);
  const Tick per_point = (sc.duration + 719) / 720;
  return std::max(minute, (per_point + minute - 1) / minute * minute);
}

struct Action {
  Tick at;
  std::uint64_t seq;
  std::function<void()> run;
};
struct Later {
  bool operator()(const Action& a, const Action& b) const { return a.at > b.at || (a.at == b.at && a.seq > b.seq); }
};

Json station_json(const sim::Station& st, Tick end) {
  const auto& s = st.stats();
  const double T = std::max(sim::to_seconds(end), 1e-9);
  const double L = s.area_in_system / 1e6 / T;
  const double lambda = static_cast<double>(s.arrivals) / T;
  const double W = s.departures ? s.sum_sojourn / 1e6 / static_cast<double>(s.departures) : 0.0;
  return {{"servers", st.servers()},
          {"arrivals", s.arrivals},
          {"departures", s.departures},
          {"refused", s.refused},
          {"throughput_per_s", round6(static_cast<double>(s.departures) / T)},
          {"utilization", st.servers() ? round6(s.area_busy / 1e6 / T / st.servers()) : 0.0},
          {"mean_queue", round6(s.area_waiting / 1e6 / T)},
          {"peak_queue", s.peak_waiting},
          {"mean_wait_s", s.started ? round6(s.sum_wait / 1e6 / static_cast<double>(s.started)) : 0.0},
          {"little", {{"L", round6(L)}, {"lambda_per_s", round6(lambda)}, {"W_s", round6(W)}, {"lambda_W", round6(lambda * W)}}}};
}

// The timeline as windows (instants have end_s == start_s), labelled for charts.
Json timeline_json(const Scenario& sc) {
  Json out = Json::array();
  auto pct = [](double p) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g%%", p * 100);
    return std::string(buf);
  };
  auto skus = [](const SkuSelector& sel) {
    switch (sel.kind) {
      case SkuSelector::Kind::all: return std::string("all SKUs");
      case SkuSelector::Kind::top: return "top " + std::to_string(sel.top) + " SKUs";
      case SkuSelector::Kind::ranks: return std::to_string(sel.ranks.size()) + " SKUs";
    }
    return std::string();
  };
  for (const auto& ev : sc.timeline) {
    using K = TimelineEvent::Kind;
    std::string kind, label;
    switch (ev.kind) {
      case K::promotion: {
        kind = "promotion";
        char buf[32];
        std::snprintf(buf, sizeof buf, "%gx", ev.multiplier);
        label = std::string("promotion ") + buf + " on " + skus(ev.skus);
        if (!ev.channels.empty()) {
          label += " (";
          for (std::size_t i = 0; i < ev.channels.size(); ++i)
            label += (i ? ", " : "") + sc.channels[static_cast<std::size_t>(ev.channels[i])].name;
          label += ")";
        }
        break;
      }
      case K::outage:
        kind = "outage";
        label = system_name(sc, ev.system) + " " + model::outage_mode_name(ev.outage.mode);
        break;
      case K::duplicates:
        kind = "duplicates";
        label = system_name(sc, ev.source) + " duplicates " + pct(ev.rate);
        break;
      case K::reorder:
        kind = "reorder";
        label = system_name(sc, ev.source) + " reordered within " + format_duration(ev.window);
        break;
      case K::throttle:
        kind = "throttle";
        label = "ERP quota " + format_rate(ev.quota_per_s);
        break;
      case K::late_batch:
        kind = "late_batch";
        label = system_name(sc, ev.source) + (ev.missing ? " batches missing" : " batches late by " + format_duration(ev.late_by));
        break;
      case K::drift: kind = "drift"; label = "drift at " + sc.locations[static_cast<std::size_t>(ev.location)].name; break;
      case K::replenishment: kind = "replenishment"; label = "receipt at " + sc.locations[static_cast<std::size_t>(ev.location)].name; break;
      case K::returns: kind = "returns"; label = "returns at " + sc.locations[static_cast<std::size_t>(ev.location)].name; break;
      case K::transfer:
        kind = "transfer";
        label = "transfer " + sc.locations[static_cast<std::size_t>(ev.location)].name + " to " +
                sc.locations[static_cast<std::size_t>(ev.to_location)].name;
        break;
    }
    out.push_back({{"kind", kind},
                   {"label", label},
                   {"start_s", round6(sim::to_seconds(ev.at))},
                   {"end_s", round6(sim::to_seconds(ev.at + ev.span))}});
  }
  return out;
}

}  // namespace

Json report_shape(const Scenario& scenario) {
  Scenario empty = scenario;
  empty.max_events = 0;
  empty.thresholds.clear();
  return run_scenario(empty, {}).report;
}

void check_thresholds(Scenario& scenario) {
  if (scenario.thresholds.empty()) return;
  resolve_thresholds(scenario.thresholds, report_shape(scenario), scenario.file);
}

RunResult run_scenario(const Scenario& sc, const RunOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  const std::uint64_t seed = options.seed.value_or(sc.seed);
  const std::size_t L = sc.locations.size(), C = sc.channels.size(), N = sc.skus;
  const auto pop = popularity(sc);
  const auto demand = base_demand(sc, pop);

  double share_total = 0;
  for (const auto& l : sc.locations) share_total += l.stock_share;
  std::vector<std::int64_t> initial(L * N, 0);
  for (std::size_t l = 0; l < L; ++l)
    for (std::size_t s = 0; s < N; ++s) {
      const double share = share_total > 0 ? sc.locations[l].stock_share / share_total : 0.0;
      initial[l * N + s] = std::max<std::int64_t>(
          share > 0 ? sc.min_units : 0, std::llround(sim::to_seconds(sc.cover) * demand[s] * share));
    }

  // Addresses: the ERP, the locations, the channels, the pipeline.
  const model::Address erp_addr = 0;
  auto loc_addr = [](std::size_t l) { return static_cast<model::Address>(1 + l); };
  auto ch_addr = [L](std::size_t c) { return static_cast<model::Address>(1 + L + c); };
  const auto pipe_addr = static_cast<model::Address>(1 + L + C);

  model::OrderBook book;
  std::vector<std::string> system_names = {"erp"};
  for (const auto& l : sc.locations) system_names.push_back(l.name);
  for (const auto& c : sc.channels) system_names.push_back(c.name);
  system_names.push_back("pipeline");

  MetricsSetup ms;
  ms.skus = N;
  ms.locations = L;
  for (const auto& c : sc.channels) {
    ms.channel_names.push_back(c.name);
    ms.sells_from.push_back(c.sells_from);
    ms.has_feed.push_back(c.feed != pipeline::FeedMode::none);
  }
  ms.system_names = system_names;
  ms.called_systems.push_back(0);  // the ERP
  for (std::size_t l = 0; l < L; ++l) ms.called_systems.push_back(static_cast<model::Address>(1 + l));
  ms.initial_on_hand = initial;
  ms.safety_stock = sc.safety_stock;
  ms.safety_buffer = sc.pipeline.safety_buffer;
  ms.series_interval = series_interval(sc);
  Metrics metrics(ms, book);

  // --- the estate
  mocks::ErpConfig ec = sc.erp;
  ec.skus = N;
  ec.locations = L;
  ec.initial_on_hand = initial;
  mocks::Erp erp(ec, book, metrics);

  std::vector<std::unique_ptr<mocks::Wms>> wms(L);
  std::vector<std::unique_ptr<mocks::Tpl>> tpl(L);
  for (std::size_t l = 0; l < L; ++l) {
    const auto& spec = sc.locations[l];
    std::vector<std::int64_t> stock(initial.begin() + static_cast<std::ptrdiff_t>(l * N),
                                    initial.begin() + static_cast<std::ptrdiff_t>((l + 1) * N));
    if (spec.kind == LocationKind::wms) {
      mocks::WmsConfig wc = spec.wms;
      wc.name = spec.name;
      wc.loc = static_cast<model::LocId>(l);
      wc.initial_on_hand = std::move(stock);
      wc.pipeline = pipe_addr;
      wms[l] = std::make_unique<mocks::Wms>(wc, book, metrics);
    } else {
      mocks::TplConfig tc = spec.tpl;
      tc.name = spec.name;
      tc.loc = static_cast<model::LocId>(l);
      tc.initial_on_hand = std::move(stock);
      tc.pipeline = pipe_addr;
      tpl[l] = std::make_unique<mocks::Tpl>(tc, book, metrics);
    }
  }

  std::vector<std::unique_ptr<mocks::Channel>> channels(C);
  for (std::size_t c = 0; c < C; ++c) {
    const auto& spec = sc.channels[c];
    mocks::ChannelConfig cc;
    cc.name = spec.name;
    cc.id = static_cast<model::ChannelId>(c);
    cc.kind = spec.kind;
    cc.groups = demand_groups(sc, c, pop);
    cc.catalogue_weights = pop;
    cc.lines = spec.lines;
    cc.units = spec.units;
    cc.checks_availability = spec.feed != pipeline::FeedMode::none;
    cc.initial_view.assign(N, 0);
    for (std::size_t s = 0; s < N; ++s) {
      std::int64_t ats = 0;
      for (model::LocId l : spec.sells_from) ats += std::max<std::int64_t>(0, initial[l * N + s] - sc.safety_stock);
      cc.initial_view[s] = static_cast<std::int32_t>(std::clamp<std::int64_t>(ats - sc.pipeline.safety_buffer, 0, INT32_MAX));
    }
    cc.delivery = spec.delivery;
    cc.batch_interval = spec.delivery_interval;
    cc.timeout = spec.timeout;
    cc.attempts = spec.attempts;
    cc.retry_base = spec.retry_base;
    cc.retry_cap = spec.retry_cap;
    cc.demand_seed = sim::Rng::stream(seed, "demand:" + spec.name).next();
    cc.pipeline = pipe_addr;
    channels[c] = std::make_unique<mocks::Channel>(cc, book, metrics);
  }

  pipeline::PipelineConfig pc = sc.pipeline;
  pc.skus = N;
  pc.erp = erp_addr;
  pc.safety_stock = sc.safety_stock;
  pc.initial_on_hand = initial;
  pc.locations.clear();
  for (std::size_t l = 0; l < L; ++l)
    pc.locations.push_back({sc.locations[l].name, loc_addr(l), sc.locations[l].kind == LocationKind::tpl,
                            sc.locations[l].orders_interval});
  pc.channels.clear();
  for (std::size_t c = 0; c < C; ++c)
    pc.channels.push_back({ch_addr(c), sc.channels[c].feed, sc.channels[c].feed_interval, sc.channels[c].sells_from});
  pipeline::Pipeline pipe(pc, book, metrics);

  SimHost host(seed);
  ESTATE_ASSERT(host.add(&erp, "erp") == erp_addr, "address plan");
  for (std::size_t l = 0; l < L; ++l) {
    model::Component* comp = wms[l] ? static_cast<model::Component*>(wms[l].get()) : tpl[l].get();
    ESTATE_ASSERT(host.add(comp, sc.locations[l].name) == loc_addr(l), "address plan");
  }
  for (std::size_t c = 0; c < C; ++c) ESTATE_ASSERT(host.add(channels[c].get(), sc.channels[c].name) == ch_addr(c), "address plan");
  ESTATE_ASSERT(host.add(&pipe, "pipeline") == pipe_addr, "address plan");

  auto simple = [](const sim::Distribution& latency) {
    sim::LinkConfig lc;
    lc.latency_s = latency;
    return lc;
  };
  host.link(pipe_addr, erp_addr, simple(sc.erp_latency_s));
  host.link(erp_addr, pipe_addr, simple(sc.erp_latency_s));
  for (std::size_t l = 0; l < L; ++l) {
    host.link(pipe_addr, loc_addr(l), simple(sc.locations[l].latency_s));
    host.link(loc_addr(l), pipe_addr, simple(sc.locations[l].latency_s));
  }
  for (std::size_t c = 0; c < C; ++c) {
    const auto& spec = sc.channels[c];
    sim::LinkConfig in = simple(spec.latency_s);
    in.duplicate = spec.duplicates;
    in.duplicate_delay_s = spec.duplicate_delay_s;
    in.reorder_window = spec.reorder;
    host.link(ch_addr(c), pipe_addr, in);
    host.link(pipe_addr, ch_addr(c), simple(spec.latency_s));
  }

  metrics.set_probe({[&](model::LocId l) -> std::span<const std::int64_t> {
                       return wms[l] ? wms[l]->stock().on_hand_all() : tpl[l]->stock().on_hand_all();
                     },
                     [&](model::LocId l) { return erp.on_hand_row(l); },
                     [&](model::ChannelId c) -> std::span<const std::int32_t> { return channels[c]->views(); }});

  // --- the timeline
  std::priority_queue<Action, std::vector<Action>, Later> actions;
  std::uint64_t action_seq = 0;
  auto at = [&](Tick t, std::function<void()> f) { actions.push({t, action_seq++, std::move(f)}); };
  auto move_stock = [&](std::size_t l, model::SkuId s, std::int64_t delta, model::MovementType type, bool reported) {
    std::int64_t applied = 0;
    host.as(loc_addr(l), [&](model::Context& ctx) {
      applied = wms[l] ? wms[l]->move_stock(ctx, s, delta, type, reported) : tpl[l]->move_stock(ctx, s, delta, type, reported);
    });
    return applied;
  };
  auto set_outage = [&](const SystemRef& sys, const model::Outage& o) {
    switch (sys.kind) {
      case SystemRef::Kind::erp: erp.set_outage(o); break;
      case SystemRef::Kind::location: {
        const auto l = static_cast<std::size_t>(sys.index);
        host.as(loc_addr(l), [&](model::Context& ctx) {
          if (wms[l]) wms[l]->set_outage(ctx, o);
          else tpl[l]->set_outage(ctx, o);
        });
        break;
      }
      case SystemRef::Kind::channel: channels[static_cast<std::size_t>(sys.index)]->set_down(o.mode == model::OutageMode::down); break;
      case SystemRef::Kind::stage:
        host.as(pipe_addr, [&](model::Context& ctx) { pipe.set_stage_outage(ctx, static_cast<pipeline::StageId>(sys.index), o); });
        break;
    }
  };
  auto source_link = [&](const SystemRef& src) -> sim::Link& {
    const model::Address from = src.kind == SystemRef::Kind::channel ? ch_addr(static_cast<std::size_t>(src.index))
                                                                     : loc_addr(static_cast<std::size_t>(src.index));
    sim::Link* link = host.find_link(from, pipe_addr);
    ESTATE_ASSERT(link != nullptr, "every source has a link to the pipeline");
    return *link;
  };

  for (const auto& ev : sc.timeline) {
    const Tick end = ev.at + ev.span;
    using K = TimelineEvent::Kind;
    switch (ev.kind) {
      case K::promotion: break;  // shaped into the channels' demand
      case K::outage: {
        model::Address target = model::kNoAddress;
        if (ev.system.kind == SystemRef::Kind::erp) target = erp_addr;
        if (ev.system.kind == SystemRef::Kind::location) target = loc_addr(static_cast<std::size_t>(ev.system.index));
        metrics.add_outage({system_name(sc, ev.system), model::outage_mode_name(ev.outage.mode), target, ev.at, end});
        at(ev.at, [&, ev] { set_outage(ev.system, ev.outage); });
        at(end, [&, ev] { set_outage(ev.system, model::Outage{}); });
        break;
      }
      case K::duplicates:
        at(ev.at, [&, ev] {
          auto& cfg = source_link(ev.source).config();
          cfg.duplicate = ev.rate;
          cfg.duplicate_delay_s = ev.delay_s;
        });
        at(end, [&, ev] {
          const double base = ev.source.kind == SystemRef::Kind::channel ? sc.channels[static_cast<std::size_t>(ev.source.index)].duplicates : 0.0;
          auto& cfg = source_link(ev.source).config();
          cfg.duplicate = base;
          if (ev.source.kind == SystemRef::Kind::channel) cfg.duplicate_delay_s = sc.channels[static_cast<std::size_t>(ev.source.index)].duplicate_delay_s;
        });
        break;
      case K::reorder:
        at(ev.at, [&, ev] { source_link(ev.source).config().reorder_window = ev.window; });
        at(end, [&, ev] {
          source_link(ev.source).config().reorder_window =
              ev.source.kind == SystemRef::Kind::channel ? sc.channels[static_cast<std::size_t>(ev.source.index)].reorder : 0;
        });
        break;
      case K::throttle:
        at(ev.at, [&, ev] { erp.set_quota(ev.quota_per_s, ev.burst); });
        at(end, [&] { erp.restore_quota(); });
        break;
      case K::late_batch: {
        if (ev.source.kind == SystemRef::Kind::channel) {
          auto& ch = *channels[static_cast<std::size_t>(ev.source.index)];
          at(ev.at, [&ch, ev] { ch.set_batch_fault(ev.missing, ev.late_by); });
          at(end, [&ch] { ch.clear_batch_fault(); });
        } else if (ev.batch == mocks::TplBatch::orders) {
          // The pipeline's 940s to this 3PL go missing (the connector retries) or arrive late.
          const auto l = static_cast<std::size_t>(ev.source.index);
          at(ev.at, [&, l, ev] {
            auto& cfg = host.find_link(pipe_addr, loc_addr(l))->config();
            if (ev.missing) cfg.loss = 1.0;
            else cfg.extra_delay = ev.late_by;
          });
          at(end, [&, l] {
            auto& cfg = host.find_link(pipe_addr, loc_addr(l))->config();
            cfg.loss = 0.0;
            cfg.extra_delay = 0;
          });
        } else {
          auto& t = *tpl[static_cast<std::size_t>(ev.source.index)];
          at(ev.at, [&t, ev] { t.set_batch_fault(ev.batch, ev.missing, ev.late_by); });
          at(end, [&t, ev] { t.clear_batch_fault(ev.batch); });
        }
        break;
      }
      case K::drift:
      case K::replenishment:
      case K::returns:
        at(ev.at, [&, ev] {
          const auto l = static_cast<std::size_t>(ev.location);
          for (model::SkuId s : ev.skus.resolve(N)) {
            std::int64_t units = ev.units;
            if (ev.kind == K::replenishment && ev.cover > 0) {
              const double share = sc.locations[l].stock_share / std::max(share_total, 1e-9);
              units = std::llround(sim::to_seconds(ev.cover) * demand[s] * share);
            }
            if (units == 0) continue;
            const auto type = ev.kind == K::drift    ? model::MovementType::adjustment
                              : ev.kind == K::returns ? model::MovementType::return_
                                                      : model::MovementType::receipt;
            move_stock(l, s, units, type, ev.kind != K::drift || ev.reported);
          }
        });
        break;
      case K::transfer:
        at(ev.at, [&, ev] {
          for (model::SkuId s : ev.skus.resolve(N)) {
            const std::int64_t out = move_stock(static_cast<std::size_t>(ev.location), s, -ev.units, model::MovementType::transfer_out, true);
            if (out == 0) continue;
            at(ev.at + ev.transit, [&, ev, s, out] {
              move_stock(static_cast<std::size_t>(ev.to_location), s, -out, model::MovementType::transfer_in, true);
            });
          }
        });
        break;
    }
  }

  // --- run: the duration with its timeline, then the drain. Timeline actions due at t run
  // before the events due at t.
  host.start();
  bool budget_hit = false;
  bool drained = false;
  bool final_recon = sc.pipeline.recon_mode != pipeline::ReconMode::correct;
  const Tick chunk = std::max<Tick>(sim::seconds(1), sc.duration / 200);
  const Tick drain_limit = sc.duration + sc.drain_max;
  // Stations sampled every series interval, for the report's time series.
  struct Sampled {
    sim::Station* station;
    std::uint64_t departures = 0;
    Json points = Json::array();
  };
  std::vector<Sampled> sampled;
  for (int st = 0; st < static_cast<int>(pipeline::StageId::count); ++st)
    sampled.push_back({&pipe.station(static_cast<pipeline::StageId>(st))});
  sampled.push_back({&erp.station()});
  for (std::size_t l = 0; l < L; ++l) {
    if (wms[l]) {
      sampled.push_back({&wms[l]->pick_station()});
      sampled.push_back({&wms[l]->pack_station()});
    } else {
      sampled.push_back({&tpl[l]->station()});
    }
  }
  const Tick interval = ms.series_interval;
  Tick next_sample = interval;
  Tick last_sample = 0;
  auto take_sample = [&](Tick t) {
    metrics.sample(t);
    const double span_s = sim::to_seconds(t - last_sample);  // samples thin out in the drain
    last_sample = t;
    for (auto& sm : sampled) {
      const std::uint64_t dep = sm.station->stats().departures;
      sm.points.push_back({{"t_s", round6(sim::to_seconds(t))},
                           {"throughput_per_s", round6(static_cast<double>(dep - sm.departures) / span_s)},
                           {"queue", sm.station->waiting()},
                           {"peak_queue", sm.station->take_window_peak()},
                           {"busy", sm.station->busy()}});
      sm.departures = dep;
    }
  };

  for (;;) {
    if (host.now() == next_sample) {
      take_sample(next_sample);
      // During the drain, samples thin out as it goes on (a 24h drain adds ~150 points).
      const Tick into_drain = std::max<Tick>(0, next_sample - sc.duration);
      next_sample += std::max(interval, into_drain / 20 / interval * interval);
    }
    while (!actions.empty() && actions.top().at <= host.now()) {
      const Action next = actions.top();
      actions.pop();
      next.run();
    }
    const Tick now = host.now();
    if (now >= sc.duration) {
      if (actions.empty() && host.all_quiescent()) {
        if (final_recon) {
          drained = true;
          break;
        }
        // Correct mode: one more reconciliation once everything has settled.
        model::Msg m;
        m.kind = model::Kind::control;
        m.op = static_cast<std::uint8_t>(pipeline::Command::reconcile_now);
        host.inject(pipe_addr, m);
        final_recon = true;
      }
      if (now >= drain_limit) break;
    }
    Tick step = now < sc.duration ? std::min(sc.duration, now + chunk) : std::min(drain_limit, now + sim::seconds(1));
    if (!actions.empty()) step = std::min(step, actions.top().at);
    step = std::min(step, next_sample);
    if (host.run_until(step - 1, sc.max_events) == SimHost::Stop::budget) {
      budget_hit = true;
      break;
    }
    host.advance_to(step);
    if (options.progress && now < sc.duration)
      options.progress(std::min(1.0, sim::to_seconds(step) / sim::to_seconds(sc.duration)));
  }
  const Tick end = host.now();
  if (options.progress) options.progress(1.0);

  // --- the report
  RunResult result;
  result.events = host.events();
  Json report = Json::object();
  report["scenario"] = {{"name", sc.name},
                        {"description", sc.description},
                        {"file", sc.file},
                        {"seed", seed},
                        {"duration_s", round6(sim::to_seconds(sc.duration))},
                        {"drain_max_s", round6(sim::to_seconds(sc.drain_max))},
                        {"hash", scenario_hash(sc.document)},
                        {"file_hash", sc.file_hash},
                        {"overrides", sc.overrides},
                        {"estate_version", ESTATE_VERSION}};
  report["latency"] = metrics.latency_json(end);
  report["oversell"] = metrics.oversell_json(end);
  report["reconciliation"] = metrics.reconciliation_json();
  report["integrity"] = metrics.integrity_json();
  report["retries"] = metrics.retries_json();
  Json stages = Json::object();
  for (auto& sm : sampled) {
    sm.station->advance(end);
    Json st = station_json(*sm.station, end);
    st["series"] = std::move(sm.points);
    stages[sm.station->name()] = std::move(st);
  }
  report["stages"] = stages;
  report["outages"] = metrics.outages_json();
  report["timeline"] = timeline_json(sc);

  const std::uint64_t lost = metrics.lost_orders();
  const std::uint64_t doubled = metrics.duplicate_effects();
  const bool conserved = metrics.conservation_ok();
  Json reasons = Json::array();
  if (lost > 0) reasons.push_back(std::to_string(lost) + " accepted orders have no terminal state (lost)");
  if (doubled > 0) reasons.push_back(std::to_string(doubled) + " side effects were applied more than once");
  if (!conserved) reasons.push_back("stock is not conserved at some (sku, location)");
  // An exhausted event budget leaves the run unfinished: its figures cannot be trusted.
  if (budget_hit) reasons.push_back("the event budget (limits.max_events) ran out before the run finished");
  Json warnings = Json::array();
  if (!drained && !budget_hit) {
    std::string busy;
    for (const auto& b : host.busy()) busy += (busy.empty() ? "" : ", ") + b;
    warnings.push_back("the drain hit its bound (drain.max) with work left in: " + busy);
  }
  const bool integrity_ok = lost == 0 && doubled == 0 && conserved && !budget_hit;
  result.exit_code = integrity_ok ? kExitOk : kExitIntegrity;

  const auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  result.wall_s = wall;
  Json run = {{"events", host.events()},
              {"orders_placed", metrics.accepted_orders()},
              {"sim_end_s", round6(sim::to_seconds(end))},
              {"drain_s", round6(sim::to_seconds(std::max<Tick>(0, end - sc.duration)))},
              {"drained", drained},
              {"drain_bound_hit", !drained && !budget_hit},
              {"event_budget_hit", budget_hit},
              {"busy_at_end", drained ? Json::array() : Json(host.busy())},
              {"series_interval_s", round6(sim::to_seconds(ms.series_interval))}};
  if (options.timing) {
    run["wall_s"] = round6(wall);
    run["events_per_s"] = round6(static_cast<double>(host.events()) / std::max(wall, 1e-9));
  }
  report["run"] = run;
  // Thresholds (and baseline regressions) decide the gate; integrity failures outrank them.
  std::uint64_t failed = 0;
  if (!sc.thresholds.empty()) {
    report["thresholds"] = evaluate_thresholds(sc.thresholds, report, options.baseline_metrics, options.max_regression);
    for (const auto& t : report["thresholds"])
      if (t["verdict"] == "fail") ++failed;
  }
  if (failed > 0 && result.exit_code == kExitOk) result.exit_code = kExitGate;
  report["verdict"] = {{"integrity_ok", integrity_ok},
                       {"thresholds", sc.thresholds.size()},
                       {"thresholds_failed", failed},
                       {"exit_code", result.exit_code},
                       {"reasons", reasons},
                       {"warnings", warnings}};
  result.report = std::move(report);
  return result;
}

}  // namespace estate::harness

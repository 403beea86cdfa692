#include "harness/estate.h"

#include <algorithm>
#include <cmath>

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
    groups[g].orders_per_s = sim::RateProfile(sc.channels[channel].rate_per_s * sc.demand_scale * share / total, sc.duration);
    for (std::size_t p = 0; p < promos.size(); ++p)
      if (sigs[g] >> p & 1u) apply_promotion(groups[g].orders_per_s, *promos[p]);
  }
  return groups;
}

}  // namespace

sim::Tick series_interval(const Scenario& sc) {
  if (sc.series_interval > 0) return sc.series_interval;
  const Tick minute = sim::minutes(1);
  const Tick points = static_cast<Tick>(std::min<std::uint64_t>(720, sc.max_series_points));
  const Tick per_point = (sc.duration + points - 1) / points;
  return std::max(minute, (per_point + minute - 1) / minute * minute);
}

Estate::Estate(const Scenario& sc, std::uint64_t seed, EstateOptions options)
    : scenario_(sc), seed_(seed), locations_(sc.locations.size()), channel_count_(sc.channels.size()) {
  const std::size_t L = sc.locations.size(), N = sc.skus;
  const auto pop = popularity(sc);
  if (sc.trace) {
    replay_ = plan_replay(*sc.trace, {sc.demand_scale, seed, sc.duration, sc.channels.size(), sc.skus});
    demand_ = replay_->base_units_per_s;
  } else {
    demand_ = harness::base_demand(sc, pop);
  }

  for (const auto& l : sc.locations) share_total_ += l.stock_share;
  std::vector<std::int64_t> initial(L * N, 0);
  for (std::size_t l = 0; l < L; ++l)
    for (std::size_t s = 0; s < N; ++s) {
      const double share = share_total_ > 0 ? sc.locations[l].stock_share / share_total_ : 0.0;
      initial[l * N + s] = std::max<std::int64_t>(
          share > 0 ? sc.min_units : 0, std::llround(sim::to_seconds(sc.cover) * demand_[s] * share));
    }

  build_metrics(initial);
  build_mocks(initial, pop);
  if (options.site == PipelineSite::embedded) build_pipeline(initial, options);
  metrics_->set_probe({[this](model::LocId l) -> std::span<const std::int64_t> {
                         return wms_[l] ? wms_[l]->stock().on_hand_all() : tpl_[l]->stock().on_hand_all();
                       },
                       [this](model::LocId l) { return erp_->on_hand_row(l); },
                       [this](model::ChannelId c) -> std::span<const std::int32_t> { return channels_[c]->views(); }});
}


void Estate::build_metrics(const std::vector<std::int64_t>& initial) {
  const Scenario& sc = scenario_;
  const std::size_t L = sc.locations.size(), N = sc.skus;
  system_names_ = {"erp"};
  for (const auto& l : sc.locations) system_names_.push_back(l.name);
  for (const auto& c : sc.channels) system_names_.push_back(c.name);
  system_names_.push_back("pipeline");

  MetricsSetup ms;
  ms.skus = N;
  ms.locations = L;
  for (const auto& l : sc.locations) ms.location_names.push_back(l.name);
  for (const auto& c : sc.channels) {
    ms.channel_names.push_back(c.name);
    ms.sells_from.push_back(c.sells_from);
    ms.has_feed.push_back(c.feed != pipeline::FeedMode::none);
  }
  ms.system_names = system_names_;
  ms.called_systems.push_back(erp_address());
  for (std::size_t l = 0; l < L; ++l) ms.called_systems.push_back(location_address(l));
  ms.initial_on_hand = initial;
  ms.safety_stock = sc.safety_stock;
  ms.safety_buffer = sc.pipeline.safety_buffer;
  ms.series_interval = series_interval(sc);
  ms.demand_end = sc.duration;
  metrics_ = std::make_unique<Metrics>(ms, book_);

}

void Estate::build_mocks(const std::vector<std::int64_t>& initial, const std::vector<double>& pop) {
  const Scenario& sc = scenario_;
  const std::size_t L = sc.locations.size(), C = sc.channels.size(), N = sc.skus;
  mocks::ErpConfig ec = sc.erp;
  ec.skus = N;
  ec.locations = L;
  ec.initial_on_hand = initial;
  erp_ = std::make_unique<mocks::Erp>(ec, book_, *metrics_);

  wms_.resize(L);
  tpl_.resize(L);
  for (std::size_t l = 0; l < L; ++l) {
    const auto& spec = sc.locations[l];
    std::vector<std::int64_t> stock(initial.begin() + static_cast<std::ptrdiff_t>(l * N),
                                    initial.begin() + static_cast<std::ptrdiff_t>((l + 1) * N));
    if (spec.kind == LocationKind::wms) {
      mocks::WmsConfig wc = spec.wms;
      wc.name = spec.name;
      wc.loc = static_cast<model::LocId>(l);
      wc.initial_on_hand = std::move(stock);
      wc.pipeline = pipeline_address();
      wc.fault_seed = sim::Rng::stream(seed_, "delivery:" + spec.name).next();
      wms_[l] = std::make_unique<mocks::Wms>(wc, book_, *metrics_);
    } else {
      mocks::TplConfig tc = spec.tpl;
      tc.name = spec.name;
      tc.loc = static_cast<model::LocId>(l);
      tc.initial_on_hand = std::move(stock);
      tc.pipeline = pipeline_address();
      tc.fault_seed = sim::Rng::stream(seed_, "delivery:" + spec.name).next();
      tpl_[l] = std::make_unique<mocks::Tpl>(tc, book_, *metrics_);
    }
  }

  channels_.resize(C);
  for (std::size_t c = 0; c < C; ++c) {
    const auto& spec = sc.channels[c];
    mocks::ChannelConfig cc;
    cc.name = spec.name;
    cc.id = static_cast<model::ChannelId>(c);
    cc.kind = spec.kind;
    if (replay_) {
      cc.replay = std::move(replay_->channels[c].orders);
      cc.replay_lines = std::move(replay_->channels[c].lines);
    } else {
      cc.groups = demand_groups(sc, c, pop);
    }
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
    cc.demand_seed = sim::Rng::stream(seed_, "demand:" + spec.name).next();
    cc.pipeline = pipeline_address();
    cc.faults = {spec.duplicates, spec.duplicate_delay_s, spec.reorder};
    cc.fault_seed = sim::Rng::stream(seed_, "delivery:" + spec.name).next();
    channels_[c] = std::make_unique<mocks::Channel>(cc, book_, *metrics_);
  }

}

void Estate::build_pipeline(const std::vector<std::int64_t>& initial, const EstateOptions& options) {
  const Scenario& sc = scenario_;
  const std::size_t L = sc.locations.size(), C = sc.channels.size(), N = sc.skus;
  pipeline::PipelineConfig pc = sc.pipeline;
  pc.skus = N;
  pc.erp = erp_address();
  pc.safety_stock = sc.safety_stock;
  pc.initial_on_hand = initial;
  pc.locations.clear();
  for (std::size_t l = 0; l < L; ++l)
    pc.locations.push_back({sc.locations[l].name, location_address(l), sc.locations[l].kind == LocationKind::tpl,
                            sc.locations[l].orders_interval});
  pc.channels.clear();
  for (std::size_t c = 0; c < C; ++c)
    pc.channels.push_back({channel_address(c), sc.channels[c].feed, sc.channels[c].feed_interval,
                           sc.channels[c].feed_offset.value_or(0), sc.channels[c].sells_from});
  pipeline_ = std::make_unique<pipeline::Pipeline>(pc, options.pipeline_book ? *options.pipeline_book : book_,
                                                   options.pipeline_observer ? *options.pipeline_observer : *metrics_);
}

void Estate::install(hosts::Host& host) {
  const Scenario& sc = scenario_;
  const std::size_t L = locations_, C = channels_.size();
  ESTATE_ASSERT(host.add(erp_.get(), "erp") == erp_address(), "address plan");
  for (std::size_t l = 0; l < L; ++l) {
    model::Component* comp = wms_[l] ? static_cast<model::Component*>(wms_[l].get()) : tpl_[l].get();
    ESTATE_ASSERT(host.add(comp, sc.locations[l].name) == location_address(l), "address plan");
  }
  for (std::size_t c = 0; c < C; ++c)
    ESTATE_ASSERT(host.add(channels_[c].get(), sc.channels[c].name) == channel_address(c), "address plan");
  ESTATE_ASSERT(host.add(pipeline_.get(), "pipeline") == pipeline_address(), "address plan");

  auto simple = [](const sim::Distribution& latency) {
    sim::LinkConfig lc;
    lc.latency_s = latency;
    return lc;
  };
  const model::Address pipe = pipeline_address();
  host.link(pipe, erp_address(), simple(sc.erp_latency_s));
  host.link(erp_address(), pipe, simple(sc.erp_latency_s));
  for (std::size_t l = 0; l < L; ++l) {
    host.link(pipe, location_address(l), simple(sc.locations[l].latency_s));
    host.link(location_address(l), pipe, simple(sc.locations[l].latency_s));
  }
  for (std::size_t c = 0; c < C; ++c) {
    host.link(channel_address(c), pipe, simple(sc.channels[c].latency_s));
    host.link(pipe, channel_address(c), simple(sc.channels[c].latency_s));
  }
}

model::Address Estate::address_of(const SystemRef& ref) const {
  switch (ref.kind) {
    case SystemRef::Kind::erp: return erp_address();
    case SystemRef::Kind::location: return location_address(static_cast<std::size_t>(ref.index));
    case SystemRef::Kind::channel: return channel_address(static_cast<std::size_t>(ref.index));
    case SystemRef::Kind::stage: return pipeline_address();
  }
  return model::kNoAddress;
}

void Estate::set_outage(hosts::Host& host, const SystemRef& sys, const model::Outage& o) {
  switch (sys.kind) {
    case SystemRef::Kind::erp: erp_->set_outage(o); break;
    case SystemRef::Kind::location: {
      const auto l = static_cast<std::size_t>(sys.index);
      host.as(location_address(l), [&](model::Context& ctx) {
        if (wms_[l]) wms_[l]->set_outage(ctx, o);
        else tpl_[l]->set_outage(ctx, o);
      });
      break;
    }
    case SystemRef::Kind::channel: channels_[static_cast<std::size_t>(sys.index)]->set_down(o.mode == model::OutageMode::down); break;
    case SystemRef::Kind::stage:
      ESTATE_ASSERT(pipeline_ != nullptr, "a stage outage needs the embedded pipeline");
      host.as(pipeline_address(),
              [&](model::Context& ctx) { pipeline_->set_stage_outage(ctx, static_cast<pipeline::StageId>(sys.index), o); });
      break;
  }
}

std::int64_t Estate::move_stock(hosts::Host& host, std::size_t l, model::SkuId s, std::int64_t delta, model::MovementType type,
                                bool reported) {
  std::int64_t applied = 0;
  host.as(location_address(l), [&](model::Context& ctx) {
    applied = wms_[l] ? wms_[l]->move_stock(ctx, s, delta, type, reported) : tpl_[l]->move_stock(ctx, s, delta, type, reported);
  });
  return applied;
}

mocks::Redelivery& Estate::outbound(const SystemRef& source) {
  const auto i = static_cast<std::size_t>(source.index);
  ESTATE_ASSERT(source.kind == SystemRef::Kind::channel || source.kind == SystemRef::Kind::location,
                "only channels and locations deliver to the pipeline");
  if (source.kind == SystemRef::Kind::channel) return channels_[i]->outbound();
  return wms_[i] ? wms_[i]->outbound() : tpl_[i]->outbound();
}

double Estate::stock_share(std::size_t l) const {
  return scenario_.locations[l].stock_share / std::max(share_total_, 1e-9);
}

std::vector<Estate::OwnedStation> Estate::stations() {
  std::vector<OwnedStation> out;
  if (pipeline_)
    for (int st = 0; st < static_cast<int>(pipeline::StageId::count); ++st)
      out.push_back({pipeline_address(), &pipeline_->station(static_cast<pipeline::StageId>(st)), "pipeline"});
  out.push_back({erp_address(), &erp_->station(), "erp"});
  for (std::size_t l = 0; l < locations_; ++l) {
    if (wms_[l]) {
      out.push_back({location_address(l), &wms_[l]->pick_station(), "wms"});
      out.push_back({location_address(l), &wms_[l]->pack_station(), "wms"});
    } else {
      out.push_back({location_address(l), &tpl_[l]->station(), "3pl"});
    }
  }
  return out;
}

}  // namespace estate::harness

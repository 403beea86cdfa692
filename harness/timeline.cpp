#include "harness/timeline.h"

#include <cmath>

#include "harness/report.h"
#include "sim/assert.h"

namespace estate::harness {
using sim::Tick;

namespace {

// What undoes a window at its end. Scheduled before any window's start, so that where one
// window ends at the tick another on the same system starts, the end runs first and the
// start holds (actions at one tick run in the order they were scheduled). Windows on one
// system never overlap (the scenario refuses it), so an end never clears a later start.
void schedule_end(Estate& estate, hosts::Host& host, const TimelineEvent& ev) {
  const Tick end = ev.at + ev.span;
  Estate* e = &estate;
  hosts::Host* h = &host;
  using K = TimelineEvent::Kind;
  switch (ev.kind) {
    case K::outage:
      host.at(end, [e, h, ev] { e->set_outage(*h, ev.system, model::Outage{}); });
      break;
    case K::duplicates: {
      mocks::Redelivery& out = estate.outbound(ev.source);
      host.at(end, [&out] { out.restore_duplicates(); });
      break;
    }
    case K::reorder: {
      mocks::Redelivery& out = estate.outbound(ev.source);
      host.at(end, [&out] { out.restore_reorder(); });
      break;
    }
    case K::throttle:
      host.at(end, [e, end] { e->restore_quota(end); });
      break;
    case K::late_batch:
      if (ev.source.kind == SystemRef::Kind::channel) {
        auto& ch = estate.channel(static_cast<std::size_t>(ev.source.index));
        host.at(end, [&ch] { ch.clear_batch_fault(); });
      } else {
        auto& t = *estate.tpl(static_cast<std::size_t>(ev.source.index));
        host.at(end, [&t, ev] { t.clear_batch_fault(ev.batch); });
      }
      break;
    default:
      break;  // promotions are shaped into demand; the rest are instants
  }
}

void schedule_stock_event(Estate& estate, hosts::Host& host, const TimelineEvent& ev) {
  const std::size_t N = estate.scenario().skus;
  Estate* e = &estate;
  hosts::Host* h = &host;
  using K = TimelineEvent::Kind;
  if (ev.kind == K::transfer) {
    host.at(ev.at, [e, h, N, ev] {
      for (model::SkuId s : ev.skus.resolve(N)) {
        const std::int64_t out =
            e->move_stock(*h, static_cast<std::size_t>(ev.location), s, -ev.units, model::MovementType::transfer_out, true);
        if (out == 0) continue;
        h->at(ev.at + ev.transit, [e, h, ev, s, out] {
          e->move_stock(*h, static_cast<std::size_t>(ev.to_location), s, -out, model::MovementType::transfer_in, true);
        });
      }
    });
    return;
  }
  host.at(ev.at, [e, h, N, ev] {
    const auto l = static_cast<std::size_t>(ev.location);
    for (model::SkuId s : ev.skus.resolve(N)) {
      std::int64_t units = ev.units;
      if (ev.kind == K::replenishment && ev.cover > 0)
        units = std::llround(sim::to_seconds(ev.cover) * e->base_demand(s) * e->stock_share(l));
      if (units == 0) continue;
      const auto type = ev.kind == K::drift    ? model::MovementType::adjustment
                        : ev.kind == K::returns ? model::MovementType::return_
                                                : model::MovementType::receipt;
      e->move_stock(*h, l, s, units, type, ev.kind != K::drift || ev.reported);
    }
  });
}

// What a timeline entry does at its start (a window) or at its instant.
void schedule_start(Estate& estate, hosts::Host& host, const TimelineEvent& ev) {
  Estate* e = &estate;
  hosts::Host* h = &host;
  using K = TimelineEvent::Kind;
  switch (ev.kind) {
    case K::promotion: break;  // shaped into the channels' demand
    case K::outage:
      host.at(ev.at, [e, h, ev] { e->set_outage(*h, ev.system, ev.outage); });
      break;
    case K::duplicates: {
      mocks::Redelivery& out = estate.outbound(ev.source);
      host.at(ev.at, [&out, ev] { out.set_duplicates(ev.rate, ev.delay_s); });
      break;
    }
    case K::reorder: {
      mocks::Redelivery& out = estate.outbound(ev.source);
      host.at(ev.at, [&out, ev] { out.set_reorder(ev.window); });
      break;
    }
    case K::throttle:
      host.at(ev.at, [e, ev] { e->set_quota(ev.at, ev.quota_per_s, ev.burst); });
      break;
    case K::late_batch:
      if (ev.source.kind == SystemRef::Kind::channel) {
        auto& ch = estate.channel(static_cast<std::size_t>(ev.source.index));
        host.at(ev.at, [&ch, ev] { ch.set_batch_fault(ev.missing, ev.late_by); });
      } else {
        // On the 940s the pipeline sends, on the 945s and 846s the 3PL sends.
        auto& t = *estate.tpl(static_cast<std::size_t>(ev.source.index));
        host.at(ev.at, [&t, ev] { t.set_batch_fault(ev.batch, ev.missing, ev.late_by); });
      }
      break;
    case K::drift:
    case K::replenishment:
    case K::returns:
    case K::transfer:
      schedule_stock_event(estate, host, ev);
      break;
  }
}

}  // namespace

void schedule_timeline(Estate& estate, hosts::Host& host) {
  const Scenario& sc = estate.scenario();
  Metrics& metrics = estate.metrics();

  // Every window of the timeline gets its own figures, and the same for a recovery period as
  // long as the window, after it.
  const Json timeline = timeline_json(sc);
  const auto keys = window_keys(sc);
  for (std::size_t i = 0; i < sc.timeline.size(); ++i)
    if (!keys[i].empty()) {
      const auto& ev = sc.timeline[i];
      metrics.add_window({keys[i], timeline[i]["kind"].get<std::string>(), timeline[i]["label"].get<std::string>(), ev.at,
                          ev.at + ev.span, ev.at + 2 * ev.span});
    }
  for (const auto& ev : sc.timeline) {
    if (ev.kind != TimelineEvent::Kind::outage) continue;
    model::Address target = model::kNoAddress;
    if (ev.system.kind == SystemRef::Kind::erp || ev.system.kind == SystemRef::Kind::location)
      target = estate.address_of(ev.system);
    metrics.add_outage({system_name(sc, ev.system), model::outage_mode_name(ev.outage.mode), target, ev.at, ev.at + ev.span,
                        ev.system.kind == SystemRef::Kind::location ? ev.system.index : -1});
  }
  for (const auto& ev : sc.timeline) schedule_end(estate, host, ev);
  for (const auto& ev : sc.timeline) schedule_start(estate, host, ev);
}

}  // namespace estate::harness

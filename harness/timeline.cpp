#include "harness/timeline.h"

#include <cmath>

#include "harness/report.h"
#include "sim/assert.h"

namespace estate::harness {
using sim::Tick;

void schedule_timeline(Estate& estate, hosts::Host& host) {
  const Scenario& sc = estate.scenario();
  const std::size_t N = sc.skus;
  Metrics& metrics = estate.metrics();
  hosts::Host* h = &host;
  Estate* e = &estate;

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
    const Tick end = ev.at + ev.span;
    using K = TimelineEvent::Kind;
    switch (ev.kind) {
      case K::promotion: break;  // shaped into the channels' demand
      case K::outage: {
        model::Address target = model::kNoAddress;
        if (ev.system.kind == SystemRef::Kind::erp || ev.system.kind == SystemRef::Kind::location)
          target = estate.address_of(ev.system);
        metrics.add_outage({system_name(sc, ev.system), model::outage_mode_name(ev.outage.mode), target, ev.at, end,
                            ev.system.kind == SystemRef::Kind::location ? ev.system.index : -1});
        host.at(ev.at, [e, h, ev] { e->set_outage(*h, ev.system, ev.outage); });
        host.at(end, [e, h, ev] { e->set_outage(*h, ev.system, model::Outage{}); });
        break;
      }
      case K::duplicates: {
        mocks::Redelivery& out = estate.outbound(ev.source);
        host.at(ev.at, [&out, ev] { out.set_duplicates(ev.rate, ev.delay_s); });
        host.at(end, [&out] { out.restore_duplicates(); });
        break;
      }
      case K::reorder: {
        mocks::Redelivery& out = estate.outbound(ev.source);
        host.at(ev.at, [&out, ev] { out.set_reorder(ev.window); });
        host.at(end, [&out] { out.restore_reorder(); });
        break;
      }
      case K::throttle:
        host.at(ev.at, [e, ev] { e->set_quota(ev.at, ev.quota_per_s, ev.burst); });
        host.at(end, [e, end] { e->restore_quota(end); });
        break;
      case K::late_batch: {
        if (ev.source.kind == SystemRef::Kind::channel) {
          auto& ch = estate.channel(static_cast<std::size_t>(ev.source.index));
          host.at(ev.at, [&ch, ev] { ch.set_batch_fault(ev.missing, ev.late_by); });
          host.at(end, [&ch] { ch.clear_batch_fault(); });
        } else {
          // On the 940s the pipeline sends, on the 945s and 846s the 3PL sends.
          auto& t = *estate.tpl(static_cast<std::size_t>(ev.source.index));
          host.at(ev.at, [&t, ev] { t.set_batch_fault(ev.batch, ev.missing, ev.late_by); });
          host.at(end, [&t, ev] { t.clear_batch_fault(ev.batch); });
        }
        break;
      }
      case K::drift:
      case K::replenishment:
      case K::returns:
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
        break;
      case K::transfer:
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
        break;
    }
  }
}

}  // namespace estate::harness

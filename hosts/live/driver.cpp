#include "hosts/live/driver.h"

#include <chrono>
#include <cmath>

#include <boost/asio/steady_timer.hpp>

#include "hosts/live/http.h"
#include "hosts/live/live_estate.h"
#include "sim/histogram.h"

namespace estate::hosts::live {
using OJson = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

namespace {

OJson percentiles_ms(const sim::Histogram& h) {
  std::int64_t q[5];
  const double qs[] = {0.5, 0.9, 0.99, 0.999, 1.0};
  h.percentiles(qs, q);
  auto ms = [](std::int64_t us) { return std::round(static_cast<double>(us) / 10.0) / 100.0; };
  return {{"count", h.count()}, {"p50_ms", ms(q[0])}, {"p90_ms", ms(q[1])}, {"p99_ms", ms(q[2])}, {"p999_ms", ms(q[3])}, {"max_ms", ms(h.max())}};
}

struct Run {
  asio::io_context io;
  HttpClient client;
  asio::steady_timer timer;
  load::Sequencer sequencer;
  load::LateSends late;
  sim::Histogram from_schedule_us, from_send_us;
  std::size_t endpoint = 0;
  Clock::time_point start;
  double next_due = 0;
  std::uint64_t scheduled = 0, dropped = 0, completed = 0, errors = 0;
  std::uint64_t sent_in_window = 0, answered_in_window = 0;  // within the scheduled duration
  double duration_s = 0;
  std::uint64_t by_class[6] = {0, 0, 0, 0, 0, 0};
  Clock::time_point last_completion;

  Run(const LoadOptions& o)
      : client(io, {o.connections, o.timeout_s, 64u << 20}), timer(io), sequencer(o.rate_per_s, o.arrivals, o.seed) {}

  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start).count(); }
};

}  // namespace

OJson drive_load(const LoadOptions& o) {
  Endpoint ep;
  std::string error;
  // The URL's path is the request target; the endpoint is host and port.
  if (!parse_url(o.url, ep, error)) throw StartError{"drive: " + error};
  const std::string target = ep.base_path.empty() ? "/" : ep.base_path;
  ep.base_path.clear();
  Run run(o);
  try {
    run.endpoint = run.client.add_endpoint(ep);
  } catch (const std::exception& e) {
    throw StartError{"drive: cannot resolve " + o.url + ": " + e.what()};
  }
  wire::Request proto{o.method, target, "", o.body};
  run.start = Clock::now();
  run.duration_s = o.duration_s;
  run.next_due = run.sequencer.next();

  std::function<void()> tick = [&] {
    const double now = run.elapsed();
    while (run.next_due <= now && run.next_due < o.duration_s) {
      const double intended = run.next_due;
      run.next_due = run.sequencer.next();
      ++run.scheduled;
      if (run.client.in_flight() >= o.max_waiting + o.connections) {
        ++run.dropped;
        continue;
      }
      auto sent_at = std::make_shared<double>(0.0);
      run.client.send(
          run.endpoint, proto,
          [&run, intended, sent_at](ClientResult&& r) {
            const double t = run.elapsed();
            run.last_completion = Clock::now();
            ++run.completed;
            if (r.error != ClientResult::Error::none) {
              ++run.errors;
              return;
            }
            if (t <= run.duration_s) ++run.answered_in_window;
            ++run.by_class[std::min<std::size_t>(r.status / 100, 5)];
            run.from_schedule_us.record(static_cast<std::int64_t>((t - intended) * 1e6));
            run.from_send_us.record(static_cast<std::int64_t>((t - *sent_at) * 1e6));
          },
          [&run, intended, sent_at] {
            *sent_at = run.elapsed();
            run.late.record(*sent_at - intended);
            if (*sent_at <= run.duration_s) ++run.sent_in_window;
          });
    }
    if (run.next_due < o.duration_s) {
      run.timer.expires_at(run.start + std::chrono::microseconds(static_cast<std::int64_t>(run.next_due * 1e6)));
      run.timer.async_wait([&](boost::system::error_code ec) {
        if (!ec) tick();
      });
    }
  };
  tick();
  // Run through the schedule, then let what is in flight finish (bounded by the timeout).
  run.io.run_until(run.start + std::chrono::microseconds(static_cast<std::int64_t>(o.duration_s * 1e6)));
  const auto drain_until = Clock::now() + std::chrono::microseconds(static_cast<std::int64_t>((o.timeout_s + 1) * 1e6));
  while (run.client.in_flight() > 0 && Clock::now() < drain_until) run.io.run_for(std::chrono::milliseconds(10));
  run.client.stop();

  OJson classes = OJson::object();
  for (int k = 1; k <= 5; ++k) classes[std::to_string(k) + "xx"] = run.by_class[k];
  // What left and what came back while the schedule ran: the rate the target saw.
  const double sent_rate = static_cast<double>(run.sent_in_window) / o.duration_s;
  const double achieved = static_cast<double>(run.answered_in_window) / o.duration_s;
  return {{"url", o.url},
          {"method", wire::method_name(o.method)},
          {"arrivals", o.arrivals == load::Arrivals::constant ? "constant" : "poisson"},
          {"connections", o.connections},
          {"duration_s", o.duration_s},
          {"requested_rate_per_s", o.rate_per_s},
          {"sent_rate_per_s", std::round(sent_rate * 10) / 10},
          {"achieved_rate_per_s", std::round(achieved * 10) / 10},
          {"achieved_over_requested", std::round(achieved / o.rate_per_s * 10000) / 10000},
          {"scheduled", run.scheduled},
          {"completed", run.completed - run.errors},
          {"errors", run.errors},
          {"dropped", run.dropped},
          {"by_status", classes},
          {"latency_from_schedule", percentiles_ms(run.from_schedule_us)},
          {"latency_from_send", percentiles_ms(run.from_send_us)},
          {"late_sends", {{"threshold_ms", run.late.threshold_s() * 1000}, {"late", run.late.late()}, {"behind", percentiles_ms(run.late.behind_us())}}},
          {"client", {{"connections_opened", run.client.stats().connections_opened},
                      {"connect_errors", run.client.stats().connect_errors},
                      {"timeouts", run.client.stats().timeouts},
                      {"io_errors", run.client.stats().io_errors}}}};
}

}  // namespace estate::hosts::live

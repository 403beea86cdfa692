#pragma once
// One live service: a set of sans-I/O components run on the wall clock, behind an HTTP
// server, calling the rest of the estate through an HTTP client. It is to the live mode what
// SimHost is to the simulation: it implements the components' Context (the time, a random
// stream per component, timers, documents, sends) on one io_context and one thread, and it
// only translates: an incoming request becomes the message the wire codec makes of it, a
// component's message to a remote system becomes a request, an answer goes back on the
// connection its request came on. The mocks' host also plays the network between systems
// (each link's latency, on both directions), so a pipeline we did not write sees the same
// estate as the embedded one.
#include <cstdint>
#include <deque>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "hosts/live/http.h"
#include "hosts/timed_actions.h"
#include "model/component.h"
#include "model/observer.h"
#include "sim/distribution.h"
#include "sim/event_queue.h"
#include "sim/flat_set.h"
#include "sim/histogram.h"
#include "sim/rng.h"
#include "wire/codec.h"

#include <boost/asio/steady_timer.hpp>

namespace estate::hosts::live {

// Scenario time on the wall clock: tick = offset + (wall - since) x scale. Shared by every
// service of one run (on their own threads), so their clocks agree. The scale may change once
// (the drain can run faster than the demand); readers see either segment whole.
class LiveClock {
 public:
  explicit LiveClock(double scale) { segments_[0] = {std::chrono::steady_clock::now(), 0, scale}; }
  void start() { segments_[0].since = std::chrono::steady_clock::now(); }
  // From scenario instant `at` on (which must not have passed), run at `scale`.
  void rescale(sim::Tick at, double scale) {
    if (current_.load(std::memory_order_acquire) != 0) return;
    segments_[1] = {wall(at), at, scale};
    current_.store(1, std::memory_order_release);
  }
  double scale() const { return segment().scale; }
  sim::Tick now() const {
    const Segment& s = segment();
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - s.since).count();
    return s.offset + static_cast<sim::Tick>(static_cast<double>(us) * s.scale);
  }
  std::chrono::steady_clock::time_point wall(sim::Tick t) const {
    const Segment& s = segment();
    return s.since + std::chrono::microseconds(static_cast<std::int64_t>(static_cast<double>(t - s.offset) / s.scale));
  }
  // A span of scenario time as wall seconds, at the current scale.
  double wall_seconds(sim::Tick span) const { return sim::to_seconds(span) / segment().scale; }

 private:
  struct Segment {
    std::chrono::steady_clock::time_point since;
    sim::Tick offset = 0;
    double scale = 1;
  };
  const Segment& segment() const { return segments_[current_.load(std::memory_order_acquire)]; }
  Segment segments_[2];
  std::atomic<int> current_{0};
};

class LiveHost final : private model::Context, private wire::Docs {
 public:
  struct Options {
    wire::Side side = wire::Side::estate;
    std::uint64_t seed = 1;
    bool plays_network = false;      // apply each link's latency (the mocks' host does)
    bool boundary_versions = false;  // the pipeline is foreign: see inventory changes at the boundary
    Limits limits;
    HttpClient::Options client;
    double delivery_retry_cap_s = 2.0;  // one-way messages are redelivered until acknowledged
    // How long a request may go unanswered, in scenario time, before its connection is dropped
    // (the callers' own timeouts are shorter; this frees the connection they gave up on).
    sim::Tick answer_timeout = sim::seconds(60);
    std::uint64_t id_base = 0;  // see wire::Codec
  };
  using Route = std::function<bool(const HttpServer::Request&, wire::Response&)>;

  LiveHost(asio::io_context& io, LiveClock& clock, const wire::Roster& roster, model::OrderBook& book, Options options);
  ~LiveHost() override;

  // --- building
  void add(model::Address a, model::Component* component, const std::string& name);
  void set_remote(model::Address a, const Endpoint& endpoint);
  void set_link(model::Address from, model::Address to, const sim::Distribution& latency_s);
  std::uint16_t listen(const std::string& address, std::uint16_t port);
  // Requests this route takes (the admin API) never reach the codec.
  void set_route(Route route) { route_ = std::move(route); }
  // Where boundary observations go (inventory changes acknowledged by a foreign pipeline).
  void set_observer(model::Observer* observer) { observer_ = observer; }
  // Runs before the host handles anything that came in or fell due (the relay's drain).
  void set_before_handling(std::function<void()> f) { before_handling_ = std::move(f); }
  void start();  // starts the components (call on the host's thread, after the clock starts)

  // --- the harness acting, on the host's thread
  void at(sim::Tick t, std::function<void()> action);
  void as(model::Address a, const std::function<void(model::Context&)>& f);
  void inject(model::Address to, const model::Msg& msg);
  bool quiescent() const;
  std::vector<std::string> busy() const;
  std::uint64_t events() const { return events_; }
  sim::Tick last_inbound() const { return last_inbound_; }  // when a request last arrived
  void stop();
  // The clock's scale changed: wake at the new wall time of what is due next.
  void rearm();
  nlohmann::ordered_json stats_json() const;
  const wire::Codec& codec() const { return codec_; }
  wire::Codec& codec() { return codec_; }

 private:
  // Context
  sim::Tick now() const override { return now_; }
  sim::Rng& rng() override { return rngs_[current_]; }
  void send(model::Address to, const model::Msg& msg) override;
  model::TimerId set_timer(sim::Tick delay, const model::Msg& timer) override;
  void cancel_timer(model::TimerId id) override { queue_.cancel(id); }
  model::DocId put_doc(model::Doc doc) override { return put(std::move(doc)); }
  const model::Doc& doc(model::DocId id) const override { return get(id); }
  // Docs
  model::DocId put(model::Doc doc) override;
  const model::Doc& get(model::DocId id) const override { return docs_[id]; }

  struct Outbound {
    model::Msg msg;
    sim::Tick intended;  // when it should leave (for late-send accounting)
    std::uint32_t attempt;
  };
  struct PendingAnswer {
    Exchange exchange;
    model::Msg request;
  };

  void on_request(const HttpServer::Request& r);
  void dispatch(const model::Msg& m, sim::Tick intended);
  void emit(const Outbound& out);
  void on_answer(const model::Msg& request, ClientResult&& result);
  void on_delivered(const model::Msg& msg);
  void redeliver(Outbound out);
  void schedule_wake(sim::Tick t);
  void on_wake();
  void count_violation(const std::string& type, const std::string& detail);
  sim::Tick latency(model::Address from, model::Address to);

  asio::io_context& io_;
  LiveClock& clock_;
  const wire::Roster& roster_;
  Options options_;
  wire::Codec codec_;
  HttpServer server_;
  HttpClient client_;
  asio::steady_timer wake_;
  std::chrono::steady_clock::time_point armed_for_ = std::chrono::steady_clock::time_point::max();
  bool stopped_ = false;
  Route route_;
  model::Observer* observer_ = nullptr;
  std::function<void()> before_handling_;

  std::vector<model::Component*> components_;  // by address; nullptr: not here
  std::vector<std::string> names_;
  std::vector<sim::Rng> rngs_;
  std::vector<std::ptrdiff_t> endpoint_of_;  // by address: the client endpoint, -1 if local
  struct Link {
    sim::Distribution latency_s;
    sim::Rng rng;
  };
  std::unordered_map<std::uint32_t, Link> links_;  // key from << 16 | to
  std::deque<model::Doc> docs_{model::Doc{}};

  sim::EventQueue<model::Msg> queue_;  // timers, and messages held back by link latency
  sim::EventQueue<Outbound> outbound_;  // messages held back on their way out
  TimedActions actions_;
  std::unordered_map<std::uint64_t, PendingAnswer> answers_;  // by the id the request got here
  std::unordered_map<std::uint64_t, std::uint64_t> answer_of_session_;  // one request at a time per connection
  std::uint64_t answer_seq_ = 0;

  model::Address current_ = model::kNoAddress;
  sim::Tick now_ = 0;
  sim::Tick intended_ = 0;  // when the event being handled was due
  std::uint64_t events_ = 0;
  std::uint64_t messages_held_ = 0;  // non-timer entries of queue_
  std::uint64_t redeliveries_pending_ = 0;
  sim::Tick last_inbound_ = 0;
  std::uint64_t availability_seq_ = 0;
  std::uint64_t boundary_version_ = 0;
  sim::FlatSet64 acknowledged_events_;  // event ids a foreign pipeline has taken

  // What the report says about the live run.
  sim::Histogram late_orders_;   // order webhooks: wall microseconds behind their scheduled time
  sim::Histogram late_other_;
  std::uint64_t late_threshold_us_ = 1000;
  std::uint64_t late_orders_count_ = 0, late_other_count_ = 0;
  std::uint64_t redelivered_ = 0, rejected_deliveries_ = 0, undeliverable_ = 0;
  std::map<std::string, std::uint64_t> violations_;
  std::vector<std::string> violation_examples_;
  std::uint64_t timer_dispatches_ = 0;
  sim::Histogram timer_lag_;     // wall microseconds between a timer's due time and its handling
};

}  // namespace estate::hosts::live

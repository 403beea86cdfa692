#include "hosts/live/live_host.h"

#include <algorithm>
#include <cmath>

#include "sim/assert.h"

namespace estate::hosts::live {
using model::Kind;
using model::Msg;
using sim::Tick;
using OJson = nlohmann::ordered_json;

namespace {
constexpr std::size_t kViolationExamples = 10;
std::uint32_t link_key(model::Address from, model::Address to) { return static_cast<std::uint32_t>(from) << 16 | to; }

OJson histogram_json(const sim::Histogram& h, std::uint64_t late) {
  std::int64_t q[3];
  const double qs[] = {0.5, 0.99, 0.999};
  h.percentiles(qs, q);
  auto ms = [](std::int64_t us) { return std::round(static_cast<double>(us) / 10.0) / 100.0; };
  return {{"sends", h.count()},          {"late", late},
          {"p50_ms", ms(q[0])},           {"p99_ms", ms(q[1])},
          {"p999_ms", ms(q[2])},          {"max_ms", ms(h.max())}};
}
}  // namespace

LiveHost::LiveHost(asio::io_context& io, LiveClock& clock, const wire::Roster& roster, model::OrderBook& book, Options options)
    : io_(io),
      clock_(clock),
      roster_(roster),
      options_(std::move(options)),
      codec_(roster, options_.side, book, *this, clock.scale(), options_.id_base),
      server_(io, options_.limits, [this](const HttpServer::Request& r) { on_request(r); }),
      client_(io, options_.client),
      wake_(io) {
  // A caller that hangs up on a request (a blackhole, its own timeout) takes it off our books:
  // the component may still do the work, but nobody waits for the answer any more.
  server_.on_abandoned([this](const Exchange& e) {
    auto it = answer_of_session_.find(e.session);
    if (it == answer_of_session_.end()) return;
    answers_.erase(it->second);
    answer_of_session_.erase(it);
  });
  const std::size_t n = roster.systems();
  components_.assign(n, nullptr);
  names_.assign(n, "");
  rngs_.assign(n, sim::Rng(0));
  endpoint_of_.assign(n, -1);
}

LiveHost::~LiveHost() { stop(); }

void LiveHost::add(model::Address a, model::Component* component, const std::string& name) {
  components_[a] = component;
  names_[a] = name;
  rngs_[a] = sim::Rng::stream(options_.seed, "component:" + name);
}

void LiveHost::set_remote(model::Address a, const Endpoint& endpoint) {
  endpoint_of_[a] = static_cast<std::ptrdiff_t>(client_.add_endpoint(endpoint));
}

void LiveHost::set_link(model::Address from, model::Address to, const sim::Distribution& latency_s) {
  links_.insert_or_assign(link_key(from, to), Link{latency_s, sim::Rng::stream(options_.seed, "link:" + std::to_string(from) + "->" + std::to_string(to))});
}

std::uint16_t LiveHost::listen(const std::string& address, std::uint16_t port) { return server_.listen(address, port); }

void LiveHost::start() {
  for (std::size_t a = 0; a < components_.size(); ++a) {
    if (!components_[a]) continue;
    current_ = static_cast<model::Address>(a);
    now_ = std::max(now_, clock_.now());
    intended_ = now_;
    components_[a]->start(*this);
  }
  current_ = model::kNoAddress;
}

model::DocId LiveHost::put(model::Doc doc) {
  docs_.push_back(std::move(doc));
  return static_cast<model::DocId>(docs_.size() - 1);
}

Tick LiveHost::latency(model::Address from, model::Address to) {
  if (!options_.plays_network) return 0;
  auto it = links_.find(link_key(from, to));
  if (it == links_.end()) return 0;
  return sim::delay_from_seconds(it->second.latency_s.sample(it->second.rng));
}

// ------------------------------------------------------------------------- time and timers

void LiveHost::schedule_wake(Tick t) {
  const auto when = clock_.wall(t);
  if (when >= armed_for_ || stopped_) return;
  armed_for_ = when;
  wake_.expires_at(when);
  wake_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    armed_for_ = std::chrono::steady_clock::time_point::max();
    on_wake();
  });
}

void LiveHost::rearm() {
  codec_.set_time_scale(clock_.scale());
  armed_for_ = std::chrono::steady_clock::time_point::max();
  wake_.cancel();
  const Tick next = std::min({actions_.next_time(), queue_.next_time(), outbound_.next_time()});
  if (next != sim::kNever) schedule_wake(next);
}

void LiveHost::on_wake() {
  if (before_handling_) before_handling_();
  for (;;) {
    const Tick real = clock_.now();
    const Tick t_action = actions_.next_time();
    const Tick t_event = queue_.next_time();
    const Tick t_out = outbound_.next_time();
    const Tick next = std::min({t_action, t_event, t_out});
    if (next == sim::kNever) return;
    if (next > real) {
      schedule_wake(next);
      return;
    }
    if (t_action == next) {  // timeline actions first, as in simulation
      auto [at, run] = actions_.pop();
      now_ = std::max(now_, at);
      intended_ = at;
      run();
    } else if (t_event == next) {
      Tick at = 0;
      Msg m;
      queue_.pop(at, m);
      if (m.kind == Kind::timer) {
        ++timer_dispatches_;
        timer_lag_.record(static_cast<std::int64_t>(clock_.wall_seconds(real - at) * 1e6));
      } else {
        --messages_held_;
      }
      dispatch(m, at);
    } else {
      Tick at = 0;
      Outbound out;
      outbound_.pop(at, out);
      emit(out);
    }
  }
}

void LiveHost::dispatch(const Msg& m, Tick intended) {
  model::Component* c = m.to < components_.size() ? components_[m.to] : nullptr;
  ESTATE_ASSERT(c != nullptr, "live host: a message for a component that is not here");
  // The component's clock is the instant its event was due (monotone across events): a host
  // running a little behind delays the handling, not the component's view of when it was.
  current_ = m.to;
  now_ = std::max(now_, intended);
  intended_ = intended;
  ++events_;
  c->handle(*this, m);
  current_ = model::kNoAddress;
}

model::TimerId LiveHost::set_timer(Tick delay, const Msg& timer) {
  ESTATE_ASSERT(delay >= 0, "live host: timer in the past");
  Msg m = timer;
  m.kind = Kind::timer;
  m.from = m.to = current_;
  const Tick due = now_ + delay;
  const model::TimerId id = queue_.push(due, m);
  schedule_wake(due);
  return id;
}

void LiveHost::at(Tick t, std::function<void()> action) {
  actions_.push(t, std::move(action));
  schedule_wake(t);
}

void LiveHost::as(model::Address a, const std::function<void(model::Context&)>& f) {
  const model::Address saved = current_;
  current_ = a;
  now_ = std::max(now_, clock_.now());
  f(static_cast<model::Context&>(*this));
  current_ = saved;
}

void LiveHost::inject(model::Address to, const Msg& msg) {
  Msg m = msg;
  m.from = model::kNoAddress;
  m.to = to;
  dispatch(m, clock_.now());
}

// ---------------------------------------------------------------------------- going out

void LiveHost::send(model::Address to, const Msg& msg) {
  Msg m = msg;
  m.from = current_;
  m.to = to;
  ESTATE_ASSERT(to < components_.size(), "live host: send to an unknown address");
  const Tick delay = latency(m.from, to);
  if (delay > 0) {
    outbound_.push(now_ + delay, {m, intended_ + delay, 0});
    schedule_wake(now_ + delay);
    return;
  }
  emit({m, intended_, 0});
}

void LiveHost::emit(const Outbound& out) {
  const Msg& m = out.msg;
  if (wire::Codec::is_answer(m.kind)) {
    auto it = answers_.find(m.id);
    if (it == answers_.end()) return;  // its connection is gone
    const wire::Response r = codec_.encode_response(m, it->second.request);
    server_.reply(it->second.exchange, r);
    answer_of_session_.erase(it->second.exchange.session);
    answers_.erase(it);
    return;
  }
  if (components_[m.to] != nullptr) {  // both ends here: no wire between them
    dispatch(m, out.intended);
    return;
  }
  if (endpoint_of_[m.to] < 0) {  // estate serve without a pipeline: nowhere to send it
    ++undeliverable_;
    return;
  }
  wire::Request request = codec_.encode_request(m);
  const bool webhook = m.kind == Kind::order_delivery;
  const Tick intended = out.intended;
  auto written = [this, webhook, intended] {
    const auto behind_us = static_cast<std::int64_t>(std::max(0.0, clock_.wall_seconds(clock_.now() - intended)) * 1e6);
    (webhook ? late_orders_ : late_other_).record(behind_us);
    if (static_cast<std::uint64_t>(behind_us) > late_threshold_us_) ++(webhook ? late_orders_count_ : late_other_count_);
  };
  client_.send(static_cast<std::size_t>(endpoint_of_[m.to]), std::move(request),
               [this, out](ClientResult&& result) {
                 if (stopped_) return;
                 if (!wire::Codec::is_one_way(out.msg.kind)) return on_answer(out.msg, std::move(result));
                 if (result.error == ClientResult::Error::none && model::is_success(result.status)) return on_delivered(out.msg);
                 if (result.error == ClientResult::Error::none && result.status >= 400 && result.status < 500 && result.status != 429) {
                   // The receiver refuses it for good: a contract problem, reported, not retried.
                   ++rejected_deliveries_;
                   count_violation("delivery-rejected", std::string(wire::method_name(codec_.encode_request(out.msg).method)) + " " +
                                                            codec_.encode_request(out.msg).target + " answered " + std::to_string(result.status) +
                                                            ": " + result.body.substr(0, 200));
                   return;
                 }
                 redeliver(out);
               },
               written, std::clamp(clock_.wall_seconds(options_.answer_timeout), 1.0, 600.0));
}

void LiveHost::redeliver(Outbound out) {
  // At least once: a one-way message (ack, feed, event, file) goes again until it is taken.
  ++redelivered_;
  ++out.attempt;
  const double wait_s = std::min(options_.delivery_retry_cap_s, 0.05 * std::ldexp(1.0, static_cast<int>(std::min<std::uint32_t>(out.attempt, 10))));
  const Tick due = clock_.now() + sim::from_seconds(wait_s * clock_.scale());
  out.intended = due;
  outbound_.push(due, out);
  schedule_wake(due);
}

void LiveHost::on_answer(const Msg& request, ClientResult&& result) {
  if (result.error == ClientResult::Error::connect) {
    // Nobody listens there: to the caller it is a refusal, like a 503 from a proxy.
    result.status = model::status::unavailable;
    result.error = ClientResult::Error::none;
  }
  if (result.error != ClientResult::Error::none) return;  // no answer: the caller's own timeout decides
  wire::Problem problem;
  auto answer = codec_.decode_response(request, result.status, result.retry_after_s, result.body, problem);
  if (!answer) {
    count_violation(problem.type, std::string("answer to ") + codec_.encode_request(request).target + ": " + problem.detail);
    return;
  }
  dispatch(*answer, clock_.now());
}

void LiveHost::on_delivered(const Msg& m) {
  if (!options_.boundary_versions || observer_ == nullptr) return;
  // A foreign pipeline has taken a warehouse's report of inventory changes: from here on,
  // an availability figure it sends may reflect them.
  const Tick now = clock_.now();
  auto changed = [&](model::LocId loc, model::SkuId sku, Tick at) { observer_->inventory_applied(loc, sku, at, ++boundary_version_, now); };
  auto event = [&](model::WarehouseEvent type, model::OrderId order, model::LineMask mask, model::SkuId sku, std::uint64_t id,
                   Tick at) {
    // A redelivered event reports no new change: the first acknowledgement counts.
    if (type != model::WarehouseEvent::short_pick && !acknowledged_events_.insert(id)) return;
    if (type == model::WarehouseEvent::movement) changed(m.loc, sku, at);
    if (type != model::WarehouseEvent::shipped) return;
    const auto lines = codec_.book().lines(order);
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (model::has_line(mask, i)) changed(m.loc, lines[i].sku, at);
  };
  if (m.kind == Kind::warehouse_event) event(static_cast<model::WarehouseEvent>(m.op), m.order, m.mask, m.sku, m.ref, m.t0);
  if (m.kind == Kind::warehouse_batch && m.op == static_cast<std::uint8_t>(model::WarehouseBatch::advice)) {
    const model::Doc& doc = get(m.doc);
    for (std::size_t i = 0; i + 8 <= doc.size(); i += 8)
      event(static_cast<model::WarehouseEvent>(doc[i]), static_cast<model::OrderId>(doc[i + 1]),
            static_cast<model::LineMask>(doc[i + 2]), static_cast<model::SkuId>(doc[i + 3]), static_cast<std::uint64_t>(doc[i + 5]),
            doc[i + 6]);
  }
}

// ---------------------------------------------------------------------------- coming in

void LiveHost::count_violation(const std::string& type, const std::string& detail) {
  ++violations_[wire::printable(type, 40)];
  if (violation_examples_.size() < kViolationExamples) violation_examples_.push_back(wire::printable(detail, 300));
}

void LiveHost::on_request(const HttpServer::Request& r) {
  if (stopped_) return;
  if (before_handling_) before_handling_();
  wire::Response response;
  if (route_ && route_(r, response)) {
    server_.reply(r.exchange, response);
    return;
  }
  wire::Problem problem;
  auto incoming = codec_.decode_request(r.method, r.target, r.idempotency_key, r.body, problem);
  if (!incoming) {
    count_violation(problem.type, std::string(wire::method_name(r.method)) + " " + wire::printable(r.target, 120) + ": " + problem.detail);
    server_.reply(r.exchange, {problem.status, wire::problem_json(problem), true, -1, problem.allow});
    return;
  }
  Msg m = incoming->msg;
  if (components_[m.to] == nullptr) {
    server_.reply(r.exchange, {404, wire::problem_json({404, "no-such-endpoint", "No such endpoint", "this service does not serve that system", {}}), true, -1, {}});
    return;
  }
  const Tick now = clock_.now();
  last_inbound_ = now;
  if (m.kind == Kind::availability || m.kind == Kind::availability_snapshot) {
    // Figures without a sequence are taken in arrival order; a foreign pipeline's figures are
    // versioned at the boundary (by the inventory changes it had acknowledged when it sent).
    if ((m.status & 1) == 0) m.ref = ++availability_seq_;
    if (options_.boundary_versions || (m.status & 2) == 0) m.id = boundary_version_;
    m.status = 0;
  }
  if (incoming->expects_answer) {
    m.id = ++answer_seq_;
    answers_.emplace(m.id, PendingAnswer{r.exchange, m});
    answer_of_session_[r.exchange.session] = m.id;
  } else {
    server_.reply(r.exchange, {incoming->ack_status, "", false, -1, {}});
  }
  const Tick delay = latency(m.from, m.to);
  if (delay > 0) {
    queue_.push(now + delay, m);
    ++messages_held_;
    schedule_wake(now + delay);
    return;
  }
  dispatch(m, now);
}

// ------------------------------------------------------------------------------- state

bool LiveHost::quiescent() const {
  if (messages_held_ != 0 || !outbound_.empty() || !actions_.empty() || client_.in_flight() != 0 || !answers_.empty())
    return false;
  for (const auto* c : components_)
    if (c && !c->quiescent()) return false;
  return true;
}

std::vector<std::string> LiveHost::busy() const {
  std::vector<std::string> out;
  for (std::size_t a = 0; a < components_.size(); ++a)
    if (components_[a] && !components_[a]->quiescent()) out.push_back(names_[a]);
  if (messages_held_ > 0) out.push_back(std::to_string(messages_held_) + " messages on their way in");
  if (!outbound_.empty()) out.push_back(std::to_string(outbound_.size()) + " messages on their way out");
  if (client_.in_flight() > 0) out.push_back(std::to_string(client_.in_flight()) + " requests in flight");
  if (!answers_.empty()) out.push_back(std::to_string(answers_.size()) + " requests waiting for an answer");
  return out;
}

void LiveHost::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  wake_.cancel();
  server_.stop();
  client_.stop();
}

OJson LiveHost::stats_json() const {
  const ServerStats& s = server_.stats();
  const ClientStats& c = client_.stats();
  OJson by_class = OJson::object();
  for (int k = 1; k <= 5; ++k) by_class[std::to_string(k) + "xx"] = s.by_status_class[k];
  OJson violations = OJson::object();
  std::uint64_t total = 0;
  for (const auto& [type, n] : violations_) {
    violations[type] = n;
    total += n;
  }
  std::int64_t lag[2];
  const double qs[] = {0.5, 0.99};
  timer_lag_.percentiles(qs, lag);
  return {{"served", {{"connections", s.connections},
                      {"connections_refused", s.connections_refused},
                      {"requests", s.requests},
                      {"by_status", by_class},
                      {"malformed", s.malformed},
                      {"too_large", s.too_large},
                      {"shed", s.shed},
                      {"closed_idle", s.closed_idle},
                      {"closed_unanswered", s.closed_pending}}},
          {"sent", {{"requests", c.sent},
                    {"connections_opened", c.connections_opened},
                    {"connect_errors", c.connect_errors},
                    {"timeouts", c.timeouts},
                    {"io_errors", c.io_errors},
                    {"peak_queued", c.peak_queued},
                    {"redelivered", redelivered_},
                    {"rejected", rejected_deliveries_},
                    {"undeliverable", undeliverable_}}},
          {"late_sends", {{"threshold_ms", static_cast<double>(late_threshold_us_) / 1000.0},
                          {"order_webhooks", histogram_json(late_orders_, late_orders_count_)},
                          {"other", histogram_json(late_other_, late_other_count_)}}},
          {"timers", {{"fired", timer_dispatches_},
                      {"lag_p50_ms", static_cast<double>(lag[0]) / 1000.0},
                      {"lag_p99_ms", static_cast<double>(lag[1]) / 1000.0}}},
          {"contract_violations", {{"total", total}, {"by_type", violations}, {"examples", violation_examples_}}}};
}

}  // namespace estate::hosts::live

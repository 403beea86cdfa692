#include "hosts/live/live_estate.h"

#include <sys/resource.h>

#include <cctype>
#include <cmath>
#include <random>
#include <atomic>
#include <future>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "hosts/live/live_host.h"
#include "sim/assert.h"

namespace estate::hosts::live {
using OJson = nlohmann::ordered_json;
using sim::Tick;

namespace {

std::string env_name(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_';
  return out;
}

// Where to connect to reach a server listening on `address` from this machine.
std::string connect_host(const std::string& address) {
  if (address == "0.0.0.0") return "127.0.0.1";
  if (address == "::") return "::1";
  return address;
}

std::string url_host(const std::string& host) { return host.find(':') != std::string::npos ? "[" + host + "]" : host; }

// Tries a TCP connection to the endpoint for up to `timeout_s`; empty when it succeeds.
std::string reach(const Endpoint& ep, double timeout_s) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  boost::system::error_code result = asio::error::timed_out;
  try {
    asio::ip::tcp::resolver resolver(io);
    const auto addresses = resolver.resolve(ep.host, std::to_string(ep.port));
    socket.async_connect(*addresses.begin(), [&](boost::system::error_code ec) { result = ec; });
    io.run_for(std::chrono::microseconds(static_cast<std::int64_t>(timeout_s * 1e6)));
  } catch (const boost::system::system_error& e) {
    return e.code().message();
  }
  return result ? result.message() : "";
}

// One service: an io_context, its host, and (once started) the thread that runs it.
struct Service {
  asio::io_context io;
  std::unique_ptr<LiveHost> host;
  std::uint16_t port = 0;
  std::thread thread;
  std::thread::id id;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;

  // Runs f on the service's thread and waits for it (directly when called from that thread,
  // or when it is not running).
  template <class F>
  auto on(F&& f) -> decltype(f()) {
    if (!thread.joinable() || std::this_thread::get_id() == id) return f();
    std::packaged_task<decltype(f())()> task(std::forward<F>(f));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
  }
  void run() {
    guard.emplace(io.get_executor());
    std::promise<void> started;
    thread = std::thread([this, &started] {
      id = std::this_thread::get_id();
      started.set_value();
      io.run();
    });
    started.get_future().wait();
  }
  void stop() {
    if (!thread.joinable()) {
      if (host) host->stop();
      return;
    }
    on([this] { host->stop(); });
    guard.reset();
    io.stop();
    thread.join();
  }
};

}  // namespace

// Both services run on their own threads: the harness's own work (sampling, checking for
// quiescence) never holds up the mocks or the pipeline, which matters when a second of wall
// time is minutes of scenario time.
struct LiveEstate::Impl {
  Impl(const wire::Roster& r, model::OrderBook& truth, model::OrderBook* pbook, ObserverRelay* rel, model::Observer& obs,
       LiveOptions o)
      : roster(r), truth_book(truth), pipeline_book(pbook), relay(rel), observer(obs), options(std::move(o)),
        clock(options.time_scale), signals(a.io) {}

  const wire::Roster& roster;
  model::OrderBook& truth_book;
  model::OrderBook* pipeline_book;
  ObserverRelay* relay;
  model::Observer& observer;
  LiveOptions options;
  LiveClock clock;
  Service a;  // the mocks
  Service b;  // the embedded pipeline

  Endpoint pipeline;  // foreign
  asio::signal_set signals;
  std::atomic<bool> interrupted{false};
  bool finished = false;
  model::Address next_address = 0;
  Tick reached = 0;
  // Ids on the wire start at a random base (one of wire::Codec::kIdBases), so a pipeline that
  // keeps its state between runs (a gate's scenarios) meets an old id only by a rare chance.
  std::uint64_t id_base = (std::random_device{}() % (wire::Codec::kIdBases - 1) + 1) * wire::Codec::kIdSpan;
  Tick drain_from = 0;  // when the demand ends (the drain's time scale applies from there)
  Tick end_tick = 0;
  AdminHandler admin;
  std::chrono::steady_clock::time_point wall_start;
  double wall_s = 0;

  bool embedded() const { return !options.pipeline_url.has_value() && !options.no_pipeline; }
  void drain() {  // on the mocks' thread
    if (relay) relay->drain(observer);
  }
  LiveHost::Options host_options(wire::Side side) const {
    LiveHost::Options h;
    h.side = side;
    h.seed = options.seed;
    h.plays_network = side == wire::Side::estate;
    h.boundary_versions = side == wire::Side::estate && !embedded();
    h.limits.header_bytes = options.header_bytes;
    h.limits.body_bytes = options.body_bytes;
    h.limits.connections = options.connections;
    h.limits.idle_s = options.idle_s;
    h.answer_timeout = sim::from_seconds(options.client_timeout_s);
    h.client.connections_per_endpoint = 512;
    h.id_base = id_base;
    return h;
  }
  bool admin_route(const HttpServer::Request& r, wire::Response& out);
  // Waits on this (the harness's) thread until the wall clock reaches `until` or the run is
  // interrupted, waking often enough to notice a signal.
  void wait_until(std::chrono::steady_clock::time_point until) {
    while (!interrupted.load()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= until) return;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(20)));
    }
  }
};

LiveEstate::LiveEstate(const wire::Roster& roster, model::OrderBook& truth, model::OrderBook* pipeline_book, ObserverRelay* relay,
                       model::Observer& observer, LiveOptions options)
    : impl_(std::make_unique<Impl>(roster, truth, pipeline_book, relay, observer, std::move(options))) {
  Impl& m = *impl_;
  // Every connection is a descriptor: take what the hard limit allows (often 1024 by default).
  if (rlimit r{}; ::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
  m.a.host = std::make_unique<LiveHost>(m.a.io, m.clock, roster, truth, m.host_options(wire::Side::estate));
  try {
    m.a.port = m.a.host->listen(m.options.address, m.options.port);
  } catch (const std::exception& e) {
    throw StartError{"cannot listen on " + url_host(m.options.address) + ":" + std::to_string(m.options.port) + ": " + e.what() +
                     (m.options.port != 0 ? " (choose another --port, or 0 for any free one)" : "")};
  }
  m.a.host->set_route([this](const HttpServer::Request& r, wire::Response& out) { return impl_->admin_route(r, out); });
  m.a.host->set_before_handling([this] { impl_->drain(); });
  if (m.embedded()) {
    ESTATE_ASSERT(pipeline_book != nullptr && relay != nullptr, "live estate: the embedded pipeline needs its book and relay");
    m.b.host = std::make_unique<LiveHost>(m.b.io, m.clock, roster, *pipeline_book, m.host_options(wire::Side::pipeline));
    m.b.port = m.b.host->listen("127.0.0.1", 0);
    LiveHost* b = m.b.host.get();
    const std::uint64_t base = m.id_base;
    relay->set_order_map([b, base](model::OrderId local) { return static_cast<model::OrderId>(b->codec().wire_order(local) - base - 1); });
  } else if (m.options.pipeline_url) {
    std::string error;
    if (!parse_url(*m.options.pipeline_url, m.pipeline, error)) throw StartError{"--pipeline: " + error};
    const std::string why = reach(m.pipeline, 3.0);
    if (!why.empty())
      throw StartError{"cannot reach the pipeline at " + *m.options.pipeline_url + ": " + why +
                       " (start it first, or leave out --pipeline to test the embedded reference pipeline)"};
    m.a.host->set_observer(&observer);
  }
  if (m.options.handle_signals) {
    m.signals.add(SIGINT);
    m.signals.add(SIGTERM);
    m.signals.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) impl_->interrupted = true;
    });
  }
}

LiveEstate::~LiveEstate() { finish(); }

bool LiveEstate::foreign() const { return impl_->options.pipeline_url.has_value(); }
std::uint64_t LiveEstate::id_base() const { return impl_->id_base; }
Tick LiveEstate::end_tick() const { return impl_->end_tick; }
Tick LiveEstate::clock_now() const { return impl_->clock.now(); }
bool LiveEstate::interrupted() const { return impl_->interrupted.load(); }
void LiveEstate::set_admin(AdminHandler handler) { impl_->admin = std::move(handler); }
void LiveEstate::set_drain_start(Tick t) { impl_->drain_from = t; }

bool LiveEstate::Impl::admin_route(const HttpServer::Request& r, wire::Response& out) {
  constexpr std::string_view prefix = "/_estate";
  std::string_view path = r.target.substr(0, r.target.find('?'));
  if (path.substr(0, prefix.size()) != prefix || (path.size() > prefix.size() && path[prefix.size()] != '/')) return false;
  if (!options.admin_token.empty() && r.authorization != "Bearer " + options.admin_token) {
    out = {401, wire::problem_json({401, "unauthorized", "Unauthorized", "the admin API needs Authorization: Bearer <token> (see endpoints.env)", {}}), true, -1, {}};
    return true;
  }
  if (!admin) {
    out = {404, wire::problem_json({404, "no-such-endpoint", "No such endpoint", "no admin API here", {}}), true, -1, {}};
    return true;
  }
  const AdminReply reply = admin(r.method, path.substr(prefix.size()), r.body);
  out = {reply.status, reply.body, reply.status >= 400, -1, {}};
  return true;
}

model::Address LiveEstate::add(model::Component* component, const std::string& name) {
  Impl& m = *impl_;
  const model::Address addr = m.next_address++;
  if (addr != m.roster.pipeline()) {
    ESTATE_ASSERT(component != nullptr, "live estate: every mock is a component");
    m.a.host->add(addr, component, name);
    if (m.b.host) m.b.host->set_remote(addr, {connect_host(m.options.address), m.a.port, ""});
    return addr;
  }
  if (m.embedded()) {
    ESTATE_ASSERT(component != nullptr, "live estate: the embedded pipeline is a component");
    m.b.host->add(addr, component, name);
    m.a.host->set_remote(addr, {"127.0.0.1", m.b.port, ""});
  } else if (m.options.pipeline_url) {
    m.a.host->set_remote(addr, m.pipeline);
  }
  return addr;
}

void LiveEstate::link(model::Address from, model::Address to, sim::LinkConfig config) { impl_->a.host->set_link(from, to, config.latency_s); }

void LiveEstate::start() {
  Impl& m = *impl_;
  m.clock.start();
  m.wall_start = std::chrono::steady_clock::now();
  if (m.b.host) {
    m.b.run();
    m.b.on([&m] { m.b.host->start(); });
  }
  m.a.run();
  m.a.on([&m] { m.a.host->start(); });
}

void LiveEstate::at(Tick t, std::function<void()> action) {
  Impl& m = *impl_;
  m.a.on([&m, t, &action] { m.a.host->at(t, std::move(action)); });
}

void LiveEstate::as(model::Address addr, const std::function<void(model::Context&)>& f) {
  Impl& m = *impl_;
  if (addr == m.roster.pipeline()) {
    if (m.b.host) m.b.on([&m, addr, &f] { m.b.host->as(addr, f); });
    return;  // a foreign pipeline has no control surface of ours
  }
  m.a.on([&m, addr, &f] { m.a.host->as(addr, f); });
}

void LiveEstate::read_state(const std::function<void()>& f) {
  Impl& m = *impl_;
  m.a.on([&m, &f] {
    m.drain();
    f();
  });
}

void LiveEstate::inject(model::Address to, const model::Msg& msg) {
  Impl& m = *impl_;
  if (to == m.roster.pipeline()) {
    if (m.b.host) m.b.on([&m, to, msg] { m.b.host->inject(to, msg); });
    return;
  }
  m.a.on([&m, to, msg] { m.a.host->inject(to, msg); });
}

hosts::Host::Stop LiveEstate::run_until(Tick t) {
  Impl& m = *impl_;
  if (m.options.drain_time_scale > 0 && m.options.drain_time_scale != m.clock.scale() && m.drain_from > 0 && m.reached >= m.drain_from &&
      m.clock.now() < t) {
    m.clock.rescale(std::max(m.clock.now(), m.reached), m.options.drain_time_scale);
    m.a.on([&m] { m.a.host->rearm(); });
    if (m.b.host) m.b.on([&m] { m.b.host->rearm(); });
  }
  while (!m.interrupted.load() && m.clock.now() < t) m.wait_until(m.clock.wall(t));
  m.reached = std::max(m.reached, t);
  return m.interrupted.load() ? Stop::interrupted : Stop::reached;
}

Tick LiveEstate::now() const { return impl_->reached; }

bool LiveEstate::quiescent() {
  Impl& m = *impl_;
  const bool mocks = m.a.on([&m] {
    m.drain();
    return m.a.host->quiescent();
  });
  if (!mocks) return false;
  if (m.b.host) return m.b.on([&m] { return m.b.host->quiescent(); });
  // A foreign pipeline's state is its own: take it as settled once it has been quiet a while.
  const double quiet_ticks = m.options.quiet_s * m.clock.scale() * 1e6;
  const Tick last = m.a.on([&m] { return m.a.host->last_inbound(); });
  return static_cast<double>(m.clock.now() - last) > quiet_ticks;
}

std::vector<std::string> LiveEstate::busy() {
  Impl& m = *impl_;
  std::vector<std::string> out = m.a.on([&m] { return m.a.host->busy(); });
  if (m.b.host) {
    for (auto& s : m.b.on([&m] { return m.b.host->busy(); })) out.push_back("pipeline service: " + s);
  } else if (m.options.pipeline_url &&
             static_cast<double>(m.clock.now() - m.a.on([&m] { return m.a.host->last_inbound(); })) <= m.options.quiet_s * m.clock.scale() * 1e6) {
    out.push_back("the pipeline (still sending)");
  }
  return out;
}

std::uint64_t LiveEstate::events() const {
  Impl& m = *impl_;
  return m.a.on([&m] { return m.a.host->events(); }) + (m.b.host ? m.b.on([&m] { return m.b.host->events(); }) : 0);
}

void LiveEstate::serve(double for_s) {
  Impl& m = *impl_;
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<std::int64_t>(for_s * 1e6));
  while (!m.interrupted.load() && (for_s <= 0 || std::chrono::steady_clock::now() < until))
    m.wait_until(for_s > 0 ? until : std::chrono::steady_clock::now() + std::chrono::seconds(1));
}

void LiveEstate::finish() {
  Impl& m = *impl_;
  if (m.finished) return;
  m.finished = true;
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - m.wall_start).count();
  m.b.stop();
  m.a.on([&m] {
    boost::system::error_code ignored;
    m.signals.cancel(ignored);
  });
  m.a.stop();
  m.end_tick = m.clock.now();  // no component runs after this
  m.drain();
}

std::vector<std::pair<std::string, std::string>> LiveEstate::endpoints() const {
  const Impl& m = *impl_;
  const std::string base = "http://" + url_host(connect_host(m.options.address)) + ":" + std::to_string(m.a.port);
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("ESTATE_ERP_URL", base + m.roster.prefix(m.roster.erp()));
  for (std::size_t l = 0; l < m.roster.locations.size(); ++l)
    out.emplace_back(std::string("ESTATE_") + (m.roster.third_party[l] ? "3PL_" : "WMS_") + env_name(m.roster.locations[l]) + "_URL",
                     base + m.roster.prefix(m.roster.location(l)));
  for (std::size_t c = 0; c < m.roster.channels.size(); ++c)
    out.emplace_back("ESTATE_CHANNEL_" + env_name(m.roster.channels[c]) + "_URL", base + m.roster.prefix(m.roster.channel(c)));
  if (m.embedded()) out.emplace_back("ESTATE_PIPELINE_URL", "http://127.0.0.1:" + std::to_string(m.b.port));
  else if (m.options.pipeline_url) out.emplace_back("ESTATE_PIPELINE_URL", *m.options.pipeline_url);
  out.emplace_back("ESTATE_ADMIN_URL", base + "/_estate");
  if (!m.options.admin_token.empty()) out.emplace_back("ESTATE_ADMIN_TOKEN", m.options.admin_token);
  std::string scale = std::to_string(m.options.time_scale);
  scale.erase(scale.find_last_not_of('0') + 1);
  if (!scale.empty() && scale.back() == '.') scale.pop_back();
  out.emplace_back("ESTATE_TIME_SCALE", scale);
  if (m.options.drain_time_scale > 0) {
    std::string drain = std::to_string(m.options.drain_time_scale);
    drain.erase(drain.find_last_not_of('0') + 1);
    if (!drain.empty() && drain.back() == '.') drain.pop_back();
    out.emplace_back("ESTATE_DRAIN_TIME_SCALE", drain);
  }
  return out;
}

OJson LiveEstate::report_json() const {
  const Impl& m = *impl_;
  OJson endpoints = OJson::object();
  for (const auto& [k, v] : this->endpoints())
    if (k != "ESTATE_ADMIN_TOKEN") endpoints[k] = v;
  OJson out = {{"mode", "live"},
               {"pipeline", m.embedded() ? std::string("embedded") : m.options.pipeline_url.value_or("none")},
               {"time_scale", m.options.time_scale},
               {"drain_time_scale", m.options.drain_time_scale > 0 ? m.options.drain_time_scale : m.options.time_scale},
               {"wall_s", std::round(m.wall_s * 1000) / 1000},
               {"interrupted", m.interrupted.load()},
               {"endpoints", endpoints},
               {"estate_side", m.a.host->stats_json()}};
  if (m.b.host) out["pipeline_side"] = m.b.host->stats_json();
  if (!m.embedded())
    out["not_observed"] = "a foreign pipeline's internals: its retries, dead letters, duplicates dropped and recovery times "
                          "(zero or null in this report). inventory_to_channel runs from when a change happened at the "
                          "warehouse until every channel has received a figure sent after the pipeline acknowledged the "
                          "event or file that reported it";
  return out;
}

}  // namespace estate::hosts::live

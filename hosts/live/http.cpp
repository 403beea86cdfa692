#include "hosts/live/http.h"

#include <charconv>
#include <chrono>
#include <optional>
#include <unordered_map>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "sim/assert.h"

namespace estate::hosts::live {
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

wire::Method method_of(http::verb v) {
  switch (v) {
    case http::verb::get:
    case http::verb::head: return wire::Method::get;  // answered like GET, without the body
    case http::verb::post: return wire::Method::post;
    case http::verb::put: return wire::Method::put;
    default: return wire::Method::other;
  }
}

std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

constexpr std::chrono::milliseconds kSweep{100};

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// The messages are small and their headers few, so they are written as bytes directly: a
// serializer with a field table per message costs more than the socket call on a hot loop.
void serialize_response(std::string& out, const wire::Response& r, bool keep_alive, bool head) {
  out.clear();
  out += "HTTP/1.1 ";
  append_number(out, r.status);
  out += ' ';
  const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: estate\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  if (!r.body.empty()) out += r.problem ? "Content-Type: application/problem+json\r\n" : "Content-Type: application/json\r\n";
  if (!r.allow.empty()) {
    out += "Allow: ";
    out += r.allow;
    out += "\r\n";
  }
  if (r.retry_after_ms >= 0) {
    out += "Retry-After: ";
    append_number(out, static_cast<std::uint64_t>((r.retry_after_ms + 999) / 1000));
    out += "\r\n";
  }
  if (r.status != 204 && r.status >= 200) {
    out += "Content-Length: ";
    append_number(out, r.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  if (r.status != 204 && !head) out += r.body;  // HEAD: the headers a GET would have, no body
}

void serialize_request(std::string& out, const wire::Request& r, const std::string& base_path, const std::string& host) {
  out.clear();
  out += wire::method_name(r.method);
  out += ' ';
  out += base_path;
  out += r.target;
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out += "\r\nUser-Agent: estate\r\n";
  if (!r.idempotency_key.empty()) {
    out += "Idempotency-Key: ";
    out += r.idempotency_key;
    out += "\r\n";
  }
  if (!r.body.empty()) out += "Content-Type: application/json\r\n";
  if (!r.body.empty() || r.method != wire::Method::get) {
    out += "Content-Length: ";
    append_number(out, r.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += r.body;
}

}  // namespace

// ============================================================================== the server

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  struct Session;
  Impl(asio::io_context& context, Limits l, Handler h) : io(context), limits(l), handler(std::move(h)), sweep(context) {}

  asio::io_context& io;
  Limits limits;
  Handler handler;
  std::function<void(const Exchange&)> on_abandoned;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::unordered_map<std::uint64_t, std::shared_ptr<Session>> sessions;
  std::uint64_t next_session = 1;
  std::size_t pending = 0;
  ServerStats stats;
  asio::steady_timer sweep;
  bool sweeping = false;
  bool stopped = false;

  void accept(tcp::acceptor& acceptor);
  void start_sweep();
  void on_sweep();
  void close(std::uint64_t id);
};

struct HttpServer::Impl::Session : std::enable_shared_from_this<Session> {
  Session(std::shared_ptr<Impl> server, tcp::socket s, std::uint64_t session_id)
      : owner(std::move(server)), socket(std::move(s)), id(session_id), last(Clock::now()) {}

  std::shared_ptr<Impl> owner;
  tcp::socket socket;
  std::uint64_t id;
  beast::flat_buffer buffer;
  std::optional<http::request_parser<http::string_body>> parser;
  std::string out;
  std::uint64_t request_seq = 0;
  bool waiting = false;  // a request is waiting for its answer
  bool keep_alive = true;
  bool head = false;
  bool closed = false;
  Clock::time_point last;  // the start of the current read, or of the wait for an answer

  void read() {
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(owner->limits.header_bytes));
    parser->body_limit(owner->limits.body_bytes);
    last = Clock::now();
    http::async_read(socket, buffer, *parser, [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (closed || owner->stopped) return;
    if (ec) {
      if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == http::error::partial_message) {
        owner->close(id);
        return;
      }
      // Not HTTP/1.1 a parser accepts: answer 400 (413 or 431 over a limit) and close.
      wire::Problem p{400, "malformed-request", "Malformed request", "not a valid HTTP/1.1 request: " + ec.message(), {}};
      if (ec == http::error::body_limit) {
        p = {413, "body-too-large", "Content too large", "the body is over " + std::to_string(owner->limits.body_bytes) + " bytes", {}};
        ++owner->stats.too_large;
      } else if (ec == http::error::header_limit) {
        p = {431, "header-too-large", "Request header fields too large",
             "the header is over " + std::to_string(owner->limits.header_bytes) + " bytes", {}};
        ++owner->stats.too_large;
      } else {
        ++owner->stats.malformed;
      }
      keep_alive = false;
      waiting = true;
      ++owner->pending;
      answer({p.status, wire::problem_json(p), true, -1, {}});
      return;
    }
    auto& req = parser->get();
    ++owner->stats.requests;
    keep_alive = req.keep_alive();
    head = req.method() == http::verb::head;
    ++request_seq;
    waiting = true;
    ++owner->pending;
    last = Clock::now();
    if (owner->pending > owner->limits.pending_requests) {  // a flood: shed it here
      ++owner->stats.shed;
      const wire::Problem p{429, "overloaded", "Too many requests",
                            "more than " + std::to_string(owner->limits.pending_requests) + " requests are waiting for an answer", {}};
      answer({429, wire::problem_json(p), true, 1000, {}});
      return;
    }
    const Request r{method_of(req.method()),         view(req.target()),  view(req["Idempotency-Key"]),
                    view(req[http::field::authorization]), req.body(), {id, request_seq}};
    owner->handler(r);
  }

  void answer(const wire::Response& response) {
    waiting = false;
    --owner->pending;
    ++owner->stats.by_status_class[std::min<std::size_t>(response.status / 100, 5)];
    serialize_response(out, response, keep_alive, head);
    asio::async_write(socket, asio::buffer(out), [self = shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(error_code ec) {
    if (closed || owner->stopped) return;
    if (ec || !keep_alive) {
      error_code ignored;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      owner->close(id);
      return;
    }
    read();
  }
};

void HttpServer::Impl::accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([self = shared_from_this(), &acceptor](error_code ec, tcp::socket socket) {
    if (self->stopped) return;
    if (!ec) {
      if (self->sessions.size() >= self->limits.connections) {
        ++self->stats.connections_refused;
        error_code ignored;
        socket.close(ignored);
      } else {
        ++self->stats.connections;
        socket.set_option(tcp::no_delay(true), ec);
        const std::uint64_t id = self->next_session++;
        auto session = std::make_shared<Session>(self, std::move(socket), id);
        self->sessions.emplace(id, session);
        session->read();
      }
    }
    self->accept(acceptor);
  });
}

void HttpServer::Impl::close(std::uint64_t id) {
  auto it = sessions.find(id);
  if (it == sessions.end()) return;
  Session& s = *it->second;
  s.closed = true;
  if (s.waiting) {
    --pending;
    s.waiting = false;
    if (on_abandoned) on_abandoned({id, s.request_seq});
  }
  error_code ignored;
  s.socket.close(ignored);
  sessions.erase(it);
}

void HttpServer::Impl::start_sweep() {
  if (sweeping || stopped) return;
  sweeping = true;
  sweep.expires_after(kSweep);
  sweep.async_wait([self = shared_from_this()](error_code ec) {
    self->sweeping = false;
    if (!ec && !self->stopped) self->on_sweep();
  });
}

void HttpServer::Impl::on_sweep() {
  std::vector<std::uint64_t> doomed;
  for (const auto& [id, s] : sessions) {
    const double age = seconds_since(s->last);
    if (s->waiting && age > limits.pending_s) {
      ++stats.closed_pending;
      doomed.push_back(id);
    } else if (!s->waiting && age > limits.idle_s) {
      ++stats.closed_idle;
      doomed.push_back(id);
    }
  }
  for (auto id : doomed) close(id);
  start_sweep();
}

HttpServer::HttpServer(asio::io_context& io, Limits limits, Handler handler)
    : impl_(std::make_shared<Impl>(io, limits, std::move(handler))) {}

HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::listen(const std::string& address, std::uint16_t port) {
  const tcp::endpoint ep(asio::ip::make_address(address), port);
  auto acceptor = std::make_unique<tcp::acceptor>(impl_->io);
  acceptor->open(ep.protocol());
  acceptor->set_option(asio::socket_base::reuse_address(true));
  acceptor->bind(ep);  // throws system_error: address in use, not ours
  acceptor->listen(asio::socket_base::max_listen_connections);
  const std::uint16_t bound = acceptor->local_endpoint().port();
  impl_->acceptors.push_back(std::move(acceptor));
  impl_->accept(*impl_->acceptors.back());
  impl_->start_sweep();
  return bound;
}

void HttpServer::reply(const Exchange& to, const wire::Response& response) {
  auto it = impl_->sessions.find(to.session);
  if (it == impl_->sessions.end()) return;  // the caller hung up
  Impl::Session& s = *it->second;
  if (!s.waiting || s.request_seq != to.request) return;
  s.answer(response);
}

void HttpServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  error_code ignored;
  for (auto& a : impl_->acceptors) a->close(ignored);
  for (auto& [id, s] : impl_->sessions) {
    s->closed = true;
    s->socket.close(ignored);
  }
  impl_->sessions.clear();
  impl_->sweep.cancel();
  impl_->pending = 0;
}

void HttpServer::on_abandoned(std::function<void(const Exchange&)> f) { impl_->on_abandoned = std::move(f); }
const ServerStats& HttpServer::stats() const { return impl_->stats; }
std::size_t HttpServer::open_connections() const { return impl_->sessions.size(); }
std::size_t HttpServer::pending() const { return impl_->pending; }

// ============================================================================== the client

std::string Endpoint::url() const { return "http://" + host + ":" + std::to_string(port) + base_path; }

bool parse_url(std::string_view url, Endpoint& out, std::string& error) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) {
    error = url.substr(0, 8) == "https://" ? "https is not supported; use http:// (a TLS-terminating proxy can sit in front)"
                                           : "expected a URL like http://127.0.0.1:9000";
    return false;
  }
  std::string_view rest = url.substr(scheme.size());
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::string_view host = authority, port_text;
  if (!authority.empty() && authority.front() == '[') {  // [::1]:9000
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "an IPv6 address must be closed with ']'";
      return false;
    }
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port_text = authority.substr(close + 2);
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (host.empty()) {
    error = "the URL has no host";
    return false;
  }
  unsigned port = 80;
  if (!port_text.empty()) {
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      error = "expected a port from 1 to 65535, got \"" + std::string(port_text) + "\"";
      return false;
    }
  }
  out = {std::string(host), static_cast<std::uint16_t>(port), std::string(path)};
  return true;
}

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  struct Conn;
  struct Pending {
    wire::Request request;
    Callback done;
    Written written;
    double timeout_s = 0;
    bool retried = false;  // already sent once on a keep-alive connection the server had closed
  };
  struct Pool {
    Endpoint endpoint;
    tcp::endpoint address;
    std::string host_header;
    std::vector<std::shared_ptr<Conn>> conns;
    std::vector<Conn*> idle;
    std::deque<Pending> queue;
  };

  Impl(asio::io_context& context, Options o) : io(context), options(o), sweep(context) {}
  asio::io_context& io;
  Options options;
  std::vector<Pool> pools;
  ClientStats stats;
  std::size_t in_flight = 0;
  asio::steady_timer sweep;
  bool sweeping = false;
  bool stopped = false;

  void dispatch(std::size_t pool);
  void start_sweep();
  void finish(Conn& c, ClientResult&& result);
};

struct HttpClient::Impl::Conn : std::enable_shared_from_this<Conn> {
  Conn(std::shared_ptr<Impl> client, std::size_t pool_index) : owner(std::move(client)), pool(pool_index), socket(owner->io) {}
  std::shared_ptr<Impl> owner;
  std::size_t pool;
  tcp::socket socket;
  bool connected = false;
  bool busy = false;
  bool dead = false;
  bool timed_out = false;
  bool reused = false;  // the current request went out on a connection used before
  std::size_t served = 0;
  beast::flat_buffer buffer;
  std::string out;  // the request, as written
  std::optional<http::response_parser<http::string_body>> parser;
  Pending current;
  Clock::time_point deadline;

  void start(Pending&& p) {
    busy = true;
    current = std::move(p);
    reused = served > 0;
    serialize_request(out, current.request, owner->pools[pool].endpoint.base_path, owner->pools[pool].host_header);
    const double timeout = current.timeout_s > 0 ? current.timeout_s : owner->options.timeout_s;
    deadline = Clock::now() + std::chrono::microseconds(static_cast<std::int64_t>(timeout * 1e6));
    if (!connected) {
      ++owner->stats.connections_opened;
      socket.async_connect(owner->pools[pool].address, [self = shared_from_this()](error_code ec) { self->on_connect(ec); });
      return;
    }
    write();
  }

  void on_connect(error_code ec) {
    if (owner->stopped) return;
    if (ec && timed_out) {
      dead = true;
      ++owner->stats.timeouts;
      owner->finish(*this, {ClientResult::Error::timeout, 0, -1, "no connection within the timeout"});
      return;
    }
    if (ec) {
      ++owner->stats.connect_errors;
      dead = true;
      owner->finish(*this, {ClientResult::Error::connect, 0, -1, ec.message()});
      return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    connected = true;
    write();
  }

  void write() {
    asio::async_write(socket, asio::buffer(out), [self = shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
    if (current.written) current.written();
  }

  void on_write(error_code ec) {
    if (owner->stopped) return;
    if (ec) return fail(ec);
    parser.emplace();
    parser->body_limit(owner->options.body_bytes);
    http::async_read(socket, buffer, *parser, [self = shared_from_this()](error_code e, std::size_t) { self->on_read(e); });
  }

  void on_read(error_code ec) {
    if (owner->stopped) return;
    if (ec) return fail(ec);
    auto& res = parser->get();
    ClientResult r;
    r.status = static_cast<std::uint16_t>(res.result_int());
    const auto ra = res[http::field::retry_after];
    if (!ra.empty()) {
      std::int64_t v = 0;
      const auto [end, e] = std::from_chars(ra.data(), ra.data() + ra.size(), v);
      if (e == std::errc() && end == ra.data() + ra.size() && v >= 0) r.retry_after_s = v;
    }
    r.body = std::move(res.body());
    ++served;
    if (!res.keep_alive()) dead = true;
    owner->finish(*this, std::move(r));
  }

  void fail(error_code ec) {
    dead = true;
    error_code ignored;
    socket.close(ignored);
    if (timed_out) {
      ++owner->stats.timeouts;
      owner->finish(*this, {ClientResult::Error::timeout, 0, -1, "no answer within the timeout"});
      return;
    }
    // A keep-alive connection the server closed while we sent: send once more on a new one.
    if (reused && !current.retried &&
        (ec == http::error::end_of_stream || ec == asio::error::connection_reset || ec == asio::error::eof ||
         ec == asio::error::broken_pipe)) {
      current.retried = true;
      owner->finish(*this, {ClientResult::Error::stopped, 0, -1, "retry"});
      return;
    }
    ++owner->stats.io_errors;
    const bool garbled = ec.category() == boost::beast::http::make_error_code(http::error::bad_target).category();
    owner->finish(*this, {garbled ? ClientResult::Error::malformed : ClientResult::Error::io, 0, -1, ec.message()});
  }
};

void HttpClient::Impl::finish(Conn& c, ClientResult&& result) {
  Pending p = std::move(c.current);
  c.current = {};
  c.busy = false;
  Pool& pool = pools[c.pool];
  const std::size_t pool_index = c.pool;
  if (c.dead) {
    for (std::size_t i = 0; i < pool.conns.size(); ++i)
      if (pool.conns[i].get() == &c) {
        pool.conns[i] = std::move(pool.conns.back());
        pool.conns.pop_back();
        break;
      }
  } else {
    pool.idle.push_back(&c);
  }
  if (result.error == ClientResult::Error::stopped && p.retried) {  // the one retry on a fresh connection
    pool.queue.push_front(std::move(p));
    dispatch(pool_index);
    return;
  }
  --in_flight;
  ++stats.completed;
  dispatch(pool_index);
  if (p.done) p.done(std::move(result));
}

void HttpClient::Impl::dispatch(std::size_t index) {
  Pool& pool = pools[index];
  while (!pool.queue.empty()) {
    Conn* c = nullptr;
    if (!pool.idle.empty()) {
      c = pool.idle.back();
      pool.idle.pop_back();
    } else if (pool.conns.size() < options.connections_per_endpoint) {
      pool.conns.push_back(std::make_shared<Conn>(shared_from_this(), index));
      c = pool.conns.back().get();
    } else {
      return;
    }
    Pending p = std::move(pool.queue.front());
    pool.queue.pop_front();
    c->start(std::move(p));
  }
}

void HttpClient::Impl::start_sweep() {
  if (sweeping || stopped) return;
  sweeping = true;
  sweep.expires_after(kSweep);
  sweep.async_wait([self = shared_from_this()](error_code ec) {
    self->sweeping = false;
    if (ec || self->stopped) return;
    const auto now = Clock::now();
    for (auto& pool : self->pools)
      for (auto& c : pool.conns)
        if (c->busy && !c->timed_out && now > c->deadline) {
          c->timed_out = true;
          error_code ignored;
          c->socket.close(ignored);  // the pending operation completes with an error: a timeout
        }
    if (self->in_flight > 0) self->start_sweep();
  });
}

HttpClient::HttpClient(asio::io_context& io, Options options) : impl_(std::make_shared<Impl>(io, options)) {}
HttpClient::~HttpClient() { stop(); }

std::size_t HttpClient::add_endpoint(const Endpoint& endpoint) {
  tcp::resolver resolver(impl_->io);
  const auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port));  // throws system_error
  Impl::Pool pool;
  pool.endpoint = endpoint;
  pool.address = *results.begin();
  pool.host_header = endpoint.host + ":" + std::to_string(endpoint.port);
  impl_->pools.push_back(std::move(pool));
  return impl_->pools.size() - 1;
}

void HttpClient::send(std::size_t endpoint, wire::Request request, Callback done, Written written, double timeout_s) {
  ESTATE_ASSERT(endpoint < impl_->pools.size(), "http client: unknown endpoint");
  if (impl_->stopped) return;
  ++impl_->in_flight;
  ++impl_->stats.sent;
  auto& pool = impl_->pools[endpoint];
  pool.queue.push_back({std::move(request), std::move(done), std::move(written), timeout_s, false});
  impl_->stats.peak_queued = std::max<std::uint64_t>(impl_->stats.peak_queued, pool.queue.size());
  impl_->dispatch(endpoint);
  impl_->start_sweep();
}

void HttpClient::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  error_code ignored;
  for (auto& pool : impl_->pools) {
    for (auto& c : pool.conns) c->socket.close(ignored);
    pool.conns.clear();
    pool.idle.clear();
    pool.queue.clear();
  }
  impl_->sweep.cancel();
}

std::size_t HttpClient::in_flight() const { return impl_->in_flight; }
const ClientStats& HttpClient::stats() const { return impl_->stats; }

}  // namespace estate::hosts::live

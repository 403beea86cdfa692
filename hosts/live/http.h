#pragma once
// HTTP/1.1 with keep-alive on Boost.Asio and Boost.Beast: a server that hands each request to
// a handler and lets it answer later (a mock ERP answers when its service time is over), and
// a client with a bounded pool of keep-alive connections per endpoint. Both hold explicit
// limits at the edge: header and body size, connections, idle time, time to wait for an
// answer. Internal to hosts/live: the rest of estate never sees Asio or Beast.
#include <utility>  // before Asio: some Asio headers use std::exchange without including it

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "wire/codec.h"

namespace estate::hosts::live {

namespace asio = boost::asio;

struct Limits {
  std::size_t header_bytes = 16 * 1024;
  std::size_t body_bytes = 64u << 20;  // a 945 covering an hour of a busy 3PL is megabytes
  std::size_t connections = 8192;
  double idle_s = 60;      // a connection with no request in progress is closed after this
  double pending_s = 900;  // a request left unanswered (a blackhole) this long closes its connection
  std::size_t pending_requests = 50'000;  // beyond this many unanswered requests: 429 (a flood)
};

// Where a server's answer goes: the session and the request on it.
struct Exchange {
  std::uint64_t session = 0;
  std::uint64_t request = 0;
};

struct ServerStats {
  std::uint64_t connections = 0;          // accepted
  std::uint64_t connections_refused = 0;  // beyond the connection limit
  std::uint64_t requests = 0;
  std::uint64_t malformed = 0;            // not HTTP/1.1 a parser accepts: 400, connection closed
  std::uint64_t too_large = 0;            // header or body over the limit: 431 or 413
  std::uint64_t shed = 0;                 // refused with 429: too many requests waiting at once
  std::uint64_t closed_idle = 0;
  std::uint64_t closed_pending = 0;       // answers that never came (blackholes, stuck handlers)
  std::uint64_t by_status_class[6] = {0, 0, 0, 0, 0, 0};  // [status / 100]
};

class HttpServer {
 public:
  struct Request {
    wire::Method method;
    std::string_view target;
    std::string_view idempotency_key;
    std::string_view authorization;
    std::string_view body;
    Exchange exchange;
  };
  // Called once per request; it answers with reply(request.exchange, ...) now or later (or
  // never: the connection is then closed after Limits::pending_s).
  using Handler = std::function<void(const Request&)>;

  HttpServer(asio::io_context& io, Limits limits, Handler handler);
  ~HttpServer();
  // Listens on address:port (port 0: any free port); returns the port. Throws
  // std::system_error when the address cannot be bound (a port in use).
  std::uint16_t listen(const std::string& address, std::uint16_t port);
  void reply(const Exchange& to, const wire::Response& response);
  // Called when a connection closes with a request still waiting for its answer.
  void on_abandoned(std::function<void(const Exchange&)> f);
  void stop();
  const ServerStats& stats() const;
  std::size_t open_connections() const;
  std::size_t pending() const;  // requests waiting for their answer

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string base_path;  // without a trailing '/'
  std::string url() const;
};
// Parses "http://host:port[/base]"; on failure returns false with `error` saying why.
bool parse_url(std::string_view url, Endpoint& out, std::string& error);

struct ClientResult {
  enum class Error : std::uint8_t { none, connect, timeout, io, malformed, stopped } error = Error::none;
  std::uint16_t status = 0;
  std::int64_t retry_after_s = -1;  // the Retry-After header, when it is a number of seconds
  std::string body;
};

struct ClientStats {
  std::uint64_t sent = 0;
  std::uint64_t completed = 0;
  std::uint64_t connect_errors = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t io_errors = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t peak_queued = 0;  // requests waiting for a free connection
};

class HttpClient {
 public:
  struct Options {
    std::size_t connections_per_endpoint = 256;
    double timeout_s = 60;  // from the request's write to its whole response
    std::size_t body_bytes = 64u << 20;
  };
  using Callback = std::function<void(ClientResult&&)>;
  // Called when the request has been handed to the socket (for late-send accounting).
  using Written = std::function<void()>;

  HttpClient(asio::io_context& io, Options options);
  ~HttpClient();
  // Resolves the endpoint once; throws std::system_error when it cannot be resolved.
  std::size_t add_endpoint(const Endpoint& endpoint);
  // timeout_s > 0 replaces Options::timeout_s for this request.
  void send(std::size_t endpoint, wire::Request request, Callback done, Written written = {}, double timeout_s = 0);
  void stop();
  std::size_t in_flight() const;  // sent or queued, not yet completed
  const ClientStats& stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace estate::hosts::live

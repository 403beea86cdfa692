#pragma once
// The live host as the harness sees it (hosts::Host): the estate's systems served over HTTP
// on the wall clock, with the pipeline under test either embedded (the reference pipeline as
// its own HTTP service, on its own thread, talking to the mocks over loopback) or foreign (a
// URL). Scenario time runs `time_scale` times faster than the wall clock. This header
// carries no Boost: Asio and Beast stay inside hosts/live.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hosts/host.h"
#include "hosts/live/relay.h"
#include "model/order_book.h"
#include "wire/codec.h"

namespace estate::hosts::live {

struct LiveOptions {
  double time_scale = 1.0;
  double drain_time_scale = 0;        // the drain's, once the demand is over (0: the same)
  std::string address = "127.0.0.1";  // where the mocks listen
  std::uint16_t port = 0;             // 0: any free port
  std::optional<std::string> pipeline_url;  // none: the embedded reference pipeline
  bool no_pipeline = false;  // estate serve without --pipeline: what the mocks send it is dropped
  std::string admin_token;            // required on the admin API when set
  std::uint64_t seed = 1;
  // A foreign pipeline is taken to have settled when it has sent nothing for this long.
  double quiet_s = 2.0;
  // Limits at the edge.
  std::size_t header_bytes = 16 * 1024;
  std::size_t body_bytes = 64u << 20;
  std::size_t connections = 8192;
  double idle_s = 60;
  double client_timeout_s = 60;  // scenario seconds a request may go unanswered before its connection is dropped
  bool handle_signals = true;    // SIGINT and SIGTERM end the run (its report is then partial)
};

// The admin API (under /_estate): method, path after /_estate, body -> status and JSON body.
struct AdminReply {
  std::uint16_t status = 200;
  std::string body;
};
using AdminHandler = std::function<AdminReply(wire::Method, std::string_view path, std::string_view body)>;

// Thrown when the live estate cannot start: a port in use, an unreachable pipeline.
struct StartError {
  std::string what;
};

class LiveEstate final : public hosts::Host {
 public:
  // `truth` is the channels' order book; `pipeline_book` and `relay` serve the embedded
  // pipeline (null for a foreign one). `observer` receives what the relay carries and the
  // boundary observations of a foreign pipeline (the metrics).
  LiveEstate(const wire::Roster& roster, model::OrderBook& truth, model::OrderBook* pipeline_book, ObserverRelay* relay,
             model::Observer& observer, LiveOptions options);
  ~LiveEstate() override;

  // Host
  model::Address add(model::Component* component, const std::string& name) override;
  void link(model::Address from, model::Address to, sim::LinkConfig config) override;
  void start() override;
  void at(sim::Tick t, std::function<void()> action) override;
  void as(model::Address a, const std::function<void(model::Context&)>& f) override;
  void inject(model::Address to, const model::Msg& msg) override;
  Stop run_until(sim::Tick t) override;
  sim::Tick now() const override;
  bool quiescent() override;
  std::vector<std::string> busy() override;
  std::uint64_t events() const override;
  void read_state(const std::function<void()>& f) override;

  void set_admin(AdminHandler handler);
  // From this scenario instant on (the end of the demand), the drain's time scale applies.
  void set_drain_start(sim::Tick t);
  // Runs the service with nothing to drive it (estate serve) until interrupted or `for_s`.
  void serve(double for_s);
  // Stops the pipeline's thread and every server; after this the components may be read freely.
  void finish();
  // Scenario time when finish() stopped the services: at or after every instant a component
  // has seen (the harness's last step may be earlier: the services run on past it).
  sim::Tick end_tick() const;
  bool interrupted() const;
  // NAME=URL pairs: ESTATE_ERP_URL, ESTATE_WMS_<LOC>_URL, ..., ESTATE_PIPELINE_URL, ESTATE_ADMIN_URL.
  std::vector<std::pair<std::string, std::string>> endpoints() const;
  // The report's "live" section: mode, pipeline, time scale, what crossed the wire, late
  // sends, contract violations.
  nlohmann::ordered_json report_json() const;
  bool foreign() const;
  // The base of this run's ids on the wire (wire::Codec), and scenario time now.
  std::uint64_t id_base() const;
  sim::Tick clock_now() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace estate::hosts::live

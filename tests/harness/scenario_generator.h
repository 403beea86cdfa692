#pragma once
// Random scenarios for simulation testing (in the spirit of TigerBeetle's VOPR): a seed gives
// one scenario document, valid or nearly so, that sets every knob of the schema, often at a
// legal extreme, with every kind of timeline event and windows that overlap. Small enough
// (a short day, a small catalogue, an event budget of its own) that a run cannot hang the
// test. The same seed always gives the same document.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/reader.h"
#include "sim/rng.h"

namespace estate::test {

class ScenarioGenerator {
 public:
  explicit ScenarioGenerator(std::uint64_t seed) : rng_(sim::Rng::stream(seed, "scenario-generator")), seed_(seed) {}

  harness::Json generate() {
    using harness::Json;
    Json doc = Json::object();
    doc["name"] = "generated-" + std::to_string(seed_);
    doc["seed"] = pick<std::uint64_t>({0, 1, seed_, 9'007'199'254'740'991});
    duration_s_ = pick<double>({1, 60, 600, 1800, 3600, 7200});
    doc["duration"] = secs(duration_s_);
    doc["drain"] = {{"max", usually<std::string>("12h", {"0s", "1m", "72h"})}};
    // Each run gets an event budget of its own, so none can hang the test; now and then a bound
    // small enough to be hit.
    const auto points = usually<std::int64_t>(10000, {1, 720, 1'000'000});
    doc["limits"] = {{"max_events", usually<std::int64_t>(300000, {1, 30000})},
                     {"max_orders", usually<std::int64_t>(1'000'000'000, {1, 50})},
                     {"max_documents_mb", usually<std::int64_t>(4096, {1, 1'000'000})},
                     {"max_series_points", points}};
    // Mostly an interval the bound allows; now and then one just past it (refused).
    if (chance(0.3))
      doc["report"] = {{"series_interval", secs(duration_s_ / std::min<double>(static_cast<double>(points) * usually(1.0, {2.0}), pick<double>({1, 7, 100})))}};
    doc["demand"] = {{"scale", usually<double>(1, {0.001, 3, 1000})}};
    skus_ = pick<int>({1, 2, 7, 50, 200});
    doc["catalogue"] = {{"skus", skus_},
                        {"zipf", pick<double>({0, 0.5, 1, 5})},
                        {"stock", {{"cover", pick<std::string>({"0s", "1h", "24h", "1000d"})},
                                   {"min_units", pick<std::int64_t>({0, 1, 5, 1'000'000'000})}}},
                        {"safety_stock", pick<std::int64_t>({0, 1, 3, 1'000'000'000})}};
    locations(doc);
    channels(doc);
    erp(doc);
    pipeline(doc);
    timeline(doc);
    if (chance(0.3)) doc["thresholds"] = {{"latency.order_to_erp.p99", "< 1h"}, {"integrity.lost_orders", "== 0"}, {"oversell.rate", "< 50%"}};
    return doc;
  }

 private:
  template <class T>
  T pick(std::initializer_list<T> options) {
    return *(options.begin() + rng_.below(options.size()));
  }
  bool chance(double p) { return rng_.bernoulli(p); }
  // The typical value mostly; one of the extremes now and then (each knob, independently).
  template <class T>
  T usually(T typical, std::initializer_list<T> extremes) {
    return chance(kExtreme) ? pick(extremes) : typical;
  }
  static constexpr double kExtreme = 0.12;
  static std::string secs(double s) {
    const auto us = static_cast<std::int64_t>(s * 1e6);
    return us <= 0 ? "0s" : std::to_string(us) + "us";
  }
  static double us_of(const harness::Json& d) {
    const std::string t = d.get<std::string>();
    return t == "0s" ? 0.0 : std::stod(t.substr(0, t.size() - 2)) / 1e6;
  }
  std::string instant() { return secs(rng_.uniform(0, duration_s_ * 0.999)); }

  // Every kind of duration distribution, sometimes at an extreme.
  harness::Json duration_dist(double typical_s) {
    using harness::Json;
    switch (rng_.below(9)) {
      case 0: return secs(typical_s);
      case 1: return {{"constant", pick<std::string>({"0s", "1us", secs(typical_s)})}};
      case 2: return {{"uniform", {{"min", "0s"}, {"max", secs(typical_s * 2)}}}};
      case 3: return {{"exponential", {{"mean", pick<std::string>({"1us", secs(typical_s)})}}}};
      case 4: return {{"lognormal", {{"median", secs(typical_s)}, {"p99", secs(typical_s * 10)}}}};
      case 5: return {{"lognormal", {{"median", "1us"}, {"p99", pick<std::string>({"1h", "1000d"})}}}};  // a tail off the tick range
      case 6: return {{"erlang", {{"k", pick<int>({1, 3, 50})}, {"mean", secs(typical_s)}}}};
      case 7: return {{"gamma", {{"shape", pick<double>({0.001, 0.5, 2})}, {"mean", secs(typical_s)}}}};
      default: return {{"empirical", Json::array({Json::array({"0s", 0.2}), Json::array({secs(typical_s), 0.9}),
                                                  Json::array({secs(typical_s * 20), 1})})}};
    }
  }
  harness::Json count_dist(int max) {
    using harness::Json;
    switch (rng_.below(5)) {
      case 0: return pick<int>({1, max});
      case 1: return {{"constant", pick<int>({1, 2, max})}};
      case 2: return {{"uniform", {{"min", 1}, {"max", pick<int>({1, 3, max})}}}};
      case 3: return {{"geometric", {{"mean", pick<double>({1, 1.6, static_cast<double>(max)})}}}};
      default: return {{"empirical", Json::array({Json::array({1, 0.5}), Json::array({2, 0.9}), Json::array({max, 1})})}};
    }
  }

  void locations(harness::Json& doc) {
    using harness::Json;
    const int n = pick<int>({1, 2, 3});
    Json locs = Json::object();
    for (int i = 0; i < n; ++i) {
      const std::string name = "loc" + std::to_string(i);
      const bool tpl = chance(0.3);
      Json l = {{"kind", tpl ? "3pl" : "wms"},
                {"stock_share", pick<double>({0, 0.5, 1, 1000})},
                {"latency", duration_dist(0.05)},
                {"on_recovery", chance(0.2) ? "lose" : "replay"}};
      if (tpl) {
        l["workers"] = pick<int>({1, 20000, 10'000'000});
        l["dock_to_ship"] = duration_dist(pick<double>({60, 3600}));
        l["intervals"] = {{"orders", usually<std::string>("15m", {"1us"})}, {"advice", usually<std::string>("30m", {"1s"})},
                          {"inventory", usually<std::string>("1h", {"1m"})}};
        tpls_.push_back(name);
      } else {
        l["pickers"] = pick<int>({1, 60, 100000});
        l["pick_time"] = duration_dist(20);
        l["packers"] = pick<int>({1, 50, 100000});
        l["pack_time"] = duration_dist(30);
      }
      lose_ = lose_ || l["on_recovery"] == "lose";
      locs[name] = l;
      locations_.push_back(name);
    }
    doc["locations"] = locs;
  }

  void channels(harness::Json& doc) {
    using harness::Json;
    const int n = pick<int>({1, 2, 4});
    Json chans = Json::object();
    for (int i = 0; i < n; ++i) {
      const std::string name = "ch" + std::to_string(i);
      const std::string kind = pick<std::string>({"storefront", "marketplace", "edi", "b2b"});
      // Rates kept so a run stays a few thousand orders, a few at an extreme.
      const double per_s = usually(pick<double>({0.01, 0.05, 0.2}), {0.0, 2.0});
      const double interval_s = usually<double>(900, {1, 60});
      Json c = {{"kind", kind},
                {"rate", std::to_string(static_cast<std::int64_t>(per_s * 3600)) + "/h"},
                {"lines", count_dist(16)},
                {"units", chance(0.05) ? Json(1'000'000) : count_dist(12)},
                {"feed", {{"mode", pick<std::string>({"event", "batch", "none"})}, {"interval", secs(interval_s)}}},
                {"delivery", {{"mode", pick<std::string>({"push", "batch"})},
                              {"interval", usually<std::string>("2m", {"1us", "1h"})},
                              {"latency", duration_dist(0.15)},
                              {"timeout", usually<std::string>("5s", {"1us"})},
                              {"attempts", usually<int>(100, {1, 8})},
                              {"retry_base", usually<std::string>("1m", {"1us"})},
                              {"retry_cap", usually<std::string>("2h", {"1s"})},
                              {"duplicates", usually<double>(0.005, {0, 1})},
                              {"duplicate_delay", duration_dist(30)},
                              {"reorder", pick<std::string>({"0s", "30s"})}}}};
      if (chance(0.3)) c["feed"]["offset"] = secs(interval_s * pick<double>({0, 0.5, 0.999}));
      if (chance(0.3)) c["sells_from"] = Json::array({locations_[rng_.below(locations_.size())]});
      if (c["delivery"]["mode"] == "batch") batch_channels_.push_back(name);
      if (c["delivery"]["attempts"] != 100) risky_delivery_ = true;
      chans[name] = c;
      channels_.push_back(name);
    }
    doc["channels"] = chans;
  }

  void erp(harness::Json& doc) {
    doc["erp"] = {{"quota", {{"rate", usually<std::string>("10/s", {"0/s", "1/min", "100000/s"})}, {"burst", usually<double>(100, {1, 1e9})}}},
                  {"concurrency", usually<int>(15, {1, 100000})},
                  {"queue", usually<int>(0, {10, 100'000'000})},
                  {"service_time", duration_dist(0.25)},
                  {"retry_after", usually<std::string>("1s", {"1us", "1h"})},
                  {"latency", duration_dist(0.03)}};
  }

  harness::Json retry() {
    return {{"attempts", usually<int>(5, {1, 100})},
            {"base", usually<std::string>("1s", {"1us"})},
            {"cap", usually<std::string>("60s", {"1us", "1h"})},
            {"jitter", pick<std::string>({"none", "full", "equal"})},
            {"timeout", usually<std::string>("30s", {"1us", "10ms"})}};
  }

  void pipeline(harness::Json& doc) {
    using harness::Json;
    Json stages = Json::object();
    for (const char* s : {"ingest", "allocate", "erp_sync", "release", "events", "feed"}) {
      Json st = {{"workers", usually<int>(8, {1, 100000})}, {"queue", usually<int>(10000, {1, 100'000'000})}};
      if (std::string(s) != "erp_sync" && std::string(s) != "release") st["service_time"] = duration_dist(0.01);
      stages[s] = st;
    }
    idempotency_ = chance(0.8);
    window_ = pick<std::string>({"1us", "10m", "24h", "1000d"});
    Json order = locations_;
    std::reverse(order.begin(), order.end());
    doc["pipeline"] = {{"idempotency", {{"enabled", idempotency_}, {"window", window_}}},
                       {"reservation", {{"enabled", chance(0.7)}}},
                       {"routing", {{"rule", pick<std::string>({"priority", "most_stock"})}, {"order", order}}},
                       {"release_after", pick<std::string>({"erp", "allocation"})},
                       {"stages", stages},
                       {"backpressure", pick<std::string>({"block", "refuse"})},
                       {"erp_retry", retry()},
                       {"warehouse_retry", retry()},
                       {"dlq", {{"redrive", usually<std::string>("15m", {"1s"})},
                                {"max_redrives", usually<int>(16, {0, 200})},
                                {"redrive_rate", usually<std::string>("20/s", {"1/h", "1000000/s"})}}},
                       {"feed", {{"safety_buffer", usually<std::int64_t>(0, {1, 1'000'000'000})}}},
                       {"reconciliation", {{"interval", usually<std::string>("1h", {"1m", "1000h"})}, {"mode", pick<std::string>({"report", "correct"})}}}};
  }

  std::string system() {
    switch (rng_.below(4)) {
      case 0: return "erp";
      case 1: return locations_[rng_.below(locations_.size())];
      case 2: return channels_[rng_.below(channels_.size())];
      default: return pick<std::string>({"pipeline.ingest", "pipeline.allocate", "pipeline.erp_sync", "pipeline.release", "pipeline.events", "pipeline.feed"});
    }
  }
  std::string source() { return chance(0.5) ? channels_[rng_.below(channels_.size())] : locations_[rng_.below(locations_.size())]; }
  harness::Json skus() {
    using harness::Json;
    switch (rng_.below(4)) {
      case 0: return "all";
      case 1: return {{"top", pick<std::int64_t>({1, 10, 1'000'000})}};
      case 2: return {{"ranks", Json::array({1, skus_, 1'000'000})}};
      default: return {{"ranks", Json::array({skus_})}};
    }
  }

  // One timeline event of each kind at least once over many seeds; windows overlap one another
  // (only two of one kind on one system are refused, and some of those are generated too).
  harness::Json event(int kind) {
    using harness::Json;
    const double span_s = rng_.uniform(1e-6, duration_s_) * pick<double>({0.1, 0.5, 1, 2});
    Json ev = {{"at", instant()}};
    switch (kind) {
      case 0: ev["promotion"] = {{"multiplier", pick<double>({0, 0.5, 8, 1000})}, {"skus", skus()}, {"ramp", secs(span_s / pick<double>({2, 10, 1e9}))}};
              if (chance(0.5)) ev["promotion"]["channels"] = Json::array({channels_[0]});
              break;
      case 1: {
        const std::string sys = system();
        std::string mode = pick<std::string>({"down", "slow", "blackhole", "flaky"});
        // Mostly a mode the system has (a channel is only down; a stage down or slow, a
        // connector stage only down); now and then one it has not (refused).
        const bool connector = sys == "pipeline.erp_sync" || sys == "pipeline.release";
        if (!chance(0.05)) {
          if (sys.rfind("ch", 0) == 0 || connector) mode = "down";
          else if (sys.rfind("pipeline.", 0) == 0) mode = pick<std::string>({"down", "slow"});
        }
        ev["outage"] = {{"system", sys}, {"mode", mode}, {"factor", usually<double>(5, {1, 1e6})}, {"error_rate", pick<double>({0, 0.3, 1})}};
        break;
      }
      case 2: ev["duplicates"] = {{"source", source()}, {"rate", pick<double>({0, 0.05, 1})}, {"delay", duration_dist(30)}}; break;
      case 3: ev["reorder"] = {{"source", source()}, {"window", pick<std::string>({"1us", "30s", "1h"})}}; break;
      case 4: ev["throttle"] = {{"quota", pick<std::string>({"0/s", "1/h", "5/s"})}, {"burst", pick<double>({1, 10, 1e9})}}; break;
      case 5: {
        const bool tpl = !tpls_.empty() && (batch_channels_.empty() || chance(0.5));
        ev["late_batch"] = {{"source", tpl ? tpls_[0] : batch_channels_.empty() ? channels_[0] : batch_channels_[0]},
                            {"missing", chance(0.3)}, {"delay", pick<std::string>({"1us", "1h", "3d"})}};
        if (tpl) ev["late_batch"]["batch"] = pick<std::string>({"orders", "advice", "inventory"});
        missing_ = missing_ || ev["late_batch"]["missing"] == true;
        break;
      }
      case 6: ev["drift"] = {{"location", locations_[0]}, {"skus", skus()}, {"units", pick<std::int64_t>({-1'000'000'000, -5, 3, 1'000'000'000})},
                             {"reported", chance(0.5)}};
              break;
      case 7: ev["replenishment"] = {{"location", locations_.back()}, {"skus", skus()}};
              if (chance(0.5)) ev["replenishment"]["units"] = pick<std::int64_t>({1, 1'000'000'000});
              else ev["replenishment"]["cover"] = pick<std::string>({"1us", "1h", "30d"});
              break;
      case 8: ev["returns"] = {{"location", locations_[0]}, {"skus", skus()}, {"units", pick<std::int64_t>({1, 1'000'000'000})}}; break;
      default:
        if (locations_.size() < 2) return event(6);
        ev["transfer"] = {{"from", locations_[0]}, {"to", locations_[1]}, {"transit", pick<std::string>({"0s", "1h", "30d"})},
                          {"skus", skus()}, {"units", pick<std::int64_t>({1, 1'000'000'000})}};
    }
    if (kind <= 5) ev["for"] = secs(std::max(1e-6, span_s));
    return ev;
  }

  void timeline(harness::Json& doc) {
    using harness::Json;
    Json tl = Json::array();
    const int n = pick<int>({0, 1, 3, 8});
    // Windows overlap freely, except two of one kind on one system (refused): those are
    // mostly dropped, now and then kept to be refused.
    struct Window {
      std::string target;
      double at_s, end_s;
    };
    std::vector<Window> windows;
    for (int i = 0; i < n; ++i) {
      Json ev = event(static_cast<int>(rng_.below(10)));
      if (ev.contains("for")) {
        std::string target;
        for (const auto& [k, body] : ev.items())
          if (k != "at" && k != "for") target = k + ":" + body.value("system", body.value("source", "")) + ":" + body.value("batch", "advice");
        const Window w{target, us_of(ev["at"]), us_of(ev["at"]) + us_of(ev["for"])};
        const bool clash = std::any_of(windows.begin(), windows.end(), [&](const Window& o) {
          return o.target == w.target && w.at_s < o.end_s && o.at_s < w.end_s;
        });
        if (clash && !chance(0.05)) continue;
        windows.push_back(w);
      }
      tl.push_back(ev);
    }
    // Back-to-back windows on one system, listed in reverse now and then.
    if (chance(0.2) && duration_s_ >= 2) {
      const std::string half = secs(duration_s_ / 2);
      Json a = {{"at", "0s"}, {"for", half}, {"outage", {{"system", "erp"}, {"mode", "slow"}, {"factor", 2}}}};
      Json b = {{"at", half}, {"for", half}, {"outage", {{"system", "erp"}, {"mode", "down"}}}};
      tl.push_back(b);
      tl.push_back(a);
    }
    doc["timeline"] = tl;
  }

 public:
  // What the documentation says must then hold (integrity).
  bool idempotent_for_the_run() const { return idempotency_ && (window_ == "1000d"); }
  bool nothing_lost_by_design() const { return !lose_ && !missing_ && !risky_delivery_; }

 private:
  sim::Rng rng_;
  std::uint64_t seed_;
  double duration_s_ = 3600;
  int skus_ = 10;
  std::vector<std::string> locations_, channels_, tpls_, batch_channels_;
  bool idempotency_ = true, lose_ = false, missing_ = false, risky_delivery_ = false;
  std::string window_;
};

}  // namespace estate::test

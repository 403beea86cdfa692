#include "harness/admin.h"

#include <algorithm>
#include <optional>

#include "harness/estate.h"
#include "harness/units.h"

namespace estate::harness {

namespace {

using hosts::live::AdminReply;

Json admin_error(std::uint16_t status, const std::string& detail) {
  return {{"type", "urn:estate:problem:admin"}, {"title", "Admin request refused"}, {"status", status}, {"detail", detail}};
}
AdminReply reply(std::uint16_t status, const Json& body) { return {status, body.dump()}; }
AdminReply refuse(std::uint16_t status, const std::string& detail) { return reply(status, admin_error(status, detail)); }

// The system a name refers to, as the timeline would write it.
std::optional<SystemRef> find_system(const Scenario& sc, const std::string& name) {
  if (name == "erp") return SystemRef{SystemRef::Kind::erp, 0};
  for (std::size_t l = 0; l < sc.locations.size(); ++l)
    if (sc.locations[l].name == name) return SystemRef{SystemRef::Kind::location, static_cast<int>(l)};
  for (std::size_t c = 0; c < sc.channels.size(); ++c)
    if (sc.channels[c].name == name) return SystemRef{SystemRef::Kind::channel, static_cast<int>(c)};
  return std::nullopt;
}

std::optional<model::OutageMode> mode_of(const std::string& s) {
  for (auto m : {model::OutageMode::down, model::OutageMode::slow, model::OutageMode::blackhole, model::OutageMode::flaky})
    if (s == model::outage_mode_name(m)) return m;
  return std::nullopt;
}

std::optional<std::string> text(const Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  return j[key].get<std::string>();
}

// "/outages/wh2/end" -> "wh2" for prefix "/outages/".
std::optional<std::string> ended(const std::string& path, const std::string& prefix) {
  if (path.size() <= prefix.size() + 4 || path.rfind(prefix, 0) != 0 || path.substr(path.size() - 4) != "/end") return std::nullopt;
  return path.substr(prefix.size(), path.size() - prefix.size() - 4);
}

// The admin API on one estate: each endpoint a method, run on the mocks' thread.
class Admin {
 public:
  Admin(Estate& estate, hosts::live::LiveEstate& live) : estate_(estate), live_(live), sc_(estate.scenario()) {}

  AdminReply handle(wire::Method method, const std::string& p, const Json& j) {
    const bool get = method == wire::Method::get, post = method == wire::Method::post;
    if (get && (p == "/health" || p == "/" || p.empty())) return reply(200, {{"ok", true}});
    if (get && p == "/state") return state();
    if (post && p == "/orders") return place_order(j);
    if (post && p == "/outages") return start_outage(j);
    if (post && p == "/throttle") return throttle(j);
    if (post && p == "/throttle/end") {
      estate_.restore_quota(live_.clock_now());
      return reply(200, {{"quota", "as configured"}});
    }
    if (post && p == "/duplicates") return duplicates(j);
    if (auto name = ended(p, "/outages/"); post && name) return end_outage(*name);
    if (auto name = ended(p, "/duplicates/"); post && name) return end_duplicates(*name);
    return refuse(404, "no admin endpoint " + std::string(wire::method_name(method)) + " /_estate" + p +
                           "; see GET /_estate/state, POST /_estate/outages, /_estate/throttle, /_estate/duplicates");
  }

 private:
  AdminReply state() {
    Json systems = Json::object();
    systems["erp"] = {{"busy", estate_.erp().station().busy()}, {"waiting", estate_.erp().station().waiting()}};
    for (std::size_t l = 0; l < sc_.locations.size(); ++l) {
      std::int64_t units = 0;
      const auto& stock = estate_.wms(l) ? estate_.wms(l)->stock() : estate_.tpl(l)->stock();
      for (auto v : stock.on_hand_all()) units += v;
      systems[sc_.locations[l].name] = {{"kind", location_kind_name(sc_.locations[l].kind)}, {"on_hand_units", units}};
    }
    for (std::size_t c = 0; c < sc_.channels.size(); ++c) {
      std::int64_t units = 0;
      for (auto v : estate_.channel(c).views()) units += v;
      systems[sc_.channels[c].name] = {{"kind", mocks::channel_kind_name(sc_.channels[c].kind)}, {"available_units_shown", units}};
    }
    return reply(200, {{"scenario", sc_.name},
                       {"time_s", round6(sim::to_seconds(live_.clock_now()))},
                       {"orders_placed", estate_.metrics().accepted_orders()},
                       {"systems", systems}});
  }

  // POST /orders {"channel": "storefront", "lines": [{"sku": 3, "qty": 1}]}: a customer, by hand.
  AdminReply place_order(const Json& j) {
    const auto name = text(j, "channel");
    const auto sys = name ? find_system(sc_, *name) : std::nullopt;
    if (!sys || sys->kind != SystemRef::Kind::channel) return refuse(422, "/channel: expected the name of a channel");
    if (!j.contains("lines") || !j["lines"].is_array() || j["lines"].empty() || j["lines"].size() > model::kMaxLinesPerOrder)
      return refuse(422, "/lines: expected 1 to 16 lines like {\"sku\": 3, \"qty\": 1}");
    std::vector<model::OrderLine> lines;
    for (std::size_t i = 0; i < j["lines"].size(); ++i) {
      const Json& l = j["lines"][i];
      const std::string at = "/lines/" + std::to_string(i);
      if (!l.is_object() || !l.contains("sku") || !l["sku"].is_number_unsigned() || l["sku"].get<std::uint64_t>() >= sc_.skus)
        return refuse(422, at + "/sku: expected a sku from 0 to " + std::to_string(sc_.skus - 1));
      if (!l.contains("qty") || !l["qty"].is_number_unsigned() || l["qty"].get<std::uint64_t>() == 0 || l["qty"].get<std::uint64_t>() > 1'000'000)
        return refuse(422, at + "/qty: expected a quantity from 1 to 1000000");
      const auto sku = static_cast<model::SkuId>(l["sku"].get<std::uint64_t>());
      for (const auto& seen : lines)
        if (seen.sku == sku) return refuse(422, at + "/sku: each sku at most once per order");
      lines.push_back({sku, static_cast<std::int32_t>(l["qty"].get<std::uint64_t>())});
    }
    const std::size_t before = estate_.book().size();
    const auto c = static_cast<std::size_t>(sys->index);
    live_.as(estate_.channel_address(c), [&](model::Context& ctx) { estate_.channel(c).place(ctx, lines); });
    if (estate_.book().size() == before) return refuse(409, "the channel refused the order: it is down, or its view shows too little stock");
    return reply(201, {{"order_id", live_.id_base() + estate_.book().size()}, {"channel", *name}});
  }

  // POST /outages {"system": "wh2", "mode": "down"}; ended by POST /outages/wh2/end.
  AdminReply start_outage(const Json& j) {
    const auto name = text(j, "system");
    const auto sys = name ? find_system(sc_, *name) : std::nullopt;
    if (!sys) return refuse(422, "/system: expected the name of the ERP, a location or a channel");
    const auto mode = text(j, "mode") ? mode_of(*text(j, "mode")) : std::nullopt;
    if (!mode) return refuse(422, "/mode: expected one of down, slow, blackhole, flaky");
    model::Outage o;
    o.mode = *mode;
    if (o.mode == model::OutageMode::slow) {
      if (!j.contains("factor") || !j["factor"].is_number() || j["factor"].get<double>() < 1 || j["factor"].get<double>() > 1e6)
        return refuse(422, "/factor: a slow outage needs a factor from 1 to 1000000 (service times multiplied by it)");
      o.factor = j["factor"].get<double>();
    }
    if (o.mode == model::OutageMode::flaky) {
      if (!j.contains("error_rate") || !j["error_rate"].is_number() || j["error_rate"].get<double>() < 0 || j["error_rate"].get<double>() > 1)
        return refuse(422, "/error_rate: a flaky outage needs an error_rate from 0 to 1");
      o.error_rate = j["error_rate"].get<double>();
    }
    if (sys->kind == SystemRef::Kind::channel && o.mode != model::OutageMode::down) return refuse(422, "/mode: a channel can only be down");
    estate_.set_outage(live_, *sys, o);
    return reply(200, {{"system", *name}, {"mode", model::outage_mode_name(o.mode)}});
  }

  AdminReply end_outage(const std::string& name) {
    const auto sys = find_system(sc_, name);
    if (!sys) return refuse(404, "no system \"" + name + "\"");
    estate_.set_outage(live_, *sys, model::Outage{});
    return reply(200, {{"system", name}, {"mode", "none"}});
  }

  // POST /throttle {"rate": "300/min", "burst": 50}; ended by POST /throttle/end.
  AdminReply throttle(const Json& j) {
    const auto rate = text(j, "rate") ? parse_rate_per_s(*text(j, "rate")) : std::nullopt;
    if (!rate || *rate < 0) return refuse(422, "/rate: expected a rate like \"300/min\"");
    if (j.contains("burst") && (!j["burst"].is_number() || j["burst"].get<double>() < 1))
      return refuse(422, "/burst: expected a number of requests, at least 1");
    const double burst = j.contains("burst") ? j["burst"].get<double>() : std::max(1.0, *rate);
    estate_.set_quota(live_.clock_now(), *rate, burst);
    return reply(200, {{"quota", format_rate(*rate)}, {"burst", burst}});
  }

  // POST /duplicates {"source": "marketplace", "rate": 0.05, "delay": "30s"}; ended by POST /duplicates/<source>/end.
  AdminReply duplicates(const Json& j) {
    const auto name = text(j, "source");
    const auto sys = name ? find_system(sc_, *name) : std::nullopt;
    if (!sys || sys->kind == SystemRef::Kind::erp) return refuse(422, "/source: expected the name of a channel or a location");
    if (!j.contains("rate") || !j["rate"].is_number() || j["rate"].get<double>() < 0 || j["rate"].get<double>() > 1)
      return refuse(422, "/rate: expected a fraction from 0 to 1");
    sim::Tick delay = sim::seconds(30);
    if (text(j, "delay")) {
      const auto d = parse_duration(*text(j, "delay"));
      if (!d) return refuse(422, "/delay: expected a duration like \"30s\"");
      delay = *d;
    }
    estate_.outbound(*sys).set_duplicates(j["rate"].get<double>(), sim::Distribution::constant(sim::to_seconds(delay)));
    return reply(200, {{"source", *name}, {"rate", j["rate"]}});
  }

  AdminReply end_duplicates(const std::string& name) {
    const auto sys = find_system(sc_, name);
    if (!sys || sys->kind == SystemRef::Kind::erp) return refuse(404, "no channel or location \"" + name + "\"");
    estate_.outbound(*sys).restore_duplicates();
    return reply(200, {{"source", name}, {"duplicates", "as configured"}});
  }

  Estate& estate_;
  hosts::live::LiveEstate& live_;
  const Scenario& sc_;
};

}  // namespace

hosts::live::AdminHandler admin_api(Estate& estate, hosts::live::LiveEstate& live) {
  auto admin = std::make_shared<Admin>(estate, live);
  return [admin](wire::Method method, std::string_view path, std::string_view body) -> AdminReply {
    Json j = Json::object();
    if (!body.empty()) {
      j = Json::parse(body.begin(), body.end(), nullptr, false);
      if (j.is_discarded() || !j.is_object()) return refuse(400, "the body is not a JSON object");
    }
    return admin->handle(method, std::string(path), j);
  };
}

}  // namespace estate::harness

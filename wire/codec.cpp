#include "wire/codec.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "sim/assert.h"

namespace estate::wire {
using Json = nlohmann::json;
using model::ErpOp;
using model::Kind;
using model::Msg;
namespace status = model::status;

namespace {

// ------------------------------------------------------------------ reading bodies with paths

struct BodyError {
  std::uint16_t status;  // 400: not what the contract's schema allows; 422: refers to nothing
  std::string type;
  std::string detail;
};

// What was found, for a message: scalars as written (cut short), containers by kind only, so
// a deeply nested body is never walked again to say it was wrong.
std::string shown(const Json& v) {
  if (v.is_object()) return "an object of " + std::to_string(v.size()) + " keys";
  if (v.is_array()) return "an array of " + std::to_string(v.size()) + " items";
  const std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  return s.size() > 40 ? printable(s, 37) + "..." : printable(s, 40);
}

[[noreturn]] void bad(const std::string& path, const std::string& expected, const Json& found) {
  throw BodyError{400, "invalid-body", (path.empty() ? std::string("/") : path) + ": expected " + expected + ", got " + shown(found)};
}
[[noreturn]] void unknown(const std::string& type, const std::string& path, const std::string& what) {
  throw BodyError{422, type, (path.empty() ? std::string("/") : path) + ": " + what};
}

// A JSON value and where it sits in the body, for messages that name the path.
struct Node {
  const Json& v;
  std::string path;

  Node at(const char* key) const {
    if (!v.is_object()) bad(path, "an object", v);
    auto it = v.find(key);
    if (it == v.end()) throw BodyError{400, "invalid-body", path + "/" + key + ": required, missing"};
    return {*it, path + "/" + key};
  }
  bool has(const char* key) const { return v.is_object() && v.contains(key); }
  Node operator[](std::size_t i) const { return {v[i], path + "/" + std::to_string(i)}; }
  std::size_t array_size(std::size_t max) const {
    if (!v.is_array()) bad(path, "an array", v);
    if (v.size() > max) bad(path, "at most " + std::to_string(max) + " items", Json(v.size()));
    return v.size();
  }
  std::int64_t integer(std::int64_t lo, std::int64_t hi) const {
    if (!v.is_number_integer()) bad(path, "an integer", v);
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi))
      bad(path, "an integer at most " + std::to_string(hi), v);
    const auto x = v.get<std::int64_t>();
    if (x < lo || x > hi) bad(path, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", v);
    return x;
  }
  std::uint64_t id() const {  // a positive 64-bit identifier
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0) bad(path, "a positive integer id", v);
    return v.get<std::uint64_t>();
  }
  const std::string& string() const {
    if (!v.is_string()) bad(path, "a string", v);
    return v.get_ref<const std::string&>();
  }
};

constexpr std::int64_t kMaxUnits = 1'000'000'000;
constexpr std::int64_t kMaxTime = std::int64_t{1} << 60;

std::uint64_t parse_uint(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return ~std::uint64_t{0};
  return v;
}

// Splits "/a/b/c" (query string dropped) into its segments.
std::vector<std::string_view> segments(std::string_view target) {
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < target.size()) {
    if (target[i] == '/') {
      ++i;
      continue;
    }
    const std::size_t j = std::min(target.find('/', i), target.size());
    out.push_back(target.substr(i, j - i));
    i = j;
  }
  return out;
}

Json parse_body(std::string_view body) {
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw BodyError{400, "malformed-body", "the body is not JSON"};
  if (!j.is_object()) bad("", "a JSON object", j);
  return j;
}

const char* movement_name(model::MovementType t) {
  switch (t) {
    case model::MovementType::receipt: return "receipt";
    case model::MovementType::return_: return "return";
    case model::MovementType::transfer_in: return "transfer_in";
    case model::MovementType::transfer_out: return "transfer_out";
    case model::MovementType::adjustment: return "adjustment";
  }
  return "adjustment";
}

model::MovementType movement_type(const Node& n) {
  const std::string& s = n.string();
  for (auto t : {model::MovementType::receipt, model::MovementType::return_, model::MovementType::transfer_in,
                 model::MovementType::transfer_out, model::MovementType::adjustment})
    if (s == movement_name(t)) return t;
  bad(n.path, "one of receipt, return, transfer_in, transfer_out, adjustment", n.v);
}

Json line_list(model::LineMask mask) {
  Json out = Json::array();
  for (std::size_t i = 0; i < model::kMaxLinesPerOrder; ++i)
    if (model::has_line(mask, i)) out.push_back(i);
  return out;
}

std::string doc_array_json(const model::Doc& doc, std::size_t from, std::size_t n) {
  std::string out = "[";
  char buf[24];
  for (std::size_t i = 0; i < n; ++i) {
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, doc[from + i]);
    if (i) out += ',';
    out.append(buf, end);
  }
  out += ']';
  return out;
}

}  // namespace

// --------------------------------------------------------------------------------- roster

std::string Roster::prefix(model::Address a) const {
  if (a == erp()) return "/erp";
  if (is_location(a)) return (third_party[location_index(a)] ? "/3pl/" : "/wms/") + locations[location_index(a)];
  if (is_channel(a)) return "/channels/" + channels[channel_index(a)];
  return "";
}

std::optional<std::size_t> Roster::find_location(std::string_view name) const {
  for (std::size_t l = 0; l < locations.size(); ++l)
    if (locations[l] == name) return l;
  return std::nullopt;
}

std::optional<std::size_t> Roster::find_channel(std::string_view name) const {
  for (std::size_t c = 0; c < channels.size(); ++c)
    if (channels[c] == name) return c;
  return std::nullopt;
}

const char* method_name(Method m) {
  switch (m) {
    case Method::get: return "GET";
    case Method::post: return "POST";
    case Method::put: return "PUT";
    case Method::other: break;
  }
  return "?";
}

std::string problem_json(const Problem& p) {
  return Json{{"type", "urn:estate:problem:" + p.type}, {"title", p.title}, {"status", p.status}, {"detail", p.detail}}.dump(
      -1, ' ', false, Json::error_handler_t::replace);
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max));
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool valid = n > 0 && i + n <= text.size();
    for (std::size_t k = 1; valid && k < n; ++k) valid = (static_cast<unsigned char>(text[i + k]) >> 6) == 0x2;
    if (!valid || (n == 1 && (c < 0x20 || c == 0x7f))) n = 1, valid = false;
    if (out.size() + n > max) break;
    if (valid) out.append(text.substr(i, n));
    else out += '?';
    i += n;
  }
  return out;
}

std::uint64_t key_from_header(std::string_view value) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : value) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h | 1;
}

// ---------------------------------------------------------------------------------- codec

Codec::Codec(const Roster& roster, Side side, model::OrderBook& book, Docs& docs, double time_scale, std::uint64_t id_base)
    : roster_(roster), side_(side), book_(book), docs_(docs), time_scale_(time_scale), id_base_(id_base) {}

// Event ids inside are model::location_scoped_id: (location + 1) << 40 | sequence.
std::uint64_t Codec::to_wire_id(std::uint64_t id) const {
  return id_base_ + ((id >> 40) << 32 | (id & 0xffffffffu));
}

std::uint64_t Codec::from_wire_id(std::uint64_t wire, const std::string& path) const {
  const std::uint64_t c = wire - id_base_;
  if (wire <= id_base_ || c >= kIdSpan || (c >> 32) == 0)
    unknown("unknown-id", path, "id " + std::to_string(wire) + " was not issued in this run");
  return (c >> 32) << 40 | (c & 0xffffffffu);
}

bool Codec::is_answer(Kind k) {
  return k == Kind::delivery_response || k == Kind::erp_response || k == Kind::warehouse_response;
}

bool Codec::is_one_way(Kind k) {
  return k == Kind::order_ack || k == Kind::line_cancelled || k == Kind::availability ||
         k == Kind::availability_snapshot || k == Kind::warehouse_event || k == Kind::warehouse_batch;
}

std::uint64_t Codec::wire_order(model::OrderId id) const {
  if (side_ == Side::estate) return id_base_ + static_cast<std::uint64_t>(id) + 1;
  ESTATE_ASSERT(id < wire_of_.size(), "codec: an order the pipeline never received");
  return wire_of_[id];
}

std::optional<model::OrderId> Codec::local_order(std::uint64_t wire) const {
  if (side_ == Side::estate) {
    if (wire <= id_base_ || wire - id_base_ > book_.size()) return std::nullopt;
    return static_cast<model::OrderId>(wire - id_base_ - 1);
  }
  auto it = local_of_.find(wire);
  if (it == local_of_.end()) return std::nullopt;
  return it->second;
}

namespace {

// An order's lines on the wire: [{"line": i, "sku": s, "qty": q}] for the lines in mask.
Json lines_json(const model::OrderBook& book, model::OrderId order, model::LineMask mask) {
  Json out = Json::array();
  const auto lines = book.lines(order);
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (model::has_line(mask, i)) out.push_back({{"line", i}, {"sku", lines[i].sku}, {"qty", lines[i].qty}});
  return out;
}

// The lines of a known order named on the wire, checked against the order: the line mask.
model::LineMask read_lines(const Node& lines, const model::OrderBook& book, model::OrderId order) {
  const auto known = book.lines(order);
  const std::size_t n = lines.array_size(model::kMaxLinesPerOrder);
  if (n == 0) bad(lines.path, "at least one line", lines.v);
  model::LineMask mask = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Node l = lines[i];
    const auto line = static_cast<std::size_t>(l.at("line").integer(0, model::kMaxLinesPerOrder - 1));
    if (line >= known.size())
      unknown("unknown-line", l.path + "/line", "the order has " + std::to_string(known.size()) + " lines, got line " + std::to_string(line));
    const auto sku = l.at("sku").integer(0, INT32_MAX);
    const auto qty = l.at("qty").integer(1, kMaxUnits);
    if (static_cast<model::SkuId>(sku) != known[line].sku || qty != known[line].qty)
      unknown("line-mismatch", l.path, "line " + std::to_string(line) + " of the order is sku " + std::to_string(known[line].sku) + " x " +
                                           std::to_string(known[line].qty) + ", got sku " + std::to_string(sku) + " x " + std::to_string(qty));
    mask |= static_cast<model::LineMask>(1u << line);
  }
  return mask;
}

model::LineMask read_line_numbers(const Node& lines, const model::OrderBook& book, model::OrderId order) {
  const std::size_t count = book.lines(order).size();
  const std::size_t n = lines.array_size(model::kMaxLinesPerOrder);
  model::LineMask mask = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto line = static_cast<std::size_t>(lines[i].integer(0, model::kMaxLinesPerOrder - 1));
    if (line >= count) unknown("unknown-line", lines[i].path, "the order has " + std::to_string(count) + " lines, got line " + std::to_string(line));
    mask |= static_cast<model::LineMask>(1u << line);
  }
  return mask;
}

// One warehouse event (a WMS's event or a 945 record) as JSON.
Json event_json(const Roster& roster, const model::OrderBook& book, std::uint64_t wire_order, model::LocId loc,
                model::WarehouseEvent type, model::OrderId order, model::LineMask mask, model::SkuId sku, std::int64_t value,
                std::uint64_t ref, sim::Tick t0, std::uint16_t movement) {
  const std::string& location = roster.locations[loc];
  switch (type) {
    case model::WarehouseEvent::shipped:
      return {{"type", "shipped"},   {"event_id", ref}, {"location", location}, {"order_id", wire_order},
              {"lines", lines_json(book, order, mask)}, {"at_us", t0}};
    case model::WarehouseEvent::short_pick:
      return {{"type", "short_pick"}, {"location", location}, {"order_id", wire_order}, {"line", std::countr_zero(mask)},
              {"sku", sku}, {"on_hand", value}, {"movements_reported", ref}, {"at_us", t0}};
    case model::WarehouseEvent::movement:
      return {{"type", "movement"}, {"event_id", ref}, {"location", location}, {"sku", sku}, {"delta", value},
              {"movement_type", movement_name(static_cast<model::MovementType>(movement))}, {"at_us", t0}};
  }
  return {};
}

}  // namespace

Request Codec::encode_request(const Msg& m) const {
  Request r;
  const std::string prefix = roster_.prefix(m.to);
  auto key = [&](std::uint64_t k) { return k == 0 ? std::string() : std::to_string(k); };
  switch (m.kind) {
    case Kind::order_delivery: {
      const auto& o = book_.order(m.order);
      r.target = "/orders";
      r.idempotency_key = std::to_string(wire_order(m.order));  // the contract: the key is the order id
      r.body = Json{{"order_id", wire_order(m.order)},
                    {"channel", roster_.channels[o.channel]},
                    {"placed_at_us", o.placed_at},
                    {"lines", lines_json(book_, m.order, book_.all_lines_mask(m.order))}}
                   .dump();
      return r;
    }
    case Kind::order_ack:
      r.target = prefix + "/order-acks";
      r.body = Json{{"order_id", wire_order(m.order)}, {"accepted_lines", line_list(m.mask)}}.dump();
      return r;
    case Kind::line_cancelled:
      r.target = prefix + "/order-cancellations";
      r.body = Json{{"order_id", wire_order(m.order)}, {"lines", line_list(m.mask)}}.dump();
      return r;
    case Kind::availability:
      r.method = Method::put;
      r.target = prefix + "/availability/" + std::to_string(m.sku);
      r.body = Json{{"available", m.value}, {"sequence", m.ref}, {"version", m.id}}.dump();
      return r;
    case Kind::availability_snapshot: {
      const model::Doc& doc = docs_.get(m.doc);
      r.method = Method::put;
      r.target = prefix + "/availability";
      r.body = "{\"available\":" + doc_array_json(doc, 0, doc.size()) + ",\"sequence\":" + std::to_string(m.ref) +
               ",\"version\":" + std::to_string(m.id) + "}";
      return r;
    }
    case Kind::erp_request: {
      r.idempotency_key = key(m.key);
      switch (static_cast<ErpOp>(m.op)) {
        case ErpOp::create_order:
          r.target = "/erp/sales-orders";
          r.body = Json{{"order_id", wire_order(m.order)},
                        {"channel", roster_.channels[book_.order(m.order).channel]},
                        {"lines", lines_json(book_, m.order, m.mask)}}
                       .dump();
          return r;
        case ErpOp::post_shipment:
          r.target = "/erp/shipments";
          r.body = Json{{"shipment_id", to_wire_id(m.ref)}, {"order_id", wire_order(m.order)}, {"location", roster_.locations[m.loc]},
                        {"lines", lines_json(book_, m.order, m.mask)}, {"shipped_at_us", m.t0}}
                       .dump();
          return r;
        case ErpOp::post_movement:
          r.target = "/erp/stock-movements";
          r.body = Json{{"movement_id", to_wire_id(m.ref)}, {"location", roster_.locations[m.loc]}, {"sku", m.sku},
                        {"delta", m.value}, {"at_us", m.t0}}
                       .dump();
          return r;
        case ErpOp::query_inventory:
          r.method = Method::get;
          r.target = "/erp/inventory/" + roster_.locations[m.loc];
          return r;
        case ErpOp::set_inventory:
          r.method = Method::put;
          r.target = "/erp/inventory/" + roster_.locations[m.loc] + "/" + std::to_string(m.sku);
          r.body = Json{{"on_hand", m.value}, {"movements_applied", m.ref}}.dump();
          return r;
      }
      break;
    }
    case Kind::release:
      r.target = prefix + "/releases";
      r.idempotency_key = key(m.key);
      r.body = Json{{"order_id", wire_order(m.order)}, {"lines", lines_json(book_, m.order, m.mask)}}.dump();
      return r;
    case Kind::release_batch: {
      const model::Doc& doc = docs_.get(m.doc);
      Json orders = Json::array();
      for (std::size_t i = 0; i + 3 <= doc.size(); i += 3) {
        const auto order = static_cast<model::OrderId>(doc[i]);
        Json o = {{"order_id", wire_order(order)}, {"lines", lines_json(book_, order, static_cast<model::LineMask>(doc[i + 1]))}};
        if (doc[i + 2] != 0) o["idempotency_key"] = std::to_string(static_cast<std::uint64_t>(doc[i + 2]));
        orders.push_back(std::move(o));
      }
      r.target = prefix + "/shipping-orders";
      r.body = Json{{"orders", std::move(orders)}}.dump();
      return r;
    }
    case Kind::inventory_query:
      r.method = Method::get;
      r.target = prefix + "/inventory";
      return r;
    case Kind::warehouse_event:
      r.target = "/warehouse-events";
      r.body = event_json(roster_, book_, m.order == model::kNoOrder ? 0 : wire_order(m.order), m.loc,
                          static_cast<model::WarehouseEvent>(m.op), m.order, m.mask, m.sku, m.value,
                          m.op == static_cast<std::uint8_t>(model::WarehouseEvent::short_pick) ? m.ref : to_wire_id(m.ref), m.t0, m.status)
                   .dump();
      return r;
    case Kind::warehouse_batch: {
      const model::Doc& doc = docs_.get(m.doc);
      if (m.op == static_cast<std::uint8_t>(model::WarehouseBatch::inventory)) {
        const std::size_t n = doc.size() / 2;
        r.target = "/warehouse-files/846";
        r.body = "{\"location\":" + Json(roster_.locations[m.loc]).dump() + ",\"at_us\":" + std::to_string(m.t0) +
                 ",\"on_hand\":" + doc_array_json(doc, 0, n) + ",\"movements_reported\":" + doc_array_json(doc, n, n) + "}";
        return r;
      }
      Json records = Json::array();
      for (std::size_t i = 0; i + 8 <= doc.size(); i += 8) {
        const auto type = static_cast<model::WarehouseEvent>(doc[i]);
        const auto order = static_cast<model::OrderId>(doc[i + 1]);
        const bool has_order = type != model::WarehouseEvent::movement;
        records.push_back(event_json(roster_, book_, has_order ? wire_order(order) : 0, m.loc, type, order,
                                     static_cast<model::LineMask>(doc[i + 2]), static_cast<model::SkuId>(doc[i + 3]), doc[i + 4],
                                     type == model::WarehouseEvent::short_pick ? static_cast<std::uint64_t>(doc[i + 5])
                                                                               : to_wire_id(static_cast<std::uint64_t>(doc[i + 5])),
                                     doc[i + 6], static_cast<std::uint16_t>(doc[i + 7])));
      }
      r.target = "/warehouse-files/945";
      r.body = Json{{"location", roster_.locations[m.loc]}, {"at_us", m.t0}, {"records", std::move(records)}}.dump();
      return r;
    }
    default:
      break;
  }
  ESTATE_ASSERT(false, "codec: a message kind that is not a request");
  return r;
}

// --------------------------------------------------------------------- decoding requests

std::optional<Codec::Incoming> Codec::decode_request(Method method, std::string_view target, std::string_view key,
                                                     std::string_view body, Problem& problem) {
  try {
    return side_ == Side::estate ? decode_estate(method, target, key, body, problem)
                                 : decode_pipeline(method, target, key, body, problem);
  } catch (const BodyError& e) {
    problem = {e.status, e.type, e.status == 400 ? "Invalid request body" : "Unknown reference", e.detail, {}};
    return std::nullopt;
  } catch (const Json::exception& e) {
    problem = {400, "invalid-body", "Invalid request body", e.what(), {}};
    return std::nullopt;
  }
}

namespace {
std::optional<Codec::Incoming> not_found(Problem& problem, std::string_view target) {
  problem = {404, "no-such-endpoint", "No such endpoint", "nothing is served at " + printable(target, 200), {}};
  return std::nullopt;
}
std::optional<Codec::Incoming> wrong_method(Problem& problem, Method method, const char* allowed) {
  const std::string used = method == Method::other ? std::string("this method") : method_name(method);
  problem = {405, "method-not-allowed", "Method not allowed", used + " is not allowed here; use " + allowed, allowed};
  return std::nullopt;
}
}  // namespace

namespace {

// Reference resolvers shared by the decoders: each refuses (422) what names nothing.
model::OrderId placed_order(const Codec& c, const Node& n) {
  const std::uint64_t wire = n.id();
  auto o = c.local_order(wire);
  if (!o) unknown("unknown-order", n.path, "no order " + std::to_string(wire) + " was placed at any channel");
  return *o;
}
model::OrderId received_order(const Codec& c, const Node& n) {
  const std::uint64_t wire = n.id();
  auto o = c.local_order(wire);
  if (!o) unknown("unknown-order", n.path, "order " + std::to_string(wire) + " never reached this pipeline");
  return *o;
}
model::LocId named_location(const Roster& r, std::string_view name, const std::string& path) {
  auto l = r.find_location(name);
  if (!l) unknown("unknown-location", path, "no location \"" + printable(name, 60) + "\"");
  return static_cast<model::LocId>(*l);
}
model::SkuId sku_value(const Roster& r, const Node& n) {
  return static_cast<model::SkuId>(n.integer(0, static_cast<std::int64_t>(r.skus) - 1));
}
model::SkuId sku_in_path(const Roster& r, std::string_view s) {
  const std::uint64_t v = parse_uint(s);
  if (v >= r.skus) unknown("unknown-sku", "", "no sku " + printable(s, 30) + " in a catalogue of " + std::to_string(r.skus));
  return static_cast<model::SkuId>(v);
}
// An event id names its location and a sequence number there (model::location_scoped_id).
std::uint64_t event_id(const Codec& c, const Node& n, model::LocId loc) {
  const std::uint64_t id = c.from_wire_id(n.id(), n.path);
  if (id < (std::uint64_t{1} << 40) || model::id_location(id) != loc || model::id_sequence(id) >= (std::uint64_t{1} << 32))
    unknown("unknown-id", n.path, "event " + std::to_string(n.v.get<std::uint64_t>()) + " was not issued by " + c.roster().locations[loc]);
  return id;
}
// A warehouse event or a 945 record, into the message's fields.
void read_event(const Codec& c, const model::OrderBook& book, const Node& n, model::LocId loc, Msg& e) {
  const std::string& type = n.at("type").string();
  e.loc = loc;
  e.t0 = n.has("at_us") ? n.at("at_us").integer(0, kMaxTime) : 0;
  if (type == "shipped") {
    e.op = static_cast<std::uint8_t>(model::WarehouseEvent::shipped);
    e.ref = event_id(c, n.at("event_id"), loc);
    e.order = received_order(c, n.at("order_id"));
    e.mask = read_lines(n.at("lines"), book, e.order);
  } else if (type == "short_pick") {
    e.op = static_cast<std::uint8_t>(model::WarehouseEvent::short_pick);
    e.order = received_order(c, n.at("order_id"));
    const auto line = static_cast<std::size_t>(n.at("line").integer(0, model::kMaxLinesPerOrder - 1));
    if (line >= book.lines(e.order).size()) unknown("unknown-line", n.path + "/line", "the order has no line " + std::to_string(line));
    e.mask = static_cast<model::LineMask>(1u << line);
    e.sku = book.lines(e.order)[line].sku;
    e.value = n.at("on_hand").integer(-kMaxUnits, kMaxUnits);
    e.ref = static_cast<std::uint64_t>(n.at("movements_reported").integer(0, kMaxTime));
  } else if (type == "movement") {
    e.op = static_cast<std::uint8_t>(model::WarehouseEvent::movement);
    e.ref = event_id(c, n.at("event_id"), loc);
    e.sku = sku_value(c.roster(), n.at("sku"));
    e.value = n.at("delta").integer(-kMaxUnits, kMaxUnits);
    e.status = static_cast<std::uint16_t>(movement_type(n.at("movement_type")));
  } else {
    bad(n.path + "/type", "one of shipped, short_pick, movement", n.at("type").v);
  }
}

}  // namespace

std::optional<Codec::Incoming> Codec::decode_estate(Method method, std::string_view target, std::string_view key,
                                                    std::string_view body, Problem& problem) {
  const auto seg = segments(target);
  if (!seg.empty() && seg[0] == "erp") return decode_erp(method, seg, target, key, body, problem);
  if (seg.size() == 3 && (seg[0] == "wms" || seg[0] == "3pl")) return decode_warehouse(method, seg, target, key, body, problem);
  if (seg.size() >= 3 && seg[0] == "channels") return decode_channel(method, seg, target, body, problem);
  return not_found(problem, target);
}

std::optional<Codec::Incoming> Codec::decode_erp(Method method, const Segments& seg, std::string_view target, std::string_view key,
                                                 std::string_view body, Problem& problem) {
  Incoming in;
  Msg& m = in.msg;
  m.from = roster_.pipeline();
  m.to = roster_.erp();
  m.kind = Kind::erp_request;
  m.key = key.empty() || method == Method::get ? 0 : key_from_header(key);
  in.expects_answer = true;
  if (seg.size() == 2 && seg[1] == "sales-orders") {
    if (method != Method::post) return wrong_method(problem, method, "POST");
    const Json j = parse_body(body);
    const Node n{j, ""};
    m.op = static_cast<std::uint8_t>(ErpOp::create_order);
    m.order = placed_order(*this, n.at("order_id"));
    m.mask = read_lines(n.at("lines"), book_, m.order);
    return in;
  }
  if (seg.size() == 2 && seg[1] == "shipments") {
    if (method != Method::post) return wrong_method(problem, method, "POST");
    const Json j = parse_body(body);
    const Node n{j, ""};
    m.op = static_cast<std::uint8_t>(ErpOp::post_shipment);
    m.ref = from_wire_id(n.at("shipment_id").id(), "/shipment_id");
    m.order = placed_order(*this, n.at("order_id"));
    m.loc = named_location(roster_, n.at("location").string(), "/location");
    m.mask = read_lines(n.at("lines"), book_, m.order);
    m.t0 = n.has("shipped_at_us") ? n.at("shipped_at_us").integer(0, kMaxTime) : 0;
    return in;
  }
  if (seg.size() == 2 && seg[1] == "stock-movements") {
    if (method != Method::post) return wrong_method(problem, method, "POST");
    const Json j = parse_body(body);
    const Node n{j, ""};
    m.op = static_cast<std::uint8_t>(ErpOp::post_movement);
    m.ref = from_wire_id(n.at("movement_id").id(), "/movement_id");
    m.loc = named_location(roster_, n.at("location").string(), "/location");
    m.sku = sku_value(roster_, n.at("sku"));
    m.value = n.at("delta").integer(-kMaxUnits, kMaxUnits);
    m.t0 = n.has("at_us") ? n.at("at_us").integer(0, kMaxTime) : 0;
    return in;
  }
  if (seg.size() == 3 && seg[1] == "inventory") {
    if (method != Method::get) return wrong_method(problem, method, "GET");
    m.op = static_cast<std::uint8_t>(ErpOp::query_inventory);
    m.loc = named_location(roster_, seg[2], "");
    return in;
  }
  if (seg.size() == 4 && seg[1] == "inventory") {
    if (method != Method::put) return wrong_method(problem, method, "PUT");
    m.op = static_cast<std::uint8_t>(ErpOp::set_inventory);
    m.loc = named_location(roster_, seg[2], "");
    m.sku = sku_in_path(roster_, seg[3]);
    const Json j = parse_body(body);
    const Node n{j, ""};
    m.value = n.at("on_hand").integer(-kMaxUnits, kMaxUnits);
    m.ref = static_cast<std::uint64_t>(n.at("movements_applied").integer(0, kMaxTime));
    return in;
  }
  return not_found(problem, target);
}

std::optional<Codec::Incoming> Codec::decode_warehouse(Method method, const Segments& seg, std::string_view target,
                                                       std::string_view key, std::string_view body, Problem& problem) {
  const auto l = roster_.find_location(seg[1]);
  if (!l || roster_.third_party[*l] != (seg[0] == "3pl")) return not_found(problem, target);
  Incoming in;
  Msg& m = in.msg;
  m.from = roster_.pipeline();
  m.to = roster_.location(*l);
  m.loc = static_cast<model::LocId>(*l);
  m.key = key.empty() ? 0 : key_from_header(key);
  in.expects_answer = true;
  if (seg[2] == "inventory") {
    if (method != Method::get) return wrong_method(problem, method, "GET");
    m.kind = Kind::inventory_query;
    return in;
  }
  if (seg[0] == "wms" && seg[2] == "releases") {
    if (method != Method::post) return wrong_method(problem, method, "POST");
    const Json j = parse_body(body);
    const Node n{j, ""};
    m.kind = Kind::release;
    m.order = placed_order(*this, n.at("order_id"));
    m.mask = read_lines(n.at("lines"), book_, m.order);
    return in;
  }
  if (seg[0] == "3pl" && seg[2] == "shipping-orders") {
    if (method != Method::post) return wrong_method(problem, method, "POST");
    const Json j = parse_body(body);
    const Node n{j, ""};
    const Node orders = n.at("orders");
    const std::size_t count = orders.array_size(100'000);
    model::Doc doc;
    doc.reserve(count * 3);
    for (std::size_t i = 0; i < count; ++i) {
      const Node o = orders[i];
      const model::OrderId order = placed_order(*this, o.at("order_id"));
      doc.push_back(order);
      doc.push_back(read_lines(o.at("lines"), book_, order));
      const std::string ikey = o.has("idempotency_key") ? o.at("idempotency_key").string() : std::string();
      doc.push_back(ikey.empty() ? 0 : static_cast<std::int64_t>(key_from_header(ikey)));
    }
    m.kind = Kind::release_batch;
    m.doc = docs_.put(std::move(doc));
    return in;
  }
  return not_found(problem, target);
}

std::optional<Codec::Incoming> Codec::decode_channel(Method method, const Segments& seg, std::string_view target,
                                                     std::string_view body, Problem& problem) {
  const auto c = roster_.find_channel(seg[1]);
  if (!c) return not_found(problem, target);
  Incoming in;
  Msg& m = in.msg;
  m.from = roster_.pipeline();
  m.to = roster_.channel(*c);
  in.ack_status = 204;
  auto own_order = [&](const Node& n) {
    const model::OrderId o = placed_order(*this, n);
    if (book_.order(o).channel != *c)
      unknown("wrong-channel", n.path, "order " + std::to_string(n.v.get<std::uint64_t>()) + " was placed at " +
                                           roster_.channels[book_.order(o).channel] + ", not here");
    return o;
  };
  if (seg.size() == 3 && (seg[2] == "order-acks" || seg[2] == "order-cancellations")) {
    if (method != Method::post) return wrong_method(problem, method, "POST");
    const Json j = parse_body(body);
    const Node n{j, ""};
    const bool ack = seg[2] == "order-acks";
    m.kind = ack ? Kind::order_ack : Kind::line_cancelled;
    m.order = own_order(n.at("order_id"));
    m.mask = read_line_numbers(n.at(ack ? "accepted_lines" : "lines"), book_, m.order);
    return in;
  }
  if (seg[2] == "availability" && seg.size() <= 4) {
    if (method != Method::put) return wrong_method(problem, method, "PUT");
    const Json j = parse_body(body);
    const Node n{j, ""};
    // Sequence and version are optional: without them a figure is taken as the newest
    // (the host numbers it), and inventory_to_channel is measured at the boundary.
    m.ref = n.has("sequence") ? static_cast<std::uint64_t>(n.at("sequence").integer(0, kMaxTime)) : 0;
    m.id = n.has("version") ? static_cast<std::uint64_t>(n.at("version").integer(0, kMaxTime)) : 0;
    m.status = (n.has("sequence") ? 1 : 0) | (n.has("version") ? 2 : 0);  // which were given
    if (seg.size() == 4) {
      m.kind = Kind::availability;
      m.sku = sku_in_path(roster_, seg[3]);
      m.value = n.at("available").integer(0, INT32_MAX);
      return in;
    }
    const Node a = n.at("available");
    if (a.array_size(roster_.skus) != roster_.skus)
      bad("/available", "an array of " + std::to_string(roster_.skus) + " figures, one per sku", Json(a.v.size()));
    model::Doc doc(roster_.skus);
    for (std::size_t s = 0; s < roster_.skus; ++s) doc[s] = a[s].integer(0, INT32_MAX);
    m.kind = Kind::availability_snapshot;
    m.doc = docs_.put(std::move(doc));
    return in;
  }
  return not_found(problem, target);
}

// An order webhook: a new order enters the pipeline's own book; a redelivery is the same order.
Codec::Incoming Codec::decode_webhook(std::string_view body, std::string_view key) {
  const Json j = parse_body(body);
  const Node n{j, ""};
  const std::uint64_t wire = n.at("order_id").id();
  const Node ch = n.at("channel");
  const auto c = roster_.find_channel(ch.string());
  if (!c) unknown("unknown-channel", "/channel", "no channel \"" + printable(ch.string(), 60) + "\"");
  const sim::Tick placed_at = n.at("placed_at_us").integer(0, kMaxTime);
  const Node lines = n.at("lines");
  const std::size_t count = lines.array_size(model::kMaxLinesPerOrder);
  if (count == 0) bad("/lines", "at least one line", lines.v);
  model::OrderLine parsed[model::kMaxLinesPerOrder];
  for (std::size_t i = 0; i < count; ++i) {
    const Node l = lines[i];
    if (l.at("line").integer(0, model::kMaxLinesPerOrder - 1) != static_cast<std::int64_t>(i))
      bad(l.path + "/line", "lines numbered from 0 in order (" + std::to_string(i) + ")", l.at("line").v);
    parsed[i] = {sku_value(roster_, l.at("sku")), static_cast<std::int32_t>(l.at("qty").integer(1, kMaxUnits))};
  }
  auto known = local_order(wire);
  if (!known) {
    const model::OrderId id = book_.add(static_cast<model::ChannelId>(*c), placed_at, std::span(parsed, count));
    wire_of_.push_back(wire);
    local_of_.emplace(wire, id);
    known = id;
  } else if (book_.order(*known).channel != *c) {  // a redelivery is the same order, from the same channel
    unknown("order-conflict", "/channel", "order " + std::to_string(wire) + " came from " + roster_.channels[book_.order(*known).channel] +
                                              " before, not " + roster_.channels[*c]);
  }
  Incoming in;
  Msg& m = in.msg;
  m.kind = Kind::order_delivery;
  m.to = roster_.pipeline();
  m.from = roster_.channel(*c);
  m.order = *known;
  m.key = key.empty() ? wire : key_from_header(key);
  m.t0 = book_.order(*known).placed_at;
  in.expects_answer = true;
  in.ack_status = 202;
  return in;
}

std::optional<Codec::Incoming> Codec::decode_pipeline(Method method, std::string_view target, std::string_view key,
                                                      std::string_view body, Problem& problem) {
  const auto seg = segments(target);
  const bool file = seg.size() == 2 && seg[0] == "warehouse-files" && (seg[1] == "945" || seg[1] == "846");
  if (!(seg.size() == 1 && (seg[0] == "orders" || seg[0] == "warehouse-events")) && !file) return not_found(problem, target);
  if (method != Method::post) return wrong_method(problem, method, "POST");
  if (seg[0] == "orders") return decode_webhook(body, key);
  const Json j = parse_body(body);
  const Node n{j, ""};
  Incoming in;
  Msg& m = in.msg;
  m.to = roster_.pipeline();
  in.ack_status = 202;
  const model::LocId loc = named_location(roster_, n.at("location").string(), "/location");
  m.from = roster_.location(loc);
  if (!file) {
    if (roster_.third_party[loc]) unknown("wrong-location", "/location", roster_.locations[loc] + " is a 3PL: it sends files, not events");
    m.kind = Kind::warehouse_event;
    read_event(*this, book_, n, loc, m);
    return in;
  }
  if (!roster_.third_party[loc]) unknown("wrong-location", "/location", roster_.locations[loc] + " is a WMS: it sends events, not files");
  m.kind = Kind::warehouse_batch;
  m.loc = loc;
  m.t0 = n.has("at_us") ? n.at("at_us").integer(0, kMaxTime) : 0;
  model::Doc doc;
  if (seg[1] == "846") {
    m.op = static_cast<std::uint8_t>(model::WarehouseBatch::inventory);
    const Node on_hand = n.at("on_hand"), reported = n.at("movements_reported");
    if (on_hand.array_size(roster_.skus) != roster_.skus) bad("/on_hand", "one figure per sku", Json(on_hand.v.size()));
    if (reported.array_size(roster_.skus) != roster_.skus) bad("/movements_reported", "one count per sku", Json(reported.v.size()));
    doc.resize(2 * roster_.skus);
    for (std::size_t s = 0; s < roster_.skus; ++s) {
      doc[s] = on_hand[s].integer(-kMaxUnits, kMaxUnits);
      doc[roster_.skus + s] = reported[s].integer(0, kMaxTime);
    }
  } else {
    m.op = static_cast<std::uint8_t>(model::WarehouseBatch::advice);
    const Node records = n.at("records");
    const std::size_t count = records.array_size(1'000'000);
    doc.reserve(count * 8);
    for (std::size_t i = 0; i < count; ++i) {
      Msg e;
      read_event(*this, book_, records[i], loc, e);
      const std::int64_t r[8] = {e.op, e.order == model::kNoOrder ? 0 : e.order, e.mask, e.sku, e.value,
                                 static_cast<std::int64_t>(e.ref), e.t0, e.status};
      doc.insert(doc.end(), r, r + 8);
    }
  }
  m.doc = docs_.put(std::move(doc));
  return in;
}

// ------------------------------------------------------------------------------ responses

Response Codec::encode_response(const Msg& a, const Msg& request) const {
  Response r;
  r.status = a.status;
  if (a.status == status::too_many_requests && a.value > 0)
    r.retry_after_ms = std::max<std::int64_t>(1, std::llround(sim::to_seconds(a.value) / time_scale_ * 1000));
  if (!model::is_success(a.status)) {
    Problem p;
    p.status = a.status;
    switch (a.status) {
      case status::too_many_requests: p.type = "throttled"; p.title = "Too many requests"; p.detail = "quota or concurrency limit reached; retry after the delay given"; break;
      case status::unavailable: p.type = "unavailable"; p.title = "Service unavailable"; p.detail = "the system is down or refusing work"; break;
      case status::conflict: p.type = "stale"; p.title = "Conflict"; p.detail = "stock moved since the count this correction is based on"; break;
      default: p.type = "error"; p.title = "Internal error"; p.detail = "the system failed to process the request"; break;
    }
    Json body = Json::parse(problem_json(p));
    if (r.retry_after_ms >= 0) body["retry_after_ms"] = r.retry_after_ms;
    r.body = body.dump();
    r.problem = true;
    return r;
  }
  if (a.doc != 0) {  // an inventory snapshot (ERP query, or a warehouse's count)
    const model::Doc& doc = docs_.get(a.doc);
    const std::size_t n = doc.size() / 2;
    const bool erp = request.kind == Kind::erp_request;
    r.body = "{\"location\":" + Json(roster_.locations[request.loc]).dump() + ",\"on_hand\":" + doc_array_json(doc, 0, n) +
             (erp ? ",\"movements_applied\":" : ",\"movements_reported\":") + doc_array_json(doc, n, n) + "}";
    return r;
  }
  r.body = a.kind == Kind::delivery_response ? "{\"accepted\":true}" : "{\"ok\":true}";
  return r;
}

std::optional<Msg> Codec::decode_response(const Msg& req, std::uint16_t st, std::int64_t retry_after_s, std::string_view body,
                                          Problem& problem) const {
  Msg a;
  a.id = req.id;
  a.op = req.op;
  a.loc = req.loc;
  a.status = st;
  a.from = req.to;
  a.to = req.from;
  switch (req.kind) {
    case Kind::order_delivery: a.kind = Kind::delivery_response; break;
    case Kind::erp_request: a.kind = Kind::erp_response; break;
    case Kind::release:
    case Kind::release_batch:
    case Kind::inventory_query: a.kind = Kind::warehouse_response; break;
    default: ESTATE_ASSERT(false, "codec: no answer is expected to this kind");
  }
  const bool is_query = req.kind == Kind::inventory_query ||
                        (req.kind == Kind::erp_request && req.op == static_cast<std::uint8_t>(ErpOp::query_inventory));
  try {
    if (st == status::too_many_requests || st == status::unavailable) {
      // Taken at most a day of wall time: a larger delay is a broken server, not a plan.
      constexpr std::int64_t kMaxMs = 86'400'000;
      std::int64_t ms = retry_after_s >= 0 ? std::min(retry_after_s, kMaxMs / 1000) * 1000 : -1;
      if (!body.empty() && body.size() < 65536) {
        const Json j = Json::parse(body.begin(), body.end(), nullptr, false);
        if (j.is_object() && j.contains("retry_after_ms") && j["retry_after_ms"].is_number_integer() && !j["retry_after_ms"].is_number_unsigned())
          ms = std::clamp<std::int64_t>(j["retry_after_ms"].get<std::int64_t>(), 0, kMaxMs);
        else if (j.is_object() && j.contains("retry_after_ms") && j["retry_after_ms"].is_number_unsigned())
          ms = static_cast<std::int64_t>(std::min<std::uint64_t>(j["retry_after_ms"].get<std::uint64_t>(), kMaxMs));
      }
      if (ms > 0) a.value = sim::from_seconds(static_cast<double>(ms) / 1000.0 * time_scale_);
    }
    if (is_query && model::is_success(st)) {
      const Json j = parse_body(body);
      const Node n{j, ""};
      const Node on_hand = n.at("on_hand");
      const Node counts = n.at(req.kind == Kind::erp_request ? "movements_applied" : "movements_reported");
      if (on_hand.array_size(roster_.skus) != roster_.skus) bad("/on_hand", "one figure per sku", Json(on_hand.v.size()));
      if (counts.array_size(roster_.skus) != roster_.skus) bad(counts.path, "one count per sku", Json(counts.v.size()));
      model::Doc doc(2 * roster_.skus);
      for (std::size_t s = 0; s < roster_.skus; ++s) {
        doc[s] = on_hand[s].integer(-kMaxUnits, kMaxUnits);
        doc[roster_.skus + s] = counts[s].integer(0, kMaxTime);
      }
      a.doc = docs_.put(std::move(doc));
    }
  } catch (const BodyError& e) {
    problem = {e.status, e.type, "Invalid response body", e.detail, {}};
    return std::nullopt;
  }
  return a;
}

}  // namespace estate::wire

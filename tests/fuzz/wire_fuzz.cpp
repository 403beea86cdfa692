// Coverage-guided fuzzing (libFuzzer) of what the live mode does with bytes from the network:
// HTTP requests parsed by Boost.Beast as hosts/live/http.cpp's server parses them, bodies
// decoded by the wire codec on either side of the wire, and response bodies decoded as
// answers. The codec must never crash, assert, leak or read out of bounds, and a decode that
// succeeds must give a message a component can take: every field in range (checked here,
// __builtin_trap() when not), and one that encodes and decodes back to itself.
//
// The input's first byte b chooses the side of the wire (b & 1: 0 estate, 1 pipeline) and the
// entry point ((b >> 1) % 3), so that seeds can start with a letter:
//   'H', 'I'  raw HTTP/1.1 for the estate's / the pipeline's server: up to 4 pipelined
//             requests, each parsed by Beast (header 16 KiB, body 1 MiB) and then decoded;
//   'D', 'E'  a body for a route of that side: byte 1 picks the route (kEstateRoutes,
//             kPipelineRoutes), byte 2 the Idempotency-Key, the rest is the body;
//   'F', 'G'  a response: byte 1 picks a request that expects an answer (any side), byte 2 the
//             status, byte 3 the Retry-After header, the rest is the body for decode_response.
// tests/fuzz/run.sh builds it (preset fuzz) and runs it on a copy of tests/fuzz/corpus.
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "model/message.h"
#include "model/order_book.h"
#include "wire/codec.h"

#define FUZZ_CHECK(cond, what)                                                                  \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "wire_fuzz: %s:%d: invariant broken: %s: %s\n", __FILE__, __LINE__, \
                   what, #cond);                                                                \
      __builtin_trap();                                                                         \
    }                                                                                           \
  } while (false)

namespace {

using namespace estate;
namespace http = boost::beast::http;
using model::Kind;
using model::Msg;

constexpr std::size_t kSkus = 50;
constexpr std::size_t kOrders = 300;
constexpr double kTimeScale = 20.0;            // scenario seconds per wall second
// Ids on the wire start at a per-run base (LiveEstate: 1 to 255 times kIdSpan); here the first,
// so order 1 is 35184372088833 on the wire (the seeds' ids).
constexpr std::uint64_t kIdBase = wire::Codec::kIdSpan;
constexpr std::size_t kPipelineSpare = 1024;   // orders the fuzzer may add before a rebuild
constexpr std::size_t kHeaderBytes = 16 * 1024;  // the server's Limits::header_bytes
constexpr std::size_t kBodyBytes = 1u << 20;     // smaller than the server's, to bound memory
constexpr std::int64_t kMaxUnits = 1'000'000'000;
constexpr std::int64_t kMaxTime = std::int64_t{1} << 60;

// Documents as LiveHost keeps them: id 0 is no document. Cleared before every input, so it
// never grows across inputs and a decode does not depend on the inputs before it.
class VecDocs final : public wire::Docs {
 public:
  model::DocId put(model::Doc doc) override {
    docs_.push_back(std::move(doc));
    return static_cast<model::DocId>(docs_.size() - 1);
  }
  const model::Doc& get(model::DocId id) const override {
    FUZZ_CHECK(id < docs_.size(), "docs: a document that was never put");
    return docs_[id];
  }
  void clear() { docs_.resize(1); }

 private:
  std::vector<model::Doc> docs_{model::Doc{}};
};

struct Route {
  wire::Method method;
  const char* target;
};

// The routes each side serves (contract/openapi.yaml), over the roster below.
constexpr Route kEstateRoutes[] = {
    {wire::Method::post, "/erp/sales-orders"},                  // 0
    {wire::Method::post, "/erp/shipments"},                     // 1
    {wire::Method::post, "/erp/stock-movements"},               // 2
    {wire::Method::get, "/erp/inventory/wh1"},                  // 3
    {wire::Method::put, "/erp/inventory/wh2/7"},                // 4
    {wire::Method::put, "/erp/inventory/tpl/49"},               // 5
    {wire::Method::get, "/wms/wh1/inventory"},                  // 6
    {wire::Method::post, "/wms/wh1/releases"},                  // 7
    {wire::Method::post, "/wms/wh2/releases"},                  // 8
    {wire::Method::get, "/3pl/tpl/inventory"},                  // 9
    {wire::Method::post, "/3pl/tpl/shipping-orders"},           // 10
    {wire::Method::post, "/channels/web/order-acks"},           // 11
    {wire::Method::post, "/channels/market/order-acks"},        // 12
    {wire::Method::post, "/channels/web/order-cancellations"},  // 13
    {wire::Method::post, "/channels/market/order-cancellations"},  // 14
    {wire::Method::put, "/channels/web/availability"},          // 15
    {wire::Method::put, "/channels/market/availability"},       // 16
    {wire::Method::put, "/channels/web/availability/3"},        // 17
    {wire::Method::put, "/channels/market/availability/49"},    // 18
};
constexpr Route kPipelineRoutes[] = {
    {wire::Method::post, "/orders"},               // 0
    {wire::Method::post, "/warehouse-events"},     // 1
    {wire::Method::post, "/warehouse-files/945"},  // 2
    {wire::Method::post, "/warehouse-files/846"},  // 3
};
constexpr const char* kKeys[] = {"", "order-17", "1", "\xc3\xa9t\xc3\xa9"};
constexpr std::uint16_t kStatuses[] = {200, 201, 202, 204, 299, 301, 400, 404, 409, 422, 429, 500, 503, 504, 100, 999};
constexpr std::int64_t kRetryAfter[] = {-1, 0, 1, 30, 3600, 86'400'000, std::numeric_limits<std::int64_t>::max() / 1000,
                                        std::numeric_limits<std::int64_t>::max()};

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A small estate: two WMS and a 3PL, two channels, 50 skus, 300 orders; the pipeline's side
// has received every order by webhook. The first four orders are fixed (the seeds name them
// by wire id kIdBase + 1 to 4); the rest are random but the same on every run.
struct World {
  wire::Roster roster;
  model::OrderBook estate_book;
  VecDocs docs;
  std::optional<wire::Codec> estate;
  std::optional<model::OrderBook> pipeline_book;
  std::optional<wire::Codec> pipeline;
  std::vector<Msg> answerable;  // requests that expect an answer, for decode_response

  World() {
    roster.locations = {"wh1", "wh2", "tpl"};
    roster.third_party = {false, false, true};
    roster.channels = {"web", "market"};
    roster.skus = kSkus;
    estate_book.add(0, 1'000'000, std::array{model::OrderLine{3, 2}});
    estate_book.add(1, 1'001'000, std::array{model::OrderLine{7, 1}, model::OrderLine{12, 4}});
    estate_book.add(0, 1'002'000, std::array{model::OrderLine{0, 1}, model::OrderLine{1, 1}, model::OrderLine{2, 3}});
    std::array<model::OrderLine, model::kMaxLinesPerOrder> all{};
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = {static_cast<model::SkuId>(3 * i), 1};
    estate_book.add(1, 1'003'000, all);
    std::uint64_t seed = 42;
    while (estate_book.size() < kOrders) {
      const std::size_t n = estate_book.size() % 37 == 0 ? model::kMaxLinesPerOrder : 1 + splitmix(seed) % 4;
      std::vector<model::OrderLine> lines(n);
      for (auto& l : lines) l = {static_cast<model::SkuId>(splitmix(seed) % kSkus), static_cast<std::int32_t>(1 + splitmix(seed) % 5)};
      estate_book.add(static_cast<model::ChannelId>(splitmix(seed) % 2), static_cast<sim::Tick>(1'000'000 + 1000 * estate_book.size()), lines);
    }
    estate.emplace(roster, wire::Side::estate, estate_book, docs, kTimeScale, kIdBase);
    rebuild_pipeline();

    auto request = [&](Kind kind, model::Address from, model::Address to) {
      Msg m;
      m.kind = kind;
      m.from = from;
      m.to = to;
      m.id = 1 + answerable.size();
      return m;
    };
    Msg m = request(Kind::order_delivery, roster.channel(1), roster.pipeline());
    m.order = 1;
    answerable.push_back(m);
    for (auto op : {model::ErpOp::create_order, model::ErpOp::post_shipment, model::ErpOp::post_movement,
                    model::ErpOp::query_inventory, model::ErpOp::set_inventory}) {
      m = request(Kind::erp_request, roster.pipeline(), roster.erp());
      m.op = static_cast<std::uint8_t>(op);
      m.loc = 1;
      m.order = 2;
      answerable.push_back(m);
    }
    for (std::size_t l = 0; l < roster.locations.size(); ++l) {
      m = request(roster.third_party[l] ? Kind::release_batch : Kind::release, roster.pipeline(), roster.location(l));
      m.loc = static_cast<model::LocId>(l);
      answerable.push_back(m);
      m = request(Kind::inventory_query, roster.pipeline(), roster.location(l));
      m.loc = static_cast<model::LocId>(l);
      answerable.push_back(m);
    }
  }

  // The pipeline's book holds what order webhooks brought it: every estate order, then
  // whatever the fuzzer's own /orders requests add, up to kPipelineSpare before a rebuild.
  void rebuild_pipeline() {
    pipeline.reset();
    pipeline_book.emplace();
    pipeline.emplace(roster, wire::Side::pipeline, *pipeline_book, docs, kTimeScale, kIdBase);
    for (model::OrderId o = 0; o < estate_book.size(); ++o) {
      Msg m;
      m.kind = Kind::order_delivery;
      m.from = roster.channel(estate_book.order(o).channel);
      m.to = roster.pipeline();
      m.order = o;
      m.key = o % 3 == 0 ? 0 : 1000 + o;
      const wire::Request r = estate->encode_request(m);
      wire::Problem problem;
      const auto in = pipeline->decode_request(r.method, r.target, r.idempotency_key, r.body, problem);
      FUZZ_CHECK(in && in->msg.order == o, "setup: an order webhook the pipeline's side does not take");
    }
  }

  wire::Codec& codec(wire::Side side) { return side == wire::Side::estate ? *estate : *pipeline; }
};

// ESTATE_FUZZ_VERBOSE=1: say what became of each request (to read a reproduced input).
const bool kVerbose = std::getenv("ESTATE_FUZZ_VERBOSE") != nullptr;

World& world() {
  static World* w = new World();  // never destroyed: reachable, so not a leak
  return *w;
}

// ------------------------------------------------------------------------------ invariants

bool units(std::int64_t v) { return v >= -kMaxUnits && v <= kMaxUnits; }
bool tick(std::int64_t v) { return v >= 0 && v <= kMaxTime; }
bool local_id(std::uint64_t v) { return v != 0 && v < wire::Codec::kIdSpan; }  // a shipment, movement or event id

void check_order(const model::OrderBook& book, const World& w, model::OrderId order) {
  FUZZ_CHECK(order < book.size(), "an order outside the book");
  FUZZ_CHECK(book.order(order).channel < w.roster.channels.size(), "an order of no channel");
  const auto lines = book.lines(order);
  FUZZ_CHECK(!lines.empty() && lines.size() <= model::kMaxLinesPerOrder, "an order's line count");
  for (const auto& l : lines) FUZZ_CHECK(l.sku < w.roster.skus && l.qty >= 1 && l.qty <= kMaxUnits, "an order line");
}

void check_mask(const model::OrderBook& book, model::OrderId order, model::LineMask mask, bool nonempty) {
  FUZZ_CHECK((mask & ~book.all_lines_mask(order)) == 0, "a line mask beyond the order's lines");
  if (nonempty) FUZZ_CHECK(mask != 0, "an empty line mask");
}

// A warehouse event (a WMS event, or a 945 record) as the pipeline's side decoded it.
void check_event(const model::OrderBook& book, const World& w, std::uint8_t op, model::OrderId order, model::LineMask mask,
                 model::SkuId sku, std::int64_t value, std::uint64_t ref, sim::Tick t0, std::uint16_t movement) {
  FUZZ_CHECK(tick(t0), "an event time");
  switch (static_cast<model::WarehouseEvent>(op)) {
    case model::WarehouseEvent::shipped:
      check_order(book, w, order);
      check_mask(book, order, mask, true);
      FUZZ_CHECK(local_id(ref), "a shipment's id");
      return;
    case model::WarehouseEvent::short_pick:
      check_order(book, w, order);
      check_mask(book, order, mask, true);
      FUZZ_CHECK(model::line_count(mask) == 1, "a short pick of more than one line");
      FUZZ_CHECK(sku == book.lines(order)[static_cast<std::size_t>(std::countr_zero(mask))].sku, "a short pick's sku");
      FUZZ_CHECK(units(value) && ref <= static_cast<std::uint64_t>(kMaxTime), "a short pick's count");
      return;
    case model::WarehouseEvent::movement:
      FUZZ_CHECK(sku < w.roster.skus && units(value) && local_id(ref), "a movement");
      FUZZ_CHECK(movement <= static_cast<std::uint16_t>(model::MovementType::adjustment), "a movement type");
      return;
  }
  FUZZ_CHECK(false, "an event type");
}

void check_incoming(World& w, wire::Side side, const wire::Codec::Incoming& in) {
  const Msg& m = in.msg;
  const wire::Roster& r = w.roster;
  const model::OrderBook& book = w.codec(side).book();
  const std::size_t locations = r.locations.size();
  if (side == wire::Side::estate) {
    FUZZ_CHECK(m.from == r.pipeline() && m.to < r.pipeline(), "estate side: addresses");
  } else {
    FUZZ_CHECK(m.to == r.pipeline() && m.from != r.erp() && m.from < r.pipeline(), "pipeline side: addresses");
  }
  FUZZ_CHECK(in.expects_answer == !wire::Codec::is_one_way(m.kind), "expects_answer and the kind disagree");
  switch (m.kind) {
    case Kind::erp_request:
      FUZZ_CHECK(side == wire::Side::estate && m.to == r.erp(), "an ERP request");
      switch (static_cast<model::ErpOp>(m.op)) {
        case model::ErpOp::create_order:
          check_order(book, w, m.order);
          check_mask(book, m.order, m.mask, true);
          return;
        case model::ErpOp::post_shipment:
          check_order(book, w, m.order);
          check_mask(book, m.order, m.mask, true);
          FUZZ_CHECK(m.loc < locations && local_id(m.ref) && tick(m.t0), "a shipment");
          return;
        case model::ErpOp::post_movement:
          FUZZ_CHECK(m.loc < locations && m.sku < r.skus && units(m.value) && local_id(m.ref) && tick(m.t0), "a movement");
          return;
        case model::ErpOp::query_inventory:
          FUZZ_CHECK(m.loc < locations, "an inventory query");
          return;
        case model::ErpOp::set_inventory:
          FUZZ_CHECK(m.loc < locations && m.sku < r.skus && units(m.value) && m.ref <= static_cast<std::uint64_t>(kMaxTime),
                     "an inventory correction");
          return;
      }
      FUZZ_CHECK(false, "an ERP operation");
      return;
    case Kind::release:
    case Kind::release_batch:
    case Kind::inventory_query: {
      FUZZ_CHECK(side == wire::Side::estate && r.is_location(m.to) && m.loc == r.location_index(m.to), "a warehouse request");
      if (m.kind == Kind::inventory_query) return;
      FUZZ_CHECK(r.third_party[m.loc] == (m.kind == Kind::release_batch), "a release to the wrong kind of warehouse");
      if (m.kind == Kind::release) {
        check_order(book, w, m.order);
        check_mask(book, m.order, m.mask, true);
        return;
      }
      const model::Doc& doc = w.docs.get(m.doc);
      FUZZ_CHECK(m.doc != 0 && doc.size() % 3 == 0 && doc.size() <= 3 * 100'000, "a 940's document");
      for (std::size_t i = 0; i < doc.size(); i += 3) {
        FUZZ_CHECK(doc[i] >= 0 && static_cast<std::uint64_t>(doc[i]) < book.size(), "a 940's order");
        const auto order = static_cast<model::OrderId>(doc[i]);
        FUZZ_CHECK(doc[i + 1] >= 0 && doc[i + 1] <= 0xffff, "a 940's line mask");
        check_mask(book, order, static_cast<model::LineMask>(doc[i + 1]), true);
      }
      return;
    }
    case Kind::order_ack:
    case Kind::line_cancelled:
      FUZZ_CHECK(side == wire::Side::estate && r.is_channel(m.to), "an order ack or cancellation");
      check_order(book, w, m.order);
      FUZZ_CHECK(book.order(m.order).channel == r.channel_index(m.to), "an ack to a channel that did not place the order");
      check_mask(book, m.order, m.mask, false);
      return;
    case Kind::availability:
    case Kind::availability_snapshot: {
      FUZZ_CHECK(side == wire::Side::estate && r.is_channel(m.to) && m.status <= 3, "an availability figure");
      FUZZ_CHECK(m.ref <= static_cast<std::uint64_t>(kMaxTime) && m.id <= static_cast<std::uint64_t>(kMaxTime), "a sequence or version");
      if (m.kind == Kind::availability) {
        FUZZ_CHECK(m.sku < r.skus && m.value >= 0 && m.value <= INT32_MAX, "an availability figure");
        return;
      }
      const model::Doc& doc = w.docs.get(m.doc);
      FUZZ_CHECK(m.doc != 0 && doc.size() == r.skus, "a snapshot's document");
      for (auto v : doc) FUZZ_CHECK(v >= 0 && v <= INT32_MAX, "a snapshot's figure");
      return;
    }
    case Kind::order_delivery:
      FUZZ_CHECK(side == wire::Side::pipeline && r.is_channel(m.from) && m.key != 0 && tick(m.t0), "an order webhook");
      check_order(book, w, m.order);
      return;
    case Kind::warehouse_event:
      FUZZ_CHECK(side == wire::Side::pipeline && r.is_location(m.from) && m.loc == r.location_index(m.from), "a warehouse event");
      check_event(book, w, m.op, m.order, m.mask, m.sku, m.value, m.ref, m.t0, m.status);
      return;
    case Kind::warehouse_batch: {
      FUZZ_CHECK(side == wire::Side::pipeline && r.is_location(m.from) && m.loc == r.location_index(m.from) && tick(m.t0),
                 "a warehouse file");
      const model::Doc& doc = w.docs.get(m.doc);
      FUZZ_CHECK(m.doc != 0, "a warehouse file without its document");
      if (m.op == static_cast<std::uint8_t>(model::WarehouseBatch::inventory)) {
        FUZZ_CHECK(doc.size() == 2 * r.skus, "an 846's document");
        for (std::size_t s = 0; s < r.skus; ++s) FUZZ_CHECK(units(doc[s]) && tick(doc[r.skus + s]), "an 846's figures");
        return;
      }
      FUZZ_CHECK(m.op == static_cast<std::uint8_t>(model::WarehouseBatch::advice) && doc.size() % 8 == 0, "a 945's document");
      for (std::size_t i = 0; i < doc.size(); i += 8) {
        FUZZ_CHECK(doc[i] >= 0 && doc[i] <= 2 && doc[i + 1] >= 0 && doc[i + 1] <= UINT32_MAX && doc[i + 2] >= 0 &&
                       doc[i + 2] <= 0xffff && doc[i + 3] >= 0 && doc[i + 3] <= UINT32_MAX && doc[i + 5] >= 0 &&
                       doc[i + 7] >= 0 && doc[i + 7] <= 0xffff,
                   "a 945 record's fields");
        check_event(book, w, static_cast<std::uint8_t>(doc[i]), static_cast<model::OrderId>(doc[i + 1]),
                    static_cast<model::LineMask>(doc[i + 2]), static_cast<model::SkuId>(doc[i + 3]), doc[i + 4],
                    static_cast<std::uint64_t>(doc[i + 5]), doc[i + 6], static_cast<std::uint16_t>(doc[i + 7]));
      }
      return;
    }
    default:
      break;
  }
  FUZZ_CHECK(false, "a kind no request carries");
}

void check_problem(const wire::Problem& p) {
  FUZZ_CHECK(p.status == 400 || p.status == 404 || p.status == 405 || p.status == 422, "a problem's status");
  FUZZ_CHECK(!p.type.empty() && !p.title.empty(), "a problem's type and title");
  // The server answers with it (hosts/live/live_host.cpp, on_request).
  (void)wire::problem_json(p);
}

// ------------------------------------------------------------------------------ round trips

// What a decoded request says, without what encoding may restate: a key is hashed again (and
// only webhooks, ERP requests and WMS releases carry one), an availability figure is always
// sent with its sequence and version.
bool same_request(const Msg& a, const Msg& b, const VecDocs& docs) {
  if (a.kind != b.kind || a.order != b.order) return false;
  const bool keyed = a.kind == Kind::order_delivery || a.kind == Kind::erp_request || a.kind == Kind::release;
  if (keyed && (a.key == 0) != (b.key == 0)) return false;
  if (a.kind == Kind::order_delivery) return true;  // from and t0 are the book's (a redelivery may differ)
  if (a.op != b.op || a.loc != b.loc || a.mask != b.mask || a.sku != b.sku || a.from != b.from || a.to != b.to ||
      a.value != b.value || a.t0 != b.t0 || a.ref != b.ref || a.id != b.id)
    return false;
  if (a.kind != Kind::availability && a.kind != Kind::availability_snapshot && a.status != b.status) return false;
  if ((a.doc == 0) != (b.doc == 0)) return false;
  if (a.doc == 0) return true;
  const model::Doc& x = docs.get(a.doc);
  const model::Doc& y = docs.get(b.doc);
  if (x.size() != y.size()) return false;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool key = a.kind == Kind::release_batch && i % 3 == 2;
    if (key ? (x[i] == 0) != (y[i] == 0) : x[i] != y[i]) return false;
  }
  return true;
}

// The decoded request, encoded as this side would send it, decodes back to the same message;
// and a component's answer to it, encoded by this side, decodes on the other side.
void round_trip(World& w, wire::Side side, const wire::Codec::Incoming& in, std::uint8_t choice) {
  wire::Codec& codec = w.codec(side);
  const wire::Request again = codec.encode_request(in.msg);
  wire::Problem problem;
  const auto back = codec.decode_request(again.method, again.target, again.idempotency_key, again.body, problem);
  if (!back) std::fprintf(stderr, "wire_fuzz: %s %s: %s\n", again.target.c_str(), again.body.substr(0, 200).c_str(), problem.detail.c_str());
  FUZZ_CHECK(back.has_value(), "a decoded request, encoded again, is refused");
  FUZZ_CHECK(same_request(in.msg, back->msg, w.docs), "a decoded request, encoded again, decodes differently");
  if (!in.expects_answer) return;

  const Msg& req = in.msg;
  Msg answer;
  answer.id = req.id;
  answer.from = req.to;
  answer.to = req.from;
  answer.kind = req.kind == Kind::order_delivery ? Kind::delivery_response
                : req.kind == Kind::erp_request  ? Kind::erp_response
                                                 : Kind::warehouse_response;
  const bool query = req.kind == Kind::inventory_query ||
                     (req.kind == Kind::erp_request && req.op == static_cast<std::uint8_t>(model::ErpOp::query_inventory));
  switch (choice % 6) {
    case 0: answer.status = model::status::ok; break;
    case 1: answer.status = model::status::too_many_requests; answer.value = sim::seconds(3); break;
    case 2: answer.status = model::status::unavailable; break;
    case 3: answer.status = model::status::conflict; break;
    case 4: answer.status = model::status::error; break;
    default: answer.status = query ? model::status::ok : model::status::accepted; break;
  }
  if (query && model::is_success(answer.status)) {
    model::Doc doc(2 * w.roster.skus);
    for (std::size_t i = 0; i < doc.size(); ++i) doc[i] = static_cast<std::int64_t>(i * 7 % 23) - 5 * (i < w.roster.skus);
    answer.doc = w.docs.put(std::move(doc));
  }
  const wire::Response response = codec.encode_response(answer, req);
  FUZZ_CHECK(response.status == answer.status, "an answer's status");
  wire::Codec& other = w.codec(side == wire::Side::estate ? wire::Side::pipeline : wire::Side::estate);
  const std::int64_t retry_after_s = response.retry_after_ms < 0 ? -1 : (response.retry_after_ms + 999) / 1000;
  const auto decoded = other.decode_response(req, response.status, retry_after_s, response.body, problem);
  FUZZ_CHECK(decoded.has_value(), "an encoded answer is refused by the other side");
  FUZZ_CHECK(decoded->kind == answer.kind && decoded->status == answer.status && decoded->id == req.id, "an answer decoded back");
  if (answer.doc != 0) FUZZ_CHECK(decoded->doc != 0 && w.docs.get(decoded->doc) == w.docs.get(answer.doc), "a snapshot decoded back");
  if (answer.value > 0) FUZZ_CHECK(decoded->value > 0, "a retry delay decoded back");
}

// ------------------------------------------------------------------------------ entry points

void decode(World& w, wire::Side side, wire::Method method, std::string_view target, std::string_view key, std::string_view body,
            std::uint8_t choice) {
  wire::Problem problem;
  const auto in = w.codec(side).decode_request(method, target, key, body, problem);
  if (kVerbose)
    std::fprintf(stderr, "wire_fuzz: %s side: %s %.*s: %s\n", side == wire::Side::estate ? "estate" : "pipeline",
                 wire::method_name(method), static_cast<int>(std::min<std::size_t>(target.size(), 200)), target.data(),
                 in ? "decoded" : (std::to_string(problem.status) + " " + problem.detail).c_str());
  if (!in) {
    check_problem(problem);
    return;
  }
  check_incoming(w, side, *in);
  round_trip(w, side, *in, choice);
}

wire::Method method_of(http::verb v) {  // as hosts/live/http.cpp
  switch (v) {
    case http::verb::get: return wire::Method::get;
    case http::verb::post: return wire::Method::post;
    case http::verb::put: return wire::Method::put;
    default: return wire::Method::other;
  }
}

std::string_view view(boost::beast::string_view s) { return {s.data(), s.size()}; }

// Raw bytes on a keep-alive connection, as the server reads them: request after request, each
// with a fresh parser, until one is malformed or the bytes end (the peer hangs up).
void http_requests(World& w, wire::Side side, std::string_view bytes) {
  for (int n = 0; n < 4 && !bytes.empty(); ++n) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(kHeaderBytes));
    parser.body_limit(kBodyBytes);
    parser.eager(true);
    boost::beast::error_code ec;
    for (int step = 0; step < 100'000 && !parser.is_done(); ++step) {
      if (bytes.empty()) {
        parser.put_eof(ec);
        break;
      }
      const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
      FUZZ_CHECK(used <= bytes.size(), "beast consumed more than it was given");
      bytes.remove_prefix(used);
      if (ec == http::error::need_more) {
        ec = {};
        if (used == 0) bytes = {};  // no more will come: the next round ends it
        continue;
      }
      if (ec) break;
    }
    if (ec || !parser.is_done()) {
      // The server answers 400 (413, 431) and closes; or the peer hung up mid-request.
      if (kVerbose) std::fprintf(stderr, "wire_fuzz: not a request: %s\n", ec ? ec.message().c_str() : "incomplete");
      wire::Problem p{400, "malformed-request", "Malformed request", "not a valid HTTP/1.1 request: " + ec.message(), {}};
      (void)wire::problem_json(p);
      return;
    }
    const auto& req = parser.get();
    FUZZ_CHECK(req.body().size() <= kBodyBytes, "a body over the limit");
    decode(w, side, method_of(req.method()), view(req.target()), view(req["Idempotency-Key"]), req.body(),
           static_cast<std::uint8_t>(req.body().size()));
    if (!req.keep_alive()) return;
  }
}

void body_for_route(World& w, wire::Side side, std::uint8_t route, std::uint8_t key, std::string_view body) {
  const Route& r = side == wire::Side::estate ? kEstateRoutes[route % std::size(kEstateRoutes)]
                                              : kPipelineRoutes[route % std::size(kPipelineRoutes)];
  const wire::Method method = (key & 0x80) != 0 ? static_cast<wire::Method>(key & 3) : r.method;
  decode(w, side, method, r.target, kKeys[key % std::size(kKeys)], body, key);
}

// A response to one of the world's requests, decoded by the side that sent the request.
void response(World& w, std::uint8_t which, std::uint8_t status, std::uint8_t retry, std::string_view body) {
  const Msg& req = w.answerable[which % w.answerable.size()];
  const wire::Side side = req.kind == Kind::order_delivery ? wire::Side::estate : wire::Side::pipeline;
  const std::uint16_t st = kStatuses[status % std::size(kStatuses)];
  wire::Problem problem;
  const auto a = w.codec(side).decode_response(req, st, kRetryAfter[retry % std::size(kRetryAfter)], body, problem);
  if (kVerbose)
    std::fprintf(stderr, "wire_fuzz: response %u to request %zu: %s\n", unsigned{st}, std::size_t{which % w.answerable.size()},
                 a ? "decoded" : problem.detail.c_str());
  if (!a) {
    FUZZ_CHECK(problem.status == 400 || problem.status == 422, "a response problem's status");
    return;
  }
  FUZZ_CHECK(wire::Codec::is_answer(a->kind) && a->status == st && a->id == req.id && a->from == req.to && a->to == req.from,
             "an answer's header");
  FUZZ_CHECK(a->value >= 0, "a negative retry delay");
  if (a->doc != 0) {
    const model::Doc& doc = w.docs.get(a->doc);
    FUZZ_CHECK(model::is_success(st) && doc.size() == 2 * w.roster.skus, "an inventory snapshot's size");
    for (std::size_t s = 0; s < w.roster.skus; ++s) FUZZ_CHECK(units(doc[s]) && tick(doc[w.roster.skus + s]), "a snapshot's figures");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return -1;  // not added to the corpus
  World& w = world();
  w.docs.clear();
  if (w.pipeline_book->size() > kOrders + kPipelineSpare) w.rebuild_pipeline();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto b = [&](std::size_t i) { return i < size ? data[i] : std::uint8_t{0}; };
  const auto rest = [&](std::size_t from) { return bytes.substr(std::min(from, size)); };
  const wire::Side side = (data[0] & 1) == 0 ? wire::Side::estate : wire::Side::pipeline;
  switch ((data[0] >> 1) % 3) {
    case 0: http_requests(w, side, rest(1)); break;
    case 1: body_for_route(w, side, b(1), b(2), rest(3)); break;
    default: response(w, b(1), b(2), b(3), rest(4)); break;
  }
  return 0;
}

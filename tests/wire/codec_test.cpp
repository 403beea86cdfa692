// The wire codec: every message the estate exchanges survives the trip to HTTP and back,
// from the estate's side to the pipeline's and the other way, with ids offset per run; and
// what the contract does not allow is refused with a problem that names the JSON path.
#include <catch2/catch.hpp>

#include <deque>

#include <nlohmann/json.hpp>

#include "wire/codec.h"

namespace {
using estate::model::Kind;
using estate::model::Msg;
namespace model = estate::model;
namespace wire = estate::wire;
using Json = nlohmann::json;

struct DocStore final : wire::Docs {
  std::deque<model::Doc> docs{model::Doc{}};
  model::DocId put(model::Doc d) override {
    docs.push_back(std::move(d));
    return static_cast<model::DocId>(docs.size() - 1);
  }
  const model::Doc& get(model::DocId id) const override { return docs[id]; }
};

wire::Roster roster() {
  wire::Roster r;
  r.locations = {"wh1", "tpl"};
  r.third_party = {false, true};
  r.channels = {"storefront", "marketplace"};
  r.skus = 10;
  return r;
}

constexpr std::uint64_t kBase = 3 * wire::Codec::kIdSpan;

// Both sides of one wire: the estate's (the channels' book) and a pipeline's (its own book).
struct Wire {
  wire::Roster r = roster();
  model::OrderBook estate_book, pipeline_book;
  DocStore estate_docs, pipeline_docs;
  wire::Codec estate{r, wire::Side::estate, estate_book, estate_docs, 60.0, kBase};
  wire::Codec pipeline{r, wire::Side::pipeline, pipeline_book, pipeline_docs, 60.0, kBase};

  Wire() {
    const model::OrderLine a[] = {{3, 2}, {7, 1}};
    const model::OrderLine b[] = {{1, 5}};
    estate_book.add(0, 1000, a);
    estate_book.add(1, 2000, b);
  }
  // A request from `from` travels to the other side and is decoded there.
  wire::Codec::Incoming carry(wire::Codec& from, wire::Codec& to, const Msg& m) {
    const wire::Request req = from.encode_request(m);
    wire::Problem p;
    auto in = to.decode_request(req.method, req.target, req.idempotency_key, req.body, p);
    INFO(req.target << " " << req.body << " -> " << p.detail);
    REQUIRE(in.has_value());
    return *in;
  }
};

Msg msg(Kind kind, model::Address from, model::Address to) {
  Msg m;
  m.kind = kind;
  m.from = from;
  m.to = to;
  return m;
}

}  // namespace

TEST_CASE("an order webhook enters the pipeline's own book, and a redelivery is the same order") {
  Wire w;
  Msg m = msg(Kind::order_delivery, w.r.channel(0), w.r.pipeline());
  m.order = 0;
  m.key = w.estate.wire_order(0);
  const auto in = w.carry(w.estate, w.pipeline, m);
  CHECK(in.msg.kind == Kind::order_delivery);
  CHECK(in.msg.from == w.r.channel(0));
  CHECK(in.msg.t0 == 1000);
  CHECK(in.expects_answer);
  REQUIRE(w.pipeline_book.size() == 1);
  CHECK(w.pipeline_book.lines(in.msg.order)[1].sku == 7);
  CHECK(w.pipeline.wire_order(in.msg.order) == kBase + 1);
  const auto again = w.carry(w.estate, w.pipeline, m);
  CHECK(again.msg.order == in.msg.order);
  CHECK(w.pipeline_book.size() == 1);
}

TEST_CASE("an ERP sales order from the pipeline arrives as the channel's order with the lines it names") {
  Wire w;
  Msg d = msg(Kind::order_delivery, w.r.channel(0), w.r.pipeline());
  d.order = 0;
  d.key = 1;
  const model::OrderId local = w.carry(w.estate, w.pipeline, d).msg.order;

  Msg m = msg(Kind::erp_request, w.r.pipeline(), w.r.erp());
  m.op = static_cast<std::uint8_t>(model::ErpOp::create_order);
  m.order = local;
  m.mask = 0b10;
  m.key = 12345;
  const auto in = w.carry(w.pipeline, w.estate, m);
  CHECK(in.msg.kind == Kind::erp_request);
  CHECK(in.msg.order == 0);
  CHECK(in.msg.mask == 0b10);
  CHECK(in.msg.key == wire::key_from_header("12345"));
  CHECK(in.msg.to == w.r.erp());
}

TEST_CASE("shipment and movement ids cross the wire with the run's base and come back as issued") {
  Wire w;
  Msg d = msg(Kind::order_delivery, w.r.channel(0), w.r.pipeline());
  d.order = 0;
  d.key = 1;
  w.carry(w.estate, w.pipeline, d);

  Msg e = msg(Kind::warehouse_event, w.r.location(0), w.r.pipeline());
  e.op = static_cast<std::uint8_t>(model::WarehouseEvent::shipped);
  e.loc = 0;
  e.order = 0;
  e.mask = 0b11;
  e.ref = model::location_scoped_id(0, 42);
  e.t0 = 5000;
  const auto ev = w.carry(w.estate, w.pipeline, e);
  CHECK(ev.msg.ref == e.ref);
  CHECK(ev.msg.mask == 0b11);
  // On the wire: the run's base, then (location + 1) * 2^32 + the location's sequence number.
  CHECK(Json::parse(w.estate.encode_request(e).body)["event_id"].get<std::uint64_t>() == kBase + (std::uint64_t{1} << 32) + 42);

  Msg post = msg(Kind::erp_request, w.r.pipeline(), w.r.erp());
  post.op = static_cast<std::uint8_t>(model::ErpOp::post_shipment);
  post.order = ev.msg.order;
  post.loc = 0;
  post.mask = 0b11;
  post.ref = ev.msg.ref;
  post.t0 = 5000;
  const auto back = w.carry(w.pipeline, w.estate, post);
  CHECK(back.msg.ref == e.ref);
  CHECK(back.msg.t0 == 5000);
}

TEST_CASE("3PL files: a 940 of several orders, a 945 of records and an 846 snapshot keep every field") {
  Wire w;
  for (model::OrderId o : {0u, 1u}) {
    Msg d = msg(Kind::order_delivery, w.r.channel(w.estate_book.order(o).channel), w.r.pipeline());
    d.order = o;
    d.key = o + 1;
    w.carry(w.estate, w.pipeline, d);
  }
  Msg b = msg(Kind::release_batch, w.r.pipeline(), w.r.location(1));
  b.doc = w.pipeline_docs.put({0, 0b01, 77, 1, 0b1, 0});
  const auto in = w.carry(w.pipeline, w.estate, b);
  const model::Doc& batch = w.estate_docs.get(in.msg.doc);
  REQUIRE(batch.size() == 6);
  CHECK(batch[0] == 0);
  CHECK(batch[1] == 0b01);
  CHECK(batch[2] == static_cast<std::int64_t>(wire::key_from_header("77")));
  CHECK(batch[3] == 1);
  CHECK(batch[5] == 0);

  Msg advice = msg(Kind::warehouse_batch, w.r.location(1), w.r.pipeline());
  advice.op = static_cast<std::uint8_t>(model::WarehouseBatch::advice);
  advice.loc = 1;
  advice.doc = w.estate_docs.put({0 /*shipped*/, 1, 0b1, 0, 0, static_cast<std::int64_t>(model::location_scoped_id(1, 9)), 700, 0,
                                  2 /*movement*/, 0, 0, 4, -3, static_cast<std::int64_t>(model::location_scoped_id(1, 10)), 800, 4});
  const auto got = w.carry(w.estate, w.pipeline, advice);
  const model::Doc& records = w.pipeline_docs.get(got.msg.doc);
  REQUIRE(records.size() == 16);
  CHECK(records[5] == static_cast<std::int64_t>(model::location_scoped_id(1, 9)));
  CHECK(records[12] == -3);
  CHECK(records[15] == 4);

  Msg inv = msg(Kind::warehouse_batch, w.r.location(1), w.r.pipeline());
  inv.op = static_cast<std::uint8_t>(model::WarehouseBatch::inventory);
  inv.loc = 1;
  model::Doc snap(20);
  for (std::size_t i = 0; i < 20; ++i) snap[i] = static_cast<std::int64_t>(i * 3);
  inv.doc = w.estate_docs.put(snap);
  CHECK(w.pipeline_docs.get(w.carry(w.estate, w.pipeline, inv).msg.doc) == snap);
}

TEST_CASE("answers: 429 carries Retry-After in wall time and comes back in scenario time, and queries carry their snapshot") {
  Wire w;
  Msg req = msg(Kind::erp_request, w.r.pipeline(), w.r.erp());
  req.op = static_cast<std::uint8_t>(model::ErpOp::create_order);
  req.id = 99;
  Msg a = msg(Kind::erp_response, w.r.erp(), w.r.pipeline());
  a.status = 429;
  a.value = estate::sim::seconds(30);  // 30 s of scenario time at 60x: 500 ms of wall time
  const wire::Response r = w.estate.encode_response(a, req);
  CHECK(r.status == 429);
  CHECK(r.retry_after_ms == 500);
  CHECK(r.problem);
  wire::Problem p;
  const auto back = w.pipeline.decode_response(req, r.status, 1, r.body, p);
  REQUIRE(back.has_value());
  CHECK(back->kind == Kind::erp_response);
  CHECK(back->id == 99);
  CHECK(back->value == estate::sim::seconds(30));

  Msg q = msg(Kind::inventory_query, w.r.pipeline(), w.r.location(0));
  q.loc = 0;
  Msg qa = msg(Kind::warehouse_response, w.r.location(0), w.r.pipeline());
  qa.status = 200;
  model::Doc snap(20, 4);
  qa.doc = w.estate_docs.put(snap);
  const wire::Response qr = w.estate.encode_response(qa, q);
  const auto qback = w.pipeline.decode_response(q, qr.status, -1, qr.body, p);
  REQUIRE(qback.has_value());
  CHECK(w.pipeline_docs.get(qback->doc) == snap);
}

TEST_CASE("what the contract does not allow is a problem naming the path, never a message") {
  Wire w;
  struct Case {
    wire::Method method;
    const char* target;
    const char* body;
    std::uint16_t status;
    const char* says;
  };
  const Case cases[] = {
      {wire::Method::post, "/erp/sales-orders", "{nope", 400, "not JSON"},
      {wire::Method::post, "/erp/sales-orders", "[1]", 400, "a JSON object"},
      {wire::Method::post, "/erp/sales-orders", R"({"order_id": "1", "lines": []})", 400, "/order_id: expected a positive integer id"},
      {wire::Method::post, "/erp/sales-orders", R"({"order_id": 5, "lines": [{"line": 0, "sku": 3, "qty": 2}]})", 422, "no order 5"},
      {wire::Method::post, "/erp/sales-orders", R"({"order_id": 412316860417, "lines": [{"line": 0, "sku": 4, "qty": 2}]})", 422,
       "line 0 of the order is sku 3 x 2, got sku 4 x 2"},
      {wire::Method::post, "/erp/sales-orders", R"({"order_id": 412316860417, "lines": [{"line": 5, "sku": 3, "qty": 2}]})", 422,
       "the order has 2 lines"},
      {wire::Method::post, "/erp/shipments",
       R"({"shipment_id": 7, "order_id": 412316860417, "location": "wh1", "lines": [{"line": 0, "sku": 3, "qty": 2}]})", 422,
       "not issued in this run"},
      {wire::Method::get, "/erp/inventory/wh9", "", 422, "no location \"wh9\""},
      {wire::Method::put, "/erp/inventory/wh1/10", R"({"on_hand": 1, "movements_applied": 0})", 422, "no sku 10"},
      {wire::Method::get, "/erp/sales-orders", "", 405, "use POST"},
      {wire::Method::post, "/wms/tpl/releases", "{}", 404, "nothing is served"},
      {wire::Method::post, "/channels/marketplace/order-acks", R"({"order_id": 412316860417, "accepted_lines": [0]})", 422,
       "was placed at storefront"},
      {wire::Method::put, "/channels/storefront/availability", R"({"available": [1, 2]})", 400, "one per sku"},
      {wire::Method::put, "/channels/storefront/availability/3", R"({"available": -1})", 400, "/available: expected an integer in [0"},
  };
  for (const Case& c : cases) {
    wire::Problem p;
    const auto in = w.estate.decode_request(c.method, c.target, "", c.body, p);
    INFO(c.target << " " << c.body << " -> " << p.status << " " << p.detail);
    CHECK_FALSE(in.has_value());
    CHECK(p.status == c.status);
    CHECK(p.detail.find(c.says) != std::string::npos);
    const Json body = Json::parse(wire::problem_json(p));
    CHECK(body["status"] == c.status);
    CHECK(body["type"].get<std::string>().rfind("urn:estate:problem:", 0) == 0);
  }
  // The pipeline's side refuses events about orders it never received.
  wire::Problem p;
  const auto in = w.pipeline.decode_request(
      wire::Method::post, "/warehouse-events",
      "", R"({"type": "shipped", "event_id": 416611827713, "location": "wh1", "order_id": 412316860417, "lines": []})", p);
  CHECK_FALSE(in.has_value());
  CHECK(p.status == 422);
  CHECK(p.detail.find("never reached this pipeline") != std::string::npos);
}

TEST_CASE("found by fuzzing: bad bytes, huge delays, deep nesting and misplaced ids are refused, never fatal") {
  Wire w;
  Msg d = msg(Kind::order_delivery, w.r.channel(0), w.r.pipeline());
  d.order = 0;
  d.key = 1;
  w.carry(w.estate, w.pipeline, d);
  wire::Problem p;
  // Invalid UTF-8 in a path or a value: the problem is still valid JSON.
  CHECK_FALSE(w.estate.decode_request(wire::Method::get, "/\xff\xfe", "", "", p));
  CHECK(Json::parse(wire::problem_json(p))["detail"].get<std::string>().find("/??") != std::string::npos);
  CHECK_FALSE(w.estate.decode_request(wire::Method::get, "/erp/inventory/w\xc3", "", "", p));
  CHECK_NOTHROW(Json::parse(wire::problem_json(p)));
  CHECK(wire::printable("caf\xc3\xa9 \x01ok", 40) == "caf\xc3\xa9 ?ok");
  CHECK(wire::printable("\xc3\xa9\xc3\xa9", 3) == "\xc3\xa9");
  // A Retry-After of centuries is taken as a day, not an overflow.
  Msg req = msg(Kind::erp_request, w.r.pipeline(), w.r.erp());
  req.op = static_cast<std::uint8_t>(model::ErpOp::create_order);
  auto a = w.pipeline.decode_response(req, 429, 9223372036854775807LL, "", p);
  REQUIRE(a.has_value());
  CHECK(a->value == estate::sim::seconds(86400 * 60));
  a = w.pipeline.decode_response(req, 503, -1, R"({"retry_after_ms": 9000000000000000000})", p);
  REQUIRE(a.has_value());
  CHECK(a->value == estate::sim::seconds(86400 * 60));
  // A body nested a hundred thousand deep is refused without walking it again.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK_FALSE(w.estate.decode_request(wire::Method::post, "/erp/sales-orders", "", deep, p));
  CHECK(p.status == 400);
  // An event id must be one its location issued; a 3PL sends files, a WMS events; an order
  // delivered again comes from the channel it came from first.
  CHECK_FALSE(w.pipeline.decode_request(wire::Method::post, "/warehouse-events", "",
                                        R"({"type": "movement", "event_id": 420906795009, "location": "wh1", "sku": 1, "delta": 1, "movement_type": "receipt"})", p));
  CHECK(p.detail.find("was not issued by wh1") != std::string::npos);
  CHECK_FALSE(w.pipeline.decode_request(wire::Method::post, "/warehouse-events", "",
                                        R"({"type": "movement", "event_id": 420906795009, "location": "tpl", "sku": 1, "delta": 1, "movement_type": "receipt"})", p));
  CHECK(p.detail.find("is a 3PL") != std::string::npos);
  CHECK_FALSE(w.pipeline.decode_request(wire::Method::post, "/warehouse-files/846", "", R"({"location": "wh1", "on_hand": [], "movements_reported": []})", p));
  CHECK(p.detail.find("is a WMS") != std::string::npos);
  const std::string other_channel = R"({"order_id": 412316860417, "channel": "marketplace", "placed_at_us": 1, "lines": [{"line": 0, "sku": 3, "qty": 2}, {"line": 1, "sku": 7, "qty": 1}]})";
  CHECK_FALSE(w.pipeline.decode_request(wire::Method::post, "/orders", "", other_channel, p));
  CHECK(p.detail.find("came from storefront before") != std::string::npos);
}

#pragma once
// The wire contract (contract/openapi.yaml) in code: how every message between the estate's
// systems and a sync pipeline becomes an HTTP/1.1 request or response with a JSON body, and
// back. The live host uses it on both sides of the wire: the estate's side (mock ERP, WMS,
// 3PL and channels) and, for the embedded reference pipeline, the pipeline's side. It is
// pure translation, with no sockets: bodies in, messages out, and a problem (RFC 9457) for
// anything the contract does not allow, so a component never sees a message it would not
// get from its own kind.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/component.h"
#include "model/order_book.h"

namespace estate::wire {

// The estate's systems as the wire names them, in the address plan of harness/estate.h:
// the ERP, then the locations, then the channels, then the pipeline.
struct Roster {
  std::vector<std::string> locations;
  std::vector<bool> third_party;  // per location: a 3PL (files) rather than a WMS (events)
  std::vector<std::string> channels;
  std::size_t skus = 0;

  model::Address erp() const { return 0; }
  model::Address location(std::size_t l) const { return static_cast<model::Address>(1 + l); }
  model::Address channel(std::size_t c) const { return static_cast<model::Address>(1 + locations.size() + c); }
  model::Address pipeline() const { return static_cast<model::Address>(1 + locations.size() + channels.size()); }
  std::size_t systems() const { return 2 + locations.size() + channels.size(); }
  bool is_location(model::Address a) const { return a >= 1 && a <= locations.size(); }
  bool is_channel(model::Address a) const { return a > locations.size() && a < pipeline(); }
  std::size_t location_index(model::Address a) const { return a - 1u; }
  std::size_t channel_index(model::Address a) const { return a - 1u - locations.size(); }
  // The path under which a system serves: /erp, /wms/wh1, /3pl/tpl, /channels/storefront, "" (pipeline).
  std::string prefix(model::Address a) const;
  std::optional<std::size_t> find_location(std::string_view name) const;
  std::optional<std::size_t> find_channel(std::string_view name) const;
};

enum class Method : std::uint8_t { get, post, put, other };
const char* method_name(Method m);

struct Request {
  Method method = Method::post;
  std::string target;           // path (and query), starting with '/'
  std::string idempotency_key;  // empty: no Idempotency-Key header
  std::string body;             // JSON, or empty
};

struct Response {
  std::uint16_t status = 200;
  std::string body;             // JSON (application/json, or application/problem+json)
  bool problem = false;
  std::int64_t retry_after_ms = -1;  // wall milliseconds, for a Retry-After header; -1: none
  std::string allow;                 // an Allow header (405)
};

// An answer the contract requires instead of a message (RFC 9457 problem details).
struct Problem {
  std::uint16_t status = 400;
  std::string type;    // a short slug: "malformed-body", "unknown-order", ...
  std::string title;
  std::string detail;  // names the JSON path, what was expected and what was found
  std::string allow;   // for 405: the methods the endpoint takes (the Allow header)
};
std::string problem_json(const Problem& p);
// Text from the wire made fit for a message or a report: valid UTF-8 (anything else becomes
// '?'), control characters as '?', cut to at most `max` bytes on a character boundary.
std::string printable(std::string_view text, std::size_t max);

// Documents (batches, snapshots) are held by the host and referenced by id from messages.
class Docs {
 public:
  virtual ~Docs() = default;
  virtual model::DocId put(model::Doc doc) = 0;
  virtual const model::Doc& get(model::DocId id) const = 0;
};

// Which side of the wire the codec serves. On the estate's side orders are the channels' own:
// an order's wire id is its OrderBook id + 1. On the pipeline's side orders arrive over the
// wire (order webhooks) and are entered into the pipeline's own book as they come.
enum class Side : std::uint8_t { estate, pipeline };

class Codec {
 public:
  // time_scale: scenario seconds per wall second (Retry-After on the wire is wall time).
  // id_base: added to every order, shipment, movement and event id on the wire (a multiple of
  // kIdSpan), so ids of different runs never meet in a pipeline that keeps its state.
  Codec(const Roster& roster, Side side, model::OrderBook& book, Docs& docs, double time_scale, std::uint64_t id_base = 0);
  // Orders are numbered from base + 1; event ids (shipments, movements) are sent as
  // base + (location + 1) * 2^32 + sequence. So a run's ids stay below base + kIdSpan, and a
  // base is a random multiple of kIdSpan below 2^53 (a double, in a JSON parser, holds them).
  static constexpr std::uint64_t kIdSpan = std::uint64_t{1} << 37;
  static constexpr std::uint64_t kIdBases = (std::uint64_t{1} << 53) / kIdSpan - 1;
  // The scale changes when a live run's drain plays faster.
  void set_time_scale(double scale) { time_scale_ = scale; }

  // A message from a local component to a remote system, as the request to send.
  Request encode_request(const model::Msg& msg) const;

  struct Incoming {
    model::Msg msg;            // for the local component msg.to (msg.id left for the host)
    bool expects_answer = false;  // the component answers (a response message); else the
                                  // host acknowledges at once with ack_status
    std::uint16_t ack_status = 200;
  };
  // A request that arrived at this side: the message it carries, or the problem to answer.
  std::optional<Incoming> decode_request(Method method, std::string_view target, std::string_view idempotency_key,
                                         std::string_view body, Problem& problem);

  // A local component's answer (delivery_response, erp_response, warehouse_response) to
  // `request` (as decode_request made it), as the HTTP response.
  Response encode_response(const model::Msg& answer, const model::Msg& request) const;
  // The HTTP response to `request` (sent by a local component), as the answer message for it.
  // nullopt with `problem` set when the body breaks the contract (the answer is then lost, as
  // a garbled reply would be, and the component's own timeout takes over).
  std::optional<model::Msg> decode_response(const model::Msg& request, std::uint16_t status, std::int64_t retry_after_s,
                                            std::string_view body, Problem& problem) const;

  // Whether a message kind is an answer to a request (its HTTP response) rather than a request.
  static bool is_answer(model::Kind kind);
  // Whether a request kind is answered by the receiving component (request/response), or only
  // acknowledged by the receiving host (one-way: acks, feeds, events, files).
  static bool is_one_way(model::Kind kind);

  // The wire id of an order this side knows (estate: id base + book id + 1), and back.
  std::uint64_t wire_order(model::OrderId id) const;
  std::optional<model::OrderId> local_order(std::uint64_t wire) const;
  model::OrderBook& book() { return book_; }
  // An event id (shipment, movement) as sent on the wire, and back; from_wire_id refuses (an
  // exception the decoders turn into a 422 problem) an id this run did not issue.
  std::uint64_t to_wire_id(std::uint64_t id) const;
  std::uint64_t from_wire_id(std::uint64_t wire, const std::string& path) const;
  const Roster& roster() const { return roster_; }

 private:
  using Segments = std::vector<std::string_view>;
  std::optional<Incoming> decode_estate(Method method, std::string_view path, std::string_view key, std::string_view body,
                                        Problem& problem);
  std::optional<Incoming> decode_erp(Method method, const Segments& seg, std::string_view target, std::string_view key,
                                     std::string_view body, Problem& problem);
  std::optional<Incoming> decode_warehouse(Method method, const Segments& seg, std::string_view target, std::string_view key,
                                           std::string_view body, Problem& problem);
  std::optional<Incoming> decode_channel(Method method, const Segments& seg, std::string_view target, std::string_view body,
                                         Problem& problem);
  std::optional<Incoming> decode_pipeline(Method method, std::string_view path, std::string_view key,
                                          std::string_view body, Problem& problem);
  Incoming decode_webhook(std::string_view body, std::string_view key);

  const Roster& roster_;
  Side side_;
  model::OrderBook& book_;
  Docs& docs_;
  double time_scale_;
  std::uint64_t id_base_;
  // Pipeline side: wire ids of the orders in its book, and the way back.
  std::vector<std::uint64_t> wire_of_;
  std::unordered_map<std::uint64_t, model::OrderId> local_of_;
};

// An Idempotency-Key header value as the 64-bit key the mocks keep (never 0).
std::uint64_t key_from_header(std::string_view value);

}  // namespace estate::wire

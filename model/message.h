#pragma once
// Every message between systems of the estate, and every timer a system sets for itself, is
// one fixed-size Msg. Bodies too big for its fields (batches, snapshots) travel as documents
// (see Context::put_doc); order bodies are read from the OrderBook by id.
#include <cstdint>

#include "model/ids.h"
#include "sim/time.h"

namespace estate::model {

enum class Kind : std::uint8_t {
  timer,                 // to self; op = the component's own timer tag
  control,               // from the harness's director; op = the component's own command
  // channel <-> pipeline
  order_delivery,        // order, id = delivery id, key = the channel's order number (idempotency key)
  delivery_response,     // id = delivery id, status (202 accepted, 503 refused)
  order_ack,             // order, mask = lines accepted (the others are oversold)
  line_cancelled,        // order, mask = lines cancelled later for lack of stock
  availability,          // sku, value = units the channel may sell, id = ledger version, ref = publish sequence, t0 = computed at
  availability_snapshot, // doc = units per sku, id = ledger version, ref = publish sequence, t0 = computed at
  // pipeline <-> ERP
  erp_request,           // op = ErpOp; id = request id; key = idempotency key (0: none); see ErpOp
  erp_response,          // id = request id, status, value = retry-after ticks on 429, doc for queries
  // pipeline <-> warehouses
  release,               // to a WMS: order, loc, mask, id = request id, key
  release_batch,         // to a 3PL (X12 940): doc = (order, mask, key) triples, id = request id
  inventory_query,       // id = request id; answered with a snapshot document
  warehouse_response,    // id = request id, status, doc = snapshot for queries
  warehouse_event,       // WMS -> pipeline: op = WarehouseEvent, t0 = when it happened
  warehouse_batch,       // 3PL -> pipeline: op = WarehouseBatch, doc = records (see tpl.h)
};

enum class ErpOp : std::uint8_t {
  create_order,     // order, mask = lines to book
  post_shipment,    // order, loc, mask, ref = shipment id, t0 = shipped at
  post_movement,    // loc, sku, value = delta units, ref = movement id, t0 = happened at
  query_inventory,  // loc; answered with doc = on-hand per sku, then movements applied per sku
  set_inventory,    // loc, sku, value = counted on-hand, ref = movements applied that the count covers
};

enum class WarehouseEvent : std::uint8_t {
  shipped,     // order, loc, mask, ref = shipment id
  short_pick,  // order, loc, mask = the short line, sku, value = physical on-hand found
  movement,    // loc, sku, value = delta units, ref = movement id, status = MovementType
};

enum class MovementType : std::uint16_t { receipt, return_, transfer_in, transfer_out, adjustment };

enum class WarehouseBatch : std::uint8_t { advice, inventory };

namespace status {
inline constexpr std::uint16_t ok = 200;
inline constexpr std::uint16_t created = 201;
inline constexpr std::uint16_t accepted = 202;
inline constexpr std::uint16_t conflict = 409;
inline constexpr std::uint16_t too_many_requests = 429;
inline constexpr std::uint16_t error = 500;
inline constexpr std::uint16_t unavailable = 503;
inline constexpr std::uint16_t timeout = 504;  // only ever made up by a client that gave up
}  // namespace status

inline bool is_success(std::uint16_t s) { return s >= 200 && s < 300; }

struct Msg {
  Kind kind = Kind::timer;
  std::uint8_t op = 0;
  std::uint16_t status = 0;
  LocId loc = 0;
  LineMask mask = 0;
  OrderId order = kNoOrder;
  SkuId sku = 0;
  std::uint32_t doc = 0;
  Address from = kNoAddress;
  Address to = kNoAddress;
  std::int64_t value = 0;
  std::uint64_t id = 0;
  std::uint64_t key = 0;
  std::uint64_t ref = 0;
  sim::Tick t0 = 0;
};

inline Msg make_timer(std::uint8_t tag, std::uint64_t id = 0) {
  Msg m;
  m.kind = Kind::timer;
  m.op = tag;
  m.id = id;
  return m;
}

// Globally unique ids for shipments and stock movements: the location in the high bits.
inline std::uint64_t location_scoped_id(LocId loc, std::uint64_t seq) {
  return (static_cast<std::uint64_t>(loc) + 1) << 40 | seq;
}
inline LocId id_location(std::uint64_t id) { return static_cast<LocId>((id >> 40) - 1); }
inline std::uint64_t id_sequence(std::uint64_t id) { return id & ((std::uint64_t{1} << 40) - 1); }

}  // namespace estate::model

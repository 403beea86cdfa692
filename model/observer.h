#pragma once
// What the systems of the estate report about themselves, at their boundaries: the channel
// when a customer places an order or an acknowledgement arrives, the ERP when it records
// something, a warehouse when it receives a release or ships. Metrics are computed from these
// observations (harness/metrics), so they mean the same thing whichever pipeline sits in the
// middle. The few pipeline-internal observations are marked as such.
#include <cstdint>
#include <span>

#include "model/ids.h"
#include "model/message.h"
#include "model/order_book.h"
#include "sim/time.h"

namespace estate::model {

enum class Failure : std::uint8_t { throttled, unavailable, error, timeout, conflict };
inline const char* failure_name(Failure f) {
  switch (f) {
    case Failure::throttled: return "throttled";
    case Failure::unavailable: return "unavailable";
    case Failure::error: return "error";
    case Failure::timeout: return "timeout";
    case Failure::conflict: return "conflict";
  }
  return "unknown";
}

// Who made a request to a called system, for breakdowns by calling flow.
enum class CallFlow : std::uint8_t { order_post, shipment_confirmation, stock_movement, inventory_query, inventory_set, release, count };
inline const char* call_flow_name(CallFlow f) {
  switch (f) {
    case CallFlow::order_post: return "order_posts";
    case CallFlow::shipment_confirmation: return "shipment_confirmations";
    case CallFlow::stock_movement: return "stock_movements";
    case CallFlow::inventory_query: return "inventory_queries";
    case CallFlow::inventory_set: return "inventory_sets";
    case CallFlow::release: return "releases";
    case CallFlow::count: break;
  }
  return "unknown";
}
inline CallFlow call_flow_of(ErpOp op) {
  switch (op) {
    case ErpOp::create_order: return CallFlow::order_post;
    case ErpOp::post_shipment: return CallFlow::shipment_confirmation;
    case ErpOp::post_movement: return CallFlow::stock_movement;
    case ErpOp::query_inventory: return CallFlow::inventory_query;
    case ErpOp::set_inventory: return CallFlow::inventory_set;
  }
  return CallFlow::order_post;
}

enum class ChannelRefusal : std::uint8_t { no_availability, channel_down };

class Observer {
 public:
  virtual ~Observer() = default;
  using Tick = sim::Tick;

  // --- channels
  // A customer with an order, at the instant they arrive, before the channel decides (it may
  // then place the order, or refuse it: no stock in its view, or down). The run's demand.
  virtual void customer_arrived(ChannelId, std::span<const OrderLine>, Tick) {}
  virtual void order_placed(OrderId, Tick) {}
  virtual void order_refused_at_channel(ChannelId, ChannelRefusal, Tick) {}
  virtual void delivery_failed(OrderId, Tick) {}
  // A delivery attempt refused or unanswered, to be sent again (at-least-once, by the channel).
  virtual void delivery_retried(OrderId, Tick) {}
  virtual void order_acked(OrderId, LineMask /*accepted*/, Tick) {}
  virtual void lines_cancelled(OrderId, LineMask, Tick) {}
  virtual void view_updated(ChannelId, SkuId, std::uint64_t /*version*/, Tick) {}
  virtual void view_snapshot(ChannelId, std::uint64_t /*version*/, Tick) {}

  // --- ERP
  virtual void erp_order_recorded(OrderId, Tick) {}
  virtual void erp_shipment_recorded(std::uint64_t /*shipment*/, OrderId, LocId, LineMask, Tick /*shipped_at*/, Tick) {}
  virtual void erp_movement_recorded(std::uint64_t /*movement*/, Tick) {}
  virtual void erp_inventory_set(LocId, SkuId, std::int64_t /*from*/, std::int64_t /*to*/, Tick) {}
  // Every request that reaches the ERP, and those it refuses with 429 (quota or concurrency).
  virtual void erp_requested(CallFlow, Tick) {}
  virtual void erp_throttled(CallFlow, Tick) {}

  // --- warehouses (WMS and 3PL)
  virtual void release_received(OrderId, LocId, LineMask, Tick) {}
  virtual void shipped(std::uint64_t /*shipment*/, OrderId, LocId, LineMask, Tick) {}
  virtual void short_picked(OrderId, LocId, LineMask, Tick) {}
  // Every physical stock change except shipments (which shipped() reports), reported or not.
  virtual void stock_moved(LocId, SkuId, std::int64_t /*delta*/, bool /*reported*/, Tick) {}
  // A reported inventory change (shipment line or movement) that channels should come to see.
  virtual void inventory_changed(LocId, SkuId, Tick) {}
  virtual void warehouse_events_lost(LocId, std::uint64_t /*count*/, Tick) {}

  // --- the pipeline (pipeline-internal: the live host will not have these for a foreign pipeline)
  virtual void inventory_applied(LocId, SkuId, Tick /*happened_at*/, std::uint64_t /*version*/, Tick) {}
  virtual void duplicate_dropped(Tick) {}
  virtual void request_retried(Address /*system*/, CallFlow, Failure, Tick) {}
  virtual void request_settled(Address /*system*/, Tick /*first_attempt*/, bool /*ok*/, Tick) {}
  // A message the pipeline gave up on (after its last attempt), and one sent back from the
  // dead-letter queue; `flow` says what it carried.
  virtual void dead_lettered(OrderId, Address /*system*/, CallFlow, Failure, Tick) {}
  virtual void redriven(OrderId, CallFlow, Tick) {}
  virtual void reconciliation_checkpoint(Tick) {}
};

}  // namespace estate::model

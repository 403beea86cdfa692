#pragma once
// The bodies of customer orders. A channel writes an order once, when the customer places it;
// every other system reads it by id and never changes it. In the simulated host this is the
// zero-copy stand-in for an order document carried in a message body; the live host will
// serialise the same record.
#include <span>
#include <vector>

#include "model/ids.h"
#include "sim/time.h"

namespace estate::model {

struct OrderLine {
  SkuId sku;
  std::int32_t qty;
};

struct OrderRecord {
  sim::Tick placed_at;      // when the customer placed it (the latency start, scheduled time)
  std::uint32_t first_line;
  std::uint8_t line_count;
  ChannelId channel;
};

class OrderBook {
 public:
  OrderId add(ChannelId channel, sim::Tick placed_at, std::span<const OrderLine> lines);
  const OrderRecord& order(OrderId id) const { return orders_[id]; }
  std::span<const OrderLine> lines(OrderId id) const {
    const OrderRecord& o = orders_[id];
    return {lines_.data() + o.first_line, o.line_count};
  }
  LineMask all_lines_mask(OrderId id) const { return all_lines(orders_[id].line_count); }
  std::size_t size() const { return orders_.size(); }
  void reserve(std::size_t orders) {
    orders_.reserve(orders);
    lines_.reserve(orders * 2);
  }

 private:
  std::vector<OrderRecord> orders_;
  std::vector<OrderLine> lines_;
};

}  // namespace estate::model

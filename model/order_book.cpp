#include "model/order_book.h"

#include "sim/assert.h"

namespace estate::model {

OrderId OrderBook::add(ChannelId channel, sim::Tick placed_at, std::span<const OrderLine> lines) {
  ESTATE_ASSERT(!lines.empty() && lines.size() <= kMaxLinesPerOrder, "order: bad line count");
  ESTATE_ASSERT(orders_.size() < kNoOrder, "order book full");
  const auto id = static_cast<OrderId>(orders_.size());
  orders_.push_back({placed_at, static_cast<std::uint32_t>(lines_.size()),
                     static_cast<std::uint8_t>(lines.size()), channel});
  lines_.insert(lines_.end(), lines.begin(), lines.end());
  return id;
}

}  // namespace estate::model

#pragma once
// A sales channel (web storefront, marketplace, EDI partner, B2B portal). Customers arrive as
// a non-homogeneous Poisson process per demand group (promotions multiply a group's rate), or
// at the instants of a replayed order log (each order as the log has it);
// the channel accepts an order only when its own availability view covers every line, then
// delivers it to the pipeline at least once: pushed at once (webhook, retried with
// exponential backoff on refusal or timeout) or collected into batches (EDI 850 files,
// marketplace polling). Its view is only as fresh as the pipeline's last feed.
#include <string>
#include <vector>

#include "model/component.h"
#include "model/observer.h"
#include "mocks/redelivery.h"
#include "model/order_book.h"
#include "sim/alias_table.h"
#include "sim/distribution.h"
#include "sim/rate_profile.h"

namespace estate::mocks {

// The most units one order line may ask for. The scenario refuses a units distribution that
// can go beyond it; a geometric's tail past it counts this many.
inline constexpr long kMaxUnitsPerLine = 1'000'000;

enum class ChannelKind : std::uint8_t { storefront, marketplace, edi, b2b };
enum class DeliveryMode : std::uint8_t { push, batch };

struct DemandGroup {
  sim::RateProfile orders_per_s;   // arrivals of orders whose first line is from this group
  std::vector<model::SkuId> skus;
  std::vector<double> weights;     // popularity of each sku in the group
};

// An order of a replayed log, placed at its instant with its own lines (harness/replay.h
// makes them from the log: offset, speed, volume scale).
struct ReplayedOrder {
  sim::Tick at;
  std::uint32_t first_line;  // into ChannelConfig::replay_lines
  std::uint8_t line_count;
};

struct ChannelConfig {
  std::string name;
  model::ChannelId id = 0;
  ChannelKind kind = ChannelKind::storefront;
  std::vector<DemandGroup> groups;
  std::vector<ReplayedOrder> replay;  // in time order; with a log, `groups` are empty
  std::vector<model::OrderLine> replay_lines;
  std::vector<double> catalogue_weights;  // popularity of every sku, for lines after the first
  sim::Distribution lines = sim::Distribution::constant(1);
  sim::Distribution units = sim::Distribution::constant(1);
  bool checks_availability = true;
  std::vector<std::int32_t> initial_view;
  DeliveryMode delivery = DeliveryMode::push;
  sim::Tick batch_interval = 0;
  sim::Tick timeout = sim::seconds(5);
  int attempts = 8;
  sim::Tick retry_base = sim::seconds(60);
  sim::Tick retry_cap = sim::hours(1);
  std::uint64_t demand_seed = 0;  // the demand stream: common to every design compared
  DeliveryFaults faults;          // duplicates and reordering of its deliveries, as configured
  std::uint64_t fault_seed = 0;
  model::Address pipeline = model::kNoAddress;
};

class Channel final : public model::Component {
 public:
  Channel(ChannelConfig config, model::OrderBook& book, model::Observer& observer);

  void start(model::Context& ctx) override;
  void handle(model::Context& ctx, const model::Msg& msg) override;
  bool quiescent() const override;

  // Control plane (timeline): a channel that is down takes no orders and ignores feeds.
  void set_down(bool down) { down_ = down; }
  // Batches due while a fault is on are held back `delay`, or never sent (missing).
  void set_batch_fault(bool missing, sim::Tick delay) { fault_missing_ = missing, fault_delay_ = delay; }
  void clear_batch_fault() { fault_missing_ = false, fault_delay_ = 0; }
  // A customer's order placed now by hand (the admin API of estate serve), on the same path
  // as the channel's own demand: refused when the view does not cover it.
  void place(model::Context& ctx, std::span<const model::OrderLine> lines);
  // How it delivers to the pipeline: duplicates and reordering (timeline windows).
  Redelivery& outbound() { return out_; }

  const ChannelConfig& config() const { return config_; }
  std::int32_t view(model::SkuId sku) const { return view_[sku]; }
  const std::vector<std::int32_t>& views() const { return view_; }

 private:
  enum Timer : std::uint8_t { arrival, flush, held_flush, timeout, retry, redelivered, replayed };
  struct Delivery {
    model::OrderId order;
    int attempt;
    std::uint64_t id;  // current delivery id (0: free)
    model::TimerId timer;
  };

  void on_arrival(model::Context& ctx, std::size_t group, sim::Tick scheduled);
  void schedule_replayed(model::Context& ctx, std::size_t index);
  void on_replayed(model::Context& ctx, std::size_t index);
  void accept(model::Context& ctx, const model::OrderLine* lines, int n, sim::Tick placed_at);
  void deliver(model::Context& ctx, model::OrderId order);
  void send_attempt(model::Context& ctx, std::uint32_t slot);
  void attempt_failed(model::Context& ctx, std::uint32_t slot);
  void on_flush(model::Context& ctx);
  Delivery* find(std::uint64_t id);

  ChannelConfig config_;
  model::OrderBook& book_;
  model::Observer& observer_;
  sim::Rng demand_;
  Redelivery out_;
  std::vector<sim::AliasTable> group_tables_;
  sim::AliasTable catalogue_table_;
  std::vector<std::int32_t> view_;
  std::vector<std::uint64_t> view_seq_;  // publish sequence of each sku's figure: older ones are stale
  std::vector<Delivery> deliveries_;
  std::vector<std::uint32_t> free_deliveries_;
  std::size_t pending_deliveries_ = 0;
  std::uint64_t next_delivery_seq_ = 1;
  std::vector<model::OrderId> batch_;
  std::vector<std::vector<model::OrderId>> held_;
  std::size_t held_pending_ = 0;
  bool down_ = false;
  bool fault_missing_ = false;
  sim::Tick fault_delay_ = 0;
  bool demand_over_ = false;
  std::size_t groups_running_ = 0;
};

const char* channel_kind_name(ChannelKind kind);

}  // namespace estate::mocks

#pragma once
// The embedded pipeline runs on its own thread in live mode, but the metrics live with the
// mocks. Its few pipeline-internal observations (inventory applied to its ledger, retries,
// dead letters, duplicates dropped, reconciliation checkpoints) are queued here and replayed
// on the mocks' thread. The mocks' host drains the relay before it handles any request, so an
// observation the pipeline made before it sent something is always counted before what that
// message causes (an inventory change is applied before the feed that reflects it arrives).
// Order ids are translated from the pipeline's own book to the channels' as they are queued.
#include <functional>
#include <mutex>
#include <vector>

#include "model/observer.h"

namespace estate::hosts::live {

class ObserverRelay final : public model::Observer {
 public:
  // Maps an order id of the pipeline's book to the channels' (set by the live host).
  void set_order_map(std::function<model::OrderId(model::OrderId)> map) { map_ = std::move(map); }
  // Replays what was queued on `target`, in order (on the target's thread).
  void drain(model::Observer& target) {
    std::vector<Call> calls;
    {
      std::lock_guard lock(mutex_);
      if (calls_.empty()) return;
      calls.swap(calls_);
    }
    for (auto& c : calls) c(target);
  }

  void inventory_applied(model::LocId loc, model::SkuId sku, Tick at, std::uint64_t version, Tick now) override {
    push([=](model::Observer& o) { o.inventory_applied(loc, sku, at, version, now); });
  }
  void duplicate_dropped(Tick now) override {
    push([=](model::Observer& o) { o.duplicate_dropped(now); });
  }
  void request_retried(model::Address system, model::CallFlow flow, model::Failure f, Tick now) override {
    push([=](model::Observer& o) { o.request_retried(system, flow, f, now); });
  }
  void request_settled(model::Address system, Tick first, bool ok, Tick now) override {
    push([=](model::Observer& o) { o.request_settled(system, first, ok, now); });
  }
  void dead_lettered(model::OrderId order, model::Address system, model::CallFlow flow, model::Failure f, Tick now) override {
    const model::OrderId o2 = translate(order);
    push([=](model::Observer& o) { o.dead_lettered(o2, system, flow, f, now); });
  }
  void redriven(model::OrderId order, model::CallFlow flow, Tick now) override {
    const model::OrderId o2 = translate(order);
    push([=](model::Observer& o) { o.redriven(o2, flow, now); });
  }
  void reconciliation_checkpoint(Tick now) override {
    push([=](model::Observer& o) { o.reconciliation_checkpoint(now); });
  }

 private:
  using Call = std::function<void(model::Observer&)>;
  model::OrderId translate(model::OrderId order) const {
    return order == model::kNoOrder || !map_ ? order : map_(order);
  }
  void push(Call c) {
    std::lock_guard lock(mutex_);
    calls_.push_back(std::move(c));
  }
  std::mutex mutex_;
  std::vector<Call> calls_;
  std::function<model::OrderId(model::OrderId)> map_;
};

}  // namespace estate::hosts::live

#pragma once
// The reference sync pipeline: the embedded system under test. Stages, each a worker pool
// in front of a bounded queue:
//
//   ingest     takes channel orders (202, or 503 when full), drops duplicates by idempotency key
//   allocate   checks availability and reserves per line (reservation model), routes, acks
//   erp_sync   the ERP connector: orders, shipments, stock movements, reconciliation calls
//   release    the warehouse connector: releases to WMSs, 940 batches to 3PLs
//   events     consumes warehouse events: shipments, short picks (re-allocation), movements
//   feed       publishes availability to channels (per change, or snapshots every T)
//
// Connectors retry with exponential backoff and jitter, honour Retry-After, and dead-letter
// after the last attempt; the dead-letter queue is redriven on an interval. A reconciliation
// job runs on an interval and either reports or corrects the ERP's stock from the
// warehouses' counts.
#include <unordered_map>
#include <vector>

#include "model/component.h"
#include "model/observer.h"
#include "model/order_book.h"
#include "model/outage.h"
#include "pipeline/config.h"
#include "sim/ring.h"
#include "sim/station.h"

namespace estate::pipeline {

enum class StageId : std::uint8_t { ingest, allocate, erp_sync, release, events, feed, count };
const char* stage_name(StageId stage);

// Control commands the harness may send (Kind::control, op).
enum class Command : std::uint8_t { reconcile_now };

class Pipeline final : public model::Component {
 public:
  Pipeline(PipelineConfig config, const model::OrderBook& book, model::Observer& observer);

  void start(model::Context& ctx) override;
  void handle(model::Context& ctx, const model::Msg& msg) override;
  bool quiescent() const override;

  // Control plane (timeline): a stage that is down stops taking work (ingest refuses with
  // 503); a slow one multiplies its service times.
  void set_stage_outage(model::Context& ctx, StageId stage, const model::Outage& outage);

  const sim::Station& station(StageId s) const { return stations_[static_cast<int>(s)]; }
  sim::Station& station(StageId s) { return stations_[static_cast<int>(s)]; }

 private:
  enum class JobType : std::uint8_t {
    ingest, allocate, erp, release, tpl_batch, event, inventory_doc, feed_sku, feed_snapshot, recon_query
  };
  enum Timer : std::uint8_t {
    service_done, request_timeout, retry_due, tpl_batch_due, feed_batch_due, redrive_due, recon_due
  };
  static constexpr std::uint32_t kNone = 0xffffffffu;
  static constexpr model::LocId kNoLoc = 0xffff;

  struct Instance {  // the pipeline's record of one channel order (two, for an undetected duplicate)
    model::OrderId order;
    model::ChannelId channel;
    model::LineMask allocated;
    model::LineMask shipped;
    model::LineMask cancelled;
    std::uint32_t line_base;     // into line_loc_ / line_tried_
    std::uint32_t next_same_order;
  };

  struct Job {
    JobType type;
    std::uint8_t op;             // ErpOp, WarehouseEvent, ...
    std::uint16_t status;        // movement type for movement events
    model::LocId loc;
    model::LineMask mask;
    model::ChannelId channel;
    std::uint8_t attempts;
    std::uint8_t redrives;
    std::uint32_t inst;
    model::OrderId order;
    model::SkuId sku;
    std::uint32_t doc;
    std::int64_t value;
    std::uint64_t ref;
    std::uint64_t key;
    sim::Tick t0;
    sim::Tick arrived;           // at its current station
    sim::Tick first_attempt;
    std::uint64_t request;       // the id of the request in flight, 0 when none
    model::TimerId timer;
    std::uint16_t system;        // the Address a connector job talks to
    model::Failure last_failure;
  };

  // --- job plumbing
  // What a connector job carries (for retries and dead letters by flow).
  static model::CallFlow flow_of(const Job& job);
  std::uint32_t new_job(JobType type);
  void free_job(std::uint32_t j);
  StageId stage_of(const Job& job) const;
  // Hands a job to its stage: it starts, queues, or, when the queue is full, waits outside
  // it (see "back-pressure" below). Never refused: the door (on_delivery) is the only place
  // work is turned away.
  void enqueue(model::Context& ctx, std::uint32_t j);
  void begin(model::Context& ctx, StageId stage, std::uint32_t j);
  void on_service_done(model::Context& ctx, std::uint32_t j);
  void process(model::Context& ctx, std::uint32_t j);
  double slowdown(StageId s) const;

  // --- back-pressure. While a worker of stage s does its step (process, or a connector's
  // follow-up), work it hands to a *later* stage in flow order (ingest, allocate, events,
  // erp_sync, release, feed) that finds the queue full waits outside that queue, and the
  // worker stays held (blocked) until all of it is in. Held workers therefore only ever wait
  // on later stages: no cycle, no deadlock. Work from timers, from outside, or handed to the
  // same or an earlier stage waits outside the full queue without holding anyone.
  struct Hold {  // a worker that finished its step and waits to hand work on
    StageId stage;
    sim::Tick arrived;       // of the job it served (for its sojourn)
    std::uint32_t pending;   // jobs of its step still waiting outside a full queue
  };
  struct Outside {
    std::uint32_t job;
    std::uint32_t hold;      // kNone: nobody is held for it
  };
  void start_step(StageId s, sim::Tick arrived);
  // Ends a worker's step: it leaves, unless something it handed on is still outside.
  void finish_step(model::Context& ctx);
  // A job of stage s leaves: the next waiting one starts, and room lets jobs in from outside.
  void leave(model::Context& ctx, StageId s, sim::Tick arrived);
  void admit(model::Context& ctx, StageId s);
  // backpressure refuse: whether allocate has room for one more order beyond those already
  // in ingest or waiting to enter it.
  bool room_behind_ingest() const;

  // --- connectors
  void send_request(model::Context& ctx, std::uint32_t j);
  void on_response(model::Context& ctx, std::uint64_t request, std::uint16_t status, std::int64_t retry_after,
                   model::DocId doc);
  void request_failed(model::Context& ctx, std::uint32_t j, model::Failure failure, sim::Tick retry_after);
  void request_succeeded(model::Context& ctx, std::uint32_t j, model::DocId doc);
  void dead_letter(model::Context& ctx, std::uint32_t j);
  void redrive(model::Context& ctx);
  sim::Tick backoff(model::Context& ctx, const RetryPolicy& policy, int failures) const;
  const RetryPolicy& policy_for(const Job& job) const;

  // --- business steps
  void on_delivery(model::Context& ctx, const model::Msg& msg);
  // Returns the new instance, or kNone for a duplicate.
  std::uint32_t ingest(model::Context& ctx, const Job& job);
  void allocate(model::Context& ctx, const Job& job);
  void queue_releases(model::Context& ctx, std::uint32_t inst, model::LineMask lines);
  void queue_release(model::Context& ctx, std::uint32_t inst, model::LocId loc, model::LineMask mask);
  void queue_erp(model::Context& ctx, model::ErpOp op, const Job& from);
  void flush_tpl(model::Context& ctx, model::LocId loc);
  // True for an event already processed within the idempotency window (and records it).
  bool seen_event(sim::Tick now, const model::Msg& msg);
  void on_warehouse_event(model::Context& ctx, const model::Msg& msg);
  void on_warehouse_batch(model::Context& ctx, const model::Msg& msg);
  void apply_event(model::Context& ctx, const Job& job);
  void apply_shipment(model::Context& ctx, const Job& job);
  void apply_short_pick(model::Context& ctx, const Job& job);
  void apply_movement(model::Context& ctx, const Job& job);
  void apply_inventory_doc(model::Context& ctx, const Job& job);
  std::uint32_t instance_for(model::OrderId order, model::LocId loc, model::LineMask mask) const;
  int choose_location(const Instance& inst, int line, model::SkuId sku, std::int32_t qty) const;

  // --- availability and reconciliation
  std::int64_t available_to_sell(model::ChannelId ch, model::SkuId sku) const;
  void changed(model::Context& ctx, model::LocId loc, model::SkuId sku, sim::Tick happened_at);
  void publish(model::Context& ctx, const Job& job);
  void start_reconciliation(model::Context& ctx);
  void on_recon_answer(model::Context& ctx, const Job& job, model::DocId doc);
  void compare(model::Context& ctx, model::LocId loc);

  std::size_t ix(model::LocId loc, model::SkuId sku) const { return loc * config_.skus + sku; }
  std::uint64_t key_for(std::uint64_t a, std::uint64_t b) const;

  PipelineConfig config_;
  const model::OrderBook& book_;
  model::Observer& observer_;
  sim::Station stations_[static_cast<int>(StageId::count)];
  model::Outage stage_outage_[static_cast<int>(StageId::count)];

  std::vector<Job> jobs_;
  std::vector<std::uint32_t> free_jobs_;
  sim::Ring<Outside> outside_[static_cast<int>(StageId::count)];
  std::vector<Hold> holds_;
  std::vector<std::uint32_t> free_holds_;
  StageId producer_ = StageId::count;  // the stage whose worker is doing its step (count: none)
  sim::Tick producer_arrived_ = 0;
  std::uint32_t producer_hold_ = kNone;
  std::uint64_t request_seq_ = 0;
  std::size_t waiting_retry_ = 0;
  std::vector<std::uint32_t> dlq_;
  std::vector<std::vector<std::uint32_t>> tpl_outbox_;         // per location: release jobs
  std::vector<std::vector<std::uint32_t>> batch_members_;      // per tpl_batch job (by job.value)
  std::vector<std::uint32_t> free_batches_;

  std::vector<Instance> instances_;
  std::vector<model::LocId> line_loc_;
  std::vector<std::uint16_t> line_tried_;  // locations tried per line (bit per LocId)
  std::vector<std::uint32_t> first_instance_;  // by OrderId
  std::vector<sim::Tick> first_seen_;           // by OrderId, for ingest deduplication
  std::vector<std::vector<sim::Tick>> event_seen_;  // by location, event sequence
  std::unordered_map<std::uint64_t, sim::Tick> short_seen_;
  std::unordered_map<std::uint64_t, sim::Tick> far_seen_;  // event ids far ahead of their stream

  // Ledger: what the pipeline believes about each (location, sku).
  std::vector<std::int64_t> on_hand_;
  std::vector<std::int64_t> reserved_;
  std::vector<std::uint64_t> applied_;  // warehouse movements applied (compare with snapshots)
  std::uint64_t version_ = 0;
  std::vector<std::uint8_t> feed_pending_;  // by sku: a publish to the event-fed channels is queued
  std::vector<model::ChannelId> event_fed_;  // channels whose feed is per change
  std::vector<std::vector<model::LocId>> route_;  // per channel: its locations in routing priority order
  std::uint64_t publish_seq_ = 0;  // orders availability messages, so channels can drop stale ones
  std::uint64_t ledger_seq_ = 0;   // counts every change a channel's figure may depend on
  std::vector<std::uint64_t> snapshot_seq_;  // per channel: ledger_seq_ its last snapshot covered

  // Reconciliation round in progress: per location, the two snapshots once they arrive.
  struct ReconState {
    model::DocId warehouse = 0;
    model::DocId erp = 0;
    bool have_warehouse = false;
    bool have_erp = false;
  };
  std::vector<ReconState> recon_;
  std::size_t recon_outstanding_ = 0;
};

}  // namespace estate::pipeline

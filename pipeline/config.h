#pragma once
// The reference sync pipeline's knobs: the design choices architects argue about.
#include <string>
#include <vector>

#include "model/ids.h"
#include "sim/distribution.h"
#include "sim/time.h"

namespace estate::pipeline {

enum class RoutingRule : std::uint8_t { priority, most_stock };
enum class ReleaseGate : std::uint8_t { erp, allocation };  // release to the warehouse after...
enum class FeedMode : std::uint8_t { event, batch, none };
enum class Jitter : std::uint8_t { none, full, equal };
enum class ReconMode : std::uint8_t { report, correct };
// What a full stage queue does to work handed to it (see Pipeline). Either way the bound
// holds and nothing is lost. block: the worker that hands work on stays held until there is
// room, so the back-pressure travels upstream stage by stage and ingest refuses (503) once
// its own queue is full. refuse: ingest also refuses (503) a delivery while allocate has no
// room left for it, so orders wait at the channel (which resends) instead of in the pipeline.
enum class Backpressure : std::uint8_t { block, refuse };

// A stage: a pool of workers in front of a bounded queue. For a connector stage a worker is
// held for the whole request round trip (a synchronous client), so workers bound concurrency.
struct StageConfig {
  std::uint32_t workers = 4;
  sim::Distribution service_s = sim::Distribution::constant(0.005);
  std::uint64_t queue = 100'000;
};

struct RetryPolicy {
  int attempts = 5;
  sim::Tick base = sim::seconds(1);
  sim::Tick cap = sim::seconds(60);
  Jitter jitter = Jitter::full;
  sim::Tick timeout = sim::seconds(30);
};

struct FeedTarget {
  model::Address address = model::kNoAddress;
  FeedMode mode = FeedMode::event;
  sim::Tick interval = sim::minutes(15);
  sim::Tick offset = 0;  // batch: a snapshot at offset + k * interval, at every such instant after 0
  std::vector<model::LocId> sells_from;
};

struct LocationTarget {
  std::string name;
  model::Address address = model::kNoAddress;
  bool third_party = false;               // a 3PL: releases go out as 940 batches
  sim::Tick batch_interval = sim::minutes(15);
};

struct PipelineConfig {
  std::size_t skus = 0;
  std::vector<LocationTarget> locations;  // index = LocId
  std::vector<FeedTarget> channels;       // index = ChannelId
  model::Address erp = model::kNoAddress;

  bool idempotency = true;
  sim::Tick idempotency_window = sim::hours(24);
  bool reservation = true;
  RoutingRule routing = RoutingRule::priority;
  std::vector<model::LocId> priority;     // routing order for the priority rule
  ReleaseGate release_after = ReleaseGate::erp;

  StageConfig ingest{8, sim::Distribution::constant(0.002), 10'000};
  StageConfig allocate{4, sim::Distribution::constant(0.005), 100'000};
  StageConfig erp_sync{15, sim::Distribution::constant(0.0), 1'000'000};
  StageConfig release{8, sim::Distribution::constant(0.0), 1'000'000};
  StageConfig events{4, sim::Distribution::constant(0.003), 1'000'000};
  StageConfig feed{4, sim::Distribution::constant(0.002), 1'000'000};
  Backpressure backpressure = Backpressure::block;

  RetryPolicy erp_retry;
  RetryPolicy warehouse_retry;
  sim::Tick redrive_interval = sim::minutes(15);
  int max_redrives = 16;
  sim::Tick redrive_spacing = sim::millis(50);  // dead letters go back at most this often (20/s)

  std::int64_t safety_stock = 0;   // units per sku per location, never offered to channels
  std::int64_t safety_buffer = 0;  // further units held back from every published figure
  sim::Tick recon_interval = sim::hours(1);
  ReconMode recon_mode = ReconMode::report;

  std::vector<std::int64_t> initial_on_hand;  // [loc * skus + sku]: the ledger at time 0
};

}  // namespace estate::pipeline

#pragma once
// A scenario as the architect wrote it, validated: the estate (catalogue, locations,
// channels, ERP, pipeline design), the run (duration, drain, seed) and the timeline. Building
// the simulated estate from it is harness/estate.h's job.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/reader.h"
#include "harness/replay.h"
#include "harness/thresholds.h"
#include "mocks/channel.h"
#include "mocks/erp.h"
#include "mocks/tpl.h"
#include "mocks/wms.h"
#include "model/outage.h"
#include "pipeline/config.h"
#include "sim/distribution.h"

namespace estate::harness {

struct SkuSelector {
  enum class Kind : std::uint8_t { all, top, ranks } kind = Kind::all;
  std::uint32_t top = 0;
  std::vector<std::uint32_t> ranks;  // 1-based
  std::vector<model::SkuId> resolve(std::size_t skus) const;
};

enum class LocationKind : std::uint8_t { wms, tpl };

struct LocationSpec {
  std::string name;
  LocationKind kind = LocationKind::wms;
  double stock_share = 1.0;
  sim::Distribution latency_s;  // pipeline <-> this location, each way
  mocks::WmsConfig wms;
  mocks::TplConfig tpl;
  sim::Tick orders_interval = sim::minutes(15);  // 3PL: the pipeline's 940 batches
};

struct ChannelSpec {
  std::string name;
  mocks::ChannelKind kind = mocks::ChannelKind::storefront;
  double rate_per_s = 1.0;
  sim::Distribution lines;
  sim::Distribution units;
  std::vector<model::LocId> sells_from;
  pipeline::FeedMode feed = pipeline::FeedMode::event;
  sim::Tick feed_interval = sim::minutes(15);
  // Batch feeds: snapshots at offset + k * interval. Absent in the file: the default that
  // spreads the batch-fed channels, set once every channel is read.
  std::optional<sim::Tick> feed_offset;
  mocks::DeliveryMode delivery = mocks::DeliveryMode::push;
  sim::Tick delivery_interval = sim::minutes(2);
  sim::Tick timeout = sim::seconds(5);
  int attempts = 8;
  sim::Tick retry_base = sim::minutes(1);
  sim::Tick retry_cap = sim::hours(2);
  sim::Distribution latency_s;
  double duplicates = 0.0;
  sim::Distribution duplicate_delay_s;
  sim::Tick reorder = 0;
};

// A system named in the timeline.
struct SystemRef {
  enum class Kind : std::uint8_t { erp, location, channel, stage } kind = Kind::erp;
  int index = 0;  // location, channel or pipeline::StageId
};

struct TimelineEvent {
  enum class Kind : std::uint8_t {
    promotion, outage, duplicates, reorder, throttle, drift, replenishment, returns, transfer, late_batch
  };
  Kind kind = Kind::promotion;
  sim::Tick at = 0;
  sim::Tick span = 0;  // "for": 0 for instantaneous events
  std::string path;    // where it was written, for messages
  // promotion
  double multiplier = 1.0;
  SkuSelector skus;
  std::vector<int> channels;
  sim::Tick ramp = 0;
  // outage
  SystemRef system;
  model::Outage outage;
  // duplicates, reorder, late_batch
  SystemRef source;
  double rate = 0.0;
  sim::Distribution delay_s;
  sim::Tick window = 0;
  // throttle
  double quota_per_s = 0.0;
  double burst = 0.0;
  // stock events
  int location = 0;
  int to_location = 0;
  std::int64_t units = 0;
  sim::Tick cover = 0;
  bool reported = false;
  sim::Tick transit = 0;
  // late_batch
  mocks::TplBatch batch = mocks::TplBatch::advice;
  bool missing = false;
  sim::Tick late_by = 0;
};

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  sim::Tick duration = sim::hours(6);
  sim::Tick drain_max = sim::hours(72);
  std::uint64_t max_events = 500'000'000;
  // Bounds on what a run keeps (limits.*): orders placed (the per-order state of every system
  // grows with them: the order book, the pipeline's records and idempotency keys, the ERP's
  // keys, the metrics' tracks), documents held (MB; kept until the run ends) and points per
  // time series over the demand period.
  std::uint64_t max_orders = 10'000'000;
  std::uint64_t max_documents_mb = 4096;
  std::uint64_t max_series_points = 10'000;
  sim::Tick series_interval = 0;  // 0: automatic

  std::size_t skus = 1000;
  double zipf = 1.0;
  sim::Tick cover = sim::hours(24);
  std::int64_t min_units = 5;
  std::int64_t safety_stock = 0;

  // Every channel's order rate (promotions included) is multiplied by this: "3x last Black
  // Friday" is one knob. Stock is sized from the demand as written (catalogue.cover), so a
  // larger scale sells the same shelves faster.
  double demand_scale = 1.0;
  // Demand from an order log instead of the channels' rates (demand.trace); demand_scale is
  // then its volume (harness/replay.h).
  std::optional<TraceSpec> trace;

  std::vector<LocationSpec> locations;
  std::vector<ChannelSpec> channels;
  mocks::ErpConfig erp;
  sim::Distribution erp_latency_s;
  pipeline::PipelineConfig pipeline;
  std::vector<TimelineEvent> timeline;
  std::vector<Threshold> thresholds;

  Json document;            // the effective document, after --set overrides
  std::string file_hash;    // of the document as the file has it, before overrides
  Json overrides = Json::array();  // the --set/--vs overrides applied, as typed
};

// Reads a scenario file (JSON with comments; a relative path that does not exist is looked up
// in the scenarios an installed estate ships, harness/locate.h), applies --set overrides
// ("a.b.c=value") and validates it. Throws InputError.
// `changes` are further overrides named --vs in messages (the B side of an A/B).
Scenario load_scenario(const std::string& file, const std::vector<std::string>& sets,
                       const std::vector<std::string>& changes = {});
// A scenario file's JSON (comments allowed), unvalidated; InputError naming the line and
// column when it is not JSON.
Json read_scenario_document(const std::string& file);
// The same from the file's document, already read (`file` names it in messages); `changes`
// are named `change_flag` in messages (--vs, --vary).
Scenario scenario_from_document(Json doc, const std::string& file, const std::vector<std::string>& sets,
                                const std::vector<std::string>& changes = {}, const std::string& change_flag = "--vs");
Scenario parse_scenario(const Json& doc, const Origin& origin);
// Applies one "path=value" override to the document; returns the JSON pointer it set.
std::string apply_override(Json& doc, const std::string& assignment, const std::string& file,
                           const std::string& flag = "--set");
// FNV-1a of a scenario document, as hex: names the exact input of a report.
std::string scenario_hash(const Json& document);
// The JSON Schema of a scenario, generated by running the parser in schema mode.
Json scenario_schema();

const char* location_kind_name(LocationKind kind);
std::string system_name(const Scenario& s, const SystemRef& ref);

}  // namespace estate::harness

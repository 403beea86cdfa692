#include "pipeline/pipeline.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "sim/assert.h"
#include "sim/rng.h"

namespace estate::pipeline {
using model::ErpOp;
using model::Failure;
using model::Kind;
using model::Msg;
using sim::Tick;
namespace status = model::status;

namespace {
constexpr Tick kUnset = -1;
constexpr std::uint32_t kJobBits = 24;
constexpr std::uint64_t kJobMask = (1u << kJobBits) - 1;

// The order in which work flows through the stages. A worker is only ever held for work it
// hands to a later stage, so held workers cannot wait on one another in a cycle.
int flow_rank(StageId s) {
  switch (s) {
    case StageId::ingest: return 0;
    case StageId::allocate: return 1;
    case StageId::events: return 2;
    case StageId::erp_sync: return 3;
    case StageId::release: return 4;
    case StageId::feed: return 5;
    case StageId::count: break;
  }
  return 6;
}
}  // namespace

const char* stage_name(StageId stage) {
  switch (stage) {
    case StageId::ingest: return "ingest";
    case StageId::allocate: return "allocate";
    case StageId::erp_sync: return "erp_sync";
    case StageId::release: return "release";
    case StageId::events: return "events";
    case StageId::feed: return "feed";
    case StageId::count: break;
  }
  return "?";
}

Pipeline::Pipeline(PipelineConfig config, const model::OrderBook& book, model::Observer& observer)
    : config_(std::move(config)), book_(book), observer_(observer) {
  const StageConfig* stages[] = {&config_.ingest,  &config_.allocate, &config_.erp_sync,
                                 &config_.release, &config_.events,   &config_.feed};
  for (int s = 0; s < static_cast<int>(StageId::count); ++s)
    stations_[s] = sim::Station(std::string("pipeline.") + stage_name(static_cast<StageId>(s)), stages[s]->workers,
                                stages[s]->queue);
  const std::size_t records = config_.locations.size() * config_.skus;
  ESTATE_ASSERT(config_.initial_on_hand.size() == records, "pipeline: initial ledger size");
  ESTATE_ASSERT(config_.locations.size() <= 16, "pipeline: at most 16 locations");
  on_hand_ = config_.initial_on_hand;
  reserved_.assign(records, 0);
  applied_.assign(records, 0);
  tpl_outbox_.resize(config_.locations.size());
  event_seen_.resize(config_.locations.size());
  recon_.resize(config_.locations.size());
  feed_pending_.assign(config_.skus, 0);
  snapshot_seq_.assign(config_.channels.size(), 0);
  // The priority rule walks locations in the configured order, restricted to each channel's.
  route_.resize(config_.channels.size());
  std::vector<model::LocId> order = config_.priority;
  for (std::size_t l = 0; l < config_.locations.size(); ++l)
    if (std::find(order.begin(), order.end(), l) == order.end()) order.push_back(static_cast<model::LocId>(l));
  for (std::size_t c = 0; c < config_.channels.size(); ++c) {
    const auto& sf = config_.channels[c].sells_from;
    for (model::LocId l : order)
      if (std::find(sf.begin(), sf.end(), l) != sf.end()) route_[c].push_back(l);
  }
  for (std::size_t c = 0; c < config_.channels.size(); ++c)
    if (config_.channels[c].mode == FeedMode::event) event_fed_.push_back(static_cast<model::ChannelId>(c));
}

void Pipeline::start(model::Context& ctx) {
  for (std::size_t l = 0; l < config_.locations.size(); ++l)
    if (config_.locations[l].third_party)
      ctx.set_timer(config_.locations[l].batch_interval, model::make_timer(tpl_batch_due, l));
  for (std::size_t c = 0; c < config_.channels.size(); ++c)
    if (config_.channels[c].mode == FeedMode::batch) {
      const FeedTarget& f = config_.channels[c];
      ctx.set_timer(f.offset > 0 ? f.offset : f.interval, model::make_timer(feed_batch_due, c));
    }
  ctx.set_timer(config_.redrive_interval, model::make_timer(redrive_due));
  ctx.set_timer(config_.recon_interval, model::make_timer(recon_due));
}

bool Pipeline::quiescent() const {
  for (const auto& s : stations_)
    if (!s.idle()) return false;
  if (waiting_retry_ > 0 || recon_outstanding_ > 0) return false;
  for (const auto& outbox : tpl_outbox_)
    if (!outbox.empty()) return false;
  for (std::uint32_t j : dlq_)
    if (jobs_[j].redrives < config_.max_redrives) return false;
  // A batch-fed channel must have been sent a snapshot of the final state.
  for (std::size_t c = 0; c < config_.channels.size(); ++c)
    if (config_.channels[c].mode == FeedMode::batch && snapshot_seq_[c] != ledger_seq_) return false;
  return true;
}

// ---------------------------------------------------------------------------------- jobs

std::uint32_t Pipeline::new_job(JobType type) {
  std::uint32_t j;
  if (!free_jobs_.empty()) {
    j = free_jobs_.back();
    free_jobs_.pop_back();
  } else {
    ESTATE_ASSERT(jobs_.size() < kJobMask, "pipeline: too many jobs in flight");
    j = static_cast<std::uint32_t>(jobs_.size());
    jobs_.push_back({});
  }
  Job& job = jobs_[j];
  job = Job{};
  job.type = type;
  job.inst = kNone;
  job.order = model::kNoOrder;
  job.first_attempt = kUnset;
  return j;
}

void Pipeline::free_job(std::uint32_t j) { free_jobs_.push_back(j); }

StageId Pipeline::stage_of(const Job& job) const {
  switch (job.type) {
    case JobType::ingest: return StageId::ingest;
    case JobType::allocate: return StageId::allocate;
    case JobType::erp: return StageId::erp_sync;
    case JobType::release:
    case JobType::tpl_batch:
    case JobType::recon_query: return StageId::release;
    case JobType::event:
    case JobType::inventory_doc: return StageId::events;
    case JobType::feed_sku:
    case JobType::feed_snapshot: return StageId::feed;
  }
  return StageId::ingest;
}

double Pipeline::slowdown(StageId s) const {
  const auto& o = stage_outage_[static_cast<int>(s)];
  return o.mode == model::OutageMode::slow ? o.factor : 1.0;
}

void Pipeline::enqueue(model::Context& ctx, std::uint32_t j) {
  const StageId s = stage_of(jobs_[j]);
  sim::Station& st = station(s);
  const int si = static_cast<int>(s);
  if (outside_[si].empty() && st.has_room()) {  // nobody overtakes those already waiting outside
    jobs_[j].arrived = ctx.now();
    const auto admitted = st.arrive(ctx.now(), j);
    ESTATE_ASSERT(admitted != sim::Station::Admit::refused, "pipeline: a stage with room refused");
    if (admitted == sim::Station::Admit::start) begin(ctx, s, j);
    return;
  }
  std::uint32_t h = kNone;
  if (producer_ != StageId::count && flow_rank(producer_) < flow_rank(s)) {
    if (producer_hold_ == kNone) {
      if (!free_holds_.empty()) {
        producer_hold_ = free_holds_.back();
        free_holds_.pop_back();
      } else {
        producer_hold_ = static_cast<std::uint32_t>(holds_.size());
        holds_.push_back({});
      }
      holds_[producer_hold_] = {producer_, producer_arrived_, 0};
    }
    h = producer_hold_;
    ++holds_[h].pending;
  }
  outside_[si].push_back({j, h});
  st.hold_outside(ctx.now());
}

void Pipeline::start_step(StageId s, Tick arrived) {
  ESTATE_ASSERT(producer_ == StageId::count, "pipeline: nested steps");
  producer_ = s;
  producer_arrived_ = arrived;
  producer_hold_ = kNone;
}

void Pipeline::finish_step(model::Context& ctx) {
  const StageId s = producer_;
  const std::uint32_t h = producer_hold_;
  producer_ = StageId::count;
  producer_hold_ = kNone;
  if (h != kNone) {
    station(s).block(ctx.now());  // the worker waits; admit() lets it go
    return;
  }
  leave(ctx, s, producer_arrived_);
}

void Pipeline::leave(model::Context& ctx, StageId s, Tick arrived) {
  if (auto next = station(s).depart(ctx.now(), arrived)) begin(ctx, s, *next);
  admit(ctx, s);
}

void Pipeline::admit(model::Context& ctx, StageId s) {
  auto& out = outside_[static_cast<int>(s)];
  sim::Station& st = station(s);
  const Tick now = ctx.now();
  while (!out.empty() && st.has_room()) {
    const Outside w = out.pop_front();
    st.unhold(now);
    jobs_[w.job].arrived = now;
    if (st.arrive(now, w.job) == sim::Station::Admit::start) begin(ctx, s, w.job);
    if (w.hold != kNone && --holds_[w.hold].pending == 0) {
      const Hold hold = holds_[w.hold];
      free_holds_.push_back(w.hold);
      station(hold.stage).unblock(now);
      leave(ctx, hold.stage, hold.arrived);  // an earlier stage in flow order: this recursion ends
    }
  }
}

bool Pipeline::room_behind_ingest() const {
  const sim::Station& in = station(StageId::ingest);
  const sim::Station& al = station(StageId::allocate);
  // Orders being ingested (not yet handed on), waiting for ingest, and waiting outside
  // allocate (handed on by a blocked ingest worker) will all need a place in allocate.
  const std::uint64_t bound_for_allocate = (in.busy() - in.blocked()) + in.waiting() + al.held();
  return al.busy() + al.waiting() + bound_for_allocate < al.servers() + al.capacity();
}

void Pipeline::begin(model::Context& ctx, StageId s, std::uint32_t j) {
  if (s == StageId::erp_sync || s == StageId::release) {
    send_request(ctx, j);
    return;
  }
  const StageConfig* cfg = s == StageId::ingest     ? &config_.ingest
                           : s == StageId::allocate ? &config_.allocate
                           : s == StageId::events   ? &config_.events
                                                    : &config_.feed;
  const double secs = cfg->service_s.sample(ctx.rng()) * slowdown(s);
  ctx.set_timer(sim::delay_from_seconds(secs), model::make_timer(service_done, j));
}

void Pipeline::on_service_done(model::Context& ctx, std::uint32_t j) {
  start_step(stage_of(jobs_[j]), jobs_[j].arrived);
  process(ctx, j);
  finish_step(ctx);
}

void Pipeline::process(model::Context& ctx, std::uint32_t j) {
  const Job job = jobs_[j];  // a copy: the steps below add jobs, which may move jobs_
  switch (job.type) {
    case JobType::ingest: {
      const std::uint32_t inst = ingest(ctx, job);
      if (inst == kNone) break;
      jobs_[j].inst = inst;
      jobs_[j].type = JobType::allocate;
      enqueue(ctx, j);
      return;
    }
    case JobType::allocate: allocate(ctx, job); break;
    case JobType::event: apply_event(ctx, job); break;
    case JobType::inventory_doc: apply_inventory_doc(ctx, job); break;
    case JobType::feed_sku:
    case JobType::feed_snapshot: publish(ctx, job); break;
    default: ESTATE_ASSERT(false, "pipeline: connector job in a compute stage");
  }
  free_job(j);
}

void Pipeline::set_stage_outage(model::Context& ctx, StageId stage, const model::Outage& outage) {
  stage_outage_[static_cast<int>(stage)] = outage;
  const StageConfig* stages[] = {&config_.ingest,  &config_.allocate, &config_.erp_sync,
                                 &config_.release, &config_.events,   &config_.feed};
  sim::Station& st = station(stage);
  st.set_servers(outage.mode == model::OutageMode::down ? 0 : stages[static_cast<int>(stage)]->workers);
  while (auto next = st.pull(ctx.now())) begin(ctx, stage, *next);
  admit(ctx, stage);
}

// ----------------------------------------------------------------------------- connectors

const RetryPolicy& Pipeline::policy_for(const Job& job) const {
  return job.type == JobType::erp ? config_.erp_retry : config_.warehouse_retry;
}

void Pipeline::send_request(model::Context& ctx, std::uint32_t j) {
  Job& job = jobs_[j];
  if (job.first_attempt == kUnset) job.first_attempt = ctx.now();
  job.request = (++request_seq_ << kJobBits) | j;
  Msg m;
  m.id = job.request;
  m.order = job.order;
  m.loc = job.loc;
  m.mask = job.mask;
  m.key = job.key;
  switch (job.type) {
    case JobType::erp:
      m.kind = Kind::erp_request;
      m.op = job.op;
      m.sku = job.sku;
      m.value = job.value;
      m.ref = job.ref;
      m.t0 = job.t0;
      break;
    case JobType::release:
      m.kind = Kind::release;
      break;
    case JobType::tpl_batch: {
      m.kind = Kind::release_batch;
      model::Doc doc;
      for (std::uint32_t r : batch_members_[static_cast<std::size_t>(job.value)]) {
        doc.push_back(jobs_[r].order);
        doc.push_back(jobs_[r].mask);
        doc.push_back(static_cast<std::int64_t>(jobs_[r].key));
      }
      m.doc = ctx.put_doc(std::move(doc));
      break;
    }
    case JobType::recon_query:
      m.kind = Kind::inventory_query;
      break;
    default:
      ESTATE_ASSERT(false, "pipeline: not a connector job");
  }
  ctx.send(job.system, m);
  Msg t = model::make_timer(request_timeout, j);
  t.value = static_cast<std::int64_t>(job.request);
  jobs_[j].timer = ctx.set_timer(policy_for(jobs_[j]).timeout, t);
}

void Pipeline::on_response(model::Context& ctx, std::uint64_t request, std::uint16_t st, std::int64_t retry_after,
                           model::DocId doc) {
  const auto j = static_cast<std::uint32_t>(request & kJobMask);
  if (j >= jobs_.size() || jobs_[j].request != request) return;  // late: we gave up on it
  ctx.cancel_timer(jobs_[j].timer);
  if (model::is_success(st)) return request_succeeded(ctx, j, doc);
  const Failure f = st == status::too_many_requests ? Failure::throttled
                    : st == status::unavailable     ? Failure::unavailable
                    : st == status::conflict        ? Failure::conflict
                                                    : Failure::error;
  request_failed(ctx, j, f, retry_after);
}

Tick Pipeline::backoff(model::Context& ctx, const RetryPolicy& p, int failures) const {
  const double cap = sim::to_seconds(p.cap);
  const double exp = std::min(cap, sim::to_seconds(p.base) * std::ldexp(1.0, std::max(failures - 1, 0)));
  double s = exp;
  if (p.jitter == Jitter::full) s = ctx.rng().uniform(0, exp);
  if (p.jitter == Jitter::equal) s = exp / 2 + ctx.rng().uniform(0, exp / 2);
  return sim::from_seconds(s);
}

void Pipeline::request_failed(model::Context& ctx, std::uint32_t j, Failure failure, Tick retry_after) {
  const Tick now = ctx.now();
  const StageId s = stage_of(jobs_[j]);
  const Tick arrived = jobs_[j].arrived;
  jobs_[j].request = 0;
  jobs_[j].last_failure = failure;
  ++jobs_[j].attempts;
  const Job job = jobs_[j];
  // The worker is free again while this job waits out its backoff.
  leave(ctx, s, arrived);

  const bool is_query = job.type == JobType::recon_query ||
                        (job.type == JobType::erp && job.op == static_cast<std::uint8_t>(ErpOp::query_inventory));
  const bool is_correction = job.type == JobType::erp && job.op == static_cast<std::uint8_t>(ErpOp::set_inventory);
  const RetryPolicy& policy = policy_for(job);
  if (is_correction && failure == Failure::conflict) {
    free_job(j);  // stock moved since the count; the next round will look again
    return;
  }
  if (job.attempts >= policy.attempts) {
    if (is_query || is_correction) {  // reconciliation is periodic: give this round up
      observer_.request_settled(job.system, job.first_attempt, false, now);
      if (is_query) --recon_outstanding_;
      free_job(j);
      return;
    }
    dead_letter(ctx, j);
    return;
  }
  observer_.request_retried(job.system, flow_of(job), failure, now);
  ++waiting_retry_;
  ctx.set_timer(std::max(backoff(ctx, policy, job.attempts), retry_after), model::make_timer(retry_due, j));
}

void Pipeline::request_succeeded(model::Context& ctx, std::uint32_t j, model::DocId doc) {
  const Tick now = ctx.now();
  const StageId s = stage_of(jobs_[j]);
  jobs_[j].request = 0;
  const Job job = jobs_[j];
  observer_.request_settled(job.system, job.first_attempt, true, now);
  // The follow-up work is handed on while the worker still holds the reply, so a full queue
  // downstream holds it (back-pressure); then it takes the next request.
  start_step(s, job.arrived);
  switch (job.type) {
    case JobType::erp:
      switch (static_cast<ErpOp>(job.op)) {
        case ErpOp::create_order:
          if (config_.release_after == ReleaseGate::erp) queue_releases(ctx, job.inst, job.mask);
          break;
        case ErpOp::query_inventory:
          on_recon_answer(ctx, job, doc);
          break;
        default:
          break;
      }
      break;
    case JobType::tpl_batch: {
      const auto b = static_cast<std::size_t>(job.value);
      for (std::uint32_t r : batch_members_[b]) free_job(r);
      batch_members_[b].clear();
      free_batches_.push_back(static_cast<std::uint32_t>(b));
      break;
    }
    case JobType::recon_query:
      on_recon_answer(ctx, job, doc);
      break;
    default:
      break;
  }
  free_job(j);
  finish_step(ctx);
}

model::CallFlow Pipeline::flow_of(const Job& job) {
  if (job.type == JobType::erp) return model::call_flow_of(static_cast<ErpOp>(job.op));
  return job.type == JobType::recon_query ? model::CallFlow::inventory_query : model::CallFlow::release;
}

void Pipeline::dead_letter(model::Context& ctx, std::uint32_t j) {
  const Job& job = jobs_[j];
  if (job.type == JobType::tpl_batch) {
    for (std::uint32_t r : batch_members_[static_cast<std::size_t>(job.value)])
      observer_.dead_lettered(jobs_[r].order, job.system, flow_of(job), job.last_failure, ctx.now());
  } else {
    observer_.dead_lettered(job.order, job.system, flow_of(job), job.last_failure, ctx.now());
  }
  dlq_.push_back(j);
}

void Pipeline::redrive(model::Context& ctx) {
  std::vector<std::uint32_t> keep;
  std::vector<std::uint32_t> again;
  for (std::uint32_t j : dlq_) (jobs_[j].redrives < config_.max_redrives ? again : keep).push_back(j);
  dlq_ = std::move(keep);
  // Paced, like a redrive velocity: a DLQ of thousands sent back at once would hit the
  // system that refused them with the same burst.
  Tick delay = 0;
  for (std::uint32_t j : again) {
    Job& job = jobs_[j];
    ++job.redrives;
    job.attempts = 0;
    if (job.type == JobType::tpl_batch) {
      for (std::uint32_t r : batch_members_[static_cast<std::size_t>(job.value)])
        observer_.redriven(jobs_[r].order, flow_of(job), ctx.now());
    } else {
      observer_.redriven(job.order, flow_of(job), ctx.now());
    }
    ++waiting_retry_;
    ctx.set_timer(delay, model::make_timer(retry_due, j));
    delay += config_.redrive_spacing;
  }
}

// ------------------------------------------------------------------------ business steps

std::uint64_t Pipeline::key_for(std::uint64_t a, std::uint64_t b) const {
  if (!config_.idempotency) return 0;
  std::uint64_t state = a * 0x9e3779b97f4a7c15ULL ^ b;
  return sim::splitmix64(state) | 1;
}

void Pipeline::handle(model::Context& ctx, const Msg& msg) {
  switch (msg.kind) {
    case Kind::timer: {
      const auto j = static_cast<std::uint32_t>(msg.id);
      switch (msg.op) {
        case service_done: on_service_done(ctx, j); return;
        case request_timeout:
          if (jobs_[j].request == static_cast<std::uint64_t>(msg.value)) request_failed(ctx, j, Failure::timeout, 0);
          return;
        case retry_due:
          --waiting_retry_;
          enqueue(ctx, j);
          return;
        case tpl_batch_due:
          ctx.set_timer(config_.locations[msg.id].batch_interval, msg);
          flush_tpl(ctx, static_cast<model::LocId>(msg.id));
          return;
        case feed_batch_due: {
          ctx.set_timer(config_.channels[msg.id].interval, msg);
          const std::uint32_t f = new_job(JobType::feed_snapshot);
          jobs_[f].channel = static_cast<model::ChannelId>(msg.id);
          enqueue(ctx, f);
          return;
        }
        case redrive_due:
          ctx.set_timer(config_.redrive_interval, msg);
          redrive(ctx);
          return;
        case recon_due:
          ctx.set_timer(config_.recon_interval, msg);
          start_reconciliation(ctx);
          return;
      }
      return;
    }
    case Kind::control:
      if (msg.op == static_cast<std::uint8_t>(Command::reconcile_now)) start_reconciliation(ctx);
      return;
    case Kind::order_delivery: on_delivery(ctx, msg); return;
    case Kind::erp_response:
    case Kind::warehouse_response: on_response(ctx, msg.id, msg.status, msg.value, msg.doc); return;
    case Kind::warehouse_event: on_warehouse_event(ctx, msg); return;
    case Kind::warehouse_batch: on_warehouse_batch(ctx, msg); return;
    default: ESTATE_ASSERT(false, "pipeline: unexpected message");
  }
}

void Pipeline::on_delivery(model::Context& ctx, const Msg& msg) {
  Msg reply;
  reply.kind = Kind::delivery_response;
  reply.id = msg.id;
  reply.status = status::unavailable;
  const bool down = stage_outage_[static_cast<int>(StageId::ingest)].mode == model::OutageMode::down;
  if (!down && config_.backpressure == Backpressure::refuse && !room_behind_ingest()) {
    station(StageId::ingest).refuse(ctx.now());  // shed at the door: the channel resends later
  } else if (!down) {
    const std::uint32_t j = new_job(JobType::ingest);
    Job& job = jobs_[j];
    job.order = msg.order;
    job.key = msg.key;
    job.channel = book_.order(msg.order).channel;
    job.arrived = ctx.now();
    switch (station(StageId::ingest).arrive(ctx.now(), j, /*force=*/false)) {
      case sim::Station::Admit::start:
        begin(ctx, StageId::ingest, j);
        reply.status = status::accepted;
        break;
      case sim::Station::Admit::queued:
        reply.status = status::accepted;
        break;
      case sim::Station::Admit::refused:  // back-pressure: the channel will retry
        free_job(j);
        break;
    }
  }
  ctx.send(msg.from, reply);
}

std::uint32_t Pipeline::ingest(model::Context& ctx, const Job& job) {
  const Tick now = ctx.now();
  const model::OrderId order = job.order;
  if (first_seen_.size() <= order) {
    first_seen_.resize(order + 1, kUnset);
    first_instance_.resize(order + 1, kNone);
  }
  if (config_.idempotency) {
    if (first_seen_[order] != kUnset && now - first_seen_[order] < config_.idempotency_window) {
      observer_.duplicate_dropped(now);
      return kNone;
    }
    first_seen_[order] = now;  // a key forgotten after the window is new again
  }
  const auto inst = static_cast<std::uint32_t>(instances_.size());
  const int lines = book_.order(order).line_count;
  instances_.push_back({order, job.channel, 0, 0, 0, static_cast<std::uint32_t>(line_loc_.size()), kNone});
  line_loc_.insert(line_loc_.end(), static_cast<std::size_t>(lines), 0);
  line_tried_.insert(line_tried_.end(), static_cast<std::size_t>(lines), 0);
  if (first_instance_[order] == kNone) {
    first_instance_[order] = inst;
  } else {
    std::uint32_t i = first_instance_[order];
    while (instances_[i].next_same_order != kNone) i = instances_[i].next_same_order;
    instances_[i].next_same_order = inst;
  }
  return inst;
}

int Pipeline::choose_location(const Instance& inst, int line, model::SkuId sku, std::int32_t qty) const {
  const std::uint16_t tried = line_tried_[inst.line_base + static_cast<std::uint32_t>(line)];
  int best = -1;
  std::int64_t best_available = -1;
  int blind = -1;
  for (model::LocId loc : route_[inst.channel]) {
    if (model::has_bit(tried, loc)) continue;
    if (blind < 0) blind = loc;
    const std::int64_t available = on_hand_[ix(loc, sku)] - (config_.reservation ? reserved_[ix(loc, sku)] : 0);
    if (available < qty) continue;
    if (config_.routing == RoutingRule::priority) return loc;
    if (available > best_available) {
      best_available = available;
      best = loc;
    }
  }
  if (best >= 0 || config_.reservation) return best;
  return blind;  // no reservation model: route anyway and let the warehouse find out
}

void Pipeline::allocate(model::Context& ctx, const Job& job) {
  Instance& inst = instances_[job.inst];
  const auto lines = book_.lines(inst.order);
  model::LineMask accepted = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int loc = choose_location(inst, static_cast<int>(i), lines[i].sku, lines[i].qty);
    if (loc < 0) continue;
    const auto l = static_cast<model::LocId>(loc);
    line_loc_[inst.line_base + i] = l;
    line_tried_[inst.line_base + i] |= static_cast<std::uint16_t>(1u << l);
    accepted |= static_cast<model::LineMask>(1u << i);
    if (config_.reservation) {
      reserved_[ix(l, lines[i].sku)] += lines[i].qty;
      changed(ctx, kNoLoc, lines[i].sku, 0);
    }
  }
  inst.allocated = accepted;
  inst.cancelled = static_cast<model::LineMask>(book_.all_lines_mask(inst.order) & ~accepted);
  Msg ack;
  ack.kind = Kind::order_ack;
  ack.order = inst.order;
  ack.mask = accepted;
  ctx.send(config_.channels[inst.channel].address, ack);
  if (accepted == 0) return;
  Job erp{};
  erp.inst = job.inst;
  erp.order = inst.order;
  erp.mask = accepted;
  erp.key = key_for(inst.order, 1);
  queue_erp(ctx, ErpOp::create_order, erp);
  if (config_.release_after == ReleaseGate::allocation) queue_releases(ctx, job.inst, accepted);
}

void Pipeline::queue_releases(model::Context& ctx, std::uint32_t inst_id, model::LineMask lines) {
  const Instance inst = instances_[inst_id];
  model::LineMask remaining = lines;
  while (remaining) {
    const int first = std::countr_zero(remaining);
    const model::LocId loc = line_loc_[inst.line_base + static_cast<std::uint32_t>(first)];
    model::LineMask at_loc = 0;
    for (model::LineMask m = remaining; m; m &= static_cast<model::LineMask>(m - 1)) {
      const int i = std::countr_zero(m);
      if (line_loc_[inst.line_base + static_cast<std::uint32_t>(i)] == loc)
        at_loc |= static_cast<model::LineMask>(1u << i);
    }
    remaining &= static_cast<model::LineMask>(~at_loc);
    queue_release(ctx, inst_id, loc, at_loc);
  }
}

void Pipeline::queue_release(model::Context& ctx, std::uint32_t inst, model::LocId loc, model::LineMask mask) {
  const std::uint32_t j = new_job(JobType::release);
  Job& job = jobs_[j];
  job.inst = inst;
  job.order = instances_[inst].order;
  job.loc = loc;
  job.mask = mask;
  job.system = config_.locations[loc].address;
  job.key = key_for(static_cast<std::uint64_t>(job.order) << 16 | loc, static_cast<std::uint64_t>(mask) << 8 | 4);
  if (config_.locations[loc].third_party) {
    tpl_outbox_[loc].push_back(j);
    return;
  }
  enqueue(ctx, j);
}

void Pipeline::flush_tpl(model::Context& ctx, model::LocId loc) {
  if (tpl_outbox_[loc].empty()) return;
  std::uint32_t b;
  if (!free_batches_.empty()) {
    b = free_batches_.back();
    free_batches_.pop_back();
  } else {
    b = static_cast<std::uint32_t>(batch_members_.size());
    batch_members_.emplace_back();
  }
  batch_members_[b] = std::move(tpl_outbox_[loc]);
  tpl_outbox_[loc].clear();
  const std::uint32_t j = new_job(JobType::tpl_batch);
  jobs_[j].loc = loc;
  jobs_[j].value = b;
  jobs_[j].system = config_.locations[loc].address;
  enqueue(ctx, j);
}

void Pipeline::queue_erp(model::Context& ctx, ErpOp op, const Job& from) {
  const std::uint32_t j = new_job(JobType::erp);
  Job& job = jobs_[j];
  job.op = static_cast<std::uint8_t>(op);
  job.inst = from.inst;
  job.order = from.order;
  job.loc = from.loc;
  job.mask = from.mask;
  job.sku = from.sku;
  job.value = from.value;
  job.ref = from.ref;
  job.t0 = from.t0;
  job.key = from.key;
  job.system = config_.erp;
  enqueue(ctx, j);
}

bool Pipeline::seen_event(Tick now, const Msg& msg) {
  if (!config_.idempotency) return false;
  Tick* first = nullptr;
  if (static_cast<model::WarehouseEvent>(msg.op) == model::WarehouseEvent::short_pick) {
    first = &short_seen_.try_emplace(key_for(static_cast<std::uint64_t>(msg.order) << 16 | msg.loc, msg.mask), kUnset).first->second;
  } else {
    const std::size_t source = msg.ref == 0 ? event_seen_.size() : model::id_location(msg.ref);
    if (source >= event_seen_.size()) return false;  // not an id a warehouse of ours issued
    auto& seen = event_seen_[source];
    const auto seq = static_cast<std::size_t>(model::id_sequence(msg.ref));
    if (seq >= seen.size() && seq > 2 * seen.size() + (std::size_t{1} << 20)) {
      // A sequence far ahead of the stream (not one a warehouse would send next): kept apart,
      // so one odd id cannot make the table grow without bound.
      first = &far_seen_.try_emplace(msg.ref, kUnset).first->second;
    } else {
      if (seen.size() <= seq) seen.resize(std::max(seq + 1, seen.size() * 2), kUnset);
      first = &seen[seq];
    }
  }
  if (*first != kUnset && now - *first < config_.idempotency_window) return true;
  *first = now;  // a key forgotten after the window is new again
  return false;
}

void Pipeline::on_warehouse_event(model::Context& ctx, const Msg& msg) {
  if (seen_event(ctx.now(), msg)) {
    observer_.duplicate_dropped(ctx.now());
    return;
  }
  const std::uint32_t j = new_job(JobType::event);
  Job& job = jobs_[j];
  job.op = msg.op;
  job.status = msg.status;
  job.order = msg.order;
  job.loc = msg.loc;
  job.mask = msg.mask;
  job.sku = msg.sku;
  job.value = msg.value;
  job.ref = msg.ref;
  job.t0 = msg.t0;
  enqueue(ctx, j);
}

void Pipeline::on_warehouse_batch(model::Context& ctx, const Msg& msg) {
  if (msg.op == static_cast<std::uint8_t>(model::WarehouseBatch::inventory)) {
    const std::uint32_t j = new_job(JobType::inventory_doc);
    jobs_[j].loc = msg.loc;
    jobs_[j].doc = msg.doc;
    enqueue(ctx, j);
    return;
  }
  const model::Doc& doc = ctx.doc(msg.doc);
  for (std::size_t i = 0; i + 8 <= doc.size(); i += 8) {
    Msg e;
    e.kind = Kind::warehouse_event;
    e.loc = msg.loc;
    e.op = static_cast<std::uint8_t>(doc[i]);
    e.order = static_cast<model::OrderId>(doc[i + 1]);
    e.mask = static_cast<model::LineMask>(doc[i + 2]);
    e.sku = static_cast<model::SkuId>(doc[i + 3]);
    e.value = doc[i + 4];
    e.ref = static_cast<std::uint64_t>(doc[i + 5]);
    e.t0 = doc[i + 6];
    e.status = static_cast<std::uint16_t>(doc[i + 7]);
    on_warehouse_event(ctx, e);
  }
}

void Pipeline::apply_event(model::Context& ctx, const Job& job) {
  switch (static_cast<model::WarehouseEvent>(job.op)) {
    case model::WarehouseEvent::shipped: apply_shipment(ctx, job); return;
    case model::WarehouseEvent::short_pick: apply_short_pick(ctx, job); return;
    case model::WarehouseEvent::movement: apply_movement(ctx, job); return;
  }
}

std::uint32_t Pipeline::instance_for(model::OrderId order, model::LocId loc, model::LineMask mask) const {
  if (order >= first_instance_.size() || first_instance_[order] == kNone) return kNone;
  const int line = std::countr_zero(mask);
  for (std::uint32_t i = first_instance_[order]; i != kNone; i = instances_[i].next_same_order) {
    const Instance& in = instances_[i];
    if (line_loc_[in.line_base + static_cast<std::uint32_t>(line)] == loc && !((in.shipped | in.cancelled) & mask))
      return i;
  }
  return first_instance_[order];
}

void Pipeline::apply_shipment(model::Context& ctx, const Job& job) {
  const auto lines = book_.lines(job.order);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!model::has_line(job.mask, i)) continue;
    const std::size_t r = ix(job.loc, lines[i].sku);
    on_hand_[r] -= lines[i].qty;
    ++applied_[r];
    if (config_.reservation) reserved_[r] = std::max<std::int64_t>(0, reserved_[r] - lines[i].qty);
    changed(ctx, job.loc, lines[i].sku, job.t0);
  }
  const std::uint32_t inst = instance_for(job.order, job.loc, job.mask);
  if (inst != kNone) instances_[inst].shipped |= job.mask;
  Job erp = job;
  erp.inst = inst;
  erp.key = key_for(job.ref, 2);
  queue_erp(ctx, ErpOp::post_shipment, erp);
}

void Pipeline::apply_short_pick(model::Context& ctx, const Job& job) {
  const std::size_t r = ix(job.loc, job.sku);
  if (applied_[r] == job.ref) on_hand_[r] = job.value;  // the count says nothing is in flight: trust it
  changed(ctx, kNoLoc, job.sku, 0);
  const std::uint32_t inst_id = instance_for(job.order, job.loc, job.mask);
  if (inst_id == kNone) return;
  Instance& inst = instances_[inst_id];
  if ((inst.shipped | inst.cancelled) & job.mask) return;
  const int line = std::countr_zero(job.mask);
  const std::int32_t qty = book_.lines(job.order)[static_cast<std::size_t>(line)].qty;
  if (config_.reservation) reserved_[r] = std::max<std::int64_t>(0, reserved_[r] - qty);
  const int loc = choose_location(inst, line, job.sku, qty);
  if (loc >= 0) {
    const auto l = static_cast<model::LocId>(loc);
    line_loc_[inst.line_base + static_cast<std::uint32_t>(line)] = l;
    line_tried_[inst.line_base + static_cast<std::uint32_t>(line)] |= static_cast<std::uint16_t>(1u << l);
    if (config_.reservation) reserved_[ix(l, job.sku)] += qty;
    queue_release(ctx, inst_id, l, job.mask);
    return;
  }
  inst.cancelled |= job.mask;
  Msg m;
  m.kind = Kind::line_cancelled;
  m.order = job.order;
  m.mask = job.mask;
  ctx.send(config_.channels[inst.channel].address, m);
}

void Pipeline::apply_movement(model::Context& ctx, const Job& job) {
  const std::size_t r = ix(job.loc, job.sku);
  on_hand_[r] += job.value;
  ++applied_[r];
  changed(ctx, job.loc, job.sku, job.t0);
  Job erp = job;
  erp.key = key_for(job.ref, 3);
  queue_erp(ctx, ErpOp::post_movement, erp);
}

void Pipeline::apply_inventory_doc(model::Context& ctx, const Job& job) {
  const model::Doc& doc = ctx.doc(job.doc);
  const std::size_t n = config_.skus;
  ESTATE_ASSERT(doc.size() == 2 * n, "pipeline: malformed 846 snapshot");
  for (std::size_t s = 0; s < n; ++s) {
    const std::size_t r = ix(job.loc, static_cast<model::SkuId>(s));
    if (applied_[r] == static_cast<std::uint64_t>(doc[n + s]) && on_hand_[r] != doc[s]) {
      on_hand_[r] = doc[s];
      changed(ctx, kNoLoc, static_cast<model::SkuId>(s), 0);
    }
  }
}

// ------------------------------------------------------------ availability, reconciliation

std::int64_t Pipeline::available_to_sell(model::ChannelId ch, model::SkuId sku) const {
  std::int64_t total = 0;
  for (model::LocId loc : config_.channels[ch].sells_from)
    total += std::max<std::int64_t>(0, on_hand_[ix(loc, sku)] - reserved_[ix(loc, sku)] - config_.safety_stock);
  return std::max<std::int64_t>(0, total - config_.safety_buffer);
}

void Pipeline::changed(model::Context& ctx, model::LocId loc, model::SkuId sku, Tick happened_at) {
  ++ledger_seq_;
  if (loc != kNoLoc) observer_.inventory_applied(loc, sku, happened_at, ++version_, ctx.now());
  // One publish job per sku serves every event-fed channel; changes that arrive while it
  // waits are coalesced into it.
  if (event_fed_.empty() || feed_pending_[sku]) return;
  feed_pending_[sku] = 1;
  const std::uint32_t j = new_job(JobType::feed_sku);
  jobs_[j].sku = sku;
  enqueue(ctx, j);
}

void Pipeline::publish(model::Context& ctx, const Job& job) {
  Msg m;
  m.id = version_;
  m.ref = ++publish_seq_;
  m.t0 = ctx.now();
  if (job.type == JobType::feed_sku) {
    feed_pending_[job.sku] = 0;
    m.kind = Kind::availability;
    m.sku = job.sku;
    for (model::ChannelId c : event_fed_) {
      m.value = available_to_sell(c, job.sku);
      ctx.send(config_.channels[c].address, m);
    }
    return;
  } else {
    snapshot_seq_[job.channel] = ledger_seq_;
    model::Doc doc(config_.skus);
    for (std::size_t s = 0; s < config_.skus; ++s) doc[s] = available_to_sell(job.channel, static_cast<model::SkuId>(s));
    m.kind = Kind::availability_snapshot;
    m.doc = ctx.put_doc(std::move(doc));
  }
  ctx.send(config_.channels[job.channel].address, m);
}

void Pipeline::start_reconciliation(model::Context& ctx) {
  observer_.reconciliation_checkpoint(ctx.now());
  if (config_.recon_mode != ReconMode::correct || recon_outstanding_ > 0) return;
  for (std::size_t l = 0; l < config_.locations.size(); ++l) {
    recon_[l] = {};
    const std::uint32_t w = new_job(JobType::recon_query);
    jobs_[w].loc = static_cast<model::LocId>(l);
    jobs_[w].system = config_.locations[l].address;
    enqueue(ctx, w);
    Job q{};
    q.loc = static_cast<model::LocId>(l);
    q.inst = kNone;
    queue_erp(ctx, ErpOp::query_inventory, q);
    recon_outstanding_ += 2;
  }
}

void Pipeline::on_recon_answer(model::Context& ctx, const Job& job, model::DocId doc) {
  ReconState& st = recon_[job.loc];
  if (job.type == JobType::recon_query) {
    st.warehouse = doc;
    st.have_warehouse = true;
  } else {
    st.erp = doc;
    st.have_erp = true;
  }
  --recon_outstanding_;
  if (st.have_warehouse && st.have_erp) compare(ctx, job.loc);
}

void Pipeline::compare(model::Context& ctx, model::LocId loc) {
  const model::Doc& w = ctx.doc(recon_[loc].warehouse);
  const model::Doc& e = ctx.doc(recon_[loc].erp);
  const std::size_t n = config_.skus;
  ESTATE_ASSERT(w.size() == 2 * n && e.size() == 2 * n, "pipeline: malformed reconciliation snapshot");
  for (std::size_t s = 0; s < n; ++s) {
    const auto sku = static_cast<model::SkuId>(s);
    // The warehouse and the ERP have seen the same movements of this record, so any
    // remaining difference is unreported (drift) or double-applied: set the ERP to the count.
    if (w[n + s] == e[n + s] && w[s] != e[s]) {
      Job fix{};
      fix.inst = kNone;
      fix.loc = loc;
      fix.sku = sku;
      fix.value = w[s];
      fix.ref = static_cast<std::uint64_t>(e[n + s]);
      queue_erp(ctx, ErpOp::set_inventory, fix);
    }
    const std::size_t r = ix(loc, sku);
    if (applied_[r] == static_cast<std::uint64_t>(w[n + s]) && on_hand_[r] != w[s]) {
      on_hand_[r] = w[s];
      changed(ctx, kNoLoc, sku, 0);
    }
  }
}

}  // namespace estate::pipeline

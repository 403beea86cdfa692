#include "harness/sim_host.h"

#include <algorithm>

#include "sim/assert.h"

namespace estate::harness {

model::Address SimHost::add(model::Component* component, const std::string& name) {
  ESTATE_ASSERT(owned_links_.empty(), "sim host: add every component before any link");
  const auto a = static_cast<model::Address>(components_.size());
  components_.push_back(component);
  names_.push_back(name);
  rngs_.push_back(sim::Rng::stream(seed_, "component:" + name));
  return a;
}

sim::Link& SimHost::link(model::Address from, model::Address to, sim::LinkConfig config) {
  const std::size_t n = components_.size();
  if (links_.size() != n * n) {
    links_.assign(n * n, nullptr);
    link_index_.assign(n * n, 0);
  }
  owned_links_.push_back(std::make_unique<sim::Link>(std::move(config)));
  link_rngs_.push_back(sim::Rng::stream(seed_, "link:" + names_[from] + "->" + names_[to]));
  links_[from * n + to] = owned_links_.back().get();
  link_index_[from * n + to] = static_cast<std::uint32_t>(owned_links_.size() - 1);
  return *owned_links_.back();
}

sim::Link* SimHost::find_link(model::Address from, model::Address to) {
  const std::size_t n = components_.size();
  return links_.empty() ? nullptr : links_[from * n + to];
}

void SimHost::start() {
  for (std::size_t a = 0; a < components_.size(); ++a) {
    current_ = static_cast<model::Address>(a);
    components_[a]->start(*this);
  }
  current_ = model::kNoAddress;
}

void SimHost::send(model::Address to, const model::Msg& msg) {
  ESTATE_ASSERT(to < components_.size(), "sim host: send to an unknown address");
  ESTATE_ASSERT(msg.kind != model::Kind::timer, "sim host: a timer sent as a message (use set_timer)");
  model::Msg m = msg;
  m.from = current_;
  m.to = to;
  const std::size_t n = components_.size();
  sim::Link* link = links_.empty() || current_ >= n ? nullptr : links_[current_ * n + to];
  if (!link) {
    queue_.push(now_, m);
    ++in_flight_;
    return;
  }
  const sim::Deliveries d = link->transmit(link_rngs_[link_index_[current_ * n + to]]);
  for (int i = 0; i < d.count; ++i) {
    queue_.push(now_ + d.delay[i], m);
    ++in_flight_;
  }
}

model::TimerId SimHost::set_timer(sim::Tick delay, const model::Msg& timer) {
  ESTATE_ASSERT(delay >= 0, "sim host: timer in the past");
  model::Msg m = timer;
  m.kind = model::Kind::timer;
  m.from = m.to = current_;
  return queue_.push(now_ + delay, m);
}

model::DocId SimHost::put_doc(model::Doc doc) {
  docs_.push_back(std::move(doc));
  return static_cast<model::DocId>(docs_.size() - 1);
}

void SimHost::inject(model::Address to, model::Msg msg) {
  msg.from = model::kNoAddress;
  msg.to = to;
  queue_.push(now_, msg);
  ++in_flight_;
}

void SimHost::advance_to(sim::Tick t) {
  ESTATE_ASSERT(t >= now_ && queue_.next_time() >= t, "sim host: advancing past due events");
  now_ = t;
}

SimHost::Stop SimHost::run_until(sim::Tick until, std::uint64_t max_events) {
  model::Msg m;
  for (;;) {
    const sim::Tick t = queue_.next_time();
    if (t == sim::kNever) return Stop::empty;
    if (t > until) {
      now_ = std::max(now_, until);
      return Stop::reached;
    }
    if (events_ >= max_events) return Stop::budget;
    sim::Tick at = 0;
    queue_.pop(at, m);
    ESTATE_ASSERT(at >= now_, "sim host: event in the past");
    now_ = at;
    current_ = m.to;
    if (m.kind != model::Kind::timer) --in_flight_;
    ++events_;
    components_[m.to]->handle(*this, m);
  }
}

bool SimHost::all_quiescent() const {
  if (in_flight_ != 0) return false;
  for (const auto* c : components_)
    if (!c->quiescent()) return false;
  return true;
}

std::vector<std::string> SimHost::busy() const {
  std::vector<std::string> out;
  for (std::size_t a = 0; a < components_.size(); ++a)
    if (!components_[a]->quiescent()) out.push_back(names_[a]);
  if (in_flight_ > 0) out.push_back(std::to_string(in_flight_) + " messages in flight");
  return out;
}

}  // namespace estate::harness

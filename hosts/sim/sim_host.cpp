#include "hosts/sim/sim_host.h"

#include <algorithm>

#include "sim/assert.h"

namespace estate::hosts {

model::Address SimHost::add(model::Component* component, const std::string& name) {
  ESTATE_ASSERT(owned_links_.empty(), "sim host: add every component before any link");
  const auto a = static_cast<model::Address>(components_.size());
  components_.push_back(component);
  names_.push_back(name);
  rngs_.push_back(sim::Rng::stream(seed_, "component:" + name));
  return a;
}

void SimHost::link(model::Address from, model::Address to, sim::LinkConfig config) {
  const std::size_t n = components_.size();
  if (links_.size() != n * n) {
    links_.assign(n * n, nullptr);
    link_index_.assign(n * n, 0);
  }
  owned_links_.push_back(std::make_unique<sim::Link>(std::move(config)));
  link_rngs_.push_back(sim::Rng::stream(seed_, "link:" + names_[from] + "->" + names_[to]));
  links_[from * n + to] = owned_links_.back().get();
  link_index_[from * n + to] = static_cast<std::uint32_t>(owned_links_.size() - 1);
}

void SimHost::start() {
  for (std::size_t a = 0; a < components_.size(); ++a) {
    current_ = static_cast<model::Address>(a);
    components_[a]->start(*this);
  }
  current_ = model::kNoAddress;
}

void SimHost::at(sim::Tick t, std::function<void()> action) {
  ESTATE_ASSERT(t >= now_, "sim host: an action in the past");
  actions_.push(t, std::move(action));
}

void SimHost::as(model::Address a, const std::function<void(model::Context&)>& f) {
  const model::Address saved = current_;
  current_ = a;
  f(static_cast<model::Context&>(*this));
  current_ = saved;
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
  doc_values_ += doc.size();
  docs_.push_back(std::move(doc));
  return static_cast<model::DocId>(docs_.size() - 1);
}

void SimHost::inject(model::Address to, const model::Msg& msg) {
  model::Msg m = msg;
  m.from = model::kNoAddress;
  m.to = to;
  queue_.push(now_, m);
  ++in_flight_;
}

Host::Stop SimHost::run_until(sim::Tick until) {
  model::Msg m;
  for (;;) {
    const sim::Tick next_event = queue_.next_time();
    // Timeline actions due at t run before the events due at t.
    if (actions_.next_time() < until && actions_.next_time() <= next_event) {
      auto [at, run] = actions_.pop();
      now_ = std::max(now_, at);
      run();
      continue;
    }
    if (next_event == sim::kNever || next_event >= until) {
      now_ = std::max(now_, until);
      return Stop::reached;
    }
    if (events_ >= max_events_) return Stop::budget;
    if (guard_ && events_ % kGuardEvery == 0 && guard_()) return Stop::budget;
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

bool SimHost::quiescent() {
  if (in_flight_ != 0 || !actions_.empty()) return false;
  for (const auto* c : components_)
    if (!c->quiescent()) return false;
  return true;
}

std::vector<std::string> SimHost::busy() {
  std::vector<std::string> out;
  for (std::size_t a = 0; a < components_.size(); ++a)
    if (!components_[a]->quiescent()) out.push_back(names_[a]);
  if (in_flight_ > 0) out.push_back(std::to_string(in_flight_) + " messages in flight");
  if (!actions_.empty()) out.push_back(std::to_string(actions_.size()) + " timeline actions pending");
  return out;
}

}  // namespace estate::hosts

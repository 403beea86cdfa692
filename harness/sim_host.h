#pragma once
// The simulated host: runs sans-I/O components on a virtual clock. It owns the event queue,
// a random stream per component and per link, the links between components (latency, loss,
// duplication, reordering) and the documents messages carry. One thread, no wall clock:
// the same inputs give the same run, event for event.
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "model/component.h"
#include "sim/event_queue.h"
#include "sim/link.h"

namespace estate::harness {

class SimHost final : public model::Context {
 public:
  explicit SimHost(std::uint64_t seed) : seed_(seed) {}

  model::Address add(model::Component* component, const std::string& name);
  // Messages from `from` to `to` travel over `link` (owned by the host). Without a link a
  // message arrives at the same tick, after what is already due then.
  sim::Link& link(model::Address from, model::Address to, sim::LinkConfig config);
  sim::Link* find_link(model::Address from, model::Address to);

  void start();
  enum class Stop : std::uint8_t { reached, empty, budget };
  // Runs every event due at or before `until`, unless the event budget runs out first.
  Stop run_until(sim::Tick until, std::uint64_t max_events);
  // Moves the clock to t (no event may be due before it) so the harness can act at t.
  void advance_to(sim::Tick t);
  // Runs f(Context&) as if component `a` were handling a message now.
  template <class F>
  void as(model::Address a, F&& f) {
    const model::Address saved = current_;
    current_ = a;
    f(static_cast<model::Context&>(*this));
    current_ = saved;
  }
  // Delivers a control message to `to` now (after what is already due).
  void inject(model::Address to, model::Msg msg);

  bool all_quiescent() const;
  // Names of the components that still have work, for a drain that hit its bound.
  std::vector<std::string> busy() const;
  std::uint64_t events() const { return events_; }
  std::uint64_t in_flight() const { return in_flight_; }
  const std::string& name(model::Address a) const { return names_[a]; }
  std::size_t size() const { return components_.size(); }

  // Context
  sim::Tick now() const override { return now_; }
  sim::Rng& rng() override { return rngs_[current_]; }
  void send(model::Address to, const model::Msg& msg) override;
  model::TimerId set_timer(sim::Tick delay, const model::Msg& timer) override;
  void cancel_timer(model::TimerId id) override { queue_.cancel(id); }
  model::DocId put_doc(model::Doc doc) override;
  const model::Doc& doc(model::DocId id) const override { return docs_[id]; }

 private:
  std::uint64_t seed_;
  sim::EventQueue<model::Msg> queue_;
  std::vector<model::Component*> components_;
  std::vector<std::string> names_;
  std::vector<sim::Rng> rngs_;
  std::vector<sim::Rng> link_rngs_;
  std::vector<std::unique_ptr<sim::Link>> owned_links_;
  std::vector<sim::Link*> links_;  // [from * n + to]
  std::vector<std::uint32_t> link_index_;
  std::deque<model::Doc> docs_{model::Doc{}};  // id 0 is "no document"
  model::Address current_ = model::kNoAddress;
  sim::Tick now_ = 0;
  std::uint64_t events_ = 0;
  std::uint64_t in_flight_ = 0;
};

}  // namespace estate::harness

#pragma once
// The simulated host: runs sans-I/O components on a virtual clock. It owns the event queue,
// a random stream per component and per link, the links between components (latency), the
// documents messages carry, and the harness's timeline actions. One thread, no wall clock:
// the same inputs give the same run, event for event.
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "hosts/host.h"
#include "hosts/timed_actions.h"
#include "sim/event_queue.h"
#include "sim/link.h"

namespace estate::hosts {

class SimHost final : public Host, private model::Context {
 public:
  SimHost(std::uint64_t seed, std::uint64_t max_events) : seed_(seed), max_events_(max_events) {}

  // Host
  model::Address add(model::Component* component, const std::string& name) override;
  void link(model::Address from, model::Address to, sim::LinkConfig config) override;
  void start() override;
  void at(sim::Tick t, std::function<void()> action) override;
  void as(model::Address a, const std::function<void(model::Context&)>& f) override;
  void inject(model::Address to, const model::Msg& msg) override;
  Stop run_until(sim::Tick t) override;
  sim::Tick now() const override { return now_; }
  bool quiescent() override;
  std::vector<std::string> busy() override;
  std::uint64_t events() const override { return events_; }
  void read_state(const std::function<void()>& f) override { f(); }

  std::uint64_t in_flight() const { return in_flight_; }
  std::optional<std::uint64_t> document_values() const override { return doc_values_; }
  // A bound the harness keeps besides the event budget (orders, documents): checked every
  // kGuardEvery events; when it says true, run_until stops as if the event budget ran out.
  static constexpr std::uint64_t kGuardEvery = 1024;
  void set_guard(std::function<bool()> over_limit) { guard_ = std::move(over_limit); }

  const std::string& name(model::Address a) const { return names_[a]; }
  std::size_t size() const { return components_.size(); }

 private:
  // Context, as seen by the component being run (current_).
  sim::Rng& rng() override { return rngs_[current_]; }
  void send(model::Address to, const model::Msg& msg) override;
  model::TimerId set_timer(sim::Tick delay, const model::Msg& timer) override;
  void cancel_timer(model::TimerId id) override { queue_.cancel(id); }
  model::DocId put_doc(model::Doc doc) override;
  const model::Doc& doc(model::DocId id) const override { return docs_[id]; }

  std::uint64_t seed_;
  std::uint64_t max_events_;
  sim::EventQueue<model::Msg> queue_;
  TimedActions actions_;
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
  std::uint64_t doc_values_ = 0;
  std::function<bool()> guard_;
};

}  // namespace estate::hosts

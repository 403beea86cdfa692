#pragma once
// The timeline's actions a host has been given (Host::at): run in order of their tick, and
// of scheduling at the same tick. Both hosts run a due action before the events due then.

#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include "sim/time.h"

namespace estate::hosts {

class TimedActions {
 public:
  void push(sim::Tick at, std::function<void()> run) { queue_.push({at, seq_++, std::move(run)}); }
  bool empty() const { return queue_.empty(); }
  std::size_t size() const { return queue_.size(); }
  // When the next action is due; sim::kNever when there is none.
  sim::Tick next_time() const { return queue_.empty() ? sim::kNever : queue_.top().at; }
  // Takes the next action off the queue: its tick and what to run.
  std::pair<sim::Tick, std::function<void()>> pop() {
    Action a = queue_.top();
    queue_.pop();
    return {a.at, std::move(a.run)};
  }

 private:
  struct Action {
    sim::Tick at;
    std::uint64_t seq;
    std::function<void()> run;
  };
  struct Later {
    bool operator()(const Action& a, const Action& b) const { return a.at > b.at || (a.at == b.at && a.seq > b.seq); }
  };
  std::priority_queue<Action, std::vector<Action>, Later> queue_;
  std::uint64_t seq_ = 0;
};

}  // namespace estate::hosts

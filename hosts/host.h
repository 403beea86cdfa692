#pragma once
// The seam between the harness and whatever runs the estate's systems. A host gives every
// sans-I/O component its Context (the time, a random stream, sends, timers, documents),
// carries messages between components, and lets the harness act on a system at a scenario
// instant through that system's control surface. The simulated host (hosts/sim) does this on
// a virtual clock and an event queue; the live host (hosts/live) on the wall clock, with the
// systems behind real HTTP endpoints. The harness builds the estate, plays the timeline,
// drains and reports against this interface only, so both modes run the same code.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/component.h"
#include "sim/link.h"
#include "sim/time.h"

namespace estate::hosts {

class Host {
 public:
  virtual ~Host() = default;

  // --- building the estate (before start)
  virtual model::Address add(model::Component* component, const std::string& name) = 0;
  // Messages from `from` to `to` take the link's latency (the network between two systems).
  virtual void link(model::Address from, model::Address to, sim::LinkConfig config) = 0;
  virtual void start() = 0;

  // --- the harness acting on the estate
  // Runs `action` at scenario instant t, before any message or timer due at t.
  virtual void at(sim::Tick t, std::function<void()> action) = 0;
  // Runs f now with the Context of component `a`, as if `a` were handling a message: a call
  // on a system's control surface (outages, stock moves), whose sends and timers are `a`'s.
  virtual void as(model::Address a, const std::function<void(model::Context&)>& f) = 0;
  // Delivers a control message to `to` now (after what is already due).
  virtual void inject(model::Address to, const model::Msg& msg) = 0;

  // --- running
  enum class Stop : std::uint8_t { reached, budget, interrupted };
  // Advances the estate to scenario instant t: everything due before t has happened; actions
  // and events due at t have not. `budget`: the event budget ran out first; `interrupted`:
  // the run was asked to stop (a signal).
  virtual Stop run_until(sim::Tick t) = 0;
  virtual sim::Tick now() const = 0;
  // True when every component is quiescent, no message is in flight and no action is pending.
  virtual bool quiescent() = 0;
  // What still has work, for a drain that hit its bound.
  virtual std::vector<std::string> busy() = 0;
  virtual std::uint64_t events() const = 0;
  // Values (int64) held in documents, where the host can count them without stopping its
  // systems (the simulated one); nullopt otherwise.
  virtual std::optional<std::uint64_t> document_values() const { return std::nullopt; }
  // Runs f where the estate's state (the components, the metrics that observe them) may be
  // read: inline in simulation, on the mocks' thread in a live run.
  virtual void read_state(const std::function<void()>& f) = 0;
};

}  // namespace estate::hosts

#pragma once
// The sans-I/O seam. A component (a mock system or the pipeline) is a state machine: its host
// hands it one message or timer at a time through handle(), together with a Context that is
// its only window on the world: the time, its own random stream, and the means to send
// messages and set timers. No component reads a clock, opens a socket or starts a thread,
// so the same code runs under the discrete-event host and, later, behind live endpoints.
#include <cstdint>
#include <vector>

#include "model/message.h"
#include "sim/rng.h"
#include "sim/time.h"

namespace estate::model {

using TimerId = std::uint64_t;
using DocId = std::uint32_t;
using Doc = std::vector<std::int64_t>;

class Context {
 public:
  virtual ~Context() = default;
  virtual sim::Tick now() const = 0;
  virtual sim::Rng& rng() = 0;
  virtual void send(Address to, const Msg& msg) = 0;
  virtual TimerId set_timer(sim::Tick delay, const Msg& timer) = 0;
  virtual void cancel_timer(TimerId id) = 0;
  // Documents are immutable message bodies (batches, snapshots).
  virtual DocId put_doc(Doc doc) = 0;
  virtual const Doc& doc(DocId id) const = 0;
};

class Component {
 public:
  virtual ~Component() = default;
  // Called once at time 0, before any message.
  virtual void start(Context& ctx) = 0;
  virtual void handle(Context& ctx, const Msg& msg) = 0;
  // True when the component has no work of its own left (periodic timers aside): the run's
  // drain ends when every component is quiescent and no message is in flight.
  virtual bool quiescent() const = 0;
};

}  // namespace estate::model

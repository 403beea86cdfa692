#pragma once
// Plays a scenario's timeline on a built estate: every window and instant becomes actions at
// scenario instants on the host, each a call on the control surface of the system concerned
// (an outage, a throttle, a stock move, a fault in how a source delivers). Promotions are not
// played here: they are shaped into the channels' demand when the estate is built.
#include "harness/estate.h"
#include "hosts/host.h"

namespace estate::harness {

void schedule_timeline(Estate& estate, hosts::Host& host);

}  // namespace estate::harness

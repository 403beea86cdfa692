#pragma once
// The admin API of a live run and of estate serve (/_estate/...), Toxiproxy-style: read the
// mocks' state, place an order by hand, start and end outages, throttles and duplicate storms
// on the systems' control surfaces, as the timeline would.
#include "harness/reader.h"
#include "hosts/live/live_estate.h"

namespace estate::harness {

class Estate;
// `live` gives the run's ids on the wire, its clock, and the thread each system runs on.
hosts::live::AdminHandler admin_api(Estate& estate, hosts::live::LiveEstate& live);

}  // namespace estate::harness

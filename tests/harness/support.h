#pragma once
// Helpers for tests that run whole scenarios: build a document in code, run it, read the
// report.
#include <cstdint>
#include <string>

#include "harness/run.h"
#include "harness/scenario.h"

namespace estate::test {

using harness::Json;

inline harness::RunResult run_doc(const Json& doc, std::uint64_t seed) {
  const harness::Scenario sc = harness::parse_scenario(doc, harness::Origin{"test.json", {}});
  harness::RunOptions options;
  options.seed = seed;
  return harness::run_scenario(sc, options);
}

// The estate reduced to a textbook queue: one push channel with single-unit single-line
// orders and no availability checks, zero latencies and zero-time pipeline stages, ample
// stock, no reservation model, no quota; the ERP is the only place where work waits.
inline Json textbook_estate() {
  return Json::parse(R"({
    "duration": "4h",
    "catalogue": {"skus": 10, "zipf": 0, "stock": {"cover": "1000d"}},
    "locations": {"wh": {"kind": "wms", "pickers": 100000, "packers": 100000, "pick_time": "1s",
                         "pack_time": "1s", "latency": "0s"}},
    "channels": {"shop": {"kind": "storefront", "rate": "0.5/s", "lines": 1, "units": 1,
                          "feed": {"mode": "none"},
                          "delivery": {"latency": "0s", "duplicates": 0}}},
    "erp": {"quota": {"rate": "0/s"}, "concurrency": 1, "queue": 10000000,
            "service_time": {"exponential": {"mean": "1s"}}, "latency": "0s"},
    "pipeline": {
      "reservation": {"enabled": false},
      "release_after": "allocation",
      "stages": {"ingest": {"service_time": "0s"}, "allocate": {"service_time": "0s"},
                 "events": {"service_time": "0s"}, "feed": {"service_time": "0s"},
                 "erp_sync": {"workers": 100000}, "release": {"workers": 100000}},
      "reconciliation": {"interval": "1000h"}
    }
  })");
}

}  // namespace estate::test

#pragma once
// summary.md: Markdown for a pull-request comment, rendered from report.json content.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace estate::reports {

using Json = nlohmann::ordered_json;

// One run: verdict, thresholds, latency per flow, oversell, reconciliation, integrity.
std::string run_markdown(const Json& report);
// A gate over several runs: one table of every threshold (scenario, metric, value, limit,
// baseline, delta, verdict), then the failures spelled out.
std::string gate_markdown(const std::vector<Json>& reports);

}  // namespace estate::reports

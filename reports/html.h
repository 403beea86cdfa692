#pragma once
// report.html: one self-contained page that opens offline. Scenario and verdicts on top,
// then charts over simulated time with the timeline's windows shaded, latency distributions
// and the integrity table. Rendered from report.json's content only.
#include <string>

#include <nlohmann/json.hpp>

namespace estate::reports {

std::string render_html(const nlohmann::ordered_json& report);

}  // namespace estate::reports

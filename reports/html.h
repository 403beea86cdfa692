#pragma once
// report.html: one self-contained page that opens offline. Scenario and verdicts on top,
// then charts over simulated time with the timeline's windows shaded, latency distributions
// and the integrity table. Rendered from report.json's content only.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace estate::reports {

std::string render_html(const nlohmann::ordered_json& report);

// A self-contained page (nothing may be fetched: CSP) titled `name`: report.html's CSS and
// uPlot inlined, `data` embedded as JSON (#estate-data) and `script` to build the page from
// it into <main id="report">. `source` names the JSON file beside the page, for readers
// without JavaScript.
std::string html_page(const std::string& name, const nlohmann::ordered_json& data, std::string_view script, const std::string& source);

}  // namespace estate::reports

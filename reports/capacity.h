#pragma once
// The capacity report of a sweep: capacity.md and capacity.html, rendered from sweep.json's
// content only (harness/sweep.h writes it). On top the answer (recommended values, where the
// load holds, the bottleneck, the knee), then the thresholds, the points, the curves, the
// Universal Scalability fits and, for two axes, the pass/fail map. Every point links to its
// own run report (points/<id>/report.html).
#include <string>

#include "reports/summary.h"

namespace estate::reports {

std::string capacity_markdown(const Json& sweep);
std::string capacity_html(const Json& sweep);

// The answer in sentences, as both renderings and the terminal give it.
std::vector<std::string> capacity_answer(const Json& sweep);

}  // namespace estate::reports

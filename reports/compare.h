#pragma once
// A/B: reports side by side, metric by metric (headline figures, and each channel's and
// location's), with each variant's difference from A; when the reports are replications on
// the same seeds, the 95% interval of the seed-by-seed difference, and which changes are real.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace estate::reports {

std::string compare_variants_markdown(const std::vector<nlohmann::ordered_json>& reports, const std::vector<std::string>& labels);
// The same table as a self-contained page (compare.html).
std::string compare_variants_html(const std::vector<nlohmann::ordered_json>& reports, const std::vector<std::string>& labels);
std::string compare_markdown(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b, const std::string& label_a,
                             const std::string& label_b);

}  // namespace estate::reports

#pragma once
// A/B: two reports side by side, metric by metric, with the difference.
#include <string>

#include <nlohmann/json.hpp>

namespace estate::reports {

std::string compare_markdown(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b, const std::string& label_a,
                             const std::string& label_b);

}  // namespace estate::reports

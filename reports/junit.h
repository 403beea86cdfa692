#pragma once
// junit.xml in the shape CI servers read (Jenkins, GitLab, GitHub Actions reporters):
// <testsuites> / <testsuite name=scenario> / <testcase name=threshold> / <failure message=...>.
// One testcase per threshold, plus one for integrity. No timestamps or wall times, so the
// file is byte-identical for a deterministic run.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace estate::reports {

std::string junit_xml(const std::vector<nlohmann::ordered_json>& reports, const std::string& name);
std::string xml_escape(const std::string& s);

}  // namespace estate::reports

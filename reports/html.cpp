#include "reports/html.h"

namespace estate::reports {

// Placeholder until the charted page lands: the report, readable, offline.
std::string render_html(const nlohmann::ordered_json& report) {
  std::string json = report.dump(1);
  std::string escaped;
  for (char c : json) {
    if (c == '<') escaped += "&lt;";
    else if (c == '&') escaped += "&amp;";
    else escaped += c;
  }
  return "<!doctype html><meta charset=utf-8><title>estate report</title><pre>" + escaped + "</pre>\n";
}

}  // namespace estate::reports

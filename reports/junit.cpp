#include "reports/junit.h"

#include "reports/summary.h"

namespace estate::reports {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      // Escaped, so attribute normalisation does not turn them into spaces.
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += "&#9;"; break;
      default:
        // Other control characters are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20) out += ' ';
        else out += c;
    }
  }
  return out;
}

std::string junit_xml(const std::vector<nlohmann::ordered_json>& reports, const std::string& name) {
  std::size_t tests = 0, failures = 0;
  std::string suites;
  for (const auto& r : reports) {
    const std::string scenario = r["scenario"]["name"].get<std::string>();
    const std::string cls = "estate." + scenario;
    std::size_t t = 1, f = 0;
    std::string cases;
    const bool integrity = r["verdict"]["integrity_ok"].get<bool>();
    // The run's wall-clock time, when the report has it (--timing), is the integrity case's (the
    // run itself; judging thresholds takes no time): without it, outputs are byte-identical from
    // run to run and carry no time.
    std::string time;
    if (r.contains("run") && r["run"].contains("wall_s")) time = " time=\"" + plain_number(r["run"]["wall_s"].get<double>(), 6) + "\"";
    cases += "    <testcase classname=\"" + xml_escape(cls) + "\" name=\"integrity: nothing lost, nothing doubled, stock conserved\"" + time;
    if (integrity) {
      cases += "/>\n";
    } else {
      ++f;
      std::string reasons;
      for (const auto& reason : r["verdict"]["integrity_reasons"]) reasons += (reasons.empty() ? "" : "; ") + reason.get<std::string>();
      cases += ">\n      <failure type=\"integrity\" message=\"" + xml_escape(reasons) + "\">" + xml_escape(reasons) +
               "</failure>\n    </testcase>\n";
    }
    if (r.contains("thresholds")) {
      for (const auto& th : r["thresholds"]) {
        ++t;
        // The name stays the same from run to run (CI tracks a test's history by it); the measured
        // value, its interval and baseline are in the message and system-out.
        const std::string label = th["metric"].get<std::string>() + " " + th["limit_text"].get<std::string>();
        const std::string msg = th["message"].get<std::string>();
        cases += "    <testcase classname=\"" + xml_escape(cls) + "\" name=\"" + xml_escape(label) + "\">\n";
        if (th["verdict"] != "pass") {
          ++f;
          const std::string type = th["limit_ok"].get<bool>() ? "regression" : "threshold";
          cases += "      <failure type=\"" + type + "\" message=\"" + xml_escape(msg) + "\">" + xml_escape(msg) + "</failure>\n";
        }
        cases += "      <system-out>" + xml_escape(msg) + "</system-out>\n    </testcase>\n";
      }
    }
    tests += t;
    failures += f;
    suites += "  <testsuite name=\"" + xml_escape(scenario) + "\" tests=\"" + std::to_string(t) + "\" failures=\"" +
              std::to_string(f) + "\" errors=\"0\" skipped=\"0\">\n";
    suites += "    <properties>\n      <property name=\"seed\" value=\"" + std::to_string(r["scenario"]["seed"].get<std::uint64_t>()) +
              "\"/>\n      <property name=\"scenario_hash\" value=\"" + xml_escape(r["scenario"]["hash"].get<std::string>()) + "\"/>\n";
    for (const char* key : {"estate_version", "estate_commit"})
      if (r["scenario"].contains(key) && r["scenario"][key].is_string())
        suites += "      <property name=\"" + std::string(key) + "\" value=\"" + xml_escape(r["scenario"][key].get<std::string>()) + "\"/>\n";
    suites += "    </properties>\n";
    suites += cases + "  </testsuite>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"" + xml_escape(name) + "\" tests=\"" +
         std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"0\">\n" + suites +
         "</testsuites>\n";
}

}  // namespace estate::reports

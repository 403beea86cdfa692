#include "harness/outputs.h"

#include <fstream>

#include "reports/html.h"
#include "reports/junit.h"
#include "reports/markdown.h"

namespace estate::harness {
namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) throw InputError(path.string(), "", "cannot write the file");
}

void write_run_outputs(const fs::path& dir, const Json& report) {
  write_file(dir / "report.json", report.dump(2) + "\n");
  write_file(dir / "summary.md", reports::run_markdown(report));
  write_file(dir / "junit.xml", reports::junit_xml({report}, "estate " + report["scenario"]["name"].get<std::string>()));
  write_file(dir / "report.html", reports::render_html(report));
}

}  // namespace estate::harness

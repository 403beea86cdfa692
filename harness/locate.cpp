#include "harness/locate.h"

#include <algorithm>
#include <filesystem>

#include "harness/build_info.h"
#include "harness/reader.h"

namespace estate::harness {
namespace fs = std::filesystem;

std::string shipped_data_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);  // the binary itself, through any symlink to it
  if (ec) return {};
  return (exe.parent_path() / estate_data_dir_from_bin()).lexically_normal().string();
}

std::vector<std::string> input_candidates(const std::string& arg) {
  std::vector<std::string> out{arg};
  const fs::path path(arg);
  const std::string data = shipped_data_dir();
  std::error_code ec;
  if (arg.empty() || path.is_absolute() || data.empty() || !fs::is_directory(data, ec)) return out;
  for (const fs::path& dir : {fs::path(data), fs::path(data) / "scenarios"}) {
    const std::string in_dir = (dir / path).lexically_normal().string();
    out.push_back(in_dir);
    if (path.extension() != ".json") out.push_back(in_dir + ".json");
  }
  return out;
}

std::string locate_input(const std::string& arg, const std::string& what) {
  const auto candidates = input_candidates(arg);
  std::error_code ec;
  for (const auto& c : candidates)
    if (fs::exists(c, ec)) return c;
  std::string message = "cannot read " + what;
  if (candidates.size() > 1) {
    message += "; looked for " + arg + " here, then ";
    for (std::size_t i = 1; i < candidates.size(); ++i) message += (i > 1 ? ", " : "") + candidates[i];
    message += " (a relative name that is not here is looked up in the data an installed estate ships)";
    std::vector<std::string> shipped;
    for (const auto& e : fs::directory_iterator(fs::path(shipped_data_dir()) / "scenarios", ec))
      if (e.path().extension() == ".json" && e.path().filename() != "schema.json") shipped.push_back(e.path().stem().string());
    std::sort(shipped.begin(), shipped.end());
    for (std::size_t i = 0; i < shipped.size(); ++i) message += (i ? ", " : "; shipped scenarios: ") + shipped[i];
  } else if (!arg.empty() && fs::path(arg).is_relative() && !shipped_data_dir().empty()) {
    message += " (nor in the data an installed estate ships: there is no " + shipped_data_dir() + ")";
  }
  throw InputError(arg, "", message);
}

}  // namespace estate::harness

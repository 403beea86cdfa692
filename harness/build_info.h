#pragma once
// What was built: the version, the commit (empty when not built from git), and where the
// shipped data (scenarios, schema, contract) lives relative to the executable's folder once
// installed. Defined in a file generated at build time (cmake/EstateBuildInfo.cmake), so a
// new commit recompiles one file.
#include <string>

namespace estate::harness {

const char* estate_version();
const char* estate_commit();
const char* estate_data_dir_from_bin();  // e.g. "../share/estate"

// "0.1.0 (commit 0484e4f1a2b3)", or "0.1.0" when the commit is unknown.
inline std::string estate_version_line() {
  const std::string commit = estate_commit();
  return std::string(estate_version()) + (commit.empty() ? "" : " (commit " + commit + ")");
}

}  // namespace estate::harness

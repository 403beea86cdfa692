#pragma once
// Writing what a run produced: files (folders made as needed; InputError when one cannot be
// written) and every rendering of one run beside its report.json.
#include <filesystem>
#include <string>

#include "harness/reader.h"

namespace estate::harness {

void write_file(const std::filesystem::path& path, const std::string& text);
// report.json, summary.md, junit.xml and report.html in `dir`.
void write_run_outputs(const std::filesystem::path& dir, const Json& report);

}  // namespace estate::harness

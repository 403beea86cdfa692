#pragma once
// The estate command line: run, validate, schema. Exit codes: 0 ok, 1 a gate failed,
// 2 bad input or usage, 3 an integrity check failed (the report is written anyway).
#include <iosfwd>

namespace estate::harness {

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace estate::harness

#pragma once
// Finds a scenario, suite folder or other shipped file named on the command line. A path that
// exists is used as it is. A relative one that does not is looked up in the data an installed
// estate ships (DATA = the executable's folder/../share/estate, so a relocated prefix works):
// DATA/ARG, DATA/ARG.json, DATA/scenarios/ARG, DATA/scenarios/ARG.json. So, installed,
// `estate gate scenarios` runs the shipped suite and `estate run peak_promotion` one scenario,
// from any folder.
#include <string>
#include <vector>

namespace estate::harness {

// The shipped data folder of this executable (it may not exist: a build tree has none).
std::string shipped_data_dir();

// The paths tried for ARG, in order: ARG itself, then (when ARG is relative and the data
// folder exists) the four places in it.
std::vector<std::string> input_candidates(const std::string& arg);

// The first candidate that exists. When none does, InputError "cannot read WHAT" naming
// every place it looked.
std::string locate_input(const std::string& arg, const std::string& what = "the file");

}  // namespace estate::harness

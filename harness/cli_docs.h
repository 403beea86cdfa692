#pragma once
// Renderings of the command line itself, walked from the CLI11 definitions in cli.cpp so that
// every command and option appears without a list kept by hand: a bash completion script
// (`estate completion bash`) and a manual page (`estate man`). The build writes both and the
// package installs them.
#include <string>

namespace CLI {
class App;
}

namespace estate::harness {

// A bash completion script: commands, each command's options; files for everything else.
// InputError for a shell other than bash.
std::string completion_script(const CLI::App& app, const std::string& shell);

// The manual page, in roff (man(7)).
std::string man_page(const CLI::App& app);

}  // namespace estate::harness

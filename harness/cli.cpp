#include "harness/cli.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "harness/run.h"
#include "harness/scenario.h"
#include "reports/html.h"
#include "reports/summary.h"

namespace estate::harness {
namespace {

namespace fs = std::filesystem;

// A progress bar on stderr, only when stderr is a terminal, at most ten updates a second.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled && ::isatty(2)) {}
  void operator()(double fraction) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (fraction < 1.0 && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const int width = 30;
    const int filled = static_cast<int>(fraction * width);
    std::cerr << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
              << std::string(static_cast<std::size_t>(width - filled), ' ') << "] " << static_cast<int>(fraction * 100)
              << "% of the scenario simulated" << std::flush;
  }
  void done() {
    if (enabled_) std::cerr << "\r" << std::string(70, ' ') << "\r" << std::flush;
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_{};
};

bool write_file(const fs::path& path, const std::string& text, std::ostream& err) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) {
    err << "estate: cannot write " << path.string() << "\n";
    return false;
  }
  return true;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"estate: simulate an order and inventory sync estate and measure what the business feels.\n"
               "Exit codes: 0 ok, 1 a gate failed, 2 bad input or usage, 3 an integrity check failed."};
  app.set_version_flag("--version", std::string("estate ") + ESTATE_VERSION);
  app.require_subcommand(1);

  std::string scenario_file;
  std::vector<std::string> sets;
  std::optional<std::uint64_t> seed;
  std::string out_dir;
  bool timing = false, quiet = false;

  auto* run = app.add_subcommand("run", "Run a scenario in simulated time and write report.json.");
  run->add_option("scenario", scenario_file, "Scenario file (JSON, comments allowed).")->required();
  run->add_option("--seed", seed, "Random seed (overrides the scenario's).");
  run->add_option("--out", out_dir, "Output folder (default: out/<scenario name>).");
  run->add_option("--set", sets, "Override a scenario value by its path, e.g. pipeline.idempotency.enabled=false (repeatable).")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run->add_flag("--timing", timing, "Also put wall-clock time and events/s into report.json (it is then not reproducible).");
  run->add_flag("--quiet", quiet, "Print no summary and no progress.");

  auto* validate = app.add_subcommand("validate", "Check a scenario without running it.");
  validate->add_option("scenario", scenario_file, "Scenario file.")->required();
  validate->add_option("--set", sets, "Override a scenario value by its path (repeatable).")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);

  auto* schema = app.add_subcommand("schema", "Print the JSON Schema of scenario files (scenarios/schema.json is this output).");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      out << (e.get_name() == "CallForVersion" ? std::string("estate ") + ESTATE_VERSION + "\n" : app.help());
      if (e.get_name() == "CallForHelp" || e.get_name() == "CallForAllHelp") {
        // CLI11 prints help for the subcommand that was asked.
      }
      return kExitOk;
    }
    err << "estate: " << e.what() << "\n" << "Run 'estate --help' for usage.\n";
    return kExitInput;
  }

  if (*schema) {
    out << scenario_schema().dump(2) << "\n";
    return kExitOk;
  }

  Scenario scenario;
  try {
    scenario = load_scenario(scenario_file, sets);
  } catch (const InputError& e) {
    err << "estate: " << e.what() << "\n";
    return kExitInput;
  }

  if (*validate) {
    out << "ok: " << scenario_file << ": \"" << scenario.name << "\", " << scenario.channels.size() << " channels, "
        << scenario.locations.size() << " locations, " << scenario.skus << " SKUs, " << scenario.timeline.size()
        << " timeline events\n";
    return kExitOk;
  }

  const fs::path dir = out_dir.empty() ? fs::path("out") / scenario.name : fs::path(out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    err << "estate: cannot create output folder " << dir.string() << ": " << ec.message() << "\n";
    return kExitInput;
  }

  Progress progress(!quiet);
  RunOptions options;
  options.seed = seed;
  options.timing = timing;
  options.progress = [&progress](double f) { progress(f); };
  const RunResult result = run_scenario(scenario, options);
  progress.done();

  if (!write_file(dir / "report.json", result.report.dump(2) + "\n", err)) return kExitInput;
  if (!write_file(dir / "report.html", reports::render_html(result.report), err)) return kExitInput;
  if (!quiet) {
    Json shown = result.report;
    shown["run"]["wall_s"] = result.wall_s;
    shown["run"]["events_per_s"] = static_cast<double>(result.events) / std::max(result.wall_s, 1e-9);
    out << reports::text_summary(shown);
    out << "\nreport: " << (dir / "report.json").string() << "\n";
  } else if (result.exit_code != kExitOk) {
    err << "estate: INTEGRITY FAILED (" << (dir / "report.json").string() << "):\n";
    for (const auto& reason : result.report["verdict"]["reasons"]) err << "  - " << reason.get<std::string>() << "\n";
  }
  return result.exit_code;
}

}  // namespace estate::harness

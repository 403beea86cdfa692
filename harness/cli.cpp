#include "harness/cli.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>

#include <CLI/CLI.hpp>

#include "harness/build_info.h"
#include "harness/cli_docs.h"
#include "harness/gate.h"
#include "harness/headroom.h"
#include "harness/sweep.h"
#include "harness/live.h"
#include "harness/locate.h"
#include "harness/outputs.h"
#include "harness/order_log.h"
#include "harness/replicate.h"
#include "hosts/live/driver.h"
#include "harness/run.h"
#include "harness/scenario.h"
#include "harness/thresholds.h"
#include "harness/units.h"
#include "reports/capacity.h"
#include "reports/compare.h"
#include "reports/html.h"
#include "reports/junit.h"
#include "reports/markdown.h"
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

// "--vs 'a=1 b.c=hello world d={"x": 1}'" -> a=1, b.c=hello world, d={"x": 1}: a word without
// '=' continues the previous change, so values may contain spaces.
std::vector<std::string> split_changes(const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  for (const auto& text : texts) {
    std::istringstream in(text);
    for (std::string w; in >> w;) {
      if (!out.empty() && w.find('=') == std::string::npos) out.back() += " " + w;
      else out.push_back(w);
    }
  }
  return out;
}

void print_failures(const Json& report, std::ostream& err) {
  for (const auto& reason : report["verdict"]["reasons"]) err << "  - " << reason.get<std::string>() << "\n";
}

// Loads a scenario with its overrides and command-line thresholds, and checks every
// threshold's metric exists, before anything runs.
Scenario prepare(const std::string& file, const std::vector<std::string>& sets, const std::vector<std::string>& thresholds,
                 const std::vector<std::string>& changes = {}) {
  Scenario sc = load_scenario(file, sets, changes);
  for (const auto& t : thresholds) sc.thresholds.push_back(parse_threshold_flag(t));
  check_thresholds(sc);
  return sc;
}

double parse_budget(const std::string& text) {
  const auto v = parse_percent(text);
  if (!v || *v < 0) throw InputError("--max-regression", "", "expected a percentage like 10%, got \"" + text + "\"");
  return *v;
}

int worst(int a, int b) {
  auto rank = [](int c) { return c == kExitIntegrity ? 3 : c == kExitGate ? 2 : c == kExitOk ? 0 : 1; };
  return rank(a) >= rank(b) ? a : b;
}

struct Options {
  std::vector<std::string> inputs;
  std::vector<std::string> sets, thresholds;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> vs;
  // capacity planning
  std::vector<std::string> vary;
  std::string shard, tolerance = "2%";
  std::string out_dir, baseline_file, max_regression = "10%", record_orders;
  unsigned jobs = 0, seeds = 1;
  unsigned capacity_seeds = 3;  // sweep and headroom replicate by default; run, gate and baseline do not
  bool timing = false, quiet = false, strict = false;
  // live mode
  bool live = false;
  std::string pipeline = "embedded", listen = "127.0.0.1", admin_token, serve_for;
  double time_scale = 1.0, drain_time_scale = 0, quiet_period_s = 2.0, idle_timeout_s = 60;
  std::size_t max_header_bytes = 16 * 1024, max_body_bytes = 64u << 20, max_connections = 8192;
  // estate drive
  std::string rate = "1000/s", method = "GET", body, duration = "10s";
  std::size_t connections = 64;
  bool poisson = false;
  std::uint16_t port = 0;
};

bool loopback(const std::string& address) {
  return address == "::1" || address.rfind("127.", 0) == 0 || address == "localhost";
}

// The live host's settings from the command line (InputError on nonsense).
hosts::live::LiveOptions live_options(const Options& o) {
  hosts::live::LiveOptions lo;
  if (!(o.time_scale > 0) || o.time_scale > 1e6)
    throw InputError("--time-scale", "", "expected a factor above 0 and at most 1000000, got " + std::to_string(o.time_scale));
  lo.time_scale = o.time_scale;
  if (o.drain_time_scale < 0 || o.drain_time_scale > 1e6)
    throw InputError("--drain-time-scale", "", "expected a factor up to 1000000 (0: the same as --time-scale)");
  lo.drain_time_scale = o.drain_time_scale;
  lo.address = o.listen == "localhost" ? "127.0.0.1" : o.listen;
  if (lo.address.empty() || lo.address.find_first_not_of("0123456789abcdefABCDEF.:") != std::string::npos)
    throw InputError("--listen", "", "expected an IP address like 127.0.0.1 or ::1, got \"" + o.listen + "\"");
  lo.port = o.port;
  if (o.pipeline != "embedded") lo.pipeline_url = o.pipeline;
  lo.admin_token = o.admin_token;
  // Off loopback the admin API (outages on demand) must not be open to the network.
  if (!loopback(lo.address) && lo.admin_token.empty()) {
    std::random_device rd;
    char buf[33];
    std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
    lo.admin_token = buf;
  }
  if (!(o.quiet_period_s > 0)) throw InputError("--quiet-period", "", "expected a number of seconds above 0");
  if (!(o.idle_timeout_s > 0)) throw InputError("--idle-timeout", "", "expected a number of seconds above 0");
  if (o.max_header_bytes < 256 || o.max_body_bytes < 1024 || o.max_connections < 1)
    throw InputError("--max-header-bytes", "", "expected at least 256 header bytes, 1024 body bytes and 1 connection");
  lo.header_bytes = o.max_header_bytes;
  lo.body_bytes = o.max_body_bytes;
  lo.connections = o.max_connections;
  lo.idle_s = o.idle_timeout_s;
  lo.quiet_s = o.quiet_period_s;
  return lo;
}

// Prints where every service listens and writes them to DIR/endpoints.env, before the run.
void announce(const Endpoints& endpoints, const fs::path& dir, bool quiet, std::ostream& out) {
  std::string env;
  for (const auto& [k, v] : endpoints) env += k + "=" + v + "\n";
  write_file(dir / "endpoints.env", env);
  if (quiet) return;
  out << "estate: serving (also in " << (dir / "endpoints.env").string() << "):\n";
  for (const auto& [k, v] : endpoints)
    if (k != "ESTATE_ADMIN_TOKEN") out << "  " << k << "=" << v << "\n";
  out << std::flush;
}

// Prints the outcome of one run the way `run` does, after writing its outputs.
int finish_run(const Options& o, const fs::path& dir, const RunResult& result, std::ostream& out, std::ostream& err) {
  write_run_outputs(dir, result.report);
  if (!o.quiet) {
    Json shown = result.report;
    shown["run"]["wall_s"] = result.wall_s;
    shown["run"]["events_per_s"] = static_cast<double>(result.events) / std::max(result.wall_s, 1e-9);
    out << reports::text_summary(shown) << "\nreport: " << (dir / "report.json").string() << " (and summary.md, junit.xml, report.html)\n";
  } else if (result.exit_code != kExitOk) {
    err << "estate: " << (result.exit_code == kExitIntegrity ? "INTEGRITY FAILED" : "THRESHOLDS FAILED") << " ("
        << (dir / "report.json").string() << "):\n";
    print_failures(result.report, err);
  }
  return result.exit_code;
}

// Says on stderr which side of an A/B (or which seed's run) failed, and why.
void name_failure(const std::string& who, const RunResult& r, std::ostream& err) {
  if (r.exit_code == kExitOk) return;
  err << "estate: " << who << " " << (r.exit_code == kExitIntegrity ? "FAILED INTEGRITY" : "FAILED") << ":\n";
  print_failures(r.report, err);
}

unsigned check_seeds(unsigned seeds) {
  if (seeds < 1 || seeds > 1000) throw InputError("--seeds", "", "expected 1 to 1000 replications, got " + std::to_string(seeds));
  return seeds;
}
unsigned check_seeds(const Options& o) { return check_seeds(o.seeds); }

// Writes each seed's report.json of a replicated run under DIR/seeds/SEED/.
void write_seed_reports(const fs::path& dir, const std::vector<Json>& reports) {
  for (const auto& r : reports)
    write_file(dir / "seeds" / std::to_string(r["scenario"]["seed"].get<std::uint64_t>()) / "report.json", r.dump(2) + "\n");
}

int cmd_ab(const Options& o, const Scenario& sc, const RunOptions& options, const fs::path& dir, std::ostream& out, std::ostream& err) {
  // A/B/C... on common random numbers: the same seeds, demand and faults; one design per --vs.
  std::vector<Scenario> variants{sc};
  std::vector<std::string> labels{o.sets.empty() ? "as written" : "as given (with --set)"};
  for (const auto& text : o.vs) {
    const auto changes = split_changes({text});
    if (changes.empty()) throw InputError("--vs", "", "expected one or more path=value changes, got \"" + text + "\"");
    std::string label;
    for (const auto& c : changes) label += (label.empty() ? "" : " ") + c;
    for (const auto& l : labels)
      if (l == label) throw InputError("--vs", "", "the variant \"" + label + "\" is given twice");
    variants.push_back(prepare(o.inputs.at(0), o.sets, o.thresholds, changes));
    labels.push_back(label);
  }
  if (variants.size() > 26) throw InputError("--vs", "", "expected at most 25 variants");
  std::vector<std::vector<Json>> per_seed;
  const auto results = run_replicated(variants, std::vector<RunOptions>(variants.size(), options), check_seeds(o), o.jobs, &per_seed);
  std::vector<Json> reports;
  int code = kExitOk;
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const std::string name(1, static_cast<char>('A' + i));
    write_run_outputs(dir / name, results[i].report);
    write_seed_reports(dir / name, per_seed[i]);
    reports.push_back(results[i].report);
    code = worst(code, results[i].exit_code);
    name_failure("variant " + name + " (" + labels[i] + ")", results[i], err);
  }
  const std::string table = reports::compare_variants_markdown(reports, labels);
  write_file(dir / "compare.md", table);
  write_file(dir / "compare.html", reports::compare_variants_html(reports, labels));
  if (!o.quiet) {
    out << table << "\nreports:";
    for (std::size_t i = 0; i < variants.size(); ++i) out << (i ? ", " : " ") << (dir / std::string(1, static_cast<char>('A' + i))).string();
    out << "\n";
  }
  return code;
}

// --record-orders FILE: the log's format by its extension (checked before the run).
std::optional<LogFormat> record_format(const Options& o) {
  if (o.record_orders.empty()) return std::nullopt;
  const auto format = log_format_of(o.record_orders);
  if (!format) throw InputError("--record-orders", "", "expected a file ending in .csv, .jsonl or .ndjson, got \"" + o.record_orders + "\"");
  if (!o.vs.empty() || o.seeds > 1)
    throw InputError("--record-orders", "", "records the demand of one run; it does not combine with --vs or --seeds");
  return format;
}

void write_recorded(const Options& o, LogFormat format, const Scenario& sc, const OrderRecorder& recorder) {
  std::vector<std::string> names;
  for (const auto& c : sc.channels) names.push_back(c.name);
  write_file(o.record_orders, recorder.render(format, names));
}

int cmd_run(const Options& o, std::ostream& out, std::ostream& err) {
  Scenario sc = prepare(o.inputs.at(0), o.sets, o.thresholds);
  const fs::path dir = o.out_dir.empty() ? fs::path("out") / sc.name : fs::path(o.out_dir);
  RunOptions options;
  options.seed = o.seed;
  options.timing = o.timing;
  options.max_regression = parse_budget(o.max_regression);
  const auto record = record_format(o);
  OrderRecorder recorder;
  if (record) options.record_orders = &recorder;
  if (!o.vs.empty()) return cmd_ab(o, sc, options, dir, out, err);
  if (check_seeds(o) > 1) {
    std::vector<std::vector<Json>> per_seed;
    const auto results = run_replicated({sc}, {options}, o.seeds, o.jobs, &per_seed);
    write_seed_reports(dir, per_seed[0]);
    return finish_run(o, dir, results[0], out, err);
  }

  Progress progress(!o.quiet);
  options.progress = [&progress](double f) { progress(f); };
  const RunResult result = run_scenario(sc, options);
  progress.done();
  if (record) write_recorded(o, *record, sc, recorder);
  return finish_run(o, dir, result, out, err);
}

int cmd_live(const Options& o, std::ostream& out, std::ostream& err) {
  Scenario sc = prepare(o.inputs.at(0), o.sets, o.thresholds);
  const fs::path dir = o.out_dir.empty() ? fs::path("out") / sc.name : fs::path(o.out_dir);
  LiveRunOptions options;
  options.live = live_options(o);
  options.seed = o.seed;
  options.max_regression = parse_budget(o.max_regression);
  options.on_listening = [&](const Endpoints& e) { announce(e, dir, o.quiet, out); };
  const auto record = record_format(o);
  OrderRecorder recorder;
  if (record) options.record_orders = &recorder;
  Progress progress(!o.quiet);
  options.progress = [&progress](double f) { progress(f); };
  const RunResult result = run_live(sc, options);
  progress.done();
  if (record) write_recorded(o, *record, sc, recorder);
  return finish_run(o, dir, result, out, err);
}

int cmd_serve(const Options& o, std::ostream& out) {
  const Scenario sc = prepare(o.inputs.at(0), o.sets, {});
  const fs::path dir = o.out_dir.empty() ? fs::path("out") / sc.name : fs::path(o.out_dir);
  LiveRunOptions options;
  options.live = live_options(o);
  if (o.pipeline == "embedded") options.live.no_pipeline = true;  // mocks only, unless a pipeline is named
  options.seed = o.seed;
  options.on_listening = [&](const Endpoints& e) {
    announce(e, dir, false, out);
    out << "estate: serving until Ctrl-C" << (o.serve_for.empty() ? "" : " or " + o.serve_for) << "\n" << std::flush;
  };
  double for_s = 0;
  if (!o.serve_for.empty()) {
    const auto d = parse_duration(o.serve_for);
    if (!d || *d <= 0) throw InputError("--for", "", "expected a duration like \"10m\", got \"" + o.serve_for + "\"");
    for_s = sim::to_seconds(*d);
  }
  serve_estate(sc, options, for_s);
  return kExitOk;
}

int cmd_drive(const Options& o, std::ostream& out) {
  hosts::live::LoadOptions lo;
  lo.url = o.inputs.at(0);
  const auto rate = parse_rate_per_s(o.rate);
  if (!rate || *rate <= 0) throw InputError("--rate", "", "expected a rate like \"5000/s\", got \"" + o.rate + "\"");
  lo.rate_per_s = *rate;
  const auto d = parse_duration(o.duration);
  if (!d || *d <= 0) throw InputError("--for", "", "expected a duration like \"10s\", got \"" + o.duration + "\"");
  lo.duration_s = sim::to_seconds(*d);
  if (o.method == "GET") lo.method = wire::Method::get;
  else if (o.method == "POST") lo.method = wire::Method::post;
  else if (o.method == "PUT") lo.method = wire::Method::put;
  else throw InputError("--method", "", "expected GET, POST or PUT, got \"" + o.method + "\"");
  lo.body = o.body;
  if (o.connections < 1 || o.connections > 10000) throw InputError("--connections", "", "expected 1 to 10000");
  lo.connections = o.connections;
  lo.arrivals = o.poisson ? load::Arrivals::poisson : load::Arrivals::constant;
  Json result;
  try {
    result = Json::parse(hosts::live::drive_load(lo).dump());
  } catch (const hosts::live::StartError& e) {
    throw InputError(lo.url, "", e.what);
  }
  out << result.dump(2) << "\n";
  if (!o.out_dir.empty()) write_file(o.out_dir, result.dump(2) + "\n");
  return kExitOk;
}

int cmd_validate(const Options& o, std::ostream& out) {
  const Scenario sc = prepare(o.inputs.at(0), o.sets, o.thresholds);
  out << "ok: " << sc.file << ": \"" << sc.name << "\", " << sc.channels.size() << " channels, " << sc.locations.size()
      << " locations, " << sc.skus << " SKUs, " << sc.timeline.size() << " timeline events, " << sc.thresholds.size()
      << " thresholds\n";
  return kExitOk;
}

// Loads every scenario of a suite (all errors before any run).
std::vector<Scenario> load_suite(const Options& o) {
  std::vector<Scenario> scenarios;
  for (const auto& f : expand_suite(o.inputs)) scenarios.push_back(prepare(f, o.sets, o.thresholds));
  for (std::size_t i = 0; i < scenarios.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (scenarios[i].name == scenarios[j].name)
        throw InputError(scenarios[i].file, "/name", "expected a name no other scenario of the suite has; \"" + scenarios[i].name +
                                                         "\" is also " + scenarios[j].file);
  return scenarios;
}

int cmd_gate(const Options& o, std::ostream& out, std::ostream& err) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<Scenario> scenarios = load_suite(o);
  const double budget = parse_budget(o.max_regression);
  Json baseline;
  std::vector<const Json*> base_metrics(scenarios.size(), nullptr);
  std::vector<RunOptions> options(scenarios.size());
  if (!o.baseline_file.empty()) {
    baseline = load_baseline(o.baseline_file);
    for (std::size_t i = 0; i < scenarios.size(); ++i)
      base_metrics[i] = &baseline_for(baseline, o.baseline_file, scenarios[i], o.strict, options[i].warnings);
  }
  const unsigned seeds = check_seeds(o);
  if (o.live && seeds > 1) throw InputError("--seeds", "", "live runs are not replicated (each has the pipeline to itself for its whole length); run the live gate once per seed");
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    options[i].max_regression = budget;
    options[i].baseline_metrics = base_metrics[i];
    options[i].timing = o.timing;
  }
  const fs::path dir = o.out_dir.empty() ? fs::path("out") / "gate" : fs::path(o.out_dir);
  std::vector<RunResult> results;
  if (o.live) {
    // Live scenarios run one after another: each has the pipeline under test to itself.
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      LiveRunOptions lo;
      lo.live = live_options(o);
      lo.baseline_metrics = options[i].baseline_metrics;
      lo.max_regression = budget;
      lo.on_listening = [&](const Endpoints& e) { announce(e, dir / scenarios[i].name, true, out); };
      if (!o.quiet) err << "estate gate: " << scenarios[i].name << " live (" << o.pipeline << ", time scale " << o.time_scale << ")\n";
      results.push_back(run_live(scenarios[i], lo));
      if (results.back().report["live"]["interrupted"] == true) break;
    }
  } else {
    std::vector<std::vector<Json>> per_seed;
    results = run_replicated(scenarios, options, seeds, o.jobs, &per_seed);
    for (std::size_t i = 0; i < scenarios.size(); ++i) write_seed_reports(dir / scenarios[i].name, per_seed[i]);
  }
  std::vector<Json> reports;
  int code = kExitOk;
  for (std::size_t i = 0; i < results.size(); ++i) {
    write_run_outputs(dir / scenarios[i].name, results[i].report);
    reports.push_back(results[i].report);
    code = worst(code, results[i].exit_code);
  }
  const std::string md = reports::gate_markdown(reports);
  write_file(dir / "summary.md", md);
  write_file(dir / "junit.xml", reports::junit_xml(reports, "estate gate"));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!o.quiet) {
    out << reports::gate_text(reports) << "\n";
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.2f s", results[i].wall_s);
      out << "ran " << scenarios[i].name << (seeds > 1 ? " (" + std::to_string(seeds) + " seeds, the slowest)" : std::string()) << " in " << buf << "\n";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f s", wall);
    out << "gate: " << scenarios.size() << " scenarios" << (seeds > 1 ? " x " + std::to_string(seeds) + " seeds" : std::string()) << " in "
        << buf << " wall; outputs in " << dir.string() << "\n";
  } else if (code != kExitOk) {
    err << "estate: gate FAILED (" << (dir / "summary.md").string() << "):\n";
    for (const auto& r : reports) {
      std::ostringstream lines;
      print_failures(r, lines);
      if (!lines.str().empty()) err << r["scenario"]["name"].get<std::string>() << ":\n" << lines.str();
    }
  }
  return code;
}

int cmd_baseline(const Options& o, std::ostream& out) {
  std::vector<Json> reports;
  // Reports given directly are recorded as they are; scenarios are run first.
  // Inputs are either all reports (recorded as they are) or all scenarios (run first).
  std::size_t as_reports = 0;
  for (const auto& in : o.inputs) {
    try {
      reports.push_back(load_report(in));
      ++as_reports;
    } catch (const InputError&) {
    }
  }
  if (as_reports > 0 && as_reports < o.inputs.size())
    throw InputError("baseline", "", "expected either report.json files or scenarios, not a mix");
  if (as_reports > 0 && (!o.sets.empty() || !o.thresholds.empty()))
    throw InputError("--set", "", "does not apply to report.json files (they record the run that made them); pass scenarios to run instead");
  if (as_reports == 0) {
    reports.clear();
    const std::vector<Scenario> scenarios = load_suite(o);
    for (auto& r : run_replicated(scenarios, std::vector<RunOptions>(scenarios.size()), check_seeds(o), o.jobs))
      reports.push_back(std::move(r.report));
  } else if (o.seeds > 1) {
    throw InputError("--seeds", "", "does not apply to report.json files (they record the runs that made them)");
  }
  const fs::path file = o.out_dir.empty() ? fs::path("baseline.json") : fs::path(o.out_dir);
  write_file(file, make_baseline(reports, baseline_stamp(o.inputs.at(0))).dump(2) + "\n");
  if (!o.quiet)
    out << "baseline: " << reports.size() << " scenarios" << (o.seeds > 1 ? " x " + std::to_string(o.seeds) + " seeds" : std::string())
        << " recorded in " << file.string() << "\n";
  return kExitOk;
}

fs::path sweep_dir(const Options& o, const std::string& name) {
  return o.out_dir.empty() ? fs::path("out") / (name + "-sweep") : fs::path(o.out_dir);
}

// Prints the capacity answer (or, with --quiet, nothing but integrity failures).
int finish_sweep(const Options& o, const SweepSpec& spec, const SweepResult& result, const fs::path& dir, std::ostream& out,
                 std::ostream& err) {
  write_sweep(dir, spec, result);
  if (!o.quiet) {
    out << "sweep: " << spec.points() << " points x " << spec.seeds.size() << (spec.seeds.size() == 1 ? " seed" : " seeds") << "; "
        << (dir / "capacity.html").string() << "\n";
    for (const auto& line : reports::capacity_answer(result.sweep)) out << "  " << line << "\n";
  }
  if (result.exit_code == kExitIntegrity) {
    err << "estate: integrity FAILED at some points of the sweep (" << (dir / "capacity.md").string() << "):\n";
    for (const auto& p : result.sweep["points"])
      if (p["integrity_ok"] == false) err << "  - " << p["id"].get<std::string>() << "\n";
    return kExitIntegrity;
  }
  return kExitOk;
}

int cmd_sweep(const Options& o, std::ostream& out, std::ostream& err) {
  if (o.vary.empty()) throw InputError("--vary", "", "expected at least one --vary PATH=VALUES");
  SweepSpec spec;
  spec.file = locate_input(o.inputs.at(0));
  spec.document = read_scenario_document(spec.file);
  spec.sets = o.sets;
  spec.thresholds = o.thresholds;
  for (const auto& v : o.vary) {
    spec.axes.push_back(parse_vary(v));
    for (std::size_t a = 0; a + 1 < spec.axes.size(); ++a)
      if (spec.axes[a].path == spec.axes.back().path) throw InputError("--vary", "", v + ": " + spec.axes[a].path + " is varied twice");
  }
  if (spec.points() > 10000) throw InputError("--vary", "", "expected at most 10000 points, got " + std::to_string(spec.points()));
  std::vector<Scenario> scenarios;
  for (std::size_t p = 0; p < spec.points(); ++p) scenarios.push_back(spec.scenario(p));  // every error before any run
  spec.seeds = replication_seeds(o.seed.value_or(scenarios.front().seed), check_seeds(o.capacity_seeds));
  const std::optional<Shard> shard = o.shard.empty() ? std::nullopt : std::optional<Shard>(parse_shard(o.shard));
  Progress progress(!o.quiet);
  auto tick = [&](std::size_t done, std::size_t total) { progress(static_cast<double>(done) / static_cast<double>(total)); };
  std::vector<WrittenUnit> units = run_units(spec, scenarios, shard.value_or(Shard{}), o.jobs, tick);
  progress.done();
  const fs::path dir = sweep_dir(o, scenarios.front().name);
  if (shard) {
    char name[64];
    std::snprintf(name, sizeof name, "shard-%04u-of-%04u.json", shard->index, shard->count);
    write_file(dir / name, shard_text(spec, *shard, units) + "\n");
    if (!o.quiet)
      out << "shard " << shard->index << "/" << shard->count << ": " << units.size() << " of " << spec.points() * spec.seeds.size()
          << " runs written to " << (dir / name).string() << "; combine the shards with 'estate merge'\n";
    return kExitOk;
  }
  return finish_sweep(o, spec, assemble_sweep(spec, scenarios, std::move(units)), dir, out, err);
}

int cmd_merge(const Options& o, std::ostream& out, std::ostream& err) {
  auto [spec, units] = read_shards(o.inputs);
  std::vector<Scenario> scenarios;
  for (std::size_t p = 0; p < spec.points(); ++p) scenarios.push_back(spec.scenario(p));
  return finish_sweep(o, spec, assemble_sweep(spec, scenarios, std::move(units)), sweep_dir(o, scenarios.front().name), out, err);
}

int cmd_headroom(const Options& o, std::ostream& out) {
  HeadroomOptions h;
  h.file = locate_input(o.inputs.at(0));
  h.document = read_scenario_document(h.file);
  h.sets = o.sets;
  h.thresholds = o.thresholds;
  if (!o.vary.empty()) h.vary = o.vary.front();
  if (o.vary.size() > 1) throw InputError("--vary", "", "headroom searches one path; got " + std::to_string(o.vary.size()));
  const auto tol = parse_percent(o.tolerance);
  if (!tol) throw InputError("--tolerance", "", "expected a percentage like 2%, got \"" + o.tolerance + "\"");
  h.tolerance = *tol;
  h.jobs = o.jobs;
  const Scenario sc = load_scenario(h.file, o.sets);
  h.seeds = replication_seeds(o.seed.value_or(sc.seed), check_seeds(o.capacity_seeds));
  const Json result = find_headroom(h);
  const fs::path dir = o.out_dir.empty() ? fs::path("out") / (sc.name + "-headroom") : fs::path(o.out_dir);
  write_file(dir / "headroom.json", result.dump(2) + "\n");
  std::string md = "# Headroom: " + sc.name + "\n\n**" + result["answer"].get<std::string>() + "**\n\nThresholds:\n\n";
  for (const auto& t : result["thresholds"]) md += "- `" + t.get<std::string>() + "`\n";
  md += "\nPer seed:\n\n| seed | holds at | fails at | runs |\n|---:|---:|---:|---:|\n";
  for (const auto& s : result["per_seed"])
    md += "| " + std::to_string(s["seed"].get<std::uint64_t>()) + " | " + (s["holds_at"].is_null() ? "-" : s["holds_at"].get<std::string>()) + " | " +
          (s["fails_at"].is_null() ? "-" : s["fails_at"].get<std::string>()) + " | " + std::to_string(s["probes"].size()) + " |\n";
  md += "\nMethod: " + result["method"].get<std::string>() + ".\n";
  write_file(dir / "headroom.md", md);
  if (!o.quiet) out << result["answer"].get<std::string>() << "\n" << "(" << (dir / "headroom.md").string() << ")\n";
  return kExitOk;
}

int cmd_compare(const Options& o, std::ostream& out) {
  const Json a = load_report(o.inputs.at(0));
  const Json b = load_report(o.inputs.at(1));
  const std::string table = reports::compare_markdown(a, b, o.inputs[0], o.inputs[1]);
  if (!o.out_dir.empty()) {
    write_file(fs::path(o.out_dir) / "compare.md", table);
    write_file(fs::path(o.out_dir) / "compare.html", reports::compare_variants_html({a, b}, {o.inputs[0], o.inputs[1]}));
  }
  out << table;
  return kExitOk;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"estate: simulate an order and inventory sync estate and measure what the business feels.\n"
               "Exit codes: 0 ok, 1 a threshold or gate failed, 2 bad input or usage, 3 an integrity check failed."};
  app.set_version_flag("--version", "estate " + estate_version_line());
  app.require_subcommand(1);
  Options o;
  auto add_sets = [&o](CLI::App* c) {
    c->add_option("--set", o.sets, "Override a scenario value by its path, e.g. pipeline.idempotency.enabled=false (repeatable).")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    c->add_option("--threshold", o.thresholds, "Add or replace a threshold: \"METRIC OP VALUE\", e.g. \"latency.order_to_erp.p99 < 20s\" (repeatable).")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  };

  auto* run = app.add_subcommand("run", "Run a scenario in simulated time; write report.json, summary.md, junit.xml and report.html.");
  run->add_option("scenario", o.inputs, "Scenario file (JSON, comments allowed).")->required()->expected(1);
  run->add_option("--seed", o.seed, "Random seed (overrides the scenario's).");
  run->add_option("--out", o.out_dir, "Output folder (default: out/<scenario name>).");
  add_sets(run);
  run->add_option("--seeds", o.seeds, "Replications: run N seeds (the seed, seed+1, ...) in parallel and pool them: latency from the merged histograms, other figures as means, a 95% interval for every headline metric; each seed's report.json goes to OUT/seeds/SEED/.")
      ->capture_default_str();
  run->add_option("--jobs", o.jobs, "Runs in parallel (default: one per core).");
  run->add_option("--vs", o.vs, "A/B/C...: each --vs is one more variant ('path=value path=value'), run on the same random numbers (and --seeds); writes A/, B/, C/..., compare.md and compare.html.")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run->add_option("--max-regression", o.max_regression, "(with a baseline) allowed regression per metric.")->group("");
  run->add_option("--record-orders", o.record_orders, "Write the run's demand (every customer's order, at the instant placed: channel, SKU, quantity per line) to FILE as an order log, CSV or JSON Lines by its extension; a scenario's demand.trace replays it.");
  run->add_flag("--timing", o.timing, "Also put wall-clock time and events/s into report.json (it is then not reproducible).");
  run->add_flag("--quiet", o.quiet, "Print no summary and no progress (failures still go to stderr).");

  auto* validate = app.add_subcommand("validate", "Check a scenario (and its thresholds) without running it.");
  validate->add_option("scenario", o.inputs, "Scenario file.")->required()->expected(1);
  add_sets(validate);

  auto* gate = app.add_subcommand("gate", "Run a suite of scenarios, evaluate every threshold and baseline regression; write junit.xml and summary.md.");
  gate->add_option("suite", o.inputs, "Scenario files and folders of them.")->required();
  gate->add_option("--baseline", o.baseline_file, "Baseline file (from 'estate baseline') to compare every threshold's metric with.");
  gate->add_option("--max-regression", o.max_regression, "Allowed regression against the baseline, per metric (default 10%; a threshold's max_regression overrides it).");
  gate->add_option("--out", o.out_dir, "Output folder (default: out/gate).");
  gate->add_option("--jobs", o.jobs, "Scenarios run in parallel (default: one per core).");
  add_sets(gate);
  gate->add_flag("--quiet", o.quiet, "Print nothing but failures.");
  gate->add_flag("--timing", o.timing, "Put wall-clock times into the reports and junit.xml's testcases (the outputs are then not reproducible).");
  gate->add_flag("--live", o.live, "Run the suite live (like 'estate live'), one scenario after another.");
  gate->add_option("--seeds", o.seeds, "Replications: each scenario on N seeds, pooled, with 95% intervals; a regression against a baseline recorded with the same seeds must exceed the budget and the noise (seed-by-seed).")
      ->capture_default_str();
  gate->add_flag("--strict", o.strict, "Refuse a baseline recorded from another version of a scenario file or another seed (default: compare metric by metric and warn).");

  auto add_live = [&o](CLI::App* c, bool serving = false) {
    if (serving)
      c->add_option("--pipeline", o.pipeline, "Base URL of the pipeline the mocks call back (order webhooks, warehouse events and files), e.g. http://127.0.0.1:9000. Without it the mocks run alone and what they would send a pipeline is dropped (counted).");
    else
      c->add_option("--pipeline", o.pipeline, "The pipeline under test: 'embedded' (the reference pipeline, served over HTTP), or the base URL of yours, e.g. http://127.0.0.1:9000.")
          ->capture_default_str();
    c->add_option("--time-scale", o.time_scale, "Play the scenario this many times faster than the wall clock; reports stay in scenario time.")
        ->capture_default_str();
    c->add_option("--drain-time-scale", o.drain_time_scale, "Play the drain (after the demand ends) this many times faster than the wall clock instead (default: --time-scale). The embedded pipeline follows; a pipeline at a URL keeps its own wall-clock timers.");
    c->add_option("--listen", o.listen, "Address the mocks listen on. Off loopback, the admin API needs a token (--admin-token, or one is made and written to endpoints.env).")
        ->capture_default_str();
    c->add_option("--port", o.port, "Port the mocks listen on (0: any free port; see endpoints.env).")->capture_default_str();
    c->add_option("--admin-token", o.admin_token, "Require 'Authorization: Bearer TOKEN' on the admin API (/_estate).");
    c->add_option("--max-header-bytes", o.max_header_bytes, "Limit on a request's header (431 beyond).")->capture_default_str()->group("Limits at the edge");
    c->add_option("--max-body-bytes", o.max_body_bytes, "Limit on a request's body (413 beyond).")->capture_default_str()->group("Limits at the edge");
    c->add_option("--max-connections", o.max_connections, "Connections served at once; more are closed on accept.")->capture_default_str()->group("Limits at the edge");
    c->add_option("--idle-timeout", o.idle_timeout_s, "Seconds a connection may sit idle (or trickle a request in) before it is closed.")->capture_default_str()->group("Limits at the edge");
  };
  add_live(gate);
  gate->add_option("--quiet-period", o.quiet_period_s, "(live, --pipeline URL) seconds without a request from the pipeline after which it counts as settled.")
      ->capture_default_str();

  auto* live = app.add_subcommand("live", "Serve the estate's systems over HTTP and drive the scenario's demand and timeline into a pipeline on the wall clock; same outputs, thresholds and exit codes as run.");
  live->add_option("scenario", o.inputs, "Scenario file.")->required()->expected(1);
  add_live(live);
  live->add_option("--quiet-period", o.quiet_period_s, "(with --pipeline URL) seconds without a request from the pipeline after which it counts as settled.")
      ->capture_default_str();
  live->add_option("--seed", o.seed, "Random seed (overrides the scenario's).");
  live->add_option("--out", o.out_dir, "Output folder (default: out/<scenario name>); endpoints.env is written there first.");
  live->add_option("--max-regression", o.max_regression, "(with a baseline) allowed regression per metric.")->group("");
  add_sets(live);
  live->add_option("--record-orders", o.record_orders, "Write the run's demand to FILE as an order log (as run does).");
  live->add_flag("--quiet", o.quiet, "Print no endpoints, summary or progress (failures still go to stderr).");

  auto* serve = app.add_subcommand("serve", "Serve the estate's mocks over HTTP with no demand, for building a connector; drive them by hand through the admin API (/_estate).");
  serve->add_option("scenario", o.inputs, "Scenario file (its systems, stock and limits).")->required()->expected(1);
  add_live(serve, true);
  serve->add_option("--for", o.serve_for, "Stop after this long (default: until Ctrl-C).");
  serve->add_option("--seed", o.seed, "Random seed (overrides the scenario's).");
  serve->add_option("--out", o.out_dir, "Folder for endpoints.env (default: out/<scenario name>).");
  add_sets(serve);

  auto* baseline = app.add_subcommand("baseline", "Record a baseline: run a suite (or read report.json files) and write its metrics.");
  baseline->add_option("inputs", o.inputs, "Scenario files or folders (run), or report.json files (recorded as they are).")->required();
  baseline->add_option("--out", o.out_dir, "Baseline file to write (default: baseline.json).");
  baseline->add_option("--jobs", o.jobs, "Scenarios run in parallel (default: one per core).");
  baseline->add_option("--seeds", o.seeds, "Record replications: N seeds per scenario, with each headline metric's per-seed values (what a gate with --seeds needs to judge noise).")
      ->capture_default_str();
  add_sets(baseline);
  baseline->add_flag("--quiet", o.quiet, "Print nothing.");

  auto* compare = app.add_subcommand("compare", "Compare two report.json files metric by metric (A/B).");
  compare->add_option("reports", o.inputs, "Report A and report B.")->required()->expected(2);
  compare->add_option("--out", o.out_dir, "Also write compare.md and compare.html into this folder.");

  auto* drive = app.add_subcommand("drive", "Open-model HTTP load on one URL (like wrk2): send at a scheduled rate for a while, report the rate achieved, latency from each request's scheduled instant and late sends.");
  drive->add_option("url", o.inputs, "Target, e.g. http://127.0.0.1:8080/path.")->required()->expected(1);
  drive->add_option("--rate", o.rate, "Requests per second (or per minute: 600/min).")->capture_default_str();
  drive->add_option("--for", o.duration, "How long to send.")->capture_default_str();
  drive->add_option("--connections", o.connections, "Keep-alive connections at most (requests beyond wait, late).")->capture_default_str();
  drive->add_option("--method", o.method, "GET, POST or PUT.")->capture_default_str();
  drive->add_option("--body", o.body, "Request body (sent as application/json).");
  drive->add_flag("--poisson", o.poisson, "Poisson arrivals instead of evenly spaced ones.");
  drive->add_option("--out", o.out_dir, "Also write the result (JSON) to this file.");

  auto* sweep = app.add_subcommand("sweep", "Capacity planning: run a scenario over every combination of --vary values (each point on the same seeds, replicated), find knees, saturation and the bottleneck; write sweep.json, capacity.md, capacity.html and each point's report.");
  sweep->add_option("scenario", o.inputs, "Scenario file.")->required()->expected(1);
  sweep->add_option("--vary", o.vary, "PATH=VALUES: a list (demand.scale=1,2,4) or a range with a step, units allowed (erp.quota.rate=300/min..1200/min step 150/min); repeat for a grid.")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sweep->add_option("--seeds", o.capacity_seeds, "Replications per point (seed, seed+1, ...), pooled like run --seeds.")->capture_default_str();
  sweep->add_option("--seed", o.seed, "First seed (default: the scenario's).");
  sweep->add_option("--jobs", o.jobs, "Runs in parallel (default: one per core).");
  sweep->add_option("--out", o.out_dir, "Output folder (default: out/<scenario name>-sweep).");
  sweep->add_option("--shard", o.shard, "Run only slice I of N (I/N, 0 <= I < N), or N with the index from $JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) or $SLURM_ARRAY_TASK_ID (Slurm arrays); writes OUT/shard-I-of-N.json for 'estate merge'.");
  add_sets(sweep);
  sweep->add_flag("--quiet", o.quiet, "Print nothing but integrity failures.");

  auto* merge = app.add_subcommand("merge", "Combine the shards of a sweep (from 'estate sweep --shard', on any machines) into the sweep's outputs, histograms merged exactly: the same bytes as the sweep run whole.");
  merge->add_option("shards", o.inputs, "Shard files, or folders holding them.")->required();
  merge->add_option("--out", o.out_dir, "Output folder (default: out/<scenario name>-sweep).");
  merge->add_flag("--quiet", o.quiet, "Print nothing but integrity failures.");

  auto* headroom = app.add_subcommand("headroom", "Search for the largest demand multiplier (or, for a resource, its smallest value) at which every threshold holds, by bisection on each seed; say which threshold breaks first and what the bottleneck is.");
  headroom->add_option("scenario", o.inputs, "Scenario file (with thresholds, or --threshold).")->required()->expected(1);
  headroom->add_option("--vary", o.vary, "What to search: demand.scale (the default; from 1, doubling or halving to bracket), a channel's rate, or a resource with its range, PATH=LOW..HIGH (erp.quota.rate=100/min..2000/min).")
      ->expected(1);
  headroom->add_option("--seeds", o.capacity_seeds, "Seeds, each searched on its own; the answer's 95% interval is over them.")->capture_default_str();
  headroom->add_option("--seed", o.seed, "First seed (default: the scenario's).");
  headroom->add_option("--tolerance", o.tolerance, "Stop when the passing and failing values are this close (relative; a range in whole numbers stops at 1 apart at the least).")->capture_default_str();
  headroom->add_option("--jobs", o.jobs, "Seeds searched in parallel (default: one per core).");
  headroom->add_option("--out", o.out_dir, "Output folder for headroom.json and headroom.md (default: out/<scenario name>-headroom).");
  add_sets(headroom);
  headroom->add_flag("--quiet", o.quiet, "Print nothing.");

  auto* schema = app.add_subcommand("schema", "Print the JSON Schema of scenario files (scenarios/schema.json is this output).");

  std::string shell = "bash";
  auto* completion = app.add_subcommand("completion", "Print a shell completion script for these commands and options (the package installs it): source <(estate completion bash).");
  completion->add_option("shell", shell, "The shell: bash.")->capture_default_str();
  auto* man = app.add_subcommand("man", "Print the manual page (roff), made from these commands and options (the package installs it): estate man | man -l -");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      if (e.get_name() == "CallForVersion") out << "estate " << estate_version_line() << "\n";
      else app.exit(e, out, err);
      return kExitOk;
    }
    err << "estate: " << e.what() << "\nRun 'estate --help' for usage.\n";
    return kExitInput;
  }

  try {
    if (*schema) {
      out << scenario_schema().dump(2) << "\n";
      return kExitOk;
    }
    if (*completion) {
      out << completion_script(app, shell);
      return kExitOk;
    }
    if (*man) {
      out << man_page(app);
      return kExitOk;
    }
    if (*run) return cmd_run(o, out, err);
    if (*validate) return cmd_validate(o, out);
    if (*gate) return cmd_gate(o, out, err);
    if (*baseline) return cmd_baseline(o, out);
    if (*compare) return cmd_compare(o, out);
    if (*live) return cmd_live(o, out, err);
    if (*serve) return cmd_serve(o, out);
    if (*drive) return cmd_drive(o, out);
    if (*sweep || *headroom) o.seeds = o.capacity_seeds;
    if (*sweep) return cmd_sweep(o, out, err);
    if (*merge) return cmd_merge(o, out, err);
    if (*headroom) return cmd_headroom(o, out);
  } catch (const InputError& e) {
    err << "estate: " << e.what() << "\n";
    return kExitInput;
  }
  return kExitInput;
}

}  // namespace estate::harness

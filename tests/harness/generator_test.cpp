// Generated scenarios (tests/harness/scenario_generator.h), a bounded number of seeds per test
// run: each one is validated and run through the real command line, in process (estate
// validate, estate run), and must not crash or hang; validate and run must agree; integrity
// must hold where the documentation says it must; the report must be internally consistent;
// and a second run of the same seed must write byte-identical outputs. A failure prints the
// seed and writes the scenario to generator-failures/ (under the working directory).
//
// Seeds: ESTATE_GENERATOR_SEEDS="FIRST..LAST" (a soak: README, "Generated scenarios"); by
// default 1..ESTATE_GENERATOR_DEFAULT_SEEDS, fewer under the sanitizers (tests/CMakeLists.txt).
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <unistd.h>

#include "harness/cli.h"
#include "scenario_generator.h"

#ifndef ESTATE_GENERATOR_DEFAULT_SEEDS
#define ESTATE_GENERATOR_DEFAULT_SEEDS 100
#endif

namespace fs = std::filesystem;
using estate::harness::Json;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int cli(std::initializer_list<std::string> args, std::string* err = nullptr) {
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, e;
  const int code = estate::harness::run_cli(static_cast<int>(argv.size()), argv.data(), out, e);
  if (err) *err = e.str();
  return code;
}

// Collects what is wrong with one report.
class Judge {
 public:
  std::vector<std::string> faults;
  void check(bool ok, const std::string& what) {
    if (!ok) faults.push_back(what);
  }
  static double num(const Json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }
  // Reported numbers are rounded to 6 significant digits.
  static bool near(double a, double b) { return std::abs(a - b) <= 1e-5 * std::max({1.0, std::abs(a), std::abs(b)}); }
  void fraction(const Json& j, const std::string& what) {
    const double v = num(j);
    check(v >= 0 && v <= 1, what + " = " + j.dump() + " is not within [0, 1]");
  }

  void latency(const Json& report) {
    const Json& flows = report["latency"];
    for (const auto& [flow, f] : flows.items()) {
      percentiles(f, "latency." + flow);
      // Every sample of a flow is some channel's, except inventory_to_channel (per channel view).
      if (flow == "inventory_to_channel") continue;
      double by_channel = 0;
      for (const auto& [c, fc] : f["by_channel"].items()) {
        percentiles(fc, "latency." + flow + ".by_channel." + c);
        by_channel += num(fc["count"]);
      }
      check(by_channel == num(f["count"]), "latency." + flow + ": by_channel counts sum to " + std::to_string(by_channel) + ", not " + f["count"].dump());
      if (!f.contains("by_location")) continue;
      double by_location = 0;
      for (const auto& [l, fl] : f["by_location"].items()) by_location += num(fl["count"]);
      check(by_location <= num(f["count"]), "latency." + flow + ": by_location counts exceed the flow's");
    }
  }
  void percentiles(const Json& f, const std::string& at) {
    if (num(f["count"]) == 0) return;
    const char* order[] = {"p50_s", "p90_s", "p95_s", "p99_s", "p999_s", "max_s"};
    for (int i = 0; i < 6; ++i) check(num(f[order[i]]) >= 0, at + "." + order[i] + " is negative or missing");
    for (int i = 0; i + 1 < 6; ++i)
      check(num(f[order[i]]) <= num(f[order[i + 1]]), at + ": " + order[i] + " " + f[order[i]].dump() + " above " + order[i + 1] + " " + f[order[i + 1]].dump());
    check(num(f["mean_s"]) <= num(f["max_s"]) * (1 + 1e-5), at + ": mean above max");
  }

  void oversell(const Json& o) {
    fraction(o["rate"], "oversell.rate");
    fraction(o["order_rate"], "oversell.order_rate");
    const double acc = num(o["accepted_units"]), over = num(o["oversold_units"]);
    check(over <= acc, "oversell: oversold units above accepted units");
    check(near(num(o["rate"]), acc > 0 ? over / acc : 0), "oversell.rate is not oversold / accepted units");
    check(num(o["oversold_orders"]) <= num(o["accepted_orders"]), "oversell: oversold orders above accepted orders");
    sums(o["by_channel"], acc, over, "oversell.by_channel", true);
    sums(o["by_sku_class"], acc, over, "oversell.by_sku_class", true);
    sums(o["by_location"], acc, over, "oversell.by_location", false);
  }
  // Breakdowns of oversell: every accepted line has a channel and a SKU class (the sums are
  // the totals); by location covers lines a location took or that were cancelled unallocated.
  void sums(const Json& parts, double acc, double over, const std::string& at, bool exact) {
    double a = 0, o = 0;
    for (const auto& [k, p] : parts.items()) {
      a += num(p["accepted_units"]);
      o += num(p["oversold_units"]);
      fraction(p["rate"], at + "." + k + ".rate");
    }
    if (exact) check(a == acc && o == over, at + ": units sum to " + std::to_string(a) + "/" + std::to_string(o) + ", not the totals");
    else check(a <= acc && o == over, at + ": units do not add up to the totals (" + std::to_string(a) + "/" + std::to_string(o) + ")");
  }

  void reconciliation(const Json& r) {
    for (const char* k : {"record_mismatch_rate", "peak_record_mismatch_rate"}) fraction(r[k], std::string("reconciliation.") + k);
    for (const char* k : {"peak_variance", "settled_variance", "peak_channel_view_variance", "settled_channel_view_variance"})
      check(num(r[k]) >= 0, std::string("reconciliation.") + k + " is negative");
    check((num(r["settled_variance"]) == 0) == (num(r["record_mismatch_rate"]) == 0),
          "reconciliation: settled_variance " + r["settled_variance"].dump() + " but record_mismatch_rate " + r["record_mismatch_rate"].dump());
    check(num(r["settled_variance"]) == 0 || !r["findings"].empty(), "reconciliation: a settled variance without findings");
    for (const auto& p : r["series"]) check(num(p["variance"]) <= num(r["peak_variance"]), "reconciliation: a checkpoint above the peak");
  }

  void integrity(const Json& i) {
    double lost = 0, doubled = 0, dead_now = 0;
    for (const auto& [k, v] : i["lost_orders_by_stage"].items()) lost += num(v);
    for (const auto& [k, v] : i["duplicate_effects_by_kind"].items()) doubled += num(v);
    for (const auto& [k, v] : i["dead_letters_at_end_by_flow"].items()) {
      check(num(v) >= 0, "integrity.dead_letters_at_end_by_flow." + k + " is negative");
      dead_now += num(v);
    }
    check(lost == num(i["lost_orders"]), "integrity.lost_orders is not the sum of lost_orders_by_stage");
    check(doubled == num(i["duplicate_effects"]), "integrity.duplicate_effects is not the sum of its kinds");
    check(dead_now == num(i["dead_letter_events"]) - num(i["redrives"]), "integrity: dead letters at the end are not dead-lettered less redriven");
    fraction(i["duplicate_order_rate"], "integrity.duplicate_order_rate");
  }

  void calls(const Json& retries) {
    double total = 0;
    for (const auto& [system, reasons] : retries["by_system"].items())
      for (const auto& [reason, n] : reasons.items()) total += num(n);
    check(total == num(retries["total"]), "retries.total is not the sum of by_system");
    for (const char* k : {"erp_requests", "erp_429", "retries"}) {
      double sum = 0;
      for (const auto& [flow, c] : retries["erp_calls"]["by_flow"].items()) sum += num(c[k]);
      check(sum == num(retries["erp_calls"][k]), std::string("retries.erp_calls.") + k + " is not the sum of by_flow");
    }
    check(num(retries["erp_calls"]["retries"]) == num(retries["total"]), "retries.erp_calls.retries differs from retries.total");
  }

  void stages(const Json& stages) {
    for (const auto& [name, st] : stages.items()) {
      check(num(st["utilization"]) <= 1 + 1e-5 && num(st["utilization"]) >= 0, "stages." + name + ".utilization " + st["utilization"].dump());
      // Stations start empty: no period from the start sees more leave than arrive.
      check(num(st["departures"]) <= num(st["arrivals"]), "stages." + name + ": more departures than arrivals");
    }
  }

  void verdict(const Json& report, int code) {
    const Json& v = report["verdict"];
    check(num(v["exit_code"]) == code, "verdict.exit_code " + v["exit_code"].dump() + " but estate run exited " + std::to_string(code));
    const bool limit = !report["run"]["limit_hit"].is_null();
    const Json& i = report["integrity"];
    const bool integrity_ok = num(i["lost_orders"]) == 0 && num(i["duplicate_effects"]) == 0 && i["conservation_ok"] == true && !limit;
    check(v["integrity_ok"] == integrity_ok, "verdict.integrity_ok disagrees with lost, doubled, conserved and limits");
    check(code == (integrity_ok ? (num(v["thresholds_failed"]) > 0 ? 1 : 0) : 3), "exit code " + std::to_string(code) + " does not follow from the verdict");
    check((code == 0) == v["reasons"].empty(), "verdict.reasons empty on failure, or given on success");
  }

  // Integrity the documentation promises: stock is conserved whatever happens; with
  // idempotency keys kept for the whole run nothing is applied twice; with nothing lost by
  // design (events replayed, batches never missing, 100 delivery attempts), a drained run
  // loses no order past the channel (a channel whose attempts all fail, as during a long
  // ingest outage, loses the order itself, as documented).
  void promises(const Json& report, const estate::test::ScenarioGenerator& g) {
    const Json& run = report["run"];
    if (!run["limit_hit"].is_null()) return;
    const Json& i = report["integrity"];
    check(i["conservation_ok"] == true, "stock is not conserved");
    if (g.idempotent_for_the_run()) check(num(i["duplicate_effects"]) == 0, "side effects doubled with idempotency keys kept for the whole run");
    // A channel gives up on an order after its last delivery attempt (README, back-pressure):
    // those orders are lost at the channel, and only those.
    const double never_delivered = num(i["lost_orders_by_stage"]["never_delivered"]);
    check(never_delivered <= num(i["deliveries_failed"]), "orders never delivered without a delivery given up on");
    if (g.nothing_lost_by_design() && run["drained"] == true)
      check(num(i["lost_orders"]) == never_delivered, "orders lost past the channel in a drained run that loses nothing by design");
  }
};

std::pair<std::uint64_t, std::uint64_t> seed_range() {
  std::uint64_t first = 1, last = ESTATE_GENERATOR_DEFAULT_SEEDS;
  if (const char* env = std::getenv("ESTATE_GENERATOR_SEEDS")) {
    const std::string s = env;
    const auto dots = s.find("..");
    first = std::stoull(s.substr(0, dots));
    last = dots == std::string::npos ? first : std::stoull(s.substr(dots + 2));
  }
  return {first, last};
}

// What the seeds did, for the summary line.
struct Tally {
  std::uint64_t refused = 0, exit[4] = {0, 0, 0, 0}, limit_hit = 0, drained = 0, judged_lost = 0;
  std::map<std::string, std::uint64_t> limits;  // which limit stopped runs
};

// Runs one seed; returns what is wrong ("" when nothing).
std::string check_seed(std::uint64_t seed, const fs::path& dir, Tally& tally) {
  estate::test::ScenarioGenerator g(seed);
  const Json doc = g.generate();
  fs::create_directories(dir);
  const fs::path file = dir / "scenario.json";
  std::ofstream(file) << doc.dump(2) << "\n";
  std::string err;
  const int validated = cli({"estate", "validate", file.string()}, &err);
  const int ran = cli({"estate", "run", file.string(), "--out", (dir / "a").string(), "--quiet"});
  if (validated != 0 && validated != 2) return "estate validate exited " + std::to_string(validated);
  if (validated == 2) {
    ++tally.refused;
    if (std::getenv("ESTATE_GENERATOR_VERBOSE")) std::cerr << "generator: seed " << seed << " refused: " << err;
    return ran == 2 ? "" : "estate validate refused it (" + err + ") but estate run exited " + std::to_string(ran);
  }
  if (ran != 0 && ran != 1 && ran != 3) return "estate validate accepted it but estate run exited " + std::to_string(ran);
  const Json report = Json::parse(read_file(dir / "a" / "report.json"));
  ++tally.exit[static_cast<std::size_t>(ran)];
  tally.limit_hit += report["run"]["limit_hit"].is_null() ? 0u : 1u;
  if (!report["run"]["limit_hit"].is_null()) ++tally.limits[report["run"]["limit_hit"].get<std::string>()];
  tally.drained += report["run"]["drained"] == true ? 1u : 0u;
  tally.judged_lost += g.nothing_lost_by_design() && report["run"]["drained"] == true && report["run"]["limit_hit"].is_null() ? 1u : 0u;
  Judge j;
  j.latency(report);
  j.oversell(report["oversell"]);
  j.reconciliation(report["reconciliation"]);
  j.integrity(report["integrity"]);
  j.calls(report["retries"]);
  j.stages(report["stages"]);
  j.verdict(report, ran);
  j.promises(report, g);
  const int again = cli({"estate", "run", file.string(), "--out", (dir / "b").string(), "--quiet"});
  j.check(again == ran, "a second run exited " + std::to_string(again) + ", the first " + std::to_string(ran));
  for (const char* out : {"report.json", "summary.md", "junit.xml", "report.html"})
    j.check(read_file(dir / "a" / out) == read_file(dir / "b" / out), std::string(out) + " differs between two runs of one seed");
  std::string faults;
  for (const auto& f : j.faults) faults += "\n  - " + f;
  return faults;
}

}  // namespace

TEST_CASE("generated scenarios: no crash or hang, validate and run agree, integrity where promised, consistent and reproducible reports") {
  const auto [first, last] = seed_range();
  const fs::path root = fs::temp_directory_path() / ("estate-generator-" + std::to_string(::getpid()));
  std::uint64_t failed = 0;
  Tally tally;
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    const fs::path dir = root / std::to_string(seed);
    const std::string fault = check_seed(seed, dir, tally);
    if (fault.empty()) {
      fs::remove_all(dir);
      continue;
    }
    ++failed;
    fs::create_directories("generator-failures");
    const fs::path kept = fs::absolute(fs::path("generator-failures") / ("seed-" + std::to_string(seed) + ".json"));
    fs::copy_file(dir / "scenario.json", kept, fs::copy_options::overwrite_existing);
    std::cerr << "generator: seed " << seed << " failed (scenario: " << kept.string() << ", outputs: " << dir.string() << "):" << fault << "\n";
  }
  std::cerr << "generator: seeds " << first << ".." << last << ": " << tally.refused << " refused by validate (and run); run: "
            << tally.exit[0] << " exit 0, " << tally.exit[1] << " exit 1, " << tally.exit[3] << " exit 3 (" << tally.limit_hit
            << " stopped by a limit:";
  for (const auto& [limit, n] : tally.limits) std::cerr << " " << limit << " " << n;
  std::cerr << "), " << tally.drained << " drained, " << tally.judged_lost << " judged on lost orders; " << failed
            << " failed\n";
  if (failed == 0) fs::remove_all(root);
  CHECK(failed == 0);
}

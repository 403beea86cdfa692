#include "harness/sweep.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "harness/build_info.h"
#include "harness/capacity.h"
#include "harness/gate.h"
#include "harness/metrics.h"
#include "harness/outputs.h"
#include "harness/replicate.h"
#include "harness/thresholds.h"
#include "harness/units.h"
#include "reports/capacity.h"

namespace estate::harness {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxValuesPerAxis = 1000;
constexpr std::size_t kMaxPoints = 10000;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

int decimals(const std::string& number_text) {
  const auto dot = number_text.find('.');
  if (dot == std::string::npos) return 0;
  std::size_t end = dot + 1;
  while (end < number_text.size() && std::isdigit(static_cast<unsigned char>(number_text[end]))) ++end;
  return static_cast<int>(end - dot - 1);
}

// A value in base units: a plain number, a rate (per second) or a duration (seconds).
double base_number(const std::string& value) {
  if (const auto n = split_number(value); n && n->second.empty()) return n->first;
  if (const auto r = parse_rate_per_s(value)) return *r;
  if (const auto d = parse_duration(value)) return sim::to_seconds(*d);
  return std::numeric_limits<double>::quiet_NaN();
}

bool is_load_path(const std::string& path) {
  if (path == "demand.scale" || path == "/demand/scale") return true;
  const bool dotted = path.rfind("channels.", 0) == 0 && path.size() > 14 && path.compare(path.size() - 5, 5, ".rate") == 0;
  const bool pointer = path.rfind("/channels/", 0) == 0 && path.size() > 15 && path.compare(path.size() - 5, 5, "/rate") == 0;
  return dotted || pointer;
}

}  // namespace

std::optional<std::pair<double, std::string>> split_number(const std::string& text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  const std::size_t digits = i;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == digits) return std::nullopt;
  double v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + i, v);
  if (ec != std::errc() || p != text.data() + i || !std::isfinite(v)) return std::nullopt;
  return std::make_pair(v, text.substr(i));
}

Scenario scenario_with(const Json& document, const std::string& file, const std::vector<std::string>& sets,
                       const std::vector<std::string>& thresholds, const std::vector<std::string>& changes,
                       const std::string& change_flag) {
  Scenario sc = scenario_from_document(document, file, sets, changes, change_flag);
  for (const auto& t : thresholds) sc.thresholds.push_back(parse_threshold_flag(t));
  check_thresholds(sc);
  return sc;
}

Axis parse_vary(const std::string& text) {
  const auto eq = text.find('=');
  auto fail = [&](const std::string& why) { throw InputError("--vary", "", text + ": " + why); };
  if (eq == std::string::npos || eq == 0) fail("expected PATH=VALUES, like demand.scale=1,2,3 or erp.quota.rate=300/min..1200/min step 150/min");
  Axis ax;
  ax.path = trim(text.substr(0, eq));
  const std::string values = trim(text.substr(eq + 1));
  if (values.empty()) fail("expected values after '=', got none");
  if (const auto dots = values.find(".."); dots != std::string::npos) {
    const auto step_at = values.find(" step ");
    if (step_at == std::string::npos || step_at < dots) fail("expected a step: FROM..TO step STEP, in one quoted argument, like --vary 'demand.scale=1..8 step 1'");
    const std::string from = trim(values.substr(0, dots)), to = trim(values.substr(dots + 2, step_at - dots - 2)),
                      step = trim(values.substr(step_at + 6));
    const auto a = split_number(from), b = split_number(to), s = split_number(step);
    if (!a || !b || !s) fail("expected numbers with one unit in FROM..TO step STEP, got \"" + values + "\"");
    if (a->second != b->second || a->second != s->second)
      fail("expected the same unit on FROM, TO and STEP, got \"" + a->second + "\", \"" + b->second + "\" and \"" + s->second + "\"");
    if (!(s->first > 0)) fail("expected a step above 0, got " + step);
    if (b->first < a->first) fail("the range is empty: " + to + " is below " + from);
    const double k = (b->first - a->first) / s->first;
    const double n = std::round(k);
    if (std::abs(k - n) > 1e-9 * std::max(1.0, k)) {
      const double last = a->first + std::floor(k) * s->first;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.*f", std::max(decimals(from), decimals(step)), last);
      fail("the step does not land on " + to + " (it stops at " + buf + s->second + "); choose a step that divides the range");
    }
    if (n + 1 > kMaxValuesPerAxis) fail("expected at most " + std::to_string(kMaxValuesPerAxis) + " values, got " + std::to_string(static_cast<long long>(n) + 1));
    const int places = std::max(decimals(from), decimals(step));
    for (long long i = 0; i <= static_cast<long long>(n); ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.*f", places, a->first + static_cast<double>(i) * s->first);
      ax.values.push_back(std::string(buf) + a->second);
    }
  } else {
    std::size_t start = 0;
    for (;;) {
      const auto comma = values.find(',', start);
      const std::string v = trim(values.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (v.empty()) fail("expected a value between commas, got an empty one");
      ax.values.push_back(v);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (ax.values.size() > kMaxValuesPerAxis) fail("expected at most " + std::to_string(kMaxValuesPerAxis) + " values");
  }
  std::set<std::string> seen;
  for (const auto& v : ax.values) {
    if (!seen.insert(v).second) fail("the value " + v + " is listed twice");
    ax.numbers.push_back(base_number(v));
  }
  const bool numeric = std::all_of(ax.numbers.begin(), ax.numbers.end(), [](double v) { return std::isfinite(v); });
  ax.role = !numeric ? "setting" : is_load_path(ax.path) ? "load" : "resource";
  return ax;
}

std::size_t SweepSpec::points() const {
  std::size_t n = 1;
  for (const auto& a : axes) n *= a.values.size();
  return n;
}

std::vector<std::size_t> SweepSpec::coords(std::size_t point) const {
  std::vector<std::size_t> c(axes.size());
  for (std::size_t a = axes.size(); a-- > 0;) {
    c[a] = point % axes[a].values.size();
    point /= axes[a].values.size();
  }
  return c;
}

std::vector<std::string> SweepSpec::assignments(std::size_t point) const {
  const auto c = coords(point);
  std::vector<std::string> out;
  for (std::size_t a = 0; a < axes.size(); ++a) out.push_back(axes[a].path + "=" + axes[a].values[c[a]]);
  return out;
}

std::string SweepSpec::point_id(std::size_t point) const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "p%03zu", point);
  return buf;
}

Scenario SweepSpec::scenario(std::size_t point) const {
  return scenario_with(document, file, sets, thresholds, assignments(point), "--vary");
}

Json SweepSpec::to_json() const {
  Json ax = Json::array();
  for (const auto& a : axes) ax.push_back({{"path", a.path}, {"values", a.values}});
  return {{"file", file}, {"document", document}, {"sets", sets}, {"thresholds", thresholds}, {"axes", ax}, {"seeds", seeds}};
}

std::string SweepSpec::id() const {
  Json j = to_json();
  j["estate_version"] = estate_version_line();
  return scenario_hash(j);
}

SweepSpec SweepSpec::from_json(const Json& j, const std::string& where) {
  auto need = [&](const char* key, bool ok) {
    if (!j.contains(key) || !ok) throw InputError(where, std::string("/sweep/") + key, "expected the sweep's " + std::string(key) + " as 'estate sweep' writes it");
  };
  need("file", j.contains("file") && j["file"].is_string());
  need("document", j.contains("document") && j["document"].is_object());
  need("sets", j.contains("sets") && j["sets"].is_array());
  need("thresholds", j.contains("thresholds") && j["thresholds"].is_array());
  need("axes", j.contains("axes") && j["axes"].is_array() && !j["axes"].empty());
  need("seeds", j.contains("seeds") && j["seeds"].is_array() && !j["seeds"].empty());
  SweepSpec s;
  try {
    s.file = j["file"].get<std::string>();
    s.document = j["document"];
    s.sets = j["sets"].get<std::vector<std::string>>();
    s.thresholds = j["thresholds"].get<std::vector<std::string>>();
    s.seeds = j["seeds"].get<std::vector<std::uint64_t>>();
    for (const auto& a : j["axes"]) {
      std::string values;
      for (const auto& v : a.at("values")) values += (values.empty() ? "" : ",") + v.get<std::string>();
      s.axes.push_back(parse_vary(a.at("path").get<std::string>() + "=" + values));
    }
  } catch (const nlohmann::json::exception&) {
    throw InputError(where, "/sweep", "expected the sweep as 'estate sweep' writes it (file, document, sets, thresholds, axes, seeds)");
  }
  return s;
}

Shard parse_shard(const std::string& text) {
  auto fail = [&](const std::string& why) { throw InputError("--shard", "", text + ": " + why); };
  auto number = [&](const std::string& s, const char* what) {
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) fail(std::string("expected ") + what + " as a whole number, got \"" + s + "\"");
    return v;
  };
  Shard sh;
  const auto slash = text.find('/');
  if (slash != std::string::npos) {
    sh.index = number(text.substr(0, slash), "the shard index I (of I/N)");
    sh.count = number(text.substr(slash + 1), "the shard count N (of I/N)");
  } else {
    sh.count = number(text, "the shard count N");
    if (const char* k8s = std::getenv("JOB_COMPLETION_INDEX")) {
      sh.index = number(k8s, "$JOB_COMPLETION_INDEX");
    } else if (const char* slurm = std::getenv("SLURM_ARRAY_TASK_ID")) {
      const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
      const unsigned id = number(slurm, "$SLURM_ARRAY_TASK_ID"), lo = min ? number(min, "$SLURM_ARRAY_TASK_MIN") : 0;
      if (id < lo) fail("$SLURM_ARRAY_TASK_ID is below $SLURM_ARRAY_TASK_MIN");
      sh.index = id - lo;
    } else {
      fail("expected I/N, or N with $JOB_COMPLETION_INDEX (Kubernetes) or $SLURM_ARRAY_TASK_ID (Slurm) set; neither is");
    }
  }
  if (sh.count == 0) fail("expected at least 1 shard");
  if (sh.index >= sh.count)
    fail("the shard index is out of range: expected 0 to " + std::to_string(sh.count - 1) + ", got " + std::to_string(sh.index));
  return sh;
}

Json unit_json(const Unit& u) {
  Json hs = Json::array();
  for (const auto& [pointer, h] : u.run.histograms) {
    const auto parts = h.parts();
    Json buckets = Json::array();
    std::size_t prev = 0;
    for (const auto& [i, n] : parts.buckets) {  // indices as gaps from the previous: shorter
      buckets.push_back(i - prev);
      buckets.push_back(n);
      prev = i;
    }
    hs.push_back({{"pointer", pointer}, {"sum", parts.sum}, {"min", parts.min}, {"max", parts.max}, {"buckets", buckets}});
  }
  return {{"point", u.point}, {"seed", u.seed}, {"exit_code", u.run.exit_code}, {"events", u.run.events}, {"report", u.run.report}, {"histograms", hs}};
}

Unit unit_from_json(const Json& j, const std::string& where) {
  Unit u;
  try {
    u.point = j.at("point").get<std::size_t>();
    u.seed = j.at("seed").get<std::uint64_t>();
    u.run.exit_code = j.at("exit_code").get<int>();
    u.run.events = j.at("events").get<std::uint64_t>();
    u.run.report = j.at("report");
    for (const auto& h : j.at("histograms")) {
      sim::Histogram::Parts parts;
      parts.sum = h.at("sum").get<double>();
      parts.min = h.at("min").get<std::int64_t>();
      parts.max = h.at("max").get<std::int64_t>();
      const auto& b = h.at("buckets");
      if (b.size() % 2) throw std::invalid_argument("bucket list of odd length");
      std::size_t index = 0;
      for (std::size_t k = 0; k < b.size(); k += 2) {
        index += b[k].get<std::size_t>();
        parts.buckets.emplace_back(index, b[k + 1].get<std::uint64_t>());
      }
      u.run.histograms.emplace_back(h.at("pointer").get<std::string>(), sim::Histogram::from_parts(parts));
    }
  } catch (const std::exception& e) {
    throw InputError(where, "/units", std::string("expected units as 'estate sweep --shard' writes them (") + e.what() + ")");
  }
  return u;
}

std::vector<WrittenUnit> run_units(const SweepSpec& spec, const std::vector<Scenario>& scenarios, Shard shard, unsigned jobs,
                            const std::function<void(std::size_t, std::size_t)>& progress) {
  std::vector<std::pair<std::size_t, std::uint64_t>> work;
  const std::size_t seeds = spec.seeds.size();
  for (std::size_t k = 0; k < spec.points() * seeds; ++k)
    if (k % shard.count == shard.index) work.emplace_back(k / seeds, spec.seeds[k % seeds]);
  std::vector<WrittenUnit> out(work.size());
  if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());
  jobs = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(work.size())));
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex m;
  auto worker = [&] {
    for (std::size_t k = next++; k < work.size(); k = next++) {
      RunOptions o;
      o.seed = work[k].second;
      o.keep_histograms = true;
      Unit u{work[k].first, work[k].second, run_scenario(scenarios[work[k].first], o)};
      u.run.wall_s = 0;
      // Every unit is kept in its written form, so a sweep pools what a merge would read.
      out[k] = {u.point, u.seed, unit_json(u).dump()};
      const std::size_t d = ++done;
      if (progress) {
        std::lock_guard lock(m);
        progress(d, work.size());
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return out;
}

std::string shard_text(const SweepSpec& spec, Shard shard, const std::vector<WrittenUnit>& units) {
  const Json head = {{"estate_shard", 1},
                     {"estate_version", estate_version_line()},
                     {"sweep_id", spec.id()},
                     {"shard", {{"index", shard.index}, {"count", shard.count}}},
                     {"sweep", spec.to_json()}};
  std::string out = head.dump();
  out.pop_back();  // the closing brace: the units follow as they were written
  out += ",\"units\":[";
  for (std::size_t i = 0; i < units.size(); ++i) out += (i ? "," : "") + units[i].json;
  return out + "]}";
}

std::pair<SweepSpec, std::vector<WrittenUnit>> read_shards(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(in, ec))
        if (e.path().filename().string().rfind("shard-", 0) == 0 && e.path().extension() == ".json") found.push_back(e.path().string());
      std::sort(found.begin(), found.end());
      if (found.empty()) throw InputError(in, "", "expected shard files (shard-*.json, from 'estate sweep --shard') in this folder, found none");
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(in, ec)) {
      files.push_back(in);
    } else {
      throw InputError(in, "", "no such file or folder");
    }
  }
  std::optional<SweepSpec> spec;
  std::string id, first;
  unsigned count = 0;
  std::set<unsigned> indices;
  std::vector<WrittenUnit> units;
  for (const auto& f : files) {
    const Json j = read_json_file(f);
    if (!j.is_object() || j.value("estate_shard", 0) != 1 || !j.contains("sweep") || !j.contains("units") || !j.contains("shard"))
      throw InputError(f, "", "expected a shard written by 'estate sweep --shard' (estate_shard 1, sweep, shard, units)");
    if (j.value("estate_version", std::string()) != estate_version_line())
      throw InputError(f, "/estate_version", "expected shards of this estate (" + estate_version_line() + "), got one written by estate " +
                                                 j.value("estate_version", std::string("?")) + "; run every shard with one version");
    const std::string this_id = j.value("sweep_id", std::string());
    if (!spec) {
      spec = SweepSpec::from_json(j["sweep"], f);
      id = spec->id();
      first = f;
      if (this_id != id) throw InputError(f, "/sweep_id", "expected the id of the sweep it holds (" + id + "), got " + this_id + ": the file was edited");
      count = j["shard"].value("count", 0u);
    } else if (this_id != id) {
      throw InputError(f, "/sweep_id", "expected shards of one sweep: this is of sweep " + this_id + ", " + first + " of sweep " + id +
                                           " (another scenario, --vary, --set, --threshold or seeds)");
    }
    const unsigned index = j["shard"].value("index", 0u), n = j["shard"].value("count", 0u);
    if (n != count) throw InputError(f, "/shard/count", "expected " + std::to_string(count) + " shards like " + first + ", got " + std::to_string(n));
    if (!indices.insert(index).second) throw InputError(f, "/shard/index", "shard " + std::to_string(index) + " is given twice");
    if (!j["units"].is_array()) throw InputError(f, "/units", "expected an array of units");
    for (const auto& u : j["units"]) {
      if (!u.is_object() || !u.contains("point") || !u["point"].is_number_unsigned() || !u.contains("seed") || !u["seed"].is_number_unsigned())
        throw InputError(f, "/units", "expected units as 'estate sweep --shard' writes them (each with point and seed)");
      units.push_back({u["point"].get<std::size_t>(), u["seed"].get<std::uint64_t>(), u.dump()});
    }
  }
  std::string missing;
  for (unsigned i = 0; i < count; ++i)
    if (!indices.count(i)) missing += (missing.empty() ? "" : ", ") + std::to_string(i) + "/" + std::to_string(count);
  if (!missing.empty()) throw InputError(inputs.front(), "", "expected every shard of the sweep; missing " + missing);
  // Every unit exactly once, and only units of the sweep.
  std::set<std::pair<std::size_t, std::uint64_t>> seen;
  const std::set<std::uint64_t> seeds(spec->seeds.begin(), spec->seeds.end());
  for (const auto& u : units) {
    if (u.point >= spec->points() || !seeds.count(u.seed))
      throw InputError(first, "/units", "a unit (point " + std::to_string(u.point) + ", seed " + std::to_string(u.seed) + ") is not of the sweep");
    if (!seen.insert({u.point, u.seed}).second)
      throw InputError(first, "/units", "point " + std::to_string(u.point) + ", seed " + std::to_string(u.seed) + " is in two shards");
  }
  if (seen.size() != spec->points() * spec->seeds.size())
    throw InputError(first, "/units", "expected " + std::to_string(spec->points() * spec->seeds.size()) + " units, got " + std::to_string(seen.size()));
  return {std::move(*spec), std::move(units)};
}

namespace {

// Orders recorded in the ERP during the demand period, per second of it.
double throughput(const Json& report, double duration_s) {
  const double interval = report["run"].value("series_interval_s", 60.0);
  double done = 0;
  for (const auto& p : report["latency"]["order_to_erp"]["series"])
    if (p.value("t_s", 0.0) + interval <= duration_s + 1e-9) done += p.value("count", 0.0);
  return done / duration_s;
}

// The worse of two exit codes: integrity (3) over thresholds (1) over ok.
int worst_exit(int a, int b) {
  auto rank = [](int c) { return c == kExitIntegrity ? 2 : c == kExitOk ? 0 : 1; };
  return rank(a) >= rank(b) ? a : b;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

// What sweep.json says of one point: its values, verdict, load, latency and resources.
Json point_summary(const SweepSpec& spec, std::size_t point, const Json& pooled, const std::vector<const Json*>& seeds) {
  const auto coords = spec.coords(point);
  Json values = Json::object(), numbers = Json::object();
  for (std::size_t a = 0; a < spec.axes.size(); ++a) {
    values[spec.axes[a].path] = spec.axes[a].values[coords[a]];
    const double n = spec.axes[a].numbers[coords[a]];
    numbers[spec.axes[a].path] = std::isfinite(n) ? Json(n) : Json(nullptr);
  }
  const double duration = pooled["scenario"]["duration_s"].get<double>();
  std::vector<double> demand, offered, done;
  for (const Json* r : seeds) {
    demand.push_back((*r)["run"].value("customers", 0.0) / duration);
    offered.push_back((*r)["run"].value("orders_placed", 0.0) / duration);
    done.push_back(throughput(*r, duration));
  }
  Json latency = Json::object();
  for (const auto& [flow, l] : pooled["latency"].items())
    latency[flow] = {{"count", l["count"]}, {"p50_s", l["p50_s"]}, {"p90_s", l["p90_s"]}, {"p99_s", l["p99_s"]}};
  // Each resource's use: utilisation over the demand period pooled, the peak interval's
  // utilisation the mean of the seeds' peaks (where and when as in the first seed).
  Json resources = Json::object();
  std::vector<Json> uses;
  for (const Json* r : seeds) uses.push_back(resource_use(*r));
  const Json pooled_use = resource_use(pooled);
  for (const auto& [name, first] : uses.front().items()) {
    std::vector<double> peaks;
    for (const auto& u : uses) peaks.push_back(u.contains(name) ? u[name].value("peak_utilization", 0.0) : 0.0);
    Json r = first;
    r["utilization"] = pooled_use.contains(name) ? pooled_use[name]["utilization"] : first["utilization"];
    r["peak_utilization"] = round6(mean_of(peaks));
    resources[name] = r;
  }
  Json thresholds = Json::array();
  if (pooled.contains("thresholds"))
    for (const auto& t : pooled["thresholds"])
      thresholds.push_back({{"metric", t["metric"]}, {"value", t.contains("value") ? t["value"] : Json(nullptr)}, {"verdict", t["verdict"]}});
  const Json& v = pooled["verdict"];
  return {{"id", spec.point_id(point)},
          {"coords", coords},
          {"values", values},
          {"numbers", numbers},
          {"report", "points/" + spec.point_id(point) + "/report.html"},
          {"passed", v["exit_code"].get<int>() == kExitOk},
          {"exit_code", v["exit_code"]},
          {"integrity_ok", v["integrity_ok"]},
          {"failed", v["reasons"]},
          {"customers_per_s", round6(mean_of(demand))},
          {"offered_per_s", round6(mean_of(offered))},
          {"throughput_per_s", round6(mean_of(done))},
          {"latency", latency},
          {"oversell_rate", pooled["oversell"]["rate"]},
          {"resources", resources},
          {"busiest", busiest_resource(resources)},
          {"thresholds", thresholds}};
}

}  // namespace

SweepResult assemble_sweep(const SweepSpec& spec, const std::vector<Scenario>& scenarios, std::vector<WrittenUnit> units) {
  std::sort(units.begin(), units.end(),
            [](const WrittenUnit& a, const WrittenUnit& b) { return std::tie(a.point, a.seed) < std::tie(b.point, b.seed); });
  SweepResult out;
  Json points = Json::array();
  std::size_t k = 0;
  for (std::size_t p = 0; p < spec.points(); ++p) {
    std::vector<RunResult> runs;
    std::vector<Json> seed_reports;
    for (; k < units.size() && units[k].point == p; ++k) {
      Unit u = unit_from_json(Json::parse(units[k].json), "unit");
      std::string().swap(units[k].json);  // pooled: the text is no longer needed
      seed_reports.push_back(u.run.report);
      runs.push_back(std::move(u.run));
    }
    RunResult pooled = pool_runs(scenarios[p], std::move(runs), RunOptions{});
    std::vector<const Json*> seeds;
    for (const auto& r : seed_reports) seeds.push_back(&r);
    points.push_back(point_summary(spec, p, pooled.report, seeds));
    out.exit_code = worst_exit(out.exit_code, pooled.exit_code);
    out.reports.push_back(std::move(pooled.report));
  }
  Json axes = Json::array();
  for (const auto& a : spec.axes) {
    Json numbers = Json::array();
    for (double n : a.numbers) numbers.push_back(std::isfinite(n) ? Json(n) : Json(nullptr));
    axes.push_back({{"path", a.path}, {"values", a.values}, {"numbers", numbers}, {"role", a.role}});
  }
  Json thresholds = Json::array();
  for (const auto& t : scenarios.front().thresholds)
    thresholds.push_back({{"text", t.metric + " " + t.limit_text}, {"metric", t.metric}, {"pointer", t.pointer}, {"limit", t.limit}});
  out.sweep = {{"estate_sweep", 1},
               {"estate_version", estate_version_line()},
               {"sweep_id", spec.id()},
               {"scenario", {{"name", scenarios.front().name}, {"file", spec.file}, {"sets", spec.sets}}},
               {"seeds", spec.seeds},
               {"axes", axes},
               {"thresholds", thresholds},
               {"analysis", analyse_sweep(axes, points)},
               {"points", points}};
  return out;
}

void write_sweep(const fs::path& dir, const SweepSpec& spec, const SweepResult& result) {
  for (std::size_t p = 0; p < result.reports.size(); ++p) write_run_outputs(dir / "points" / spec.point_id(p), result.reports[p]);
  write_file(dir / "sweep.json", result.sweep.dump(2) + "\n");
  write_file(dir / "capacity.md", reports::capacity_markdown(result.sweep));
  write_file(dir / "capacity.html", reports::capacity_html(result.sweep));
}

}  // namespace estate::harness

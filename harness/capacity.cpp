#include "harness/capacity.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <string>

#include "harness/metrics.h"
#include "reports/summary.h"

namespace estate::harness {

std::optional<std::size_t> kneedle(const std::vector<double>& x, const std::vector<double>& y, double sensitivity) {
  const std::size_t n = x.size();
  if (n < 3 || y.size() != n) return std::nullopt;
  for (std::size_t i = 1; i < n; ++i)
    if (!(x[i] > x[i - 1])) return std::nullopt;
  const auto [ylo, yhi] = std::minmax_element(y.begin(), y.end());
  const double xs = x.back() - x.front(), ys = *yhi - *ylo;
  if (ys <= 0) return std::nullopt;
  std::optional<std::size_t> best;
  double best_d = sensitivity;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = (x[i] - x.front()) / xs - (y[i] - *ylo) / ys;
    if (d > best_d) {
      best_d = d;
      best = i;
    }
  }
  return best;
}

double usl_throughput(const UslFit& f, double n) {
  return f.lambda * n / (1 + f.sigma * (n - 1) + f.kappa * n * (n - 1));
}

namespace {

// Least squares with the columns in `use` (others held at 0): returns the coefficients.
std::optional<std::array<double, 3>> least_squares(const std::vector<std::array<double, 3>>& rows, const std::vector<double>& rhs,
                                                   std::array<bool, 3> use) {
  std::vector<int> cols;
  for (int c = 0; c < 3; ++c)
    if (use[static_cast<std::size_t>(c)]) cols.push_back(c);
  const std::size_t k = cols.size();
  std::vector<std::vector<double>> a(k, std::vector<double>(k + 1, 0.0));
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t i = 0; i < k; ++i) {
      for (std::size_t j = 0; j < k; ++j) a[i][j] += rows[r][static_cast<std::size_t>(cols[i])] * rows[r][static_cast<std::size_t>(cols[j])];
      a[i][k] += rows[r][static_cast<std::size_t>(cols[i])] * rhs[r];
    }
  // Gaussian elimination with partial pivoting.
  for (std::size_t c = 0; c < k; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < k; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    if (std::abs(a[p][c]) < 1e-300) return std::nullopt;
    std::swap(a[p], a[c]);
    for (std::size_t r = 0; r < k; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (std::size_t j = c; j <= k; ++j) a[r][j] -= f * a[c][j];
    }
  }
  std::array<double, 3> out{0, 0, 0};
  for (std::size_t i = 0; i < k; ++i) out[static_cast<std::size_t>(cols[i])] = a[i][k] / a[i][i];
  return out;
}

}  // namespace

std::optional<UslFit> fit_usl(const std::vector<double>& n, const std::vector<double>& x) {
  if (n.size() != x.size()) return std::nullopt;
  std::vector<double> distinct = n;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (distinct.size() < 3) return std::nullopt;
  std::vector<std::array<double, 3>> rows;
  std::vector<double> rhs;
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (!(x[i] > 0) || !(n[i] > 0)) return std::nullopt;
    rows.push_back({1.0, n[i] - 1, n[i] * (n[i] - 1)});
    rhs.push_back(n[i] / x[i]);
  }
  UslFit fit;
  std::optional<std::array<double, 3>> c = least_squares(rows, rhs, {true, true, true});
  if (c && ((*c)[1] < 0 || (*c)[2] < 0)) {
    // Not physical: hold kappa at 0 (Amdahl's law), then sigma, then both.
    fit.model = "amdahl";
    c = least_squares(rows, rhs, {true, true, false});
    if (c && (*c)[1] < 0) {
      c = least_squares(rows, rhs, {true, false, true});
      fit.model = "usl";
      if (c && (*c)[2] < 0) {
        c = least_squares(rows, rhs, {true, false, false});
        fit.model = "amdahl";
      }
    }
  }
  if (!c || !((*c)[0] > 0)) return std::nullopt;
  fit.lambda = 1 / (*c)[0];
  fit.sigma = std::max(0.0, (*c)[1] * fit.lambda);
  fit.kappa = std::max(0.0, (*c)[2] * fit.lambda);
  double mean = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  double ss_res = 0, ss_tot = 0;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const double e = x[i] - usl_throughput(fit, n[i]);
    ss_res += e * e;
    ss_tot += (x[i] - mean) * (x[i] - mean);
  }
  fit.rmse = std::sqrt(ss_res / static_cast<double>(n.size()));
  fit.r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : (ss_res == 0 ? 1.0 : 0.0);
  if (fit.kappa > 0 && fit.sigma < 1) {
    fit.peak_n = std::sqrt((1 - fit.sigma) / fit.kappa);
    fit.peak_x = usl_throughput(fit, *fit.peak_n);
  } else {
    fit.peak_x = usl_throughput(fit, distinct.back());
  }
  return fit;
}

namespace {

// The mean of a series' per-interval "utilization" over the intervals that lie in [from, to]
// (those that overlap it, when none lies inside); none when no interval overlaps.
std::optional<double> mean_use(const Json& series, double from, double to, double interval) {
  double inside = 0, overlap = 0;
  std::size_t n_inside = 0, n_overlap = 0;
  for (const auto& p : series) {
    const double t = p.value("t_s", 0.0), u = p.value("utilization", 0.0);
    if (t - interval >= from - 1e-9 && t <= to + 1e-9) {
      inside += u;
      ++n_inside;
    }
    if (t > from && t - interval < to) {
      overlap += u;
      ++n_overlap;
    }
  }
  if (n_inside) return inside / static_cast<double>(n_inside);
  if (n_overlap) return overlap / static_cast<double>(n_overlap);
  return std::nullopt;
}

double num(const Json& j, const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0; }

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", fraction * 100);
  return buf;
}

// The points of `points` that share every coordinate but `axis`, grouped, each group in the
// order of that axis' values.
std::vector<std::vector<std::size_t>> lines_along(const Json& points, std::size_t axis) {
  std::map<std::vector<std::size_t>, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < points.size(); ++i) {
    std::vector<std::size_t> key = points[i]["coords"].get<std::vector<std::size_t>>();
    key[axis] = 0;
    groups[key].push_back(i);
  }
  std::vector<std::vector<std::size_t>> out;
  for (auto& [key, members] : groups) {
    std::sort(members.begin(), members.end(), [&](std::size_t a, std::size_t b) {
      return points[a]["coords"][axis].get<std::size_t>() < points[b]["coords"][axis].get<std::size_t>();
    });
    out.push_back(std::move(members));
  }
  return out;
}

Json fixed_values(const Json& axes, const Json& point, std::size_t except) {
  Json out = Json::object();
  for (std::size_t a = 0; a < axes.size(); ++a)
    if (a != except) out[axes[a]["path"].get<std::string>()] = point["values"][axes[a]["path"].get<std::string>()];
  return out;
}

std::string describe_fixed(const Json& fixed) {
  std::string out;
  for (const auto& [k, v] : fixed.items()) out += (out.empty() ? "" : ", ") + k + "=" + v.get<std::string>();
  return out;
}

// The resource that saturates first along a line of points (lowest load at which its peak
// utilisation reaches kSaturation; ties: the higher utilisation there), or, when none does,
// the busiest at the line's end.
Json bottleneck(const Json& points, const std::vector<std::size_t>& line, const Json& axis) {
  const std::string path = axis["path"].get<std::string>();
  for (std::size_t i : line) {
    const Json& p = points[i];
    std::string best;
    double best_u = -1;
    for (const auto& [name, r] : p["resources"].items()) {
      const double u = num(r, "peak_utilization");
      if (u >= kSaturation && u > best_u) {
        best = name;
        best_u = u;
      }
    }
    if (!best.empty())
      return {{"resource", best},
              {"saturated", true},
              {"point", p["id"]},
              {"at", p["values"][path]},
              {"peak_utilization", best_u},
              {"window", p["resources"][best]["window"]}};
  }
  const Json& last = points[line.back()];
  std::string best;
  double best_u = -1;
  for (const auto& [name, r] : last["resources"].items())
    if (num(r, "peak_utilization") > best_u) {
      best = name;
      best_u = num(r, "peak_utilization");
    }
  if (best.empty()) return nullptr;
  return {{"resource", best},
          {"saturated", false},
          {"point", last["id"]},
          {"at", last["values"][path]},
          {"peak_utilization", best_u},
          {"window", last["resources"][best]["window"]}};
}

Json load_curve(const Json& axes, const Json& points, const std::vector<std::size_t>& line, std::size_t axis) {
  const Json& ax = axes[axis];
  const std::string path = ax["path"].get<std::string>();
  Json c = {{"axis", path}, {"fixed", fixed_values(axes, points[line.front()], axis)}};
  Json ids = Json::array();
  std::vector<double> load;
  for (std::size_t i : line) {
    ids.push_back(points[i]["id"]);
    load.push_back(points[i]["numbers"][path].get<double>());
  }
  c["points"] = ids;
  // Saturation: the first point whose throughput falls below kTracking of its offered load.
  c["saturation"] = nullptr;
  for (std::size_t i : line) {
    const double offered = num(points[i], "offered_per_s"), done = num(points[i], "throughput_per_s");
    if (offered > 0 && done < kTracking * offered) {
      c["saturation"] = {{"point", points[i]["id"]}, {"at", points[i]["values"][path]}, {"throughput_per_s", done}, {"offered_per_s", offered}};
      break;
    }
  }
  Json knees = Json::object();
  for (const auto& [flow, unused] : points[line.front()]["latency"].items()) {
    std::vector<double> p99;
    for (std::size_t i : line) p99.push_back(num(points[i]["latency"][flow], "p99_s"));
    const auto k = kneedle(load, p99);
    knees[flow] = k ? Json{{"point", points[line[*k]]["id"]}, {"at", points[line[*k]]["values"][path]}, {"p99_s", p99[*k]}} : Json(nullptr);
  }
  c["knees"] = knees;
  c["bottleneck"] = bottleneck(points, line, ax);
  // Holds up to: the last point of the line before the first that fails.
  c["holds_up_to"] = nullptr;
  c["first_failure"] = nullptr;
  for (std::size_t i : line) {
    if (!points[i]["passed"].get<bool>()) {
      c["first_failure"] = {{"point", points[i]["id"]}, {"at", points[i]["values"][path]}, {"reasons", points[i]["failed"]}};
      break;
    }
    c["holds_up_to"] = {{"point", points[i]["id"]}, {"at", points[i]["values"][path]}};
  }
  return c;
}

}  // namespace

Json resource_use(const Json& report) {
  const double duration = report["scenario"]["duration_s"].get<double>();
  const double interval = report["run"].value("series_interval_s", 60.0);
  Json out = Json::object();
  // The busiest of the demand period as a whole and each timeline window within it.
  auto add = [&](const std::string& name, const Json& utilization, const Json& series) {
    double peak = utilization.is_number() ? utilization.get<double>() : 0.0;
    Json window = nullptr;
    for (const auto& w : report["timeline"]) {
      if (!w.contains("key") || !w["key"].is_string() || w["key"].get<std::string>().empty()) continue;
      const double from = w.value("start_s", 0.0), to = std::min(w.value("end_s", 0.0), duration);
      if (!(to > from)) continue;
      const auto u = mean_use(series, from, to, interval);
      if (u && *u > peak) {
        peak = *u;
        window = w["key"];
      }
    }
    out[name] = {{"utilization", utilization}, {"peak_utilization", round6(peak)}, {"window", window}};
  };
  for (const auto& [name, st] : report["stages"].items())
    if (st.value("system", std::string()) != "3pl") add(name, st["utilization"], st["series"]);
  if (report.contains("quota") && report["quota"].value("applies", false)) add("erp.quota", report["quota"]["utilization"], report["quota"]["series"]);
  return out;
}

Json analyse_sweep(const Json& axes, const Json& points) {
  Json out = {{"method",
               {{"saturation", "a resource saturates when its utilisation, over the demand period or averaged over a timeline window within it, reaches " +
                                   percent(kSaturation) + "; the bottleneck is the first to saturate along the load axis"},
                {"tracking", "throughput tracks offered load while at least " + percent(kTracking) + " of it"},
                {"knee", "Kneedle (Satopaa et al. 2011) on each flow's p99 against load: the point farthest below the diagonal once both are scaled to [0, 1]"},
                {"usl", "X(N) = lambda N / (1 + sigma (N-1) + kappa N (N-1)), least squares on N/X"}}},
              {"load_axis", nullptr}};
  std::optional<std::size_t> load;
  for (std::size_t a = 0; a < axes.size(); ++a)
    if (axes[a]["role"] == "load") {
      load = a;
      break;
    }
  Json curves = Json::array();
  Json usl = Json::array();
  Json recommendations = Json::array();
  if (load) {
    out["load_axis"] = axes[*load]["path"];
    for (const auto& line : lines_along(points, *load)) curves.push_back(load_curve(axes, points, line, *load));
  }
  for (std::size_t a = 0; a < axes.size(); ++a) {
    if (axes[a]["role"] != "resource") continue;
    const std::string path = axes[a]["path"].get<std::string>();
    for (const auto& line : lines_along(points, a)) {
      std::vector<double> n, x;
      for (std::size_t i : line) {
        n.push_back(points[i]["numbers"][path].get<double>());
        x.push_back(num(points[i], "throughput_per_s"));
      }
      Json entry = {{"axis", path}, {"fixed", fixed_values(axes, points[line.front()], a)}};
      if (const auto fit = fit_usl(n, x)) {
        Json predicted = Json::array();
        for (double v : n) predicted.push_back(round6(usl_throughput(*fit, v)));
        entry.update({{"model", fit->model},
                      {"lambda", round6(fit->lambda)},
                      {"sigma", round6(fit->sigma)},
                      {"kappa", round6(fit->kappa)},
                      {"r2", round6(fit->r2)},
                      {"rmse_per_s", round6(fit->rmse)},
                      {"peak_at", fit->peak_n ? Json(round6(*fit->peak_n)) : Json(nullptr)},
                      {"peak_throughput_per_s", round6(fit->peak_x)},
                      {"predicted_per_s", predicted}});
      } else {
        entry["model"] = nullptr;
        entry["why"] = "fewer than three distinct values with throughput above 0";
      }
      usl.push_back(entry);
      // The smallest value of this resource that holds every threshold, above which all hold.
      std::optional<std::size_t> smallest;
      for (auto it = line.rbegin(); it != line.rend() && points[*it]["passed"].get<bool>(); ++it) smallest = *it;
      const Json fixed = fixed_values(axes, points[line.front()], a);
      const std::string where = fixed.empty() ? "" : " at " + describe_fixed(fixed);
      if (smallest)
        recommendations.push_back(path + " >= " + points[*smallest]["values"][path].get<std::string>() + where + " holds every threshold");
      else
        recommendations.push_back("no value of " + path + " tried holds every threshold" + where);
    }
  }
  if (load) {
    const std::string path = axes[*load]["path"].get<std::string>();
    for (const auto& c : curves) {
      if (axes.size() > 1 && !recommendations.empty()) break;  // the resource axes say it per load
      const std::string where = c["fixed"].empty() ? "" : " with " + describe_fixed(c["fixed"]);
      if (c["holds_up_to"].is_null())
        recommendations.push_back("no value of " + path + " tried holds every threshold" + where);
      else
        recommendations.push_back(path + " up to " + c["holds_up_to"]["at"].get<std::string>() + where + " holds every threshold");
    }
  }
  out["curves"] = curves;
  out["usl"] = usl;
  out["recommendations"] = recommendations;
  return out;
}

}  // namespace estate::harness

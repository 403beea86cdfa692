// The model tells the truth: where the estate reduces to a textbook queue, the latencies the
// report shows agree with queueing theory, within sampling error.
#include <catch2/catch.hpp>
#include <cmath>

#include "support.h"

using estate::test::Json;
using estate::test::run_doc;
using estate::test::textbook_estate;

namespace {

double erlang_c(int c, double lambda, double mu) {
  const double a = lambda / mu;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < c; ++k) {
    term *= a / k;
    sum += term;
  }
  const double last = term * a / c / (1.0 - a / c);
  return last / (sum + last);
}

// P(T > t) for the time in system of M/M/c FCFS: T = Wq + S.
double mmc_tail(int c, double lambda, double mu, double t) {
  const double pc = erlang_c(c, lambda, mu);
  const double a = c * mu - lambda;
  const double hypo = std::abs(a - mu) < 1e-12 ? (1 + mu * t) * std::exp(-mu * t)
                                               : (a * std::exp(-mu * t) - mu * std::exp(-a * t)) / (a - mu);
  return (1 - pc) * std::exp(-mu * t) + pc * hypo;
}

double mmc_quantile(int c, double lambda, double mu, double q) {
  double lo = 0, hi = 1000;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (mmc_tail(c, lambda, mu, mid) > 1 - q ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace

TEST_CASE("the ERP as an M/M/1 queue: order_to_erp mean and p99 match 1/(mu-lambda) and ln(100)/(mu-lambda)") {
  // lambda = 0.5/s, mu = 1/s: W = 2 s, and the sojourn time is exponential with rate 0.5,
  // so p99 = 9.21 s. 14 h gives ~25,000 orders; at rho = 0.5 the relaxation time is ~12 s,
  // so the standard error of the mean is about 2.5%: we allow 8% (3 standard errors).
  Json doc = textbook_estate();
  doc["duration"] = "14h";
  doc["drain"]["max"] = "10m";
  // Shipments would post to the ERP too; keep the warehouse from shipping within the run so
  // order creations are the ERP's only arrivals.
  doc["locations"]["wh"]["pick_time"] = "1000h";
  const auto r = run_doc(doc, 1).report;
  const auto& erp = r["latency"]["order_to_erp"];
  REQUIRE(erp["count"].get<int>() > 20000);
  CHECK(erp["mean_s"].get<double>() == Approx(2.0).epsilon(0.08));
  CHECK(erp["p99_s"].get<double>() == Approx(std::log(100.0) / 0.5).epsilon(0.10));
  // Little's law at the ERP station itself.
  const auto& little = r["stages"]["erp"]["little"];
  CHECK(little["L"].get<double>() == Approx(little["lambda_W"].get<double>()).epsilon(0.01));
}

TEST_CASE("the ERP as an M/M/3 queue: order_to_erp mean and p99 match Erlang C") {
  // c = 3, mu = 1/s, lambda = 2/s (rho = 2/3). Theory: W = C/(c mu - lambda) + 1/mu.
  Json doc = textbook_estate();
  doc["duration"] = "6h";
  doc["drain"]["max"] = "10m";
  doc["locations"]["wh"]["pick_time"] = "1000h";
  doc["channels"]["shop"]["rate"] = "2/s";
  doc["erp"]["concurrency"] = 3;
  const auto r = run_doc(doc, 2).report;
  const auto& erp = r["latency"]["order_to_erp"];
  const double w = erlang_c(3, 2.0, 1.0) / (3.0 - 2.0) + 1.0;
  CHECK(erp["mean_s"].get<double>() == Approx(w).epsilon(0.06));
  CHECK(erp["p99_s"].get<double>() == Approx(mmc_quantile(3, 2.0, 1.0, 0.99)).epsilon(0.10));
}

TEST_CASE("a batch feed every T adds T/2 mean staleness to inventory_to_channel") {
  // Shipments happen at Poisson times; the channel sees them at the next snapshot, so the
  // staleness is uniform on [0, T): mean T/2 = 300 s and p99 = 0.99 T for T = 10 min.
  Json doc = textbook_estate();
  doc["duration"] = "12h";
  doc["channels"]["shop"]["rate"] = "0.2/s";
  doc["channels"]["shop"]["feed"] = {{"mode", "batch"}, {"interval", "10m"}};
  doc["erp"]["concurrency"] = 100;
  const auto r = run_doc(doc, 3).report;
  const auto& stale = r["latency"]["inventory_to_channel"];
  REQUIRE(stale["count"].get<int>() > 8000);
  CHECK(stale["mean_s"].get<double>() == Approx(300.0).epsilon(0.04));
  CHECK(stale["p99_s"].get<double>() == Approx(594.0).epsilon(0.02));
  // An event feed reflects changes at once (zero latencies and service times here).
  doc["channels"]["shop"]["feed"] = {{"mode", "event"}};
  const auto e = run_doc(doc, 3).report;
  CHECK(e["latency"]["inventory_to_channel"]["max_s"].get<double>() < 0.001);
}

TEST_CASE("Little's law L = lambda W holds at every stage of a full estate run") {
  // After the drain every station is empty, so the time-average number in system equals
  // throughput times mean sojourn for each stage (up to the report's 6-digit rounding).
  const auto r = run_doc(Json{{"duration", "2h"}}, 4).report;
  REQUIRE(r["run"]["drained"].get<bool>());
  for (const auto& [name, stage] : r["stages"].items()) {
    INFO(name);
    CHECK(stage["in_system_at_end"].get<std::uint64_t>() == 0);
    CHECK(stage["little"]["applies"].get<bool>());
    const double L = stage["little"]["L"].get<double>();
    const double lw = stage["little"]["lambda_W"].get<double>();
    CHECK(L == Approx(lw).epsilon(1e-4).margin(1e-9));
  }
}

TEST_CASE("a stage that still holds jobs at the end is flagged: Little's law does not apply there") {
  // A one-minute drain leaves orders in the warehouses: their stations end with jobs that
  // count in L and in lambda but not in W, so lambda W is not L (off by a little, either
  // way) and the report must not offer the two as agreeing.
  const auto r = run_doc(Json{{"duration", "2h"}, {"drain", {{"max", "1m"}}}}, 4).report;
  REQUIRE_FALSE(r["run"]["drained"].get<bool>());
  std::size_t flagged = 0;
  for (const auto& [name, stage] : r["stages"].items()) {
    INFO(name);
    const auto left = stage["in_system_at_end"].get<std::uint64_t>();
    CHECK(stage["little"]["applies"].get<bool>() == (left == 0));
    if (left > 0) ++flagged;
  }
  CHECK(flagged > 0);
}

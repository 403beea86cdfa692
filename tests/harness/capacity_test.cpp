// Capacity planning against answers known in advance: the knee and USL arithmetic on curves
// made from known parameters, and a sweep and a headroom search of a single M/M/1 station
// (the textbook estate's ERP), whose saturation and capacity queueing theory gives.
#include <catch2/catch.hpp>
#include <cmath>

#include "harness/capacity.h"
#include "harness/headroom.h"
#include "harness/sweep.h"
#include "support.h"

using estate::harness::fit_usl;
using estate::harness::kneedle;
using estate::test::Json;

TEST_CASE("Kneedle finds the knee of a hockey stick and none on a straight line") {
  // M/M/1 time in system 1/(1 - rho) at rho = 0.1 .. 0.9: the bend is where it turns up.
  std::vector<double> x, y;
  for (int i = 1; i <= 9; ++i) {
    x.push_back(i / 10.0);
    y.push_back(1 / (1 - i / 10.0));
  }
  const auto k = kneedle(x, y);
  REQUIRE(k);
  CHECK(x[*k] == Approx(0.7).margin(0.1001));
  CHECK_FALSE(kneedle(x, x));                  // straight: no knee
  std::vector<double> falling(y.rbegin(), y.rend());
  CHECK_FALSE(kneedle(x, falling));            // falling: no knee
  CHECK_FALSE(kneedle({1, 2}, {1, 5}));        // too few points
  CHECK_FALSE(kneedle({1, 3, 2}, {1, 2, 3}));  // x not increasing
}

TEST_CASE("the Universal Scalability Law fit recovers sigma and kappa from data made with them") {
  const double lambda = 120, sigma = 0.04, kappa = 0.0015;
  std::vector<double> n, x;
  for (int i = 1; i <= 40; i += 3) {
    const double N = i;
    // +-0.5% of deterministic "noise", alternating.
    const double noise = (i % 2 ? 1.005 : 0.995);
    n.push_back(N);
    x.push_back(noise * lambda * N / (1 + sigma * (N - 1) + kappa * N * (N - 1)));
  }
  const auto fit = fit_usl(n, x);
  REQUIRE(fit);
  CHECK(std::string(fit->model) == "usl");
  CHECK(fit->lambda == Approx(lambda).epsilon(0.03));
  CHECK(fit->sigma == Approx(sigma).margin(0.006));
  CHECK(fit->kappa == Approx(kappa).margin(0.0002));
  REQUIRE(fit->peak_n);
  CHECK(*fit->peak_n == Approx(std::sqrt((1 - sigma) / kappa)).epsilon(0.08));
  CHECK(fit->r2 > 0.99);

  // Linear scaling (sigma = kappa = 0) is fitted as such, with no peak.
  std::vector<double> lin;
  for (double N : n) lin.push_back(10 * N);
  const auto flat = fit_usl(n, lin);
  REQUIRE(flat);
  CHECK(flat->sigma == Approx(0).margin(1e-9));
  CHECK(flat->kappa == Approx(0).margin(1e-9));
  CHECK_FALSE(flat->peak_n);
  CHECK_FALSE(fit_usl({1, 2}, {1, 2}));  // fewer than three distinct N
}

namespace {
// The textbook estate with the ERP as an M/M/1 queue at mu = 1/s. Each order posts to it
// twice, its creation and its shipment; picking takes an exponential five minutes on ample
// pickers (M/M/infinity), so shipments are a Poisson stream of their own (Burke) hardly
// tied to the orders', and the ERP sees Poisson arrivals at 2 x 0.5 orders/s x demand.scale:
// rho is demand.scale.
Json mm1() {
  Json doc = estate::test::textbook_estate();
  doc["duration"] = "3h";
  doc["drain"]["max"] = "6h";  // past rho = 1 the backlog drains after the demand
  doc["channels"]["shop"]["rate"] = "0.5/s";
  doc["locations"]["wh"]["pick_time"] = {{"exponential", {{"mean", "5m"}}}};
  // No timeouts: a post that waits long is not sent again (retries would add load: the
  // retry storm past saturation is real, but not this queue).
  doc["pipeline"]["erp_retry"] = {{"timeout", "1000h"}};
  return doc;
}
}  // namespace

TEST_CASE("a sweep of one M/M/1 station through rho = 0.5..1.3 finds it the bottleneck, and throughput tracking load until it saturates") {
  estate::harness::SweepSpec spec;
  spec.file = "mm1.json";
  spec.document = mm1();
  spec.axes.push_back(estate::harness::parse_vary("demand.scale=0.5,0.7,0.8,0.9,0.95,0.99,1.1,1.3"));
  spec.seeds = {1};
  std::vector<estate::harness::Scenario> scenarios;
  for (std::size_t p = 0; p < spec.points(); ++p) scenarios.push_back(spec.scenario(p));
  const auto result = estate::harness::assemble_sweep(spec, scenarios, estate::harness::run_units(spec, scenarios, {}, 0));
  const Json& sweep = result.sweep;
  const Json& curve = sweep["analysis"]["curves"][0];
  INFO(curve.dump(2));
  // Throughput tracks offered load (within sampling) while rho < 1 ...
  for (std::size_t i = 0; i < 6; ++i) {
    const Json& p = sweep["points"][i];
    CHECK(p["throughput_per_s"].get<double>() == Approx(p["offered_per_s"].get<double>()).epsilon(0.05));
  }
  // ... and past rho = 1 the ERP's 1 job/s is shared with shipments: orders get about half.
  for (std::size_t i = 6; i < 8; ++i) {
    CHECK(sweep["points"][i]["throughput_per_s"].get<double>() == Approx(0.5).epsilon(0.08));
    CHECK(sweep["points"][i]["integrity_ok"] == true);
  }
  REQUIRE(curve["saturation"].is_object());
  CHECK(curve["saturation"]["at"] == "1.1");
  // The ERP is the bottleneck, saturating (utilisation rho >= 0.9) at rho = 0.9 or 0.95.
  REQUIRE(curve["bottleneck"].is_object());
  CHECK(curve["bottleneck"]["resource"] == "erp");
  CHECK(curve["bottleneck"]["saturated"] == true);
  CHECK((curve["bottleneck"]["at"] == "0.9" || curve["bottleneck"]["at"] == "0.95"));
  // The utilisation of each point is rho, as theory says (busy fraction of one server).
  CHECK(sweep["points"][2]["resources"]["erp"]["utilization"].get<double>() == Approx(0.8).epsilon(0.04));
  // The p99 knee lies where the curve turns up, before saturation.
  REQUIRE(curve["knees"]["order_to_erp"].is_object());
  const double knee = std::stod(curve["knees"]["order_to_erp"]["at"].get<std::string>());
  CHECK(knee >= 0.9);
  CHECK(knee <= 1.1);
}

TEST_CASE("headroom of one M/M/1 station matches the analytic capacity within the search tolerance") {
  // mean time in system 1/(mu - lambda) < 4 s  <=>  lambda < 0.75/s of ERP requests, two per
  // order at 0.5 orders/s: demand.scale 0.75.
  estate::harness::HeadroomOptions o;
  o.file = "mm1.json";
  o.document = mm1();
  o.document["duration"] = "2h";
  o.thresholds = {"latency.order_to_erp.mean < 4s"};
  o.seeds = {1, 2, 3};
  o.tolerance = 0.02;
  const Json h = estate::harness::find_headroom(o);
  INFO(h.dump(2));
  REQUIRE(h["bracketed"] == true);
  // The search narrows to 2%; the sampling error of a mean at rho = 0.75 over two hours adds
  // about as much again.
  CHECK(h["value"].get<double>() == Approx(0.75).epsilon(0.05));
  CHECK(h["low"].get<double>() <= h["value"].get<double>());
  CHECK(h["first_to_break"] == "latency.order_to_erp.mean");
  CHECK(h["bottleneck"]["resource"] == "erp");
}

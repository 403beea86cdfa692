// Replications: Student's t, and a gate that calls a change a regression only when it is
// beyond both the budget and the noise of the seeds.
#include <catch2/catch.hpp>

#include "harness/replicate.h"
#include "harness/thresholds.h"

using estate::harness::Json;

namespace {
Json report_with(const std::vector<double>& per_seed) {
  double mean = 0;
  for (double v : per_seed) mean += v;
  mean /= static_cast<double>(per_seed.size());
  return {{"oversell", {{"rate", mean}}},
          {"replications",
           {{"n", per_seed.size()},
            {"seeds", {1, 2, 3}},
            {"intervals", {{"/oversell/rate", {{"low", mean}, {"high", mean}, {"per_seed", per_seed}}}}}}}};
}
Json baseline_with(const std::vector<double>& per_seed, Json seeds = {1, 2, 3}) {
  double mean = 0;
  for (double v : per_seed) mean += v;
  mean /= static_cast<double>(per_seed.size());
  return {{"metrics", {{"/oversell/rate", mean}}}, {"seeds", seeds}, {"per_seed", {{"/oversell/rate", per_seed}}}};
}
estate::harness::Threshold rate_below_half() {
  auto t = estate::harness::parse_threshold_flag("oversell.rate < 50%");
  t.pointer = "/oversell/rate";
  return t;
}
}  // namespace

TEST_CASE("t quantiles for 95% intervals") {
  CHECK(estate::harness::t975(1) == Approx(12.706));
  CHECK(estate::harness::t975(4) == Approx(2.776));
  CHECK(estate::harness::t975(1000) == Approx(1.96));
}

TEST_CASE("a change beyond the budget but within the paired seeds' noise is not a regression") {
  // +20% against a 10% budget; the seed-by-seed changes are -0.002, +0.006, +0.002: their 95%
  // interval (t = 4.303, sd 0.004) spans 0.
  const auto out = estate::harness::evaluate_thresholds({rate_below_half()}, report_with({0.010, 0.014, 0.012}),
                                                        &static_cast<const Json&>(baseline_with({0.012, 0.008, 0.010})), 0.10);
  REQUIRE(out.size() == 1);
  CHECK(out[0]["delta"].get<double>() == Approx(0.2));
  CHECK(out[0]["change"]["paired"].get<bool>());
  CHECK_FALSE(out[0]["change"]["beyond_noise"].get<bool>());
  CHECK(out[0]["verdict"] == "pass");
  CHECK_THAT(out[0]["message"].get<std::string>(), Catch::Contains("within the noise"));
}

TEST_CASE("the same change, consistent seed by seed, is a regression") {
  const Json base = baseline_with({0.0101, 0.0099, 0.0100});
  const auto out = estate::harness::evaluate_thresholds({rate_below_half()}, report_with({0.0121, 0.0119, 0.0120}), &base, 0.10);
  CHECK(out[0]["change"]["beyond_noise"].get<bool>());
  CHECK(out[0]["regression"].get<bool>());
  CHECK(out[0]["verdict"] == "fail");
  // ... and within the budget it is not, however real.
  const auto small = estate::harness::evaluate_thresholds({rate_below_half()}, report_with({0.0105, 0.0103, 0.0104}), &base, 0.10);
  CHECK(small[0]["verdict"] == "pass");
}

TEST_CASE("other seeds than the baseline's are compared unpaired") {
  const Json base = baseline_with({0.0101, 0.0099, 0.0100}, {7, 8, 9});
  const auto out = estate::harness::evaluate_thresholds({rate_below_half()}, report_with({0.0121, 0.0119, 0.0120}), &base, 0.10);
  CHECK_FALSE(out[0]["change"]["paired"].get<bool>());
  CHECK(out[0]["verdict"] == "fail");
}

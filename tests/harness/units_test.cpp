// Durations, rates and percentages parse the way architects write them, and nothing else does.
#include <catch2/catch.hpp>

#include "harness/units.h"
#include "reports/summary.h"

using namespace estate::harness;
using estate::sim::Tick;

TEST_CASE("durations: units, decimals and compounds: anything else is refused") {
  CHECK(parse_duration("250ms") == Tick{250'000});
  CHECK(parse_duration("90m") == estate::sim::minutes(90));
  CHECK(parse_duration("1.5s") == Tick{1'500'000});
  CHECK(parse_duration("1h30m") == estate::sim::minutes(90));
  CHECK(parse_duration("2d") == estate::sim::hours(48));
  CHECK(parse_duration("500us") == Tick{500});
  CHECK(parse_duration("0s") == Tick{0});
  CHECK(parse_duration("10 minutes") == estate::sim::minutes(10));
  for (const char* bad : {"soon", "", "5", "-5m", "5x", "m5", "1.m", ".5s", "5m extra", "1e3s"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
}

TEST_CASE("rates: count per unit of time") {
  CHECK(*parse_rate_per_s("120/min") == Approx(2.0));
  CHECK(*parse_rate_per_s("12/s") == Approx(12.0));
  CHECK(*parse_rate_per_s("3600 / h") == Approx(1.0));
  CHECK(*parse_rate_per_s("86400/day") == Approx(1.0));
  CHECK(*parse_rate_per_s("0/s") == 0.0);
  for (const char* bad : {"120", "-5/min", "5/ms", "5/fortnight", "/min", "5/min/s"}) {
    INFO(bad);
    CHECK_FALSE(parse_rate_per_s(bad).has_value());
  }
}

TEST_CASE("percentages and canonical formatting") {
  CHECK(*parse_percent("5%") == Approx(0.05));
  CHECK_FALSE(parse_percent("5").has_value());
  CHECK(format_duration(estate::sim::minutes(90)) == "1h30m");
  CHECK(format_duration(estate::sim::minutes(15)) == "15m");
  CHECK(format_duration(Tick{1'500'000}) == "1.5s");
  CHECK(format_duration(Tick{250'000}) == "250ms");
  CHECK(format_duration(estate::sim::hours(24)) == "1d");
  CHECK(format_duration(0) == "0s");
  CHECK(format_rate(10.0) == "10/s");
  CHECK(format_rate(0.5) == "30/min");
  CHECK(format_rate(1.0 / 3600) == "1/h");
  for (Tick t : {Tick{1}, Tick{999}, Tick{1'000'000}, estate::sim::minutes(7), estate::sim::hours(5) + 1}) {
    INFO(t);
    CHECK(parse_duration(format_duration(t)) == t);
  }
}

TEST_CASE("numbers people read never carry an exponent") {
  using estate::reports::format_metric;
  using estate::reports::plain_number;
  CHECK(plain_number(1462606) == "1462606");
  CHECK(plain_number(1e9) == "1000000000");
  CHECK(plain_number(2.5) == "2.5");
  CHECK(plain_number(0.1234567) == "0.123457");
  CHECK(plain_number(0.00001234) == "0.00001234");
  CHECK(plain_number(-0.0004) == "-0.0004");
  CHECK(plain_number(0) == "0");
  CHECK(plain_number(123.456, 3) == "123");
  CHECK(format_metric(1.5e-7, "fraction") == "0.000015%");
  CHECK(format_metric(2.5e7, "") == "25000000");
  CHECK(format_metric(0.0165, "fraction") == "1.65%");
}

// Order logs (harness/order_log.h): the documented format reads into the orders it describes,
// in CSV and JSON Lines; a recorded log reads back to the orders recorded; and every way a
// log can be malformed is refused naming the file, the line and the column, what was
// expected and what was found.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "harness/order_log.h"
#include "harness/reader.h"

using estate::harness::InputError;
using estate::harness::LogFormat;
using estate::harness::OrderLog;
using estate::harness::read_order_log;

namespace {

const estate::harness::LogRoster kRoster{{"storefront", "marketplace", "edi"}, 100};

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("estate_order_log_test_" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

OrderLog read_csv(const std::string& text) { return read_order_log(write_temp("t.csv", text), LogFormat::csv, kRoster); }
OrderLog read_jsonl(const std::string& text) { return read_order_log(write_temp("t.jsonl", text), LogFormat::jsonl, kRoster); }

// The message of the InputError reading `text` throws ("" if it reads).
std::string refusal(const std::string& text, LogFormat format = LogFormat::csv) {
  try {
    read_order_log(write_temp(format == LogFormat::csv ? "bad.csv" : "bad.jsonl", text), format, kRoster);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a CSV log reads into orders: columns in any order, consecutive lines of one order grouped") {
  const OrderLog log = read_csv(
      "sku, quantity ,time,channel,order\n"
      "3,1,0.5,storefront,A\n"
      "17,2,0.5,storefront,A\n"
      "\n"
      "0,1,1.25,marketplace,\n"
      "4,5,1.25,edi,\"B,1\"\n"
      "0,1,2.0000004,storefront,\n");
  REQUIRE(log.orders.size() == 4);
  CHECK(log.file_lines == 5);
  CHECK(log.orders[0].t == 500'000);
  CHECK(log.orders[0].line_count == 2);
  CHECK(log.orders[0].file_line == 2);
  CHECK(log.lines_of(log.orders[0])[1].sku == 17);
  CHECK(log.lines_of(log.orders[0])[1].qty == 2);
  CHECK(log.orders[1].channel == 1);  // no order value: a line is an order
  CHECK(log.orders[2].channel == 2);
  CHECK(log.lines_of(log.orders[2])[0].qty == 5);
  CHECK(log.orders[2].file_line == 6);  // the blank line counts
  CHECK(log.orders[3].t == 2'000'000);  // beyond the microsecond, rounded
  CHECK(log.hash.size() == 16);
}

TEST_CASE("ISO-8601 times count from midnight of the first line's date, in its offset") {
  const OrderLog log = read_csv(
      "time,channel,sku,quantity\n"
      "2026-11-27T08:00:00.250+01:00,storefront,1,1\n"
      "2026-11-27T07:30:00Z,storefront,2,1\n"
      "2026-11-28 00:00+0100,storefront,3,1\n");
  REQUIRE(log.orders.size() == 3);
  CHECK(log.orders[0].t == 8 * 3'600'000'000LL + 250'000);
  CHECK(log.orders[1].t == 8 * 3'600'000'000LL + 1'800'000'000LL);  // 07:30Z is 08:30 at +01:00
  CHECK(log.orders[2].t == 24 * 3'600'000'000LL);
}

TEST_CASE("JSON Lines carry the same fields") {
  const OrderLog log = read_jsonl(
      "{\"time\": 0.5, \"channel\": \"storefront\", \"sku\": 3, \"quantity\": 1, \"order\": 7}\n"
      "{\"time\": 0.5, \"channel\": \"storefront\", \"sku\": 4, \"quantity\": 2, \"order\": 7}\n"
      "\r\n"
      "{\"channel\": \"edi\", \"time\": 3600, \"sku\": 99, \"quantity\": 1000000, \"order\": null}\n");
  REQUIRE(log.orders.size() == 2);
  CHECK(log.orders[0].line_count == 2);
  CHECK(log.orders[1].t == 3'600'000'000LL);
  CHECK(log.lines_of(log.orders[1])[0].qty == 1'000'000);
}

TEST_CASE("a recorded log reads back to the orders recorded, in both formats") {
  estate::harness::OrderRecorder rec;
  const estate::model::OrderLine a[] = {{5, 1}, {6, 3}};
  const estate::model::OrderLine b[] = {{0, 2}};
  rec.add(1, b, 2'500'001);
  rec.add(0, a, 1'000'000);  // recorded out of time order: written in time order
  rec.add(2, b, 2'500'001);
  for (LogFormat f : {LogFormat::csv, LogFormat::jsonl}) {
    const std::string text = rec.render(f, kRoster.channels);
    const OrderLog log = f == LogFormat::csv ? read_csv(text) : read_jsonl(text);
    REQUIRE(log.orders.size() == 3);
    CHECK(log.orders[0].t == 1'000'000);
    CHECK(log.orders[0].line_count == 2);
    CHECK(log.lines_of(log.orders[0])[1].sku == 6);
    CHECK(log.lines_of(log.orders[0])[1].qty == 3);
    CHECK(log.orders[1].channel == 1);
    CHECK(log.orders[1].t == 2'500'001);
    CHECK(log.orders[2].channel == 2);
  }
  CHECK(rec.render(LogFormat::csv, kRoster.channels) ==
        "time,channel,sku,quantity,order\n1,storefront,5,1,1\n1,storefront,6,3,1\n2.500001,marketplace,0,2,2\n2.500001,edi,0,2,3\n");
}

TEST_CASE("a malformed CSV log is refused naming the line and the column") {
  const std::string head = "time,channel,sku,quantity,order\n";
  CHECK_THAT(refusal(head + "1,storefront,3,1,\n2,shop,3,1,\n"),
             Catch::Contains("bad.csv: line 3, column 2 (channel): expected a channel of the scenario (\"storefront\", \"marketplace\", \"edi\"), got \"shop\""));
  CHECK_THAT(refusal(head + "1,storefront,100,1,\n"),
             Catch::Contains("line 2, column 3 (sku): expected a SKU number (the catalogue's, 0 the most popular) from 0 to 99, got \"100\""));
  CHECK_THAT(refusal(head + "1,storefront,3,0,\n"), Catch::Contains("line 2, column 4 (quantity): expected a quantity from 1 to 1000000, got \"0\""));
  CHECK_THAT(refusal(head + "1,storefront,3,1.5,\n"), Catch::Contains("column 4 (quantity)"));
  CHECK_THAT(refusal(head + "5,storefront,3,1,\n4.5,storefront,3,1,\n"),
             Catch::Contains("line 3, column 1 (time): expected a time at or after line 2's (5 s into the log), got \"4.5\""));
  CHECK_THAT(refusal(head + "soon,storefront,3,1,\n"), Catch::Contains("line 2, column 1 (time): expected seconds from the log's start"));
  CHECK_THAT(refusal(head + "1,storefront,3,1,\n2026-11-27T08:00:00Z,storefront,3,1,\n"),
             Catch::Contains("line 3, column 1 (time): expected seconds like every time before it"));
  CHECK_THAT(refusal(head + "2026-13-27T08:00:00Z,storefront,3,1,\n"), Catch::Contains("line 2, column 1 (time)"));
  CHECK_THAT(refusal(head + "1,storefront,3,1,A\n1,storefront,4,1,B\n1,storefront,5,1,A\n"),
             Catch::Contains("line 4, column 5 (order): expected a new order: order \"A\" began at line 2"));
  CHECK_THAT(refusal(head + "1,storefront,3,1,A\n2,storefront,4,1,A\n"),
             Catch::Contains("line 3, column 1 (time): expected the time of the order's first line (line 2: 1 s)"));
  CHECK_THAT(refusal(head + "1,storefront,3,1,A\n1,edi,4,1,A\n"), Catch::Contains("line 3, column 2 (channel): expected the channel of the order's first line"));
  CHECK_THAT(refusal(head + "1,storefront,3,1,A\n1,storefront,3,2,A\n"), Catch::Contains("line 3, column 3 (sku): expected each SKU at most once per order"));
  CHECK_THAT(refusal(head + "1,storefront,,1,\n"), Catch::Contains("line 2, column 3 (sku): expected a value, found none"));
  // The column is the file's: the same mistake in a file with its columns in another order.
  CHECK_THAT(refusal("channel,quantity,sku,time\nstorefront,1,300,1\n"), Catch::Contains("line 2, column 3 (sku)"));
  // What the CSV parser itself finds, by line.
  CHECK_THAT(refusal(head + "1,storefront,3,1,\n1,storefront,3\n"), Catch::Contains("line 3: expected 5 fields, as the header has, found fewer"));
  CHECK_THAT(refusal(head + "1,storefront,3,1,,9\n"), Catch::Contains("line 2: expected 5 fields, as the header has, found more"));
  CHECK_THAT(refusal(head + "1,\"storefront,3,1,\n"), Catch::Contains("line 2: expected a closing quote"));
  CHECK_THAT(refusal("time,channel,sku,quantity,price\n"), Catch::Contains("line 1: unexpected column \"price\""));
  CHECK_THAT(refusal("time,channel,quantity\n"), Catch::Contains("line 1: expected a header naming the columns time, channel, sku, quantity and optionally order; \"sku\" is missing"));
  CHECK_THAT(refusal(""), Catch::Contains("line 1: expected a header line"));
  CHECK_THAT(refusal(head), Catch::Contains("line 2: expected at least one order line, found none"));
  // 17 lines in one order.
  std::string big = head;
  for (int s = 0; s < 17; ++s) big += "1,storefront," + std::to_string(s) + ",1,A\n";
  CHECK_THAT(refusal(big), Catch::Contains("line 18, column 5 (order): expected at most 16 lines in one order"));
}

TEST_CASE("a malformed JSON Lines log is refused naming the line and the column or key") {
  const auto j = LogFormat::jsonl;
  CHECK_THAT(refusal("{\"time\": 1, \"channel\": \"storefront\", \"sku\": 3, \"quantity\": 1}\n{\"time\": 2, \"channel\": }\n", j),
             Catch::Contains("bad.jsonl: line 2, column 24: not valid JSON (syntax error"));
  CHECK_THAT(refusal("{\"time\": 1, \"channel\": \"storefront\", \"sku\": \"3\", \"quantity\": 1}\n", j),
             Catch::Contains("line 1, /sku: expected a SKU number, got \"3\""));
  CHECK_THAT(refusal("{\"time\": 1, \"channel\": \"storefront\", \"sku\": 3, \"qty\": 1}\n", j),
             Catch::Contains("line 1, /qty: unknown key; expected one of time, channel, sku, quantity and optionally order"));
  CHECK_THAT(refusal("{\"time\": 1, \"channel\": \"storefront\", \"sku\": 3}\n", j), Catch::Contains("line 1, /quantity: missing"));
  CHECK_THAT(refusal("[1, 2]\n", j), Catch::Contains("line 1: expected an object"));
  CHECK_THAT(refusal("{\"time\": -1, \"channel\": \"storefront\", \"sku\": 3, \"quantity\": 1}\n", j),
             Catch::Contains("line 1, /time: expected seconds from the log's start"));
}

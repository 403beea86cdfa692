#include "sim/ring.h"

#include <catch2/catch.hpp>
#include <deque>
#include <string>

#include "sim/rng.h"

namespace estate::sim {
namespace {

TEST_CASE("ring is FIFO across growth", "[ring]") {
  // Proves elements come out in push order after the buffer has grown several times.
  Ring<int> r;
  CHECK(r.empty());
  for (int i = 0; i < 1000; ++i) r.push_back(i);
  CHECK(r.size() == 1000);
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(r[static_cast<std::size_t>(0)] == i);
    REQUIRE(r.front() == i);
    REQUIRE(r.pop_front() == i);
  }
  CHECK(r.empty());
}

TEST_CASE("ring is FIFO across wraparound and growth while wrapped", "[ring]") {
  // Proves order is kept when the head has wrapped around the buffer end and the buffer
  // then grows (the copy must unwrap the elements), and that operator[] indexes from the front.
  Ring<int> r;
  int next_in = 0, next_out = 0;
  for (int i = 0; i < 12; ++i) r.push_back(next_in++);  // buffer of 16
  for (int i = 0; i < 10; ++i) REQUIRE(r.pop_front() == next_out++);
  for (int i = 0; i < 14; ++i) r.push_back(next_in++);  // wraps: 16 held, head at 10
  CHECK(r.size() == 16);
  r.push_back(next_in++);  // grows while wrapped
  CHECK(r.size() == 17);
  for (std::size_t i = 0; i < r.size(); ++i) REQUIRE(r[i] == next_out + static_cast<int>(i));
  while (!r.empty()) REQUIRE(r.pop_front() == next_out++);
  CHECK(next_out == next_in);
}

TEST_CASE("ring matches a reference deque under random operations", "[ring]") {
  // Proves random interleavings of push_back/pop_front/clear behave like std::deque,
  // including for a type that owns memory (moved out on pop).
  Ring<std::string> r;
  std::deque<std::string> ref;
  Rng rng(1);
  std::size_t peak = 0;
  for (int step = 0; step < 100000; ++step) {
    const auto op = rng.below(100);
    if (op < 55 || (op < 99 && ref.empty())) {
      const std::string v = "value-" + std::to_string(step) + std::string(rng.below(40), 'x');
      r.push_back(v);
      ref.push_back(v);
    } else if (op < 99) {
      REQUIRE(r.front() == ref.front());
      REQUIRE(r.pop_front() == ref.front());
      ref.pop_front();
    } else {
      r.clear();
      ref.clear();
    }
    REQUIRE(r.size() == ref.size());
    REQUIRE(r.empty() == ref.empty());
    if (!ref.empty()) {
      const auto i = static_cast<std::size_t>(rng.below(ref.size()));
      REQUIRE(r[i] == ref[i]);
    }
    peak = std::max(peak, ref.size());
  }
  CHECK(peak > 64);  // growth happened
}

}  // namespace
}  // namespace estate::sim

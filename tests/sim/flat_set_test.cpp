#include "sim/flat_set.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "sim/rng.h"

namespace estate::sim {
namespace {

TEST_CASE("flat set insert and contains", "[flat_set]") {
  // Proves insert() is true only the first time, contains() sees exactly the inserted keys,
  // and size() counts distinct keys, including on an empty set and for extreme keys.
  FlatSet64 s;
  CHECK(s.size() == 0);
  CHECK_FALSE(s.contains(1));
  CHECK_FALSE(s.contains(~std::uint64_t{0}));
  CHECK(s.insert(42));
  CHECK_FALSE(s.insert(42));
  CHECK(s.contains(42));
  CHECK_FALSE(s.contains(43));
  CHECK(s.insert(1));
  CHECK(s.insert(~std::uint64_t{0}));
  CHECK(s.contains(~std::uint64_t{0}));
  CHECK(s.size() == 3);
  CHECK_FALSE(s.insert(1));
  CHECK(s.size() == 3);
}

TEST_CASE("flat set keeps every key through many growths", "[flat_set]") {
  // Proves that after 200k inserts (many doublings) of random, sequential and strided keys
  // (strides of 2^32 and 2^40 collide in low bits before mixing), membership matches a
  // reference std::unordered_set for inserted and absent keys alike.
  FlatSet64 s;
  std::unordered_set<std::uint64_t> ref;
  Rng rng(1);
  std::vector<std::uint64_t> keys;
  for (std::uint64_t i = 1; i <= 50000; ++i) keys.push_back(i);        // sequential
  for (std::uint64_t i = 1; i <= 50000; ++i) keys.push_back(i << 32);  // strided
  for (std::uint64_t i = 1; i <= 20000; ++i) keys.push_back(i << 40);  // strided more
  for (int i = 0; i < 80000; ++i) keys.push_back(rng.next() | 1);      // random
  for (int i = 0; i < 10000; ++i)
    keys.push_back(keys[static_cast<std::size_t>(rng.below(keys.size()))]);  // repeats
  for (const std::uint64_t k : keys) {
    const bool fresh = ref.insert(k).second;
    REQUIRE(s.insert(k) == fresh);
    REQUIRE(s.size() == ref.size());
  }
  for (const std::uint64_t k : keys) REQUIRE(s.contains(k));
  // Absent keys: neighbours of inserted ones and fresh random keys.
  int absent = 0;
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t k = (i % 2 == 0) ? (rng.next() & ~std::uint64_t{1}) | 2
                                         : (std::uint64_t{50001} + static_cast<std::uint64_t>(i));
    if (k == 0) continue;
    REQUIRE(s.contains(k) == (ref.count(k) == 1));
    absent += ref.count(k) == 0 ? 1 : 0;
  }
  CHECK(absent > 90000);
}

}  // namespace
}  // namespace estate::sim

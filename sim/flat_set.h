#pragma once
// An open-addressing set of non-zero 64-bit keys (idempotency keys, event ids): linear
// probing, power-of-two capacity, load at most 1/2. Lookups only; it is never iterated, so
// its order cannot leak into results.
#include <cstdint>
#include <vector>

#include "sim/assert.h"

namespace estate::sim {

class FlatSet64 {
 public:
  // Inserts key (non-zero); returns false when it was already there.
  bool insert(std::uint64_t key) {
    ESTATE_ASSERT(key != 0, "flat set: key 0 is reserved");
    if ((size_ + 1) * 2 > slots_.size()) grow();
    if (place(slots_, key)) {
      ++size_;
      return true;
    }
    return false;
  }
  bool contains(std::uint64_t key) const {
    if (slots_.empty()) return false;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = mix(key) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == key) return true;
      if (slots_[i] == 0) return false;
    }
  }
  std::size_t size() const { return size_; }

 private:
  static std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
  }
  static bool place(std::vector<std::uint64_t>& slots, std::uint64_t key) {
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = mix(key) & mask;; i = (i + 1) & mask) {
      if (slots[i] == key) return false;
      if (slots[i] == 0) {
        slots[i] = key;
        return true;
      }
    }
  }
  void grow() {
    std::vector<std::uint64_t> bigger(slots_.empty() ? 64 : slots_.size() * 2, 0);
    for (std::uint64_t k : slots_)
      if (k != 0) place(bigger, k);
    slots_.swap(bigger);
  }
  std::vector<std::uint64_t> slots_;
  std::size_t size_ = 0;
};

}  // namespace estate::sim

#pragma once
// The discrete-event queue: earliest time first, ties broken by insertion order (stable, so
// a run replays exactly), O(1) cancellation by handle.
//
// The heap holds 16-byte keys {time, seq<<24 | slot}; payloads stay put in a slot array, so
// sifting moves small keys, not messages. A cancelled event leaves its key in the heap and is
// skipped when it surfaces (its slot no longer carries its sequence number).
#include <cstdint>
#include <vector>

#include "sim/assert.h"
#include "sim/time.h"

namespace estate::sim {

using EventId = std::uint64_t;  // the key's low word: seq << 24 | slot; never 0
inline constexpr EventId kNoEvent = 0;

template <class Payload>
class EventQueue {
 public:
  static constexpr int kSlotBits = 24;
  static constexpr std::uint32_t kMaxSlots = (1u << kSlotBits) - 1;

  EventId push(Tick at, const Payload& payload) {
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      ESTATE_ASSERT(slots_.size() < kMaxSlots, "event queue: too many pending events");
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back({});
    }
    const std::uint64_t tag = (++seq_ << kSlotBits) | slot;
    slots_[slot].tag = tag;
    slots_[slot].payload = payload;
    heap_.push_back({at, tag});
    sift_up(heap_.size() - 1);
    ++live_;
    return tag;
  }

  // Returns true when the event was still pending.
  bool cancel(EventId id) {
    const std::uint32_t slot = static_cast<std::uint32_t>(id & kMaxSlots);
    if (id == kNoEvent || slot >= slots_.size() || slots_[slot].tag != id) return false;
    slots_[slot].tag = 0;
    free_.push_back(slot);
    --live_;
    return true;
  }

  bool empty() const { return live_ == 0; }
  std::size_t size() const { return live_; }
  std::uint64_t pushed() const { return seq_; }

  // Time of the next live event; kNever when empty.
  Tick next_time() {
    drop_stale();
    return heap_.empty() ? kNever : heap_.front().at;
  }

  // Removes the next live event; false when empty.
  bool pop(Tick& at, Payload& out) {
    drop_stale();
    if (heap_.empty()) return false;
    const Key top = heap_.front();
    remove_top();
    const auto slot = static_cast<std::uint32_t>(top.tag & kMaxSlots);
    out = slots_[slot].payload;
    slots_[slot].tag = 0;
    free_.push_back(slot);
    --live_;
    at = top.at;
    return true;
  }

 private:
  struct Key {
    Tick at;
    std::uint64_t tag;
  };
  struct Slot {
    std::uint64_t tag = 0;
    Payload payload{};
  };
  static bool before(const Key& a, const Key& b) {
    return a.at < b.at || (a.at == b.at && a.tag < b.tag);
  }

  void drop_stale() {
    while (!heap_.empty()) {
      const Key& top = heap_.front();
      if (slots_[top.tag & kMaxSlots].tag == top.tag) return;
      remove_top();
    }
  }

  void remove_top() {
    const Key last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0, last);
  }

  void sift_up(std::size_t i) {
    const Key k = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (!before(k, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = k;
  }

  // Places k in the hole at i, moving smaller children up.
  void sift_down(std::size_t i, const Key k) {
    const std::size_t n = heap_.size();
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t end = first + 4 < n ? first + 4 : n;
      for (std::size_t c = first + 1; c < end; ++c)
        if (before(heap_[c], heap_[best])) best = c;
      if (!before(heap_[best], k)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = k;
  }

  std::vector<Key> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint64_t seq_ = 0;
  std::size_t live_ = 0;
};

}  // namespace estate::sim

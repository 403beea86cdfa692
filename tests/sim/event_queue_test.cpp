#include "sim/event_queue.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <iterator>
#include <map>
#include <utility>
#include <vector>

#include "sim/rng.h"

namespace estate::sim {
namespace {

TEST_CASE("event queue pops events in time order", "[event_queue]") {
  // Proves that pop() returns events earliest-first whatever order they were pushed in.
  EventQueue<int> q;
  const std::vector<Tick> times = {50, 10, 40, 30, 20, 0, 60, 5};
  for (std::size_t i = 0; i < times.size(); ++i) q.push(times[i], static_cast<int>(times[i]));
  REQUIRE(q.size() == times.size());
  REQUIRE(q.pushed() == times.size());

  std::vector<Tick> got;
  Tick at = -1;
  int payload = -1;
  while (q.pop(at, payload)) {
    CHECK(payload == at);
    got.push_back(at);
  }
  CHECK(got == std::vector<Tick>{0, 5, 10, 20, 30, 40, 50, 60});
  CHECK(q.empty());
  CHECK_FALSE(q.pop(at, payload));
}

TEST_CASE("event queue breaks ties by insertion order", "[event_queue]") {
  // Proves that events at the same tick pop in the order they were pushed (stable), also
  // when they are interleaved with other times and pushed after earlier pops.
  EventQueue<int> q;
  for (int i = 0; i < 10; ++i) q.push(100, i);
  for (int i = 0; i < 5; ++i) q.push(50, 100 + i);
  for (int i = 10; i < 20; ++i) q.push(100, i);

  Tick at = 0;
  int p = 0;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(q.pop(at, p));
    CHECK(at == 50);
    CHECK(p == 100 + i);
  }
  // Pushed after pops, still behind the earlier pushes at the same time.
  q.push(100, 20);
  for (int i = 0; i <= 20; ++i) {
    REQUIRE(q.pop(at, p));
    CHECK(at == 100);
    CHECK(p == i);
  }
  CHECK(q.empty());
}

TEST_CASE("event queue cancel removes only pending events", "[event_queue]") {
  // Proves that cancel() removes a pending event (true) and reports false for an event
  // already cancelled, already popped, kNoEvent, or a handle the queue never issued.
  EventQueue<int> q;
  const EventId a = q.push(10, 1);
  const EventId b = q.push(20, 2);
  const EventId c = q.push(30, 3);
  CHECK(a != kNoEvent);
  CHECK(b != kNoEvent);
  CHECK(a != b);
  REQUIRE(q.size() == 3);

  CHECK(q.cancel(b));
  CHECK(q.size() == 2);
  CHECK_FALSE(q.cancel(b));  // already cancelled
  CHECK(q.size() == 2);

  Tick at = 0;
  int p = 0;
  REQUIRE(q.pop(at, p));
  CHECK(at == 10);
  CHECK(p == 1);
  CHECK_FALSE(q.cancel(a));  // already popped
  CHECK_FALSE(q.cancel(kNoEvent));
  CHECK_FALSE(q.cancel(c + (EventId{1} << 40)));      // never issued
  CHECK_FALSE(q.cancel((EventId{7} << 24) | 1000u));  // slot out of range

  REQUIRE(q.pop(at, p));  // the cancelled event at 20 is skipped
  CHECK(at == 30);
  CHECK(p == 3);
  CHECK_FALSE(q.pop(at, p));
  CHECK(q.empty());
}

TEST_CASE("event queue reuses slots without confusing stale handles", "[event_queue]") {
  // Proves that a slot freed by pop or cancel is reused, and that the old handle to it can
  // neither cancel the new occupant nor resurrect the old event.
  EventQueue<int> q;
  const EventId first = q.push(100, 1);
  REQUIRE(q.cancel(first));
  const EventId second = q.push(200, 2);  // takes the freed slot
  CHECK((second & EventQueue<int>::kMaxSlots) == (first & EventQueue<int>::kMaxSlots));
  CHECK(second != first);

  CHECK_FALSE(q.cancel(first));  // stale handle: must not cancel event 2
  CHECK(q.size() == 1);
  CHECK(q.next_time() == 200);  // the cancelled key at 100 is not reported

  Tick at = 0;
  int p = 0;
  REQUIRE(q.pop(at, p));
  CHECK(at == 200);
  CHECK(p == 2);

  // Slot freed by pop: reused again; the handle of the popped event stays dead.
  const EventId third = q.push(5, 3);
  CHECK((third & EventQueue<int>::kMaxSlots) == (second & EventQueue<int>::kMaxSlots));
  CHECK_FALSE(q.cancel(second));
  CHECK_FALSE(q.cancel(first));
  CHECK(q.size() == 1);
  CHECK(q.cancel(third));
  CHECK(q.empty());
  CHECK_FALSE(q.pop(at, p));
}

TEST_CASE("event queue next_time skips cancelled events", "[event_queue]") {
  // Proves that next_time() reports the earliest live event, kNever when none is live,
  // and that it does not consume the event.
  EventQueue<int> q;
  CHECK(q.next_time() == kNever);
  const EventId a = q.push(1, 1);
  const EventId b = q.push(2, 2);
  q.push(3, 3);
  CHECK(q.next_time() == 1);
  CHECK(q.next_time() == 1);
  CHECK(q.size() == 3);
  q.cancel(a);
  q.cancel(b);
  CHECK(q.next_time() == 3);
  CHECK(q.size() == 1);
  CHECK_FALSE(q.empty());
  Tick at = 0;
  int p = 0;
  REQUIRE(q.pop(at, p));
  CHECK(at == 3);
  CHECK(q.next_time() == kNever);
  CHECK(q.empty());
  CHECK(q.size() == 0);
}

TEST_CASE("event queue size and empty count live events", "[event_queue]") {
  // Proves that size() and empty() count pending events only, through pushes, cancels and pops.
  EventQueue<int> q;
  CHECK(q.empty());
  CHECK(q.size() == 0);
  std::vector<EventId> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(q.push(i, i));
  CHECK(q.size() == 100);
  for (std::size_t i = 0; i < ids.size(); i += 2) REQUIRE(q.cancel(ids[i]));
  CHECK(q.size() == 50);
  Tick at = 0;
  int p = 0;
  for (int i = 0; i < 50; ++i) {
    REQUIRE(q.pop(at, p));
    CHECK(p == 2 * i + 1);
    CHECK(q.size() == static_cast<std::size_t>(49 - i));
  }
  CHECK(q.empty());
  CHECK(q.pushed() == 100);
}

TEST_CASE("event queue matches a reference multimap under random operations", "[event_queue]") {
  // Proves that interleaved push/pop/cancel (including stale cancels and many ties) behave
  // exactly like an ordered multimap keyed by (time, insertion index).
  struct Payload {
    std::uint64_t index = 0;
    int value = 0;
  };
  EventQueue<Payload> q;
  using Key = std::pair<Tick, std::uint64_t>;
  std::map<Key, std::pair<int, EventId>> ref;  // pending events: value and handle
  std::map<EventId, Key> pending_ids;          // handle -> reference key
  std::vector<EventId> dead_ids;               // popped or cancelled handles
  Rng rng(2024);
  std::uint64_t index = 0;
  Tick now = 0;
  std::uint64_t pops = 0, cancels = 0, stale_cancels = 0;

  std::size_t peak = 0;
  for (int step = 0; step < 60000; ++step) {
    // Push-heavy first (the heap grows deep), then pop-heavy (it drains).
    const std::uint64_t pushes = step < 20000 ? 6 : 4;
    const std::uint64_t op = rng.below(10);
    if (op < pushes) {  // push, at or after the current time, with many ties
      const Tick at = now + static_cast<Tick>(rng.below(50));
      const int value = static_cast<int>(rng.below(1000000));
      const EventId id = q.push(at, {index, value});
      REQUIRE(id != kNoEvent);
      REQUIRE(pending_ids.count(id) == 0);
      ref.emplace(Key{at, index}, std::pair{value, id});
      pending_ids.emplace(id, Key{at, index});
      ++index;
    } else if (op < 8) {  // pop
      Tick at = 0;
      Payload out;
      const bool got = q.pop(at, out);
      REQUIRE(got == !ref.empty());
      if (got) {
        const auto it = ref.begin();
        REQUIRE(at == it->first.first);
        REQUIRE(out.index == it->first.second);
        REQUIRE(out.value == it->second.first);
        now = at;
        dead_ids.push_back(it->second.second);
        pending_ids.erase(it->second.second);
        ref.erase(it);
        ++pops;
      }
    } else if (op < 9 && !pending_ids.empty()) {  // cancel a pending event
      auto h = pending_ids.begin();
      std::advance(h, static_cast<long>(rng.below(pending_ids.size())));
      REQUIRE(q.cancel(h->first));
      ref.erase(h->second);
      dead_ids.push_back(h->first);
      pending_ids.erase(h);
      ++cancels;
    } else if (!dead_ids.empty()) {  // cancel a dead handle: must be refused
      const EventId id = dead_ids[static_cast<std::size_t>(rng.below(dead_ids.size()))];
      REQUIRE_FALSE(q.cancel(id));
      ++stale_cancels;
    }
    REQUIRE(q.size() == ref.size());
    REQUIRE(q.empty() == ref.empty());
    peak = std::max(peak, ref.size());
    if (step % 16 == 0) REQUIRE(q.next_time() == (ref.empty() ? kNever : ref.begin()->first.first));
  }
  // Drain.
  Tick at = 0;
  Payload out;
  while (!ref.empty()) {
    REQUIRE(q.pop(at, out));
    REQUIRE(at == ref.begin()->first.first);
    REQUIRE(out.index == ref.begin()->first.second);
    ref.erase(ref.begin());
  }
  CHECK_FALSE(q.pop(at, out));
  // The operation mix really exercised every path.
  CHECK(peak > 3000);
  CHECK(pops > 10000);
  CHECK(cancels > 3000);
  CHECK(stale_cancels > 3000);
}

}  // namespace
}  // namespace estate::sim

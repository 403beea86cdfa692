#pragma once
// A growable FIFO ring buffer: no per-element allocation, amortised O(1) push and pop.
#include <cstddef>
#include <utility>
#include <vector>

#include "sim/assert.h"

namespace estate::sim {

template <class T>
class Ring {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  void push_back(const T& value) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = value;
    ++size_;
  }
  T& front() {
    ESTATE_ASSERT(size_ > 0, "ring: front of empty");
    return buf_[head_];
  }
  T pop_front() {
    ESTATE_ASSERT(size_ > 0, "ring: pop of empty");
    T value = std::move(buf_[head_]);
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
    return value;
  }
  // i-th element from the front.
  const T& operator[](std::size_t i) const { return buf_[(head_ + i) & (buf_.size() - 1)]; }
  void clear() { head_ = size_ = 0; }

 private:
  void grow() {
    std::vector<T> bigger(buf_.empty() ? 16 : buf_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(buf_[(head_ + i) & (buf_.size() - 1)]);
    buf_ = std::move(bigger);
    head_ = 0;
  }
  std::vector<T> buf_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace estate::sim

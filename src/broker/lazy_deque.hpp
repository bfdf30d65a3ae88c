#pragma once
// A std::deque that allocates nothing until its first element. libstdc++'s deque allocates
// its map and a 512-byte block on construction, even when it stays empty; every session holds
// two (its queue and its in-flight window) and most idle sessions never use either
// (docs/benchmarks.md, "Memory per idle connection"). Once used, the deque is kept: freeing it
// whenever it empties would put an allocation on every QoS 1 round trip.
#include <cstddef>
#include <deque>
#include <memory>

namespace attestmq::broker {

template <class T>
class LazyDeque {
 public:
  using iterator = typename std::deque<T>::iterator;
  using const_iterator = typename std::deque<T>::const_iterator;

  bool empty() const { return !items_ || items_->empty(); }
  std::size_t size() const { return items_ ? items_->size() : 0; }
  T& front() { return items_->front(); }
  T& back() { return items_->back(); }
  // Value-initialised iterators compare equal, so an unused deque is an empty range.
  iterator begin() { return items_ ? items_->begin() : iterator(); }
  iterator end() { return items_ ? items_->end() : iterator(); }
  const_iterator begin() const { return items_ ? items_->cbegin() : const_iterator(); }
  const_iterator end() const { return items_ ? items_->cend() : const_iterator(); }

  void push_back(T value) {
    if (!items_) items_ = std::make_unique<std::deque<T>>();
    items_->push_back(std::move(value));
  }
  void pop_front() { items_->pop_front(); }
  iterator erase(iterator at) { return items_->erase(at); }

 private:
  std::unique_ptr<std::deque<T>> items_;
};

}  // namespace attestmq::broker

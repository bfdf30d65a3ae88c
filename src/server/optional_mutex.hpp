#pragma once
// A mutex that is a no-op when the server runs one reactor thread: the single-threaded
// configuration then pays nothing for the locking the multi-threaded one needs.
// Usable with std::lock_guard / std::unique_lock.
#include <mutex>

namespace attestmq::server {

class OptionalMutex {
 public:
  explicit OptionalMutex(bool enabled) : enabled_(enabled) {}
  OptionalMutex(const OptionalMutex&) = delete;
  OptionalMutex& operator=(const OptionalMutex&) = delete;

  void lock() {
    if (enabled_) mutex_.lock();
  }
  void unlock() {
    if (enabled_) mutex_.unlock();
  }

 private:
  const bool enabled_;
  std::mutex mutex_;
};

}  // namespace attestmq::server

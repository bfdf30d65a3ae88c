#pragma once
// The mutex of a cache that several threads may share in the native broker. The Wasm module
// runs one thread, and its libc++ has no std::mutex (WASI preview 1 has no threads), so there
// the lock does nothing; std::lock_guard works with either.
#include <mutex>

namespace attestmq::attest {

#if defined(__wasi__)
class CacheMutex {
 public:
  void lock() {}
  void unlock() {}
};
#else
using CacheMutex = std::mutex;
#endif

}  // namespace attestmq::attest

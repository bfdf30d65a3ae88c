#include "server/random_bytes.hpp"

#include <sys/random.h>

#include <cerrno>

namespace attestmq::server {

ssize_t system_random(std::span<std::uint8_t> out) {
  return ::getrandom(out.data(), out.size(), 0);
}

bool fill_random(std::span<std::uint8_t> out, const RandomSource& source, int& error) {
  std::size_t filled = 0;
  int interruptions = 0;
  while (filled < out.size()) {
    const ssize_t got = source(out.subspan(filled));
    if (got > 0) {
      filled += static_cast<std::size_t>(got);
      interruptions = 0;
      continue;
    }
    if (got < 0 && errno == EINTR && ++interruptions <= kMaxRandomInterruptions) continue;
    error = got < 0 ? errno : EIO;
    return false;
  }
  return true;
}

}  // namespace attestmq::server

#include "server/connection_rate.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace attestmq::server {
namespace {

constexpr std::uint64_t kMillitokensPerConnection = 1000;
// A bucket refills from empty in one second (per_second tokens at per_second a second), so
// an entry idle this long is full and can be forgotten.
constexpr std::uint64_t kRefillMs = 1000;

}  // namespace

ConnectionRateLimiter::Key ConnectionRateLimiter::key_of(const sockaddr_storage& address) {
  Key key{};
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    std::memcpy(key.data(), &v6.sin6_addr, key.size());
  } else if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    key[10] = 0xFF;
    key[11] = 0xFF;
    std::memcpy(key.data() + 12, &v4.sin_addr, 4);
  }
  return key;
}

void ConnectionRateLimiter::forget_full(std::uint64_t now_ms) {
  std::erase_if(buckets_, [now_ms](const auto& entry) { return now_ms - entry.second.last_ms >= kRefillMs; });
}

ConnectionRateLimiter::Verdict ConnectionRateLimiter::admit(const sockaddr_storage& address,
                                                            std::uint64_t now_ms) {
  if (per_second_ == 0) return Verdict::admit;
  if (now_ms >= next_sweep_ms_) {
    forget_full(now_ms);
    next_sweep_ms_ = now_ms + kRefillMs;
  }
  const std::uint64_t capacity = std::uint64_t{per_second_} * kMillitokensPerConnection;
  const Key key = key_of(address);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    // Full until the next sweep; sweeping here would make every accept of a flood O(table).
    if (buckets_.size() >= kMaxTrackedAddresses) return Verdict::admit;
    buckets_.emplace(key, Bucket{capacity - kMillitokensPerConnection, now_ms, false});
    return Verdict::admit;
  }
  Bucket& bucket = it->second;
  const std::uint64_t elapsed_ms = std::min(now_ms - bucket.last_ms, kRefillMs);
  bucket.millitokens = std::min(capacity, bucket.millitokens + elapsed_ms * per_second_);
  bucket.last_ms = now_ms;
  if (bucket.millitokens < kMillitokensPerConnection) {
    if (bucket.reported) return Verdict::deny;
    bucket.reported = true;
    return Verdict::deny_and_log;
  }
  bucket.millitokens -= kMillitokensPerConnection;
  bucket.reported = false;
  return Verdict::admit;
}

std::string address_text(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "unknown";
  if (address.ss_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, text, sizeof text);
  else if (address.ss_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, text, sizeof text);
  return text;
}

}  // namespace attestmq::server

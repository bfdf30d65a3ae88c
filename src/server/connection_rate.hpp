#pragma once
// AttestMQ's max_connection_rate (one per listener): a token bucket per client address that
// holds `per_second` tokens and refills at `per_second` tokens a second, so a client may open
// that many connections at once and then that many a second. Consulted at accept(), before
// the connection costs anything else.
//
// The table of addresses stays bounded: a bucket idle for a second is full again, the same as
// no entry, so such entries are forgotten (swept once a second); and it never holds more than
// kMaxTrackedAddresses, beyond which new addresses pass untracked. A flood from many
// addresses therefore costs a bounded table, and gets no more than it would with one entry
// each.
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace attestmq::server {

class ConnectionRateLimiter {
 public:
  static constexpr std::size_t kMaxTrackedAddresses = 65536;

  enum class Verdict : std::uint8_t {
    admit,
    deny,          // over the rate, already reported for this address
    deny_and_log,  // the first denial since this address was last within its rate
  };

  explicit ConnectionRateLimiter(std::uint32_t per_second = 0) : per_second_(per_second) {}

  // Takes a token for `address` (IPv4 or IPv6; the port is ignored) at `now_ms` (monotonic).
  Verdict admit(const sockaddr_storage& address, std::uint64_t now_ms);

  std::uint32_t per_second() const { return per_second_; }
  std::size_t tracked_addresses() const { return buckets_.size(); }

 private:
  using Key = std::array<std::uint8_t, 16>;  // IPv4 as an IPv4-mapped IPv6 address
  struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept {
      return std::hash<std::string_view>{}(
          std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
    }
  };
  // Tokens in thousandths, so refilling by elapsed milliseconds is exact integer arithmetic.
  struct Bucket {
    std::uint64_t millitokens = 0;
    std::uint64_t last_ms = 0;
    bool reported = false;  // a denial was logged since the last admission
  };

  static Key key_of(const sockaddr_storage& address);
  void forget_full(std::uint64_t now_ms);

  std::uint32_t per_second_;
  std::unordered_map<Key, Bucket, KeyHash> buckets_;
  std::uint64_t next_sweep_ms_ = 0;
};

// The address alone (no port), as inet_ntop writes it, for log lines.
std::string address_text(const sockaddr_storage& address);

}  // namespace attestmq::server

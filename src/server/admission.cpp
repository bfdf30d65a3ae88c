#include "server/admission.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "server/listen_sockets.hpp"

namespace attestmq::server {

Admission::Admission(const std::vector<config::ListenerConfig>& listeners, bool tcp_nodelay)
    : tcp_nodelay_(tcp_nodelay) {
  for (const auto& listener : listeners) {
    max_connections_.push_back(listener.max_connections);
    rates_.emplace_back(listener.max_connection_rate);
  }
}

bool Admission::admit(std::uint32_t listener, std::uint16_t port, int fd, const sockaddr_storage& address,
                      std::int32_t open, std::uint64_t now_ms, std::string& denial) {
  denial.clear();
  // max_connection_rate: one line per address and burst of denials, so that a flood cannot
  // flood the log too.
  ConnectionRateLimiter& rate = rates_[listener];
  if (rate.per_second() != 0) {
    const auto verdict = rate.admit(address, now_ms);
    if (verdict == ConnectionRateLimiter::Verdict::deny_and_log) {
      denial = "Connection from " + address_text(address) + " denied: max_connection_rate (" +
               std::to_string(rate.per_second()) + "/s).";
    }
    if (verdict != ConnectionRateLimiter::Verdict::admit) return false;
  }
  const std::int32_t max = max_connections_[listener];
  if (max >= 0 && open >= max) {
    denial = "Client connection from " + peer_name(fd) + " denied: max_connections (" + std::to_string(max) +
             ") reached on port " + std::to_string(port) + ".";
    return false;
  }
  if (tcp_nodelay_) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return true;
}

}  // namespace attestmq::server

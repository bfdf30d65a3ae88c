#pragma once
// Who gets past accept(): max_connection_rate per client address, then max_connections per
// listener, and TCP_NODELAY for those admitted. One policy for both hosts of the engine, the
// native reactor and the enclave runner: a denied connection is closed before the engine (or
// the module) hears of it.
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "config/broker_config.hpp"
#include "server/connection_rate.hpp"

namespace attestmq::server {

class Admission {
 public:
  Admission(const std::vector<config::ListenerConfig>& listeners, bool tcp_nodelay);

  // Whether the socket `fd`, accepted on `listener` (bound to `port`) from `address`, may go
  // on while `open` connections of that listener are open. A denial fills `denial` with its
  // log line, or leaves it empty when that address's flood was reported already.
  bool admit(std::uint32_t listener, std::uint16_t port, int fd, const sockaddr_storage& address,
             std::int32_t open, std::uint64_t now_ms, std::string& denial);

 private:
  std::vector<std::int32_t> max_connections_;  // by listener; -1: unlimited
  std::vector<ConnectionRateLimiter> rates_;   // by listener
  bool tcp_nodelay_;
};

}  // namespace attestmq::server

#pragma once
// Opening the configured listeners: every address a listener's bind address resolves to (all
// interfaces of both families when it has none), non-blocking, SO_REUSEADDR, IPv6 sockets
// IPv6-only so 0.0.0.0 and :: can share a port.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "config/broker_config.hpp"
#include "server/unique_fd.hpp"

namespace attestmq::server {

struct ListenSocket {
  UniqueFd fd;
  std::uint32_t listener = 0;  // index into BrokerConfig::listeners
  bool ipv6 = false;
  std::string address;  // as bound, e.g. "127.0.0.1"
  std::uint16_t port = 0;  // as bound (the kernel's choice for port 0)
};

struct OpenedSockets {
  std::vector<ListenSocket> sockets;
  // Optional listeners (local-only mode's ::1) that could not be opened, for the log.
  std::vector<std::string> skipped;
};

// The error names the listener (its configuration origin), the address and the reason.
std::variant<OpenedSockets, std::string> open_listen_sockets(
    const std::vector<config::ListenerConfig>& listeners);

// "ADDRESS:PORT" of a connected peer, as Mosquitto's log lines show it.
std::string peer_name(int fd);

}  // namespace attestmq::server

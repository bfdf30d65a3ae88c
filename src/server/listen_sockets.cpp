#include "server/listen_sockets.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

namespace attestmq::server {
namespace {

constexpr int kListenBacklog = 1024;

// Address and port of a socket address (IPv4 or IPv6).
std::pair<std::string, std::uint16_t> describe(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    port = ntohs(v6.sin6_port);
  }
  return {text, port};
}

std::string listener_name(const config::ListenerConfig& listener) {
  std::string name = "listener " + std::to_string(listener.port);
  if (!listener.bind_address.empty()) name += " " + listener.bind_address;
  if (!listener.origin.empty()) name += " (" + listener.origin + ")";
  return name;
}

// The address family is unavailable on this machine (no IPv6, say): not the user's error
// when another address of the same listener could be bound.
bool family_unavailable(int error) { return error == EAFNOSUPPORT || error == EADDRNOTAVAIL; }

struct Attempt {
  UniqueFd fd;
  int error = 0;
  const char* step = "";
};

Attempt bind_one(const addrinfo& info) {
  Attempt attempt;
  attempt.fd = UniqueFd(::socket(info.ai_family, info.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                 info.ai_protocol));
  const auto fail = [&](const char* step) {
    attempt.error = errno;
    attempt.step = step;
    attempt.fd.reset();
    return std::move(attempt);
  };
  if (!attempt.fd) return fail("socket");
  const int one = 1;
  if (::setsockopt(attempt.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    return fail("setsockopt(SO_REUSEADDR)");
  }
  if (info.ai_family == AF_INET6 &&
      ::setsockopt(attempt.fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
    return fail("setsockopt(IPV6_V6ONLY)");
  }
  if (::bind(attempt.fd.get(), info.ai_addr, info.ai_addrlen) != 0) return fail("bind");
  if (::listen(attempt.fd.get(), kListenBacklog) != 0) return fail("listen");
  return attempt;
}

}  // namespace

std::variant<OpenedSockets, std::string> open_listen_sockets(
    const std::vector<config::ListenerConfig>& listeners) {
  OpenedSockets opened;
  for (std::uint32_t index = 0; index < listeners.size(); ++index) {
    const auto& listener = listeners[index];
    addrinfo hints{};
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = listener.domain == config::SocketDomain::ipv4   ? AF_INET
                      : listener.domain == config::SocketDomain::ipv6 ? AF_INET6
                                                                      : AF_UNSPEC;
    const std::string port = std::to_string(listener.port);
    addrinfo* results = nullptr;
    const char* host = listener.bind_address.empty() ? nullptr : listener.bind_address.c_str();
    if (const int status = ::getaddrinfo(host, port.c_str(), &hints, &results); status != 0) {
      if (listener.optional) {
        opened.skipped.push_back(listener_name(listener) + ": " + ::gai_strerror(status));
        continue;
      }
      return listener_name(listener) + ": cannot resolve '" + listener.bind_address +
             "': " + ::gai_strerror(status);
    }
    std::string failure;       // an error that is the user's to fix
    std::string last_reason = listener_name(listener) + ": no address to bind";
    bool bound_any = false;
    for (const addrinfo* info = results; info != nullptr; info = info->ai_next) {
      Attempt attempt = bind_one(*info);
      sockaddr_storage address{};
      std::memcpy(&address, info->ai_addr, std::min<std::size_t>(info->ai_addrlen, sizeof address));
      if (!attempt.fd) {
        const auto [text, _] = describe(address);
        const std::string reason = listener_name(listener) + ": " + attempt.step + " on " + text +
                                   ": " + std::strerror(attempt.error);
        if (!family_unavailable(attempt.error) && failure.empty()) failure = reason;
        last_reason = reason;
        if (listener.optional || family_unavailable(attempt.error)) opened.skipped.push_back(reason);
        continue;
      }
      socklen_t length = sizeof address;
      ::getsockname(attempt.fd.get(), reinterpret_cast<sockaddr*>(&address), &length);
      auto [text, bound_port] = describe(address);
      opened.sockets.push_back(ListenSocket{std::move(attempt.fd), index,
                                            info->ai_family == AF_INET6, std::move(text), bound_port});
      bound_any = true;
    }
    ::freeaddrinfo(results);
    if (listener.optional) continue;
    if (!failure.empty()) return failure;
    if (!bound_any) return last_reason;
  }
  return opened;
}

std::string peer_name(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "unknown";
  const auto [text, port] = describe(address);
  return text + ":" + std::to_string(port);
}

}  // namespace attestmq::server

#include "client/tcp_transport.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace attestmq::client {
namespace {

int poll_milliseconds(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return 0;
  if (timeout.count() > 0x7fffffff) return 0x7fffffff;
  return static_cast<int>(timeout.count());
}

// Waits for `events` on `fd`: 1 ready, 0 timed out or interrupted, -1 error (errno set).
int wait_for(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd entry{fd, events, 0};
  const int ready = ::poll(&entry, 1, poll_milliseconds(timeout));
  if (ready < 0 && errno == EINTR) return 0;
  return ready;
}

// Connects a non-blocking socket to one address; returns the fd or -1 with `error` set.
int connect_one(const addrinfo& address, std::chrono::milliseconds timeout, int& error) {
  const int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          address.ai_protocol);
  if (fd < 0) {
    error = errno;
    return -1;
  }
  if (::connect(fd, address.ai_addr, address.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      error = errno;
      ::close(fd);
      return -1;
    }
    const int ready = wait_for(fd, POLLOUT, timeout);
    int socket_error = 0;
    socklen_t length = sizeof socket_error;
    if (ready <= 0) {
      error = ready == 0 ? ETIMEDOUT : errno;
    } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &length) != 0) {
      error = errno;
    } else {
      error = socket_error;
    }
    if (error != 0) {
      ::close(fd);
      return -1;
    }
  }
  // MQTT packets are small and latency matters more than coalescing.
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

}  // namespace

Status TcpTransport::connect(const std::string& host, std::uint16_t port,
                             std::chrono::milliseconds timeout,
                             std::unique_ptr<Transport>& transport) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* addresses = nullptr;
  const std::string service = std::to_string(port);
  const int lookup = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &addresses);
  if (lookup != 0) {
    return Status::failure(ErrorKind::network,
                           fmt::format("Unable to resolve host '{}': {}.", host,
                                       ::gai_strerror(lookup)));
  }
  int error = 0;
  int fd = -1;
  for (const addrinfo* address = addresses; address != nullptr && fd < 0;
       address = address->ai_next) {
    fd = connect_one(*address, timeout, error);
  }
  ::freeaddrinfo(addresses);
  if (fd < 0) {
    return Status::failure(ErrorKind::network, fmt::format("Unable to connect to {} port {}: {}.",
                                                           host, port, std::strerror(error)));
  }
  transport = std::make_unique<TcpTransport>(fd);
  return Status::success();
}

TcpTransport::~TcpTransport() { close(); }

void TcpTransport::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Status TcpTransport::write(std::span<const std::uint8_t> data, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!data.empty()) {
    if (fd_ < 0) return Status::failure(ErrorKind::connection_closed, "The connection is closed.");
    const ssize_t sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      data = data.subspan(static_cast<std::size_t>(sent));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Status::failure(ErrorKind::network,
                             fmt::format("Sending to the server failed: {}.", std::strerror(errno)));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || wait_for(fd_, POLLOUT, left) < 0) {
      return Status::failure(ErrorKind::timeout, "The server stopped accepting data.");
    }
  }
  return Status::success();
}

Status TcpTransport::read(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout,
                          std::size_t& received) {
  received = 0;
  if (fd_ < 0) return Status::failure(ErrorKind::connection_closed, "The connection is closed.");
  const int ready = wait_for(fd_, POLLIN, timeout);
  if (ready == 0) return Status::failure(ErrorKind::timeout, "No data from the server in time.");
  if (ready < 0) {
    return Status::failure(ErrorKind::network,
                           fmt::format("Waiting for the server failed: {}.", std::strerror(errno)));
  }
  const ssize_t count = ::recv(fd_, buffer.data(), buffer.size(), 0);
  if (count > 0) {
    received = static_cast<std::size_t>(count);
    return Status::success();
  }
  if (count == 0) {
    return Status::failure(ErrorKind::connection_closed, "The server closed the connection.");
  }
  if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
    return Status::failure(ErrorKind::timeout, "No data from the server in time.");
  }
  return Status::failure(ErrorKind::network, fmt::format("Reading from the server failed: {}.",
                                                         std::strerror(errno)));
}

}  // namespace attestmq::client

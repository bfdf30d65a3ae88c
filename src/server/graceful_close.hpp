#pragma once
// The transport half of a graceful close, as both hosts of the engine take it (the native
// reactor and the enclave runner; reactor_closing.cpp says why): write what is pending,
// then shut down the sending side, then read until the peer's EOF.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cstdint>

namespace attestmq::server {

// The epoll events to wait for next, or 0 when the connection may be released now.
// `Connection` has unwritten(), fd, peer_finished (EOF read) and shut_down_writing.
template <class Connection>
std::uint32_t next_close_step(Connection& connection) {
  if (connection.unwritten() > 0) {
    // After the peer's EOF, EPOLLIN would report that EOF again and again.
    return connection.peer_finished ? EPOLLOUT : EPOLLIN | EPOLLOUT;
  }
  if (connection.peer_finished) return 0;
  if (!connection.shut_down_writing) {
    ::shutdown(connection.fd.get(), SHUT_WR);
    connection.shut_down_writing = true;
  }
  return EPOLLIN;
}

}  // namespace attestmq::server

// Closing a connection gracefully, the transport half of MQTT 5.0 section 4.13.1 (and 3.1.1
// section 3.1.4): the CONNACK refusal or DISCONNECT the engine sent before Host::close must
// reach the client. Closing a socket whose receive queue still holds unread bytes makes the
// kernel send a reset, and a reset can discard what the client has not read yet, final
// packet included. So once the engine asks to close, the reactor:
//   1. tells the engine the connection is gone (Engine::closed, exactly once) and feeds it
//      nothing more;
//   2. keeps writing the pending output, waiting for EPOLLOUT while the socket is full;
//   3. then shuts down its sending side (the client reads EOF after the final packet);
//   4. reads and discards input until the client closes too (EOF), then closes.
// A client that never reads or never closes is cut at kCloseDeadlineMs after Host::close.
// Stopping the server closes every connection the same way, so a client whose receive path
// is still full gets its DISCONNECT 0x8B (Server shutting down) after what it had not read
// yet, rather than a reset; the stop therefore takes at most kCloseDeadlineMs longer.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <vector>

#include "server/graceful_close.hpp"
#include "server/reactor.hpp"
#include "server/server_core.hpp"

namespace attestmq::server {
namespace {

constexpr std::uint64_t kCloseDeadlineMs = 2000;

}  // namespace

void Reactor::begin_closing(broker::ConnId conn, Connection& connection) {
  connection.closing = true;
  close_deadlines_.add(conn, core_.now_ms() + kCloseDeadlineMs);
  // RFC 8446 section 6.1: close_notify after the last record, before our TCP FIN.
  if (connection.tls && connection.tls->state() == tls::Session::State::established) {
    connection.tls->close(connection.output);
  }
  if (connection.engine_open) detach_from_engine(conn, connection);
}

// Takes the next step once output was written or the peer's EOF was read.
void Reactor::continue_closing(broker::ConnId conn, Connection& connection) {
  const std::uint32_t events = next_close_step(connection);
  if (events == 0) return release(conn);
  set_interest(conn, connection, events);
}

void Reactor::discard_input(broker::ConnId conn, Connection& connection) {
  const ssize_t got = ::recv(connection.fd.get(), read_buffer_.data(), read_buffer_.size(), 0);
  if (got > 0) return;
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (got < 0) return release(conn);  // reset by the peer: nothing more can reach it
  connection.peer_finished = true;
  continue_closing(conn, connection);
}

// Closes the connections whose deadline passed; returns the epoll_wait timeout until the
// next deadline, or -1 when none is pending.
int Reactor::expire_closing() {
  return close_deadlines_.expire(core_.now_ms(), [&](broker::ConnId conn) {
    const auto it = connections_.find(conn);
    if (it == connections_.end()) return;
    core_.log_parts(broker::LogLevel::info, "Client connection from ", it->second.peer,
                    " did not finish closing within ", std::to_string(kCloseDeadlineMs), " ms (",
                    std::to_string(it->second.unwritten()), " bytes unsent), closing it.");
    release(conn);
  });
}

// While stopping: closes what the engine did not (connections still in their TLS
// handshake), once; true when no connection is left, i.e. the loop may end.
bool Reactor::finish_connections() {
  if (!finishing_) {
    finishing_ = true;
    std::vector<broker::ConnId> open;
    for (const auto& [conn, connection] : connections_) {
      if (!connection.closing) open.push_back(conn);
    }
    for (const broker::ConnId conn : open) {
      flush(conn);  // the engine's goodbye and Host::close, if it sent them
      const auto it = connections_.find(conn);
      if (it == connections_.end() || it->second.closing) continue;
      begin_closing(conn, it->second);
      if (write_output(conn, it->second)) continue_closing(conn, it->second);
    }
  }
  return connections_.empty();
}

void Reactor::detach_from_engine(broker::ConnId conn, Connection& connection) {
  connection.engine_open = false;
  core_.with_engine([&](broker::Engine& engine) {
    core_.unregister_outbox(conn);
    engine.closed(conn);
  });
}

void Reactor::release(broker::ConnId conn) {
  const auto it = connections_.find(conn);
  if (it == connections_.end()) return;
  const std::uint32_t listener = it->second.listener;
  connections_.erase(it);  // closing the socket also takes it out of the epoll set
  core_.connection_count(listener).fetch_sub(1);
}

// At once: the peer closed or failed, it is not reading, or the server is stopping.
void Reactor::close_connection(broker::ConnId conn) {
  const auto it = connections_.find(conn);
  if (it == connections_.end()) return;
  if (it->second.engine_open) detach_from_engine(conn, it->second);
  release(conn);
}

}  // namespace attestmq::server

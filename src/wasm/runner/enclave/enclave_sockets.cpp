// The enclave runner's sockets: accepting, reading into the module, writing what the module
// sent, and the graceful close of reactor_closing.cpp (write what is pending, shut down the
// sending side, discard input until the peer's EOF, all within kCloseDeadlineMs).
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

#include "server/graceful_close.hpp"
#include "wasm/runner/enclave/enclave.hpp"

namespace attestmq::wasm {
namespace {

constexpr int kAcceptsPerWakeup = 64;
constexpr std::uint64_t kAcceptPauseMs = 100;
constexpr std::uint64_t kCloseDeadlineMs = 2000;

}  // namespace

std::uint32_t Enclave::next_connection_id() {
  // 32-bit ids, as the ABI passes them; never 0 (the wake tag) nor one still in use.
  while (next_id_ == 0 || connections_.contains(next_id_)) ++next_id_;
  return next_id_++;
}

void Enclave::accept_from(std::size_t socket_index) {
  if (socket_index >= listen_sockets_.size()) return;  // closed by the stop meanwhile
  const server::ListenSocket& socket = listen_sockets_[socket_index];
  for (int i = 0; i < kAcceptsPerWakeup; ++i) {
    sockaddr_storage address{};
    socklen_t address_length = sizeof address;
    server::UniqueFd fd(::accept4(socket.fd.get(), reinterpret_cast<sockaddr*>(&address), &address_length,
                                  SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        return pause_accepting(socket_index, errno);
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        log(log_level::kError, "accept on port " + std::to_string(socket.port) + ": " + std::strerror(errno));
      }
      return;
    }
    const std::uint32_t listener = socket.listener;
    std::string denial;
    if (!admission_.admit(listener, socket.port, fd.get(), address, open_per_listener_[listener], now_ms(), denial)) {
      if (!denial.empty()) log(log_level::kNotice, denial);
      continue;
    }
    const std::uint32_t conn = next_connection_id();
    Connection& connection = connections_[conn];
    connection.peer = server::peer_name(fd.get());
    connection.fd = std::move(fd);
    connection.listener = listener;
    open_per_listener_[listener] += 1;
    set_interest(conn, connection, EPOLLIN);
    const auto peer = runner_->memory().span(input_buffer_, connection.peer.size());
    const auto peer_length = static_cast<std::uint32_t>(peer ? connection.peer.size() : 0);
    if (peer) std::memcpy(peer->data(), connection.peer.data(), peer->size());
    call_guest([&](EngineModule::Instance& guest) {
      Z_attestmq_engineZ_attestmq_open(&guest, conn, listener, peer_length);
    });
    flush_touched();
  }
}

// accept() out of descriptors or memory leaves the connection pending and the listen socket
// readable: accepting again at once would spin. The socket is left out of epoll meanwhile.
void Enclave::pause_accepting(std::size_t socket_index, int error) {
  const server::ListenSocket& socket = listen_sockets_[socket_index];
  epoll_event event{0, {.u64 = kListenTag | socket_index}};
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, socket.fd.get(), &event);
  accept_paused_until_ms_[socket_index] = now_ms() + kAcceptPauseMs;
  log(log_level::kError, "accept on port " + std::to_string(socket.port) + ": " + std::strerror(error) +
                             "; not accepting on it for " + std::to_string(kAcceptPauseMs) + " ms.");
}

// Listens again where a pause is over; returns the epoll_wait timeout until the next one ends.
int Enclave::resume_accepting(std::uint64_t now) {
  int timeout = -1;
  for (std::size_t index = 0; index < accept_paused_until_ms_.size() && index < listen_sockets_.size(); ++index) {
    std::uint64_t& until = accept_paused_until_ms_[index];
    if (until == 0) continue;
    if (until > now) {
      const int remaining = static_cast<int>(until - now);
      timeout = timeout < 0 ? remaining : std::min(timeout, remaining);
      continue;
    }
    until = 0;
    epoll_event event{EPOLLIN, {.u64 = kListenTag | index}};
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listen_sockets_[index].fd.get(), &event);
  }
  return timeout;
}

void Enclave::read_from(std::uint32_t conn) {
  const auto it = connections_.find(conn);
  if (it == connections_.end()) return;
  Connection& connection = it->second;
  const ssize_t got = ::recv(connection.fd.get(), read_buffer_.data(), read_buffer_.size(), 0);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (got <= 0) {
    // EOF or an error: the peer is gone (or, while closing, has finished too).
    if (connection.closing && got == 0 && connection.unwritten() > 0) {
      connection.peer_finished = true;
      return continue_closing(conn, connection);
    }
    return release(conn);
  }
  if (connection.closing) return;  // discarded: the module is done with this connection
  const std::span<const std::uint8_t> bytes(read_buffer_.data(), static_cast<std::size_t>(got));
  if (observer_) observer_(bytes);
  const auto target = runner_->memory().span(input_buffer_, bytes.size());
  if (!target) return release(conn);  // the module's buffer is gone: it cannot take input
  std::memcpy(target->data(), bytes.data(), bytes.size());
  call_guest([&](EngineModule::Instance& guest) {
    Z_attestmq_engineZ_attestmq_input(&guest, conn, static_cast<std::uint32_t>(bytes.size()));
  });
}

// attestmq.send: queued here and written once the batch of events that caused it has been
// handled, so that what those guest calls send to a connection leaves in one write.
std::uint64_t Enclave::guest_send(std::uint32_t conn, std::span<const std::uint8_t> bytes) {
  const auto it = connections_.find(conn);
  if (it == connections_.end() || it->second.shut_down_writing) return 0;
  if (observer_) observer_(bytes);
  Connection& connection = it->second;
  if (connection.holding) {
    connection.held.insert(connection.held.end(), bytes.begin(), bytes.end());
  } else {
    if (connection.unwritten() == 0) touched_.push_back(conn);
    connection.output.insert(connection.output.end(), bytes.begin(), bytes.end());
  }
  const std::uint64_t backlog = connection.unwritten() + connection.held.size();
  if (backlog > host_view_.settings.max_client_output_bytes) connection.throttled = true;
  return backlog;
}

void Enclave::guest_close(std::uint32_t conn) {
  const auto it = connections_.find(conn);
  if (it == connections_.end() || it->second.closing) return;
  if (it->second.holding) {  // after the bytes held before it
    it->second.close_held = true;
    return;
  }
  it->second.closing = true;
  close_deadlines_.add(conn, now_ms() + kCloseDeadlineMs);
  touched_.push_back(conn);
}

void Enclave::flush_touched() {
  while (!touched_.empty()) {
    const std::vector<std::uint32_t> touched = std::move(touched_);
    touched_.clear();
    for (const std::uint32_t conn : touched) {
      const auto it = connections_.find(conn);
      if (it == connections_.end()) continue;
      Connection& connection = it->second;
      if (!write_output(conn, connection)) continue;
      if (connection.closing) {
        continue_closing(conn, connection);
        continue;
      }
      set_interest(conn, connection, connection.unwritten() > 0 ? EPOLLIN | EPOLLOUT : EPOLLIN);
      // The engine's flow control: it resumes once the backlog fell below half the limit.
      if (connection.throttled && connection.unwritten() < host_view_.settings.max_client_output_bytes / 2) {
        connection.throttled = false;
        call_guest([&](EngineModule::Instance& guest) { Z_attestmq_engineZ_attestmq_writable(&guest, conn); });
      }
    }
  }
}

// False when the connection failed and was released.
bool Enclave::write_output(std::uint32_t conn, Connection& connection) {
  while (connection.unwritten() > 0) {
    const ssize_t sent = ::send(connection.fd.get(), connection.output.data() + connection.written,
                                connection.unwritten(), MSG_NOSIGNAL);
    if (sent > 0) {
      connection.written += static_cast<std::size_t>(sent);
      continue;
    }
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (sent < 0 && errno == EINTR) continue;
    release(conn);
    return false;
  }
  connection.output.clear();
  connection.written = 0;
  return true;
}

void Enclave::continue_closing(std::uint32_t conn, Connection& connection) {
  const std::uint32_t events = server::next_close_step(connection);
  if (events == 0) return release(conn);
  set_interest(conn, connection, events);
}

void Enclave::set_interest(std::uint32_t conn, Connection& connection, std::uint32_t events) {
  if (connection.interest == events) return;
  epoll_event event{events, {.u64 = conn}};
  ::epoll_ctl(epoll_.get(), connection.interest == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, connection.fd.get(), &event);
  connection.interest = events;
}

void Enclave::release(std::uint32_t conn) {
  const auto it = connections_.find(conn);
  if (it == connections_.end()) return;
  open_per_listener_[it->second.listener] -= 1;
  connections_.erase(it);  // closing the socket also takes it out of the epoll set
  call_guest([&](EngineModule::Instance& guest) { Z_attestmq_engineZ_attestmq_closed(&guest, conn); });
}

}  // namespace attestmq::wasm

#include "server/reactor.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "server/server_core.hpp"

namespace attestmq::server {
namespace {

using broker::ConnId;
using broker::LogLevel;

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kMaxEvents = 256;
// The engine's next_tick_ms() is computed on reactor 0; connections on other reactors may
// need a timer sooner, so never sleep longer than this between ticks.
constexpr std::uint64_t kMaxTickIntervalMs = 1000;
// Output buffers that grew past this during a burst are released once empty.
constexpr std::size_t kRetainedBufferBytes = 1024 * 1024;

thread_local Reactor* t_current_reactor = nullptr;

void release_if_large(std::vector<std::uint8_t>& buffer) {
  if (buffer.empty() && buffer.capacity() > kRetainedBufferBytes) std::vector<std::uint8_t>().swap(buffer);
}

}  // namespace

int Reactor::earliest(int a, int b) {
  if (a < 0) return b;
  if (b < 0) return a;
  return std::min(a, b);
}

std::variant<std::unique_ptr<Reactor>, std::string> Reactor::create(ServerCore& core, unsigned index) {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return std::string("epoll_create1: ") + std::strerror(errno);
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake) return std::string("eventfd: ") + std::strerror(errno);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeTag;
  if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &event) != 0) {
    return std::string("epoll_ctl: ") + std::strerror(errno);
  }
  return std::unique_ptr<Reactor>(new Reactor(core, index, std::move(epoll), std::move(wake)));
}

Reactor::Reactor(ServerCore& core, unsigned index, UniqueFd epoll, UniqueFd wake)
    : core_(core),
      index_(index),
      epoll_(std::move(epoll)),
      wake_(std::move(wake)),
      read_buffer_(kReadChunk) {}

void Reactor::add_listen_sockets(std::vector<ListenSocket> sockets) {
  listen_sockets_ = std::move(sockets);
  accept_paused_until_ms_.assign(listen_sockets_.size(), 0);
  for (std::size_t i = 0; i < listen_sockets_.size(); ++i) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kListenTag | i;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listen_sockets_[i].fd.get(), &event);
  }
}

void Reactor::run() {
  t_current_reactor = this;
  if (index_ == 0) next_tick_at_ms_ = core_.now_ms();
  epoll_event events[kMaxEvents];
  while (true) {
    if (index_ == 0 && core_.reload_requested().exchange(false)) core_.reload();
    int timeout = index_ == 0 ? run_timers() : -1;
    timeout = earliest(timeout, resume_accepting());
    timeout = earliest(timeout, expire_handshakes());
    timeout = earliest(timeout, expire_closing());
    // Stopping, and the last close just expired: nothing is left to wait for.
    if (stopping_.load() && connections_.empty()) break;
    core_.make_durable();  // what timers and other reactors changed, once due
    if (!scheduled_.empty() || !authentication_steps_.empty()) timeout = 0;
    int count = 0;
    if (timeout != 0 && core_.commit_pending()) {
      // Changes wait to be grouped with others, but if nothing else has arrived the wait would
      // only delay every acknowledgement: commit now. So the loop never sleeps on uncommitted
      // changes, and a group grows only while events keep coming.
      count = ::epoll_wait(epoll_.get(), events, kMaxEvents, 0);
      if (count == 0) {
        core_.make_durable(true);
        flush_scheduled();
      }
    }
    if (count == 0) count = ::epoll_wait(epoll_.get(), events, kMaxEvents, timeout);
    if (count < 0 && errno != EINTR) {
      core_.log_parts(LogLevel::error, "epoll_wait: ", std::strerror(errno));
      break;
    }
    for (int i = 0; i < count; ++i) handle_event(events[i].data.u64, events[i].events);
    if (index_ == 0 && !shutdown_started_ && core_.stop_requested().load()) begin_shutdown();
    answer_authentication_steps();
    // Read once: finishing the connections must see the output this commit released.
    const bool stopping = stopping_.load();
    core_.make_durable(stopping);
    flush_scheduled();
    if (stopping && finish_connections()) break;
  }
  close_all();  // only if epoll_wait failed: finish_connections() left nothing else
  t_current_reactor = nullptr;
}

void Reactor::handle_event(std::uint64_t tag, std::uint32_t events) {
  if (tag == kWakeTag) {
    std::uint64_t count = 0;
    [[maybe_unused]] const auto ignored = ::read(wake_.get(), &count, sizeof count);
    drain_mailbox();
    return;
  }
  if ((tag & kListenTag) != 0) {
    const std::size_t index = tag & ~kListenTag;
    if (index < listen_sockets_.size() && listen_sockets_[index].fd) accept_from(index);
    return;
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) read_from(tag);
  if ((events & EPOLLOUT) != 0) flush(tag);
}

void Reactor::adopt(UniqueFd fd, ConnId conn, std::uint32_t listener, std::uint16_t port) {
  Adoption adoption{std::move(fd), conn, listener, port};
  if (t_current_reactor == this) {
    open_connection(std::move(adoption));
    return;
  }
  bool was_empty = false;
  {
    std::lock_guard lock(mailbox_mutex_);
    was_empty = mailbox_.empty();
    mailbox_.adoptions.push_back(std::move(adoption));
  }
  if (was_empty) wake();
}

void Reactor::schedule_flush(ConnId conn) {
  if (t_current_reactor == this) {
    scheduled_.push_back(conn);
    return;
  }
  bool was_empty = false;
  {
    std::lock_guard lock(mailbox_mutex_);
    was_empty = mailbox_.empty();
    mailbox_.flushes.push_back(conn);
  }
  if (was_empty) wake();
}

void Reactor::deliver_password_verdict(ConnId conn, broker::PasswordVerdict verdict) {
  bool was_empty = false;
  {
    std::lock_guard lock(mailbox_mutex_);
    was_empty = mailbox_.empty();
    mailbox_.verdicts.push_back({conn, verdict});
  }
  if (was_empty) wake();
}

void Reactor::run_authentication_step(ConnId conn, broker::AuthenticationStep step) {
  if (t_current_reactor == this) {
    authentication_steps_.emplace_back(conn, std::move(step));
    return;
  }
  bool was_empty = false;
  {
    std::lock_guard lock(mailbox_mutex_);
    was_empty = mailbox_.empty();
    mailbox_.authentication_steps.emplace_back(conn, std::move(step));
  }
  if (was_empty) wake();
}

// Evidence is produced here, on the connection's own reactor and outside the engine lock:
// only this thread may touch the connection's TLS session, and a provider may take a while.
void Reactor::answer_authentication_steps() {
  while (!authentication_steps_.empty()) {
    std::vector<PendingStep> steps;
    steps.swap(authentication_steps_);
    for (auto& [conn, step] : steps) {
      const auto it = connections_.find(conn);
      if (it == connections_.end()) continue;  // gone: the engine has forgotten it too
      const broker::AuthenticationOutcome outcome =
          attested::answer_step(core_.attested_sessions(), it->second.tls.get(), step);
      core_.with_engine([&](broker::Engine& engine) { engine.authentication_answered(conn, outcome); });
    }
  }
}

void Reactor::stop() {
  stopping_.store(true);
  wake();
}

void Reactor::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto ignored = ::write(wake_.get(), &one, sizeof one);
}

void Reactor::drain_mailbox() {
  Mailbox mail;
  {
    std::lock_guard lock(mailbox_mutex_);
    std::swap(mail, mailbox_);
  }
  for (auto& adoption : mail.adoptions) {
    if (stopping_.load()) {
      core_.connection_count(adoption.listener).fetch_sub(1);
      continue;
    }
    open_connection(std::move(adoption));
  }
  scheduled_.insert(scheduled_.end(), mail.flushes.begin(), mail.flushes.end());
  for (auto& step : mail.authentication_steps) authentication_steps_.push_back(std::move(step));
  if (!mail.verdicts.empty()) {
    core_.with_engine([&](broker::Engine& engine) {
      for (const PasswordResult& result : mail.verdicts) engine.password_checked(result.conn, result.verdict);
    });
  }
}

void Reactor::open_connection(Adoption adoption) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = adoption.conn;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, adoption.fd.get(), &event) != 0) {
    core_.log_parts(LogLevel::error, "epoll_ctl: ", std::strerror(errno));
    core_.connection_count(adoption.listener).fetch_sub(1);
    return;
  }
  Connection& connection = connections_[adoption.conn];
  connection.interest = EPOLLIN;
  connection.peer = peer_name(adoption.fd.get());
  connection.fd = std::move(adoption.fd);
  connection.listener = adoption.listener;
  connection.outbox = std::make_shared<Outbox>(core_.threaded());
  if (core_.config().settings.connection_messages) {
    core_.log_parts(LogLevel::notice, "New connection from ", connection.peer, " on port ",
                    std::to_string(adoption.port), ".");
  }
  if (auto context = core_.tls_contexts().current(adoption.listener)) {
    return start_tls(adoption.conn, connection, std::move(context));
  }
  open_in_engine(adoption.conn, connection, std::nullopt);
}

void Reactor::open_in_engine(ConnId conn, Connection& connection,
                             std::optional<std::string> transport_username) {
  broker::ConnectionInfo info;
  info.listener = connection.listener;
  info.peer = connection.peer;
  info.transport_username = std::move(transport_username);
  connection.engine_open = true;
  core_.with_engine([&](broker::Engine& engine) {
    core_.register_outbox(conn, connection.outbox);
    engine.open(conn, info);
  });
}

void Reactor::read_from(ConnId conn) {
  const auto it = connections_.find(conn);
  if (it == connections_.end()) return;
  if (it->second.closing) return discard_input(conn, it->second);
  const ssize_t got = ::recv(it->second.fd.get(), read_buffer_.data(), read_buffer_.size(), 0);
  if (got > 0) {
    const std::span<const std::uint8_t> bytes(read_buffer_.data(), static_cast<std::size_t>(got));
    if (it->second.tls) return receive_tls(conn, it->second, bytes);
    core_.with_engine([&](broker::Engine& engine) { engine.input(conn, bytes); });
    return;
  }
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  close_connection(conn);  // the peer closed, or the connection failed
}

void Reactor::flush(ConnId conn) {
  const auto it = connections_.find(conn);
  if (it == connections_.end()) return;
  Connection& connection = it->second;
  Outbox& outbox = *connection.outbox;
  bool close_requested = false;
  {
    std::lock_guard lock(outbox.mutex);
    if (connection.tls) {
      to_encrypt_.swap(outbox.staged);
    } else if (connection.unwritten() == 0) {
      connection.output.swap(outbox.staged);
      connection.written = 0;
    } else {
      connection.output.insert(connection.output.end(), outbox.staged.begin(), outbox.staged.end());
    }
    outbox.staged.clear();
    release_if_large(outbox.staged);
    outbox.flush_scheduled = false;
    close_requested = outbox.close_requested;
  }
  if (!to_encrypt_.empty()) {
    // Dropped if the session can no longer send (the peer's close_notify came first).
    connection.tls->send(to_encrypt_, connection.output);
    to_encrypt_.clear();
    release_if_large(to_encrypt_);
  }
  if (close_requested && !connection.closing) begin_closing(conn, connection);
  if (!write_output(conn, connection)) return;
  if (connection.closing) return continue_closing(conn, connection);

  bool resume = false;
  std::uint64_t excess = 0;
  {
    std::lock_guard lock(outbox.mutex);
    // Ciphertext on a TLS listener: the record overhead (under 0.2% for full records) is noise
    // next to max_client_output_bytes.
    outbox.socket_backlog = connection.unwritten();
    if (outbox.throttled && outbox.backlog() < core_.output_soft_limit() / 2) {
      outbox.throttled = false;
      outbox.excess = 0;
      resume = true;
    }
    excess = outbox.excess;
  }
  if (excess > core_.output_excess_limit()) {
    core_.log_parts(LogLevel::warning, "Client connection from ", connection.peer, " is not reading: ",
                    std::to_string(excess), " bytes queued beyond max_client_output_bytes (",
                    std::to_string(core_.output_soft_limit()), "), disconnecting.");
    return close_connection(conn);
  }
  set_interest(conn, connection, connection.unwritten() > 0 ? EPOLLIN | EPOLLOUT : EPOLLIN);
  if (resume) core_.with_engine([&](broker::Engine& engine) { engine.writable(conn); });
}

// One send() of everything pending; false if that found the connection broken (and closed it).
bool Reactor::write_output(ConnId conn, Connection& connection) {
  while (connection.unwritten() > 0) {
    const ssize_t sent = ::send(connection.fd.get(), connection.output.data() + connection.written,
                                connection.unwritten(), MSG_NOSIGNAL);
    if (sent >= 0) {
      connection.written += static_cast<std::size_t>(sent);
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    close_connection(conn);
    return false;
  }
  if (connection.unwritten() == 0) {
    connection.output.clear();
    connection.written = 0;
    release_if_large(connection.output);
  } else if (connection.written > connection.output.size() / 2) {
    connection.output.erase(connection.output.begin(),
                            connection.output.begin() + static_cast<std::ptrdiff_t>(connection.written));
    connection.written = 0;
  }
  return true;
}

void Reactor::set_interest(ConnId conn, Connection& connection, std::uint32_t events) {
  if (events == connection.interest) return;
  epoll_event event{};
  event.events = events;
  event.data.u64 = conn;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, connection.fd.get(), &event);
  connection.interest = events;
}

void Reactor::flush_scheduled() {
  while (!scheduled_.empty()) {
    std::vector<ConnId> batch;
    batch.swap(scheduled_);
    for (const ConnId conn : batch) flush(conn);
  }
}

// Reactor 0: runs Engine::tick() when due; returns the epoll_wait timeout until the next one.
int Reactor::run_timers() {
  const std::uint64_t now = core_.now_ms();
  if (now >= next_tick_at_ms_) {
    const std::uint64_t interval = core_.with_engine([](broker::Engine& engine) {
      engine.tick();
      return engine.next_tick_ms();
    });
    next_tick_at_ms_ = now + std::clamp<std::uint64_t>(interval, 1, kMaxTickIntervalMs);
  }
  return static_cast<int>(next_tick_at_ms_ - now);
}

// Reactor 0, on SIGINT/SIGTERM: no new clients; the engine says goodbye to every client
// (Host::close on each); then every reactor closes what it owns, gracefully
// (finish_connections).
void Reactor::begin_shutdown() {
  shutdown_started_ = true;
  for (auto& socket : listen_sockets_) socket.fd.reset();
  core_.with_engine([](broker::Engine& engine) { engine.shutdown(); });
  for (auto& reactor : core_.reactors()) reactor->stop();
}

void Reactor::close_all() {
  drain_mailbox();
  core_.make_durable(true);
  flush_scheduled();
  std::vector<ConnId> remaining;
  for (const auto& entry : connections_) remaining.push_back(entry.first);
  for (const ConnId conn : remaining) {
    flush(conn);
    close_connection(conn);
  }
}

}  // namespace attestmq::server

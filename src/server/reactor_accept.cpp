// Accepting on reactor 0: new connections go round robin to the reactors; a listener that
// is out of descriptors pauses instead of spinning; Admission (max_connection_rate,
// max_connections) turns connections away before the engine sees them.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "server/reactor.hpp"
#include "server/server_core.hpp"

namespace attestmq::server {
namespace {

using broker::ConnId;
using broker::LogLevel;

constexpr int kAcceptsPerWakeup = 64;
// accept() out of descriptors or memory leaves the connection pending, so the listen socket
// stays readable: accepting again at once would spin. Wait this long instead.
constexpr std::uint64_t kAcceptPauseMs = 100;

bool out_of_resources(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

}  // namespace

void Reactor::accept_from(std::size_t socket_index) {
  const ListenSocket& socket = listen_sockets_[socket_index];
  auto& reactors = core_.reactors();
  for (int i = 0; i < kAcceptsPerWakeup; ++i) {
    sockaddr_storage address{};
    socklen_t address_length = sizeof address;
    UniqueFd fd(::accept4(socket.fd.get(), reinterpret_cast<sockaddr*>(&address), &address_length,
                          SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (out_of_resources(errno)) return pause_accepting(socket_index, errno);
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        core_.log_parts(LogLevel::error, "accept on port ", std::to_string(socket.port), ": ",
                        std::strerror(errno));
      }
      return;
    }
    if (!admission_) admission_.emplace(core_.config().listeners, core_.config().tcp_nodelay);
    auto& count = core_.connection_count(socket.listener);
    std::string denial;
    if (!admission_->admit(socket.listener, socket.port, fd.get(), address, count.load(), core_.now_ms(), denial)) {
      if (!denial.empty()) core_.log(LogLevel::notice, denial);
      continue;
    }
    count.fetch_add(1);
    const unsigned target = next_reactor_;
    next_reactor_ = (next_reactor_ + 1) % reactors.size();
    const ConnId conn = connection_id(next_sequence_++, target);
    reactors[target]->adopt(std::move(fd), conn, socket.listener, socket.port);
  }
}

// The pending connections wait in the listen backlog until descriptors free up.
void Reactor::pause_accepting(std::size_t socket_index, int error) {
  const ListenSocket& socket = listen_sockets_[socket_index];
  epoll_event event{};
  event.data.u64 = kListenTag | socket_index;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, socket.fd.get(), &event);
  accept_paused_until_ms_[socket_index] = core_.now_ms() + kAcceptPauseMs;
  core_.log_parts(LogLevel::error, "accept on port ", std::to_string(socket.port), ": ",
                  std::strerror(error), "; not accepting on it for ", std::to_string(kAcceptPauseMs),
                  " ms.");
}

// Listens again where a pause is over; returns the epoll_wait timeout until the next one ends.
int Reactor::resume_accepting() {
  std::uint64_t now = 0;  // read only when a listen socket is paused
  int timeout = -1;
  for (std::size_t index = 0; index < accept_paused_until_ms_.size(); ++index) {
    std::uint64_t& until = accept_paused_until_ms_[index];
    if (until == 0) continue;
    if (now == 0) now = core_.now_ms();
    if (until > now) {
      timeout = earliest(timeout, static_cast<int>(until - now));
      continue;
    }
    until = 0;
    if (!listen_sockets_[index].fd) continue;  // closed by the shutdown meanwhile
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kListenTag | index;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listen_sockets_[index].fd.get(), &event);
  }
  return timeout;
}

}  // namespace attestmq::server

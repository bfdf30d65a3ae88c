#pragma once
// Real peers for a Session: a child process (mosquitto, mosquitto_pub) on a 127.0.0.1 TCP
// socket, with the test moving the bytes between the socket and the Session.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tls/session.hpp"

extern char** environ;

namespace attestmq::tls {

inline constexpr int kPeerTimeoutMs = 10000;

// A program started with its output discarded, stopped with SIGTERM when this goes away.
class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> arguments) {
    std::vector<char*> argv;
    for (auto& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = 0;
};

inline sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

// A listening socket on an ephemeral 127.0.0.1 port, or -1.
inline int listen_on_loopback(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd, 1) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(address.sin_port);
  return fd;
}

// A port that was free a moment ago, for a child that binds it itself.
inline std::uint16_t free_loopback_port() {
  std::uint16_t port = 0;
  const int fd = listen_on_loopback(port);
  ::close(fd);
  return port;
}

// The first connection to `listener` within the timeout, or -1.
inline int accept_one(int listener) {
  pollfd waiting{listener, POLLIN, 0};
  return ::poll(&waiting, 1, kPeerTimeoutMs) == 1 ? ::accept(listener, nullptr, nullptr) : -1;
}

// Connects to 127.0.0.1:port, retrying while a starting child is not listening yet.
inline int connect_when_listening(std::uint16_t port) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kPeerTimeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in address = loopback(port);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
      return fd;
    }
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

// Sends `to_peer`, then moves bytes between `fd` and `session` until `done()`, the session
// fails or closes, the peer hangs up, or the timeout passes. Closes `fd`.
inline void converse(int fd, Session& session, std::vector<std::uint8_t>& to_peer,
                     std::vector<std::uint8_t>& plaintext, const std::function<bool()>& done) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kPeerTimeoutMs);
  std::vector<std::uint8_t> buffer(16384);
  for (;;) {
    for (std::size_t sent = 0; sent < to_peer.size();) {
      const ssize_t n = ::send(fd, to_peer.data() + sent, to_peer.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    to_peer.clear();
    const auto state = session.state();
    if (done() || state == Session::State::failed || state == Session::State::closed ||
        std::chrono::steady_clock::now() > deadline) {
      break;
    }
    pollfd readable{fd, POLLIN, 0};
    if (::poll(&readable, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) break;
    session.receive(std::span(buffer).first(static_cast<std::size_t>(n)), plaintext, to_peer);
  }
  ::close(fd);
}

}  // namespace attestmq::tls

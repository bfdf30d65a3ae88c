#include "bench_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace attestmq::app::bench {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

std::string system_error(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

Connection::~Connection() { close(); }

bool Connection::open(const sockaddr_storage& address, socklen_t address_size, int epoll_fd,
                      void* tag, const std::shared_ptr<const tls::Context>& tls,
                      std::string& error) {
  out_.clear();
  records_.clear();
  wire_sent_ = 0;
  in_begin_ = in_end_ = 0;
  session_ = tls ? std::make_unique<tls::Session>(tls) : nullptr;
  fd_ = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error = system_error("socket");
    return false;
  }
  // Latency is measured per message: do not let Nagle hold small PUBLISH packets back.
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), address_size) != 0 &&
      errno != EINPROGRESS) {
    error = system_error("connect");
    return false;
  }
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.ptr = tag;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd_, &event) != 0) {
    error = system_error("epoll_ctl");
    return false;
  }
  in_.resize(kReadChunk);
  if (session_) ciphertext_in_.resize(kReadChunk);
  return true;
}

void Connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  connected_ = false;
  session_.reset();
}

bool Connection::on_writable(std::string& error) {
  if (!connected_) {
    int socket_error = 0;
    socklen_t size = sizeof socket_error;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &socket_error, &size);
    if (socket_error != 0) {
      error = std::string("connect: ") + std::strerror(socket_error);
      return false;
    }
    connected_ = true;
    if (session_) session_->start(records_);  // the ClientHello
  }
  return flush(error);
}

bool Connection::flush(std::string& error) {
  if (!connected_) return true;  // the connect's EPOLLOUT will flush
  if (session_ && session_->state() == tls::Session::State::established && !out_.empty()) {
    if (!session_->send(out_, records_)) {
      error = "TLS: " + session_->error();
      return false;
    }
    out_.clear();
  }
  std::vector<std::uint8_t>& wire = session_ ? records_ : out_;
  while (wire_sent_ < wire.size()) {
    const ssize_t n =
        ::send(fd_, wire.data() + wire_sent_, wire.size() - wire_sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;  // EPOLLOUT resumes
      error = system_error("send");
      return false;
    }
    wire_sent_ += static_cast<std::size_t>(n);
  }
  wire.clear();
  wire_sent_ = 0;
  return true;
}

void Connection::make_room(std::size_t bytes) {
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
  } else if (in_.size() - in_end_ < bytes) {
    // Move the partial packet to the front; grow only when it alone fills the buffer.
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  if (in_.size() - in_end_ < bytes) in_.resize(std::max(in_.size() * 2, in_end_ + bytes));
}

bool Connection::decrypt(std::span<const std::uint8_t> ciphertext, std::string& error) {
  std::vector<std::uint8_t> plaintext;
  if (session_->receive(ciphertext, plaintext, records_) == tls::Session::State::failed) {
    error = "TLS: " + session_->error();
    return false;
  }
  make_room(plaintext.size());
  std::memcpy(in_.data() + in_end_, plaintext.data(), plaintext.size());
  in_end_ += plaintext.size();
  return true;
}

Connection::ReadResult Connection::read_some(std::string& error) {
  make_room(kReadChunk / 4);
  std::uint8_t* target = session_ ? ciphertext_in_.data() : in_.data() + in_end_;
  const std::size_t space = session_ ? ciphertext_in_.size() : in_.size() - in_end_;
  for (;;) {
    const ssize_t n = ::recv(fd_, target, space, 0);
    if (n > 0) {
      if (session_) {
        if (!decrypt(std::span(target, static_cast<std::size_t>(n)), error)) {
          return ReadResult::failed;
        }
        if (session_->state() == tls::Session::State::closed) return ReadResult::closed;
      } else {
        in_end_ += static_cast<std::size_t>(n);
      }
      return static_cast<std::size_t>(n) == space ? ReadResult::more : ReadResult::drained;
    }
    if (n == 0) return ReadResult::closed;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return ReadResult::drained;
    error = system_error("recv");
    return ReadResult::failed;
  }
}

bool Connection::malformed(const mqtt::DecodeStatus& status, std::string& error) const {
  error = std::string("malformed packet from the broker (") +
          std::string(mqtt::to_string(status.code)) + "): " + status.detail;
  return false;
}

}  // namespace attestmq::app::bench

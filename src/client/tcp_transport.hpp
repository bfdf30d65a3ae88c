#pragma once
// TCP transport: a connected, non-blocking socket driven by poll(2).
#include <chrono>
#include <memory>
#include <string>

#include "client/transport.hpp"

namespace attestmq::client {

class TcpTransport final : public Transport {
 public:
  // Resolves `host` (name, IPv4 or IPv6 literal) with getaddrinfo and connects to the first
  // address that answers within `timeout`. On failure `transport` stays empty.
  static Status connect(const std::string& host, std::uint16_t port,
                        std::chrono::milliseconds timeout, std::unique_ptr<Transport>& transport);

  explicit TcpTransport(int fd) : fd_(fd) {}
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  Status write(std::span<const std::uint8_t> data, std::chrono::milliseconds timeout) override;
  Status read(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout,
              std::size_t& received) override;
  void close() override;

 private:
  int fd_ = -1;
};

}  // namespace attestmq::client

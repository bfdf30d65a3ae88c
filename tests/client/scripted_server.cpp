#include "scripted_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "client/tcp_transport.hpp"

namespace attestmq::client::testing {
namespace {

// Splits a byte stream into whole packets.
std::vector<std::vector<std::uint8_t>> split_packets(const std::vector<std::uint8_t>& stream) {
  std::vector<std::vector<std::uint8_t>> packets;
  std::span<const std::uint8_t> rest(stream);
  for (;;) {
    mqtt::FixedHeader header;
    mqtt::DecodeStatus status;
    if (mqtt::parse_frame(rest, mqtt::kMaxRemainingLength, header, status) !=
        mqtt::FrameStatus::complete) {
      return packets;
    }
    packets.emplace_back(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(header.total_size()));
    rest = rest.subspan(header.total_size());
  }
}

}  // namespace

ScriptedServer::ScriptedServer(std::vector<std::uint8_t> script) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(listener_, 1);
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this, script = std::move(script)]() mutable { serve(std::move(script)); });
}

ScriptedServer::~ScriptedServer() {
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
}

std::unique_ptr<Client> ScriptedServer::client() {
  std::unique_ptr<Transport> transport;
  TcpTransport::connect("127.0.0.1", port_, std::chrono::seconds(2), transport);
  return std::make_unique<Client>(std::move(transport));
}

void ScriptedServer::serve(std::vector<std::uint8_t> script) {
  pollfd pending{listener_, POLLIN, 0};
  if (::poll(&pending, 1, 5000) != 1) return;
  const int connection = ::accept(listener_, nullptr, nullptr);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool connect_seen = false;
  std::vector<std::uint8_t> stream;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd readable{connection, POLLIN, 0};
    if (::poll(&readable, 1, 50) != 1) continue;
    std::uint8_t buffer[4096];
    const ssize_t count = ::recv(connection, buffer, sizeof buffer, 0);
    if (count <= 0) break;
    stream.insert(stream.end(), buffer, buffer + count);
    if (!connect_seen) {
      mqtt::FixedHeader header;
      mqtt::DecodeStatus status;
      if (mqtt::parse_frame(stream, mqtt::kMaxRemainingLength, header, status) !=
          mqtt::FrameStatus::complete) {
        continue;
      }
      connect_seen = true;
      stream.erase(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(header.total_size()));
      ::send(connection, script.data(), script.size(), MSG_NOSIGNAL);
    }
  }
  from_client_ = std::move(stream);
  ::close(connection);
}

std::vector<std::vector<std::uint8_t>> ScriptedServer::packets_from_client() {
  if (thread_.joinable()) thread_.join();
  return split_packets(from_client_);
}

std::vector<std::uint8_t> encode_all(mqtt::Version version,
                                     const std::vector<mqtt::Packet>& packets) {
  std::vector<std::uint8_t> bytes;
  for (const auto& packet : packets) mqtt::encode(packet, version, bytes);
  return bytes;
}

mqtt::Packet decode_one(const std::vector<std::uint8_t>& bytes, mqtt::Version version) {
  mqtt::FixedHeader header;
  mqtt::DecodeStatus status;
  mqtt::Packet packet;
  if (mqtt::parse_frame(bytes, mqtt::kMaxRemainingLength, header, status) ==
      mqtt::FrameStatus::complete) {
    mqtt::decode(header, std::span(bytes).subspan(header.header_size), version, packet);
  }
  return packet;
}

}  // namespace attestmq::client::testing

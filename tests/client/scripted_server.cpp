#include "scripted_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>

#include "client/tcp_transport.hpp"
#include "client/tls_transport.hpp"

namespace attestmq::client::testing {
namespace {

// The length of the whole packet at the start of `stream`, or 0 while it is incomplete.
std::size_t complete_packet(std::span<const std::uint8_t> stream) {
  mqtt::FixedHeader header;
  mqtt::DecodeStatus status;
  if (mqtt::parse_frame(stream, mqtt::kMaxRemainingLength, header, status) !=
      mqtt::FrameStatus::complete) {
    return 0;
  }
  return header.total_size();
}

// Splits a byte stream into whole packets.
std::vector<std::vector<std::uint8_t>> split_packets(const std::vector<std::uint8_t>& stream) {
  std::vector<std::vector<std::uint8_t>> packets;
  std::span<const std::uint8_t> rest(stream);
  while (const std::size_t size = complete_packet(rest)) {
    packets.emplace_back(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(size));
    rest = rest.subspan(size);
  }
  return packets;
}

void send_all(int connection, const std::vector<std::uint8_t>& bytes) {
  if (!bytes.empty()) ::send(connection, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

}  // namespace

ScriptedServer::ScriptedServer(std::vector<std::uint8_t> script,
                               std::vector<std::vector<std::uint8_t>> replies)
    : ScriptedServer(
          [script = std::move(script), replies = std::move(replies)](
              std::size_t index, const std::vector<std::uint8_t>&,
              const tls::Session*) -> std::vector<std::uint8_t> {
            if (index == 0) return script;
            return index <= replies.size() ? replies[index - 1] : std::vector<std::uint8_t>{};
          },
          nullptr) {}

ScriptedServer::ScriptedServer(Responder responder, std::shared_ptr<const tls::Context> tls)
    : responder_(std::move(responder)), tls_(std::move(tls)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(listener_, 1);
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

ScriptedServer::~ScriptedServer() {
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
}

std::unique_ptr<Client> ScriptedServer::client(std::shared_ptr<const tls::Context> tls) {
  std::unique_ptr<Transport> transport;
  TcpTransport::connect("127.0.0.1", port_, std::chrono::seconds(2), transport);
  if (tls && !TlsTransport::connect(std::move(transport), std::move(tls), std::chrono::seconds(2),
                                    transport)
                  .ok()) {
    return nullptr;
  }
  return std::make_unique<Client>(std::move(transport));
}

void ScriptedServer::serve() {
  pollfd pending{listener_, POLLIN, 0};
  if (::poll(&pending, 1, 5000) != 1) return;
  const int connection = ::accept(listener_, nullptr, nullptr);
  std::optional<tls::Session> session;
  if (tls_) session.emplace(tls_);
  // Plaintext goes out through the TLS session when there is one.
  const auto send_plain = [&](const std::vector<std::uint8_t>& bytes) {
    if (!session) return send_all(connection, bytes);
    std::vector<std::uint8_t> records;
    session->send(bytes, records);
    send_all(connection, records);
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::vector<std::uint8_t> stream;
  std::size_t answered = 0;  // bytes of `stream` already answered, whole packets
  std::size_t index = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd readable{connection, POLLIN, 0};
    if (::poll(&readable, 1, 50) != 1) continue;
    std::uint8_t buffer[4096];
    const ssize_t count = ::recv(connection, buffer, sizeof buffer, 0);
    if (count <= 0) break;
    if (session) {
      std::vector<std::uint8_t> records;
      const auto state = session->receive(std::span(buffer, static_cast<std::size_t>(count)),
                                          stream, records);
      send_all(connection, records);
      if (state == tls::Session::State::failed) break;
    } else {
      stream.insert(stream.end(), buffer, buffer + count);
    }
    while (const std::size_t size = complete_packet(std::span(stream).subspan(answered))) {
      const std::vector<std::uint8_t> packet(
          stream.begin() + static_cast<std::ptrdiff_t>(answered),
          stream.begin() + static_cast<std::ptrdiff_t>(answered + size));
      answered += size;
      send_plain(responder_(index++, packet, session ? &*session : nullptr));
    }
  }
  // Everything after CONNECT.
  const std::size_t connect_size = complete_packet(stream);
  from_client_.assign(stream.begin() + static_cast<std::ptrdiff_t>(connect_size), stream.end());
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

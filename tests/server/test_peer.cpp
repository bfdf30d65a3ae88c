#include "test_peer.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "mqtt/codec.hpp"

namespace attestmq::server::testing {

config::BrokerConfig loopback_config(unsigned threads) {
  config::BrokerConfig config;
  config::ListenerConfig listener;
  listener.port = 0;
  listener.bind_address = "127.0.0.1";
  config.listeners.push_back(listener);
  config.settings.listeners.assign(1, broker::ListenerPolicy{});
  config.settings.listeners[0].allow_anonymous = true;
  config.threads = threads;
  config.log.types = config::kLogError;
  return config;
}

std::string log_to_test_file(config::BrokerConfig& config) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string("attestmq_") + test->test_suite_name() + "_" + test->name() + ".log";
  std::replace(name.begin(), name.end(), '/', '_');
  const std::string path = ::testing::TempDir() + name;
  std::remove(path.c_str());
  config.log.destinations = {config::LogDestination{config::LogDestination::Kind::file, path}};
  config.log.types = config::kLogAll;
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

RunningServer::RunningServer(const config::BrokerConfig& config) {
  auto created = Server::create(config);
  if (auto* error = std::get_if<std::string>(&created)) {
    ADD_FAILURE() << "server did not start: " << *error;
    return;
  }
  server_ = std::move(std::get<0>(created));
  thread_ = std::thread([this] { server_->run(); });
}

RunningServer::~RunningServer() { stop(); }

void RunningServer::stop() {
  if (!thread_.joinable()) return;
  server_->request_stop();
  thread_.join();
}

std::uint16_t RunningServer::port(std::size_t socket) const {
  if (!server_ || socket >= server_->addresses().size()) return 0;
  return server_->addresses()[socket].port;
}

TestClient::TestClient(const std::string& host, std::uint16_t port, int receive_buffer) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &result) != 0) return;
  UniqueFd fd(::socket(result->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd && receive_buffer > 0) {
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  if (fd && ::connect(fd.get(), result->ai_addr, result->ai_addrlen) == 0) fd_ = std::move(fd);
  ::freeaddrinfo(result);
  set_receive_timeout_ms(5000);
}

void TestClient::set_receive_timeout_ms(int milliseconds) {
  timeval timeout{milliseconds / 1000, (milliseconds % 1000) * 1000};
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

void TestClient::send_bytes(const std::vector<std::uint8_t>& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

void TestClient::send_packet(const mqtt::Packet& packet) {
  std::vector<std::uint8_t> bytes;
  mqtt::encode(packet, version_, bytes);
  send_bytes(bytes);
}

std::optional<mqtt::Packet> TestClient::receive() {
  if (!packet_.empty()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(packet_.size()));
    packet_.clear();
  }
  while (true) {
    mqtt::FixedHeader header;
    mqtt::DecodeStatus status;
    const auto frame = mqtt::parse_frame(buffer_, mqtt::kMaxRemainingLength + 5, header, status);
    if (frame == mqtt::FrameStatus::error) return std::nullopt;
    if (frame == mqtt::FrameStatus::complete) {
      packet_.assign(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(header.total_size()));
      mqtt::Packet packet;
      const std::span<const std::uint8_t> body(packet_.data() + header.header_size, header.remaining_length);
      if (!mqtt::decode(header, body, version_, packet).ok()) return std::nullopt;
      return packet;
    }
    std::uint8_t chunk[65536];
    const ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
    if (n <= 0) return std::nullopt;
    buffer_.insert(buffer_.end(), chunk, chunk + n);
  }
}

bool TestClient::closed_by_peer() {
  while (true) {
    std::uint8_t chunk[4096];
    const ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
}

mqtt::ReasonCode TestClient::connect(const std::string& client_id, mqtt::Version version) {
  version_ = version;
  mqtt::Connect connect;
  connect.version = version;
  connect.keep_alive = 60;
  connect.client_id = client_id;
  send_packet(connect);
  const auto reply = receive();
  if (!reply || !std::holds_alternative<mqtt::Connack>(*reply)) {
    ADD_FAILURE() << "no CONNACK for " << client_id;
    return mqtt::ReasonCode::UnspecifiedError;
  }
  return std::get<mqtt::Connack>(*reply).reason;
}

void TestClient::subscribe(const std::string& filter, std::uint8_t qos) {
  mqtt::Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.subscriptions.push_back(mqtt::Subscription{.filter = filter, .qos = qos});
  send_packet(subscribe);
  const auto reply = receive();
  if (!reply || !std::holds_alternative<mqtt::Suback>(*reply)) ADD_FAILURE() << "no SUBACK for " << filter;
}

void TestClient::publish(const std::string& topic, const std::vector<std::uint8_t>& payload,
                         std::uint8_t qos, std::uint16_t packet_id) {
  mqtt::Publish publish;
  publish.topic = topic;
  publish.qos = qos;
  publish.packet_id = packet_id;
  publish.payload = payload;
  send_packet(publish);
}

}  // namespace attestmq::server::testing

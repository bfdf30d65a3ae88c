#pragma once
// Real peers for server tests: the server running on a thread with ephemeral ports on
// loopback, and a blocking MQTT client on a plain socket that speaks through the codec.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/broker_config.hpp"
#include "mqtt/packet.hpp"
#include "server/server.hpp"
#include "server/unique_fd.hpp"

namespace attestmq::server::testing {

// One listener on 127.0.0.1, ephemeral port, anonymous allowed, logging only errors.
config::BrokerConfig loopback_config(unsigned threads = 1);

// Makes `config` log every type to a fresh file named after the running test; returns its path.
std::string log_to_test_file(config::BrokerConfig& config);
std::string read_file(const std::string& path);

class RunningServer {
 public:
  explicit RunningServer(const config::BrokerConfig& config);
  ~RunningServer();  // stops the server if still running
  std::uint16_t port(std::size_t socket = 0) const;
  Server& server() { return *server_; }
  // SIGTERM's path: request_stop, then wait for run() to return.
  void stop();

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

class TestClient {
 public:
  // Connects (blocking) to host:port; receive timeout of a few seconds so a test that
  // waits for something that never comes fails instead of hanging. A receive_buffer other
  // than 0 fixes SO_RCVBUF (no autotuning), for tests of clients that do not read.
  TestClient(const std::string& host, std::uint16_t port, int receive_buffer = 0);
  bool connected() const { return static_cast<bool>(fd_); }

  void send_packet(const mqtt::Packet& packet);
  void send_bytes(const std::vector<std::uint8_t>& bytes);
  // The next packet, or nullopt on EOF, error or timeout. The packet's views point into
  // this client's buffer until the next call.
  std::optional<mqtt::Packet> receive();
  // True if the server closed the connection (EOF or reset) within the timeout.
  bool closed_by_peer();

  // CONNECT with the given client id, then expects a CONNACK; returns its reason.
  mqtt::ReasonCode connect(const std::string& client_id, mqtt::Version version = mqtt::Version::v5);
  void subscribe(const std::string& filter, std::uint8_t qos);
  void publish(const std::string& topic, const std::vector<std::uint8_t>& payload,
               std::uint8_t qos = 0, std::uint16_t packet_id = 0);
  int fd() const { return fd_.get(); }
  void set_receive_timeout_ms(int milliseconds);

 private:
  UniqueFd fd_;
  mqtt::Version version_ = mqtt::Version::v5;
  std::vector<std::uint8_t> buffer_;
  std::vector<std::uint8_t> packet_;  // the bytes of the packet last returned
};

}  // namespace attestmq::server::testing

// Host::close over real sockets: the final CONNACK or DISCONNECT reaches a client that
// pipelined more bytes, followed by a clean EOF, not a reset (MQTT 5.0 section 4.13.1,
// MQTT 3.1.1 section 3.1.4).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mqtt/codec.hpp"
#include "test_peer.hpp"

namespace attestmq::server {
namespace {

using testing::RunningServer;
using testing::TestClient;
using testing::loopback_config;

using Bytes = std::vector<std::uint8_t>;

// CONNECT whose protocol name or level this server does not speak (sections 3.1.2.1-2).
Bytes connect_packet(const char name[4], std::uint8_t level) {
  // Protocol name, level, Clean Start, keep alive 60 s.
  Bytes body = {0x00,
                0x04,
                static_cast<std::uint8_t>(name[0]),
                static_cast<std::uint8_t>(name[1]),
                static_cast<std::uint8_t>(name[2]),
                static_cast<std::uint8_t>(name[3]),
                level,
                0x02,
                0x00,
                0x3C};
  if (level == 5) body.push_back(0x00);  // no properties
  body.insert(body.end(), {0x00, 0x00});  // empty client identifier
  Bytes packet = {0x10, static_cast<std::uint8_t>(body.size())};
  packet.insert(packet.end(), body.begin(), body.end());
  return packet;
}

// 256 KiB of well-formed QoS 0 PUBLISH packets.
Bytes publish_flood() {
  mqtt::Publish publish;
  publish.topic = "flood";
  const Bytes payload(1024, 'f');
  publish.payload = payload;
  Bytes flood;
  while (flood.size() < 256 * 1024) mqtt::encode(publish, mqtt::Version::v5, flood);
  return flood;
}

// Sends everything without reading; false (with the errno) if the server reset or stalled.
bool send_all(int fd, const Bytes& bytes, int& error) {
  const timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = errno;
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

struct Ending {
  Bytes received;
  int error = 0;  // 0: clean EOF; else the errno that ended the reading (ECONNRESET, timeout)
};

Ending read_to_end(int fd) {
  Ending ending;
  while (true) {
    std::uint8_t chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n == 0) return ending;
    if (n < 0) {
      if (errno == EINTR) continue;
      ending.error = errno;
      return ending;
    }
    ending.received.insert(ending.received.end(), chunk, chunk + n);
  }
}

// The refusal of a CONNECT followed, without waiting, by 256 KiB more.
Ending refuse_pipelined_connect(std::uint16_t port, const Bytes& connect) {
  TestClient client("127.0.0.1", port);
  Bytes pipelined = connect;
  const Bytes flood = publish_flood();
  pipelined.insert(pipelined.end(), flood.begin(), flood.end());
  int error = 0;
  EXPECT_TRUE(send_all(client.fd(), pipelined, error)) << "send failed: " << std::strerror(error);
  return read_to_end(client.fd());
}

TEST(GracefulClose, V5RefusalArrivesBeforeACleanEof) {
  RunningServer running(loopback_config());
  // MQTT 5.0 section 3.1.2.2: CONNACK 0x84 Unsupported Protocol Version, no properties.
  const Ending ending = refuse_pipelined_connect(running.port(), connect_packet("MQTX", 5));
  EXPECT_EQ(ending.error, 0) << std::strerror(ending.error);
  EXPECT_EQ(ending.received, (Bytes{0x20, 0x03, 0x00, 0x84, 0x00}));
}

TEST(GracefulClose, V311RefusalArrivesBeforeACleanEof) {
  RunningServer running(loopback_config());
  // MQTT 3.1.1 section 3.1.2.2: return code 0x01, unacceptable protocol level.
  const Ending ending = refuse_pipelined_connect(running.port(), connect_packet("MQTT", 3));
  EXPECT_EQ(ending.error, 0) << std::strerror(ending.error);
  EXPECT_EQ(ending.received, (Bytes{0x20, 0x02, 0x00, 0x01}));
}

TEST(GracefulClose, MalformedPacketGetsDisconnectBeforeACleanEof) {
  RunningServer running(loopback_config());
  TestClient client("127.0.0.1", running.port());
  ASSERT_EQ(client.connect("malformed"), mqtt::ReasonCode::Success);
  // A PUBLISH whose topic length (16) runs past its remaining length (3): section 4.13.1.
  Bytes pipelined = {0x30, 0x03, 0x00, 0x10, 'a'};
  const Bytes flood = publish_flood();
  pipelined.insert(pipelined.end(), flood.begin(), flood.end());
  int error = 0;
  EXPECT_TRUE(send_all(client.fd(), pipelined, error)) << "send failed: " << std::strerror(error);
  const auto goodbye = client.receive();
  ASSERT_TRUE(goodbye && std::holds_alternative<mqtt::Disconnect>(*goodbye));
  EXPECT_EQ(std::get<mqtt::Disconnect>(*goodbye).reason, mqtt::ReasonCode::MalformedPacket);
  const Ending ending = read_to_end(client.fd());
  EXPECT_EQ(ending.error, 0) << std::strerror(ending.error);
  EXPECT_TRUE(ending.received.empty());
}

TEST(GracefulClose, AClientThatNeverClosesIsCutAtTheDeadline) {
  auto config = loopback_config();
  const std::string log = testing::log_to_test_file(config);
  RunningServer running(config);
  TestClient client("127.0.0.1", running.port());
  client.send_bytes(connect_packet("MQTT", 3));
  const Ending ending = read_to_end(client.fd());  // the server's side ends; ours stays open
  EXPECT_EQ(ending.received, (Bytes{0x20, 0x02, 0x00, 0x01}));
  const auto start = std::chrono::steady_clock::now();
  bool cut = false;
  while (!cut && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cut = testing::read_file(log).find(" did not finish closing within 2000 ms") != std::string::npos;
  }
  EXPECT_TRUE(cut);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  // The server's socket is gone: what the client sends now is answered with a reset, so
  // the next send fails.
  int error = 0;
  EXPECT_TRUE(send_all(client.fd(), Bytes{0xC0, 0x00}, error));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(send_all(client.fd(), Bytes{0xC0, 0x00}, error));
  EXPECT_TRUE(error == ECONNRESET || error == EPIPE) << std::strerror(error);
}

TEST(GracefulClose, EachClosedConnectionFreesExactlyOneSlot) {
  auto config = loopback_config();
  config.listeners[0].max_connections = 1;
  RunningServer running(config);
  // The server frees a refused client's slot only once it has read that client's EOF, so
  // the next attempt may still be denied (closed with no bytes); it then tries again.
  int refused = 0;
  for (int attempt = 0; attempt < 150 && refused < 3; ++attempt) {
    TestClient client("127.0.0.1", running.port());
    client.send_bytes(connect_packet("MQTT", 3));
    const Ending ending = read_to_end(client.fd());
    if (ending.received.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    EXPECT_EQ(ending.received, (Bytes{0x20, 0x02, 0x00, 0x01}));
    ++refused;
  }
  ASSERT_EQ(refused, 3);
  // Once the server has seen the last refused client close, its one slot is free again ...
  std::unique_ptr<TestClient> admitted;
  for (int attempt = 0; attempt < 50 && !admitted; ++attempt) {
    auto candidate = std::make_unique<TestClient>("127.0.0.1", running.port());
    candidate->set_receive_timeout_ms(200);
    mqtt::Connect connect;
    connect.client_id = "admitted";
    candidate->send_packet(connect);
    const auto reply = candidate->receive();
    if (reply && std::holds_alternative<mqtt::Connack>(*reply)) admitted = std::move(candidate);
  }
  ASSERT_TRUE(admitted);
  // ... and only one: a count released twice would let a second client in.
  TestClient second("127.0.0.1", running.port());
  EXPECT_TRUE(second.closed_by_peer());
}

// Stopping the server (SIGTERM's path) while a subscriber has megabytes of messages it has
// not read yet: it still reads every one of them, then DISCONNECT 0x8B (MQTT 5.0 section
// 3.14.2.1) and a clean EOF, instead of losing the rest to a close that cannot wait.
TEST(GracefulClose, StopDeliversTheGoodbyeBehindUnreadMessages) {
  constexpr int kMessages = 1024;
  constexpr std::size_t kPayload = 8 * 1024;  // 8 MiB in all, far beyond the socket buffers
  auto config = loopback_config();
  config.settings.max_client_output_bytes = 64 * 1024 * 1024;  // nothing dropped for lag
  RunningServer running(config);
  auto subscriber = std::make_unique<TestClient>("127.0.0.1", running.port(), 16 * 1024);
  ASSERT_EQ(subscriber->connect("slow-reader"), mqtt::ReasonCode::Success);
  subscriber->subscribe("bulk", 0);
  auto publisher = std::make_unique<TestClient>("127.0.0.1", running.port());
  ASSERT_EQ(publisher->connect("bulk-publisher"), mqtt::ReasonCode::Success);
  const Bytes payload(kPayload, 'p');
  for (int i = 0; i < kMessages; ++i) publisher->publish("bulk", payload);
  // The engine answers packets in order: this PINGRESP means every PUBLISH was routed.
  publisher->send_packet(mqtt::Pingreq{});
  const auto pong = publisher->receive();
  ASSERT_TRUE(pong && std::holds_alternative<mqtt::Pingresp>(*pong));

  std::thread stopper([&] { running.stop(); });
  int received = 0;
  std::optional<mqtt::Packet> packet;
  while ((packet = subscriber->receive()) && std::holds_alternative<mqtt::Publish>(*packet)) ++received;
  EXPECT_EQ(received, kMessages);
  ASSERT_TRUE(packet && std::holds_alternative<mqtt::Disconnect>(*packet));
  EXPECT_EQ(std::get<mqtt::Disconnect>(*packet).reason, mqtt::ReasonCode::ServerShuttingDown);
  const Ending ending = read_to_end(subscriber->fd());
  EXPECT_EQ(ending.error, 0) << std::strerror(ending.error);
  EXPECT_TRUE(ending.received.empty());
  subscriber.reset();  // our side closes too: the server's close completes
  publisher.reset();
  stopper.join();
}

// A reactor other than 0 has no timer tick to wake it: once its last connection's close
// deadline expired, the stop must end its loop rather than wait for an event that never
// comes (a regression hangs here).
TEST(GracefulClose, StopEndsEveryReactorWhenTheLastCloseTimesOut) {
  RunningServer running(loopback_config(2));
  TestClient on_reactor_0("127.0.0.1", running.port());
  TestClient on_reactor_1("127.0.0.1", running.port());
  ASSERT_EQ(on_reactor_0.connect("silent-0", mqtt::Version::v311), mqtt::ReasonCode::Success);
  ASSERT_EQ(on_reactor_1.connect("silent-1", mqtt::Version::v311), mqtt::ReasonCode::Success);
  running.stop();  // neither client reads its EOF nor closes: both closes time out
  EXPECT_TRUE(on_reactor_1.closed_by_peer());
}

}  // namespace
}  // namespace attestmq::server

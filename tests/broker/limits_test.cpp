// Limits against hostile or broken clients (issue #3, item 3), at the engine: the CONNECT
// deadline for half-open connections, slowloris partial packets before and after CONNECT,
// a huge length prefix, per-client queue limits. Each limit ends (or costs) only the client
// that hit it, with the reason code MQTT 5.0 section 4.13 prescribes and a log line.
// Elsewhere: Receive Maximum (qos_flow_test ReceiveMaximumExceededDisconnects), max packet
// size of a whole packet (protocol_error_test), output backlog (flow_control_test).
#include <chrono>

#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

Settings with_connect_timeout(std::uint32_t timeout_ms) {
  Settings settings = open_settings();
  settings.connect_timeout_ms = timeout_ms;
  return settings;
}

std::vector<std::uint8_t> encoded(const mqtt::Connect& packet) {
  std::vector<std::uint8_t> bytes;
  mqtt::encode(packet, packet.version, bytes);
  return bytes;
}

mqtt::Connect connect_packet(std::string_view client_id, std::uint16_t keep_alive) {
  mqtt::Connect packet;
  packet.version = Version::v5;
  packet.client_id = client_id;
  packet.keep_alive = keep_alive;
  return packet;
}

// A PUBLISH to "t" with a payload, as bytes, to be fed in pieces.
std::vector<std::uint8_t> publish_bytes(Version version, std::string_view payload) {
  mqtt::Publish packet;
  packet.topic = "t";
  packet.payload = TestClient::bytes_of(payload);
  std::vector<std::uint8_t> bytes;
  mqtt::encode(packet, version, bytes);
  return bytes;
}

TEST(ConnectTimeout, ClosesAConnectionThatNeverSendsConnect) {
  Broker broker(with_connect_timeout(2'000));
  TestClient silent(broker, Version::v5);
  broker.advance(1'999);
  EXPECT_FALSE(silent.closed());
  broker.advance(1);
  EXPECT_TRUE(silent.closed());
  EXPECT_TRUE(silent.idle()) << "no CONNACK: nothing was asked";
  EXPECT_TRUE(broker.host.logged("Client 127.0.0.1:" + std::to_string(40000 + silent.id()) +
                                 " closed: no CONNECT within 2000 ms."));
}

TEST(ConnectTimeout, ZeroMeansNever) {
  Broker broker(with_connect_timeout(0));
  TestClient silent(broker, Version::v5);
  broker.advance(100'000'000);
  EXPECT_FALSE(silent.closed());
}

TEST(ConnectTimeout, ConnectInTimeHandsOverToKeepAlive) {
  Broker broker(with_connect_timeout(2'000));
  TestClient client(broker, Version::v5);
  broker.advance(1'500);
  EXPECT_EQ(client.connect("prompt", ConnectOptions().keepalive(10)).reason, ReasonCode::Success);
  broker.advance(10'000);  // past the CONNECT deadline, within 1.5 x keep alive
  EXPECT_FALSE(client.closed());
  broker.advance(5'000);
  EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::KeepAliveTimeout);
  EXPECT_TRUE(client.closed());
}

TEST(ConnectTimeout, ARefusedConnectDoesNotCount) {
  Settings settings = with_connect_timeout(2'000);
  settings.listeners.front().allow_anonymous = false;
  Broker broker(settings);
  TestClient client(broker, Version::v5);
  EXPECT_EQ(client.connect("anonymous").reason, ReasonCode::NotAuthorized);
  EXPECT_TRUE(client.closed()) << "refused and closed at once, not left to the deadline";
}

TEST(ConnectTimeout, DribbledConnectIsCutAtTheDeadline) {
  Broker broker(with_connect_timeout(3'000));
  TestClient slowloris(broker, Version::v5);
  const auto bytes = encoded(connect_packet("dribble", 60));
  for (std::size_t i = 0; i + 1 < bytes.size() && !slowloris.closed(); ++i) {
    slowloris.send_bytes(std::span(bytes).subspan(i, 1));
    broker.advance(500);
  }
  EXPECT_TRUE(slowloris.closed()) << "bytes trickling in do not extend the deadline";
  EXPECT_TRUE(slowloris.idle());
  EXPECT_TRUE(broker.host.logged("closed: no CONNECT within 3000 ms."));
}

TEST(ConnectTimeout, OnlyTheSilentConnectionIsClosed) {
  Broker broker(with_connect_timeout(2'000));
  TestClient subscriber(broker, Version::v5), publisher(broker, Version::v311);
  subscriber.connect("sub", ConnectOptions().keepalive(0));
  subscriber.subscribe("t", 0);
  publisher.connect("pub", ConnectOptions().keepalive(0));
  TestClient silent(broker, Version::v5);
  broker.advance(2'000);
  EXPECT_TRUE(silent.closed());
  publisher.publish("t", "after");
  EXPECT_EQ(TestClient::text_of(subscriber.take<mqtt::Publish>().payload), "after");
  EXPECT_FALSE(subscriber.closed());
  EXPECT_FALSE(publisher.closed());
}

// 100k half-open connections must not make every tick walk them all: ticks before the
// deadline cost next to nothing next to opening the connections (a walk per tick would
// cost far more), and the one tick at the deadline closes them all.
TEST(ConnectTimeout, HalfOpenConnectionsDoNotSlowTheTick) {
  constexpr ConnId kHalfOpen = 100'000;
  constexpr int kTicks = 2'000;
  Broker broker(with_connect_timeout(10'000));
  using Clock = std::chrono::steady_clock;
  const auto opening_started = Clock::now();
  for (ConnId id = 1; id <= kHalfOpen; ++id)
    broker.engine->open(id, connection_info(0, "10.0.0.1:" + std::to_string(id)));
  const auto opening = Clock::now() - opening_started;
  const auto ticking_started = Clock::now();
  for (int i = 0; i < kTicks; ++i) broker.advance(1);
  const auto ticking = Clock::now() - ticking_started;
  EXPECT_LT(ticking, opening) << "each tick looks at every half-open connection";
  EXPECT_TRUE(broker.host.closed_conns.empty());
  broker.advance(10'000);
  EXPECT_EQ(broker.host.closed_conns.size(), kHalfOpen);
}

TEST(PartialPackets, KeepAliveBoundsADribbledPacketAfterConnect) {
  Broker broker(with_connect_timeout(0));
  TestClient slowloris(broker, Version::v5);
  slowloris.connect("dribble", ConnectOptions().keepalive(4));
  const auto bytes = publish_bytes(Version::v5, "never finished");
  for (std::size_t i = 0; i + 1 < bytes.size() && !slowloris.closed(); ++i) {
    slowloris.send_bytes(std::span(bytes).subspan(i, 1));
    broker.advance(1'000);
  }
  // Section 3.1.2.10: only a complete packet counts, so 1.5 x 4 s after CONNECT it ends.
  EXPECT_EQ(slowloris.take<mqtt::Disconnect>().reason, ReasonCode::KeepAliveTimeout);
  EXPECT_TRUE(slowloris.closed());
}

class PartialPacketsKeepAliveZero : public ::testing::TestWithParam<Version> {};

TEST_P(PartialPacketsKeepAliveZero, APartialPacketIsHeldForConnectTimeoutAtMost) {
  Broker broker(with_connect_timeout(5'000));
  TestClient bystander(broker, Version::v5);
  bystander.connect("bystander", ConnectOptions().keepalive(0));
  bystander.subscribe("t", 0);
  TestClient slowloris(broker, GetParam());
  slowloris.connect("forever", ConnectOptions().keepalive(0));
  broker.advance(60'000);
  EXPECT_FALSE(slowloris.closed()) << "keep alive 0: silence alone is allowed";
  const auto bytes = publish_bytes(GetParam(), "slow");
  slowloris.send_bytes(std::span(bytes).first(bytes.size() - 1));
  broker.advance(4'999);
  EXPECT_FALSE(slowloris.closed());
  broker.advance(1);
  if (GetParam() == Version::v5) {
    EXPECT_EQ(slowloris.take<mqtt::Disconnect>().reason, ReasonCode::QuotaExceeded);
  }
  EXPECT_TRUE(slowloris.closed());
  EXPECT_TRUE(broker.host.logged(
      "Client forever (127.0.0.1:" + std::to_string(40000 + slowloris.id()) +
      ") closed: a packet stayed incomplete for 5000 ms (connect_timeout, keep alive 0)."));
  EXPECT_FALSE(bystander.closed());
}

TEST_P(PartialPacketsKeepAliveZero, PacketsThatCompleteKeepTheConnection) {
  Broker broker(with_connect_timeout(5'000));
  TestClient subscriber(broker, Version::v5);
  subscriber.connect("sub", ConnectOptions().keepalive(0));
  subscriber.subscribe("t", 0);
  TestClient client(broker, GetParam());
  client.connect("split", ConnectOptions().keepalive(0));
  const auto bytes = publish_bytes(GetParam(), "split in two");
  for (int round = 0; round < 4; ++round) {
    client.send_bytes(std::span(bytes).first(3));
    broker.advance(4'000);
    client.send_bytes(std::span(bytes).subspan(3));
    broker.advance(4'000);
  }
  EXPECT_FALSE(client.closed());
  EXPECT_EQ(subscriber.receive_all().size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(Versions, PartialPacketsKeepAliveZero, both_versions(), version_name);

// A length prefix claiming the spec's maximum (268,435,455 bytes) over max_packet_size ends
// the client on the fixed header alone: nothing waits for, or makes room for, the body.
TEST(PacketSize, HugeLengthPrefixIsRefusedOnTheHeader) {
  Settings settings = open_settings();
  settings.max_packet_size = 1024;
  Broker broker(settings);
  TestClient client(broker, Version::v5);
  client.connect("huge");
  const std::uint8_t header[] = {0x30, 0xFF, 0xFF, 0xFF, 0x7F};
  client.send_bytes(header);
  EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::PacketTooLarge);
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(broker.host.logged("Client huge (127.0.0.1:"));
}

TEST(QueueLimits, DropsAreCountedAndLoggedAtMostEveryTenSeconds) {
  Settings settings = open_settings();
  settings.max_queued_messages = 2;
  Broker broker(settings);
  TestClient pub(broker, Version::v5), other(broker, Version::v5);
  pub.connect("pub", ConnectOptions().keepalive(0));
  other.connect("other", ConnectOptions().keepalive(0));
  other.subscribe("t", 1);
  {
    TestClient sub(broker, Version::v5);
    sub.connect("offline", persistent());
    sub.subscribe("t", 1);
    sub.send(mqtt::Disconnect{});
  }
  auto drop_lines = [&] {
    std::vector<std::string> lines;
    for (const auto& line : broker.host.logs)
      if (line.starts_with("Outgoing messages are being dropped for client offline")) lines.push_back(line);
    return lines;
  };
  for (int i = 0; i < 5; ++i) pub.publish("t", std::to_string(i), 1);
  EXPECT_EQ(broker.engine->stats().messages_dropped, 3u);
  ASSERT_EQ(drop_lines().size(), 1u) << "one line, not one per message";
  EXPECT_EQ(drop_lines()[0],
            "Outgoing messages are being dropped for client offline (max_queued_messages); "
            "1 dropped since the last report.");
  broker.advance(10'000);
  pub.publish("t", "later", 1);
  ASSERT_EQ(drop_lines().size(), 2u);
  EXPECT_NE(drop_lines()[1].find("; 3 dropped since the last report."), std::string::npos);

  std::size_t delivered = 0;
  for (const auto& packet : other.receive_all())
    if (std::holds_alternative<mqtt::Publish>(packet)) ++delivered;
  EXPECT_EQ(delivered, 6u) << "another subscriber loses nothing";
}

TEST(QueueLimits, BytesLimitNamesItself) {
  Settings settings = open_settings();
  settings.max_queued_bytes = 10;
  Broker broker(settings);
  TestClient pub(broker, Version::v311);
  pub.connect("pub");
  {
    TestClient sub(broker, Version::v311);
    sub.connect("offline", ConnectOptions().clean(false));
    sub.subscribe("t", 1);
    sub.send(mqtt::Disconnect{});
  }
  pub.publish("t", "123456789", 1);
  pub.publish("t", "over", 1);
  EXPECT_EQ(broker.engine->stats().messages_dropped, 1u);
  EXPECT_TRUE(
      broker.host.logged("Outgoing messages are being dropped for client offline (max_queued_bytes); "
                         "1 dropped since the last report."));
}

}  // namespace
}  // namespace attestmq::broker::testing

// The native server with the real engine, over real sockets on loopback.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "server/reactor_ids.hpp"
#include "test_peer.hpp"

namespace attestmq::server {
namespace {

using testing::RunningServer;
using testing::TestClient;
using testing::loopback_config;

TEST(Server, AnswersConnectWithConnack) {
  RunningServer running(loopback_config());
  ASSERT_NE(running.port(), 0);
  TestClient v5("127.0.0.1", running.port());
  ASSERT_TRUE(v5.connected());
  EXPECT_EQ(v5.connect("client-v5", mqtt::Version::v5), mqtt::ReasonCode::Success);
  TestClient v311("127.0.0.1", running.port());
  EXPECT_EQ(v311.connect("client-v311", mqtt::Version::v311), mqtt::ReasonCode::Success);
}

TEST(Server, RefusesAnonymousWhereTheListenerForbidsIt) {
  auto config = loopback_config();
  config.settings.listeners[0].allow_anonymous = false;
  RunningServer running(config);
  TestClient client("127.0.0.1", running.port());
  EXPECT_EQ(client.connect("anonymous"), mqtt::ReasonCode::NotAuthorized);
}

TEST(Server, DeliversPublications) {
  RunningServer running(loopback_config());
  TestClient subscriber("127.0.0.1", running.port());
  subscriber.connect("sub");
  subscriber.subscribe("a/#", 0);
  TestClient publisher("127.0.0.1", running.port());
  publisher.connect("pub");
  publisher.publish("a/b", {'h', 'i'});
  const auto message = subscriber.receive();
  ASSERT_TRUE(message && std::holds_alternative<mqtt::Publish>(*message));
  const auto& publish = std::get<mqtt::Publish>(*message);
  EXPECT_EQ(publish.topic, "a/b");
  EXPECT_EQ(std::string(publish.payload.begin(), publish.payload.end()), "hi");
}

TEST(Server, GracefulStopSaysGoodbyeAndCloses) {
  RunningServer running(loopback_config());
  TestClient v5("127.0.0.1", running.port());
  v5.connect("goodbye-v5", mqtt::Version::v5);
  TestClient v311("127.0.0.1", running.port());
  v311.connect("goodbye-v311", mqtt::Version::v311);
  running.stop();
  // MQTT 5.0 section 3.14.2.1: 0x8B Server shutting down.
  const auto goodbye = v5.receive();
  ASSERT_TRUE(goodbye && std::holds_alternative<mqtt::Disconnect>(*goodbye));
  EXPECT_EQ(std::get<mqtt::Disconnect>(*goodbye).reason, mqtt::ReasonCode::ServerShuttingDown);
  EXPECT_TRUE(v5.closed_by_peer());
  EXPECT_TRUE(v311.closed_by_peer()) << "3.1.1 has no DISCONNECT from the server: just closed";
  TestClient late("127.0.0.1", running.port());
  EXPECT_FALSE(late.connected()) << "the listener is closed";
}

TEST(Server, StopsGracefullyOnSigterm) {
  RunningServer running(loopback_config());
  TestClient client("127.0.0.1", running.port());
  client.connect("signalled");
  {
    const StopOnSignals stop_on_signals(running.server());
    ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
    const auto goodbye = client.receive();
    ASSERT_TRUE(goodbye && std::holds_alternative<mqtt::Disconnect>(*goodbye));
    EXPECT_EQ(std::get<mqtt::Disconnect>(*goodbye).reason, mqtt::ReasonCode::ServerShuttingDown);
    EXPECT_TRUE(client.closed_by_peer());
  }
  running.stop();
}

TEST(Server, EnforcesMaxConnectionsPerListener) {
  auto config = loopback_config();
  config.listeners[0].max_connections = 2;
  const std::string log = testing::log_to_test_file(config);
  RunningServer running(config);
  auto first = std::make_unique<TestClient>("127.0.0.1", running.port());
  EXPECT_EQ(first->connect("one"), mqtt::ReasonCode::Success);
  TestClient second("127.0.0.1", running.port());
  EXPECT_EQ(second.connect("two"), mqtt::ReasonCode::Success);
  TestClient third("127.0.0.1", running.port());
  EXPECT_TRUE(third.closed_by_peer()) << "the third connection is closed at once";
  EXPECT_NE(testing::read_file(log).find(" denied: max_connections (2) reached on port "), std::string::npos);

  first.reset();  // a slot frees up once the server has seen the close
  bool admitted = false;
  for (int attempt = 0; attempt < 50 && !admitted; ++attempt) {
    TestClient retry("127.0.0.1", running.port());
    retry.set_receive_timeout_ms(200);
    mqtt::Connect connect;
    connect.client_id = "retry";
    retry.send_packet(connect);
    const auto reply = retry.receive();
    admitted = reply && std::holds_alternative<mqtt::Connack>(*reply);
  }
  EXPECT_TRUE(admitted);
}

// Whether this machine has [::1] at all: a container may run without IPv6.
bool has_ipv6_loopback() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  const bool bound =
      fd >= 0 && ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  if (fd >= 0) ::close(fd);
  return bound;
}

TEST(Server, ListensOnIpv6Loopback) {
  // A skip only for what scripts/setup.sh cannot install; where the machine has ::1, a server
  // that cannot listen on it fails.
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  auto config = loopback_config();
  config.listeners[0].bind_address = "::1";
  RunningServer running(config);
  ASSERT_NE(running.port(), 0);
  ASSERT_TRUE(running.server().addresses()[0].ipv6);
  TestClient client("::1", running.port());
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(client.connect("v6"), mqtt::ReasonCode::Success);
}

TEST(Server, LocalOnlyModeListensOnLoopback) {
  config::BrokerConfig config;
  config::ListenerConfig v4;
  v4.bind_address = "127.0.0.1";
  v4.port = 0;
  config::ListenerConfig v6 = v4;
  v6.bind_address = "::1";
  v6.optional = true;
  config.listeners = {v4, v6};
  broker::ListenerPolicy anonymous;
  anonymous.allow_anonymous = true;
  config.settings.listeners = {anonymous, anonymous};
  config.local_only = true;
  config.threads = 1;
  config.log.types = config::kLogError;
  RunningServer running(config);
  ASSERT_GE(running.server().addresses().size(), 1u);
  EXPECT_EQ(running.server().addresses()[0].address, "127.0.0.1");
  TestClient client("127.0.0.1", running.port());
  EXPECT_EQ(client.connect("local"), mqtt::ReasonCode::Success);
}

// Resident memory of this process (the server runs in it), in bytes.
std::uint64_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      std::uint64_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(1 << 20, '\n');
  }
  return 0;
}

// With one reactor and with two (where the flood crosses between reactors).
class ServerBackpressure : public ::testing::TestWithParam<unsigned> {};

TEST_P(ServerBackpressure, SlowConsumerNeitherGrowsMemoryNorStallsOthers) {
  auto config = loopback_config(GetParam());
  config.settings.max_client_output_bytes = 64 * 1024;
  RunningServer running(config);
  TestClient sleeper("127.0.0.1", running.port());
  sleeper.connect("never-reads");
  sleeper.subscribe("flood", 0);
  TestClient chatty("127.0.0.1", running.port());
  chatty.connect("chatty");
  chatty.subscribe("chat", 0);

  const std::uint64_t before = resident_bytes();
  constexpr int kMessages = 2000;
  const std::vector<std::uint8_t> payload(16 * 1024, 'x');  // 32 MiB in all
  std::thread flood([&] {
    TestClient publisher("127.0.0.1", running.port());
    publisher.connect("flooder");
    for (int i = 0; i < kMessages; ++i) publisher.publish("flood", payload);
    publisher.publish("chat", {'d', 'o', 'n', 'e'});
  });
  // While the flood runs, another client's traffic keeps flowing.
  TestClient talker("127.0.0.1", running.port());
  talker.connect("talker");
  talker.publish("chat", {'h', 'e', 'y'});
  const auto hey = chatty.receive();
  ASSERT_TRUE(hey && std::holds_alternative<mqtt::Publish>(*hey));
  flood.join();
  const auto done = chatty.receive();
  ASSERT_TRUE(done && std::holds_alternative<mqtt::Publish>(*done));
  const auto& publish = std::get<mqtt::Publish>(*done);
  EXPECT_EQ(std::string(publish.payload.begin(), publish.payload.end()), "done");

  const std::uint64_t after = resident_bytes();
  EXPECT_LT(after, before + 16 * 1024 * 1024)
      << "32 MiB were published to a client that never reads; resident memory went from "
      << before << " to " << after;
  running.stop();
  EXPECT_GT(running.server().engine_stats().messages_dropped, 0u);
}

TEST_P(ServerBackpressure, DropsAClientThatKeepsPublishingButNeverReads) {
  auto config = loopback_config(GetParam());
  config.settings.max_client_output_bytes = 16 * 1024;
  const std::string log = testing::log_to_test_file(config);
  RunningServer running(config);
  TestClient deaf("127.0.0.1", running.port(), 16 * 1024);
  deaf.connect("deaf");
  deaf.subscribe("echo", 0);
  // Its own publications come back to it until the engine stops sending (the host's
  // backlog passed max_client_output_bytes) ...
  const std::vector<std::uint8_t> payload(4096, 'e');
  for (int i = 0; i < 4000; ++i) deaf.publish("echo", payload);
  // ... after which only PUBACKs pile up, until the excess passes 3 x 16 KiB.
  for (int i = 0; i < 60000; ++i) {
    deaf.publish("nobody/listens", {'q'}, 1, static_cast<std::uint16_t>(i % 65535 + 1));
  }
  EXPECT_TRUE(deaf.closed_by_peer());
  EXPECT_NE(testing::read_file(log).find(" is not reading: "), std::string::npos);

  TestClient healthy("127.0.0.1", running.port());
  EXPECT_EQ(healthy.connect("healthy"), mqtt::ReasonCode::Success);
}

INSTANTIATE_TEST_SUITE_P(Threads, ServerBackpressure, ::testing::Values(1u, 2u));

TEST(Server, ThreadsZeroMeansOnePerCore) {
  RunningServer running(loopback_config(0));
  EXPECT_EQ(running.server().threads(), reactor_threads(0, std::thread::hardware_concurrency()));
}

}  // namespace
}  // namespace attestmq::server

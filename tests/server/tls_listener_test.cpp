// The server's TLS listeners over real sockets, with a tls::Session client: the handshake
// and MQTT through it, certificate reload on SIGHUP, and the handshake deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "test_peer.hpp"
#include "test_pki.hpp"
#include "tls_test_client.hpp"

namespace attestmq::server::testing {
namespace {

using namespace std::chrono_literals;

// loopback_config() whose listener serves `certificate` over TLS.
config::BrokerConfig tls_config(const attestmq::test::CertificateFiles& certificate) {
  config::BrokerConfig config = loopback_config();
  config.listeners[0].tls.certfile = certificate.certfile;
  config.listeners[0].tls.keyfile = certificate.keyfile;
  return config;
}

tls::ClientTlsOptions trusting(const std::string& ca_file) {
  tls::ClientTlsOptions options;
  options.cafile = ca_file;
  options.server_name = "localhost";
  return options;
}

// Polls the log file until it contains `text` (the server logs from its own thread).
bool log_shows(const std::string& path, const std::string& text) {
  for (int attempt = 0; attempt < 250; ++attempt) {
    if (read_file(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// Publishes to a topic the client subscribed to and expects the message back.
void expect_round_trip(TlsTestClient& client, const std::string& topic) {
  mqtt::Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.subscriptions.push_back(mqtt::Subscription{.filter = topic, .qos = 0});
  client.send_packet(subscribe);
  const auto suback = client.receive();
  ASSERT_TRUE(suback && std::holds_alternative<mqtt::Suback>(*suback));
  mqtt::Publish publish;
  publish.topic = topic;
  const std::vector<std::uint8_t> payload{'t', 'l', 's'};
  publish.payload = payload;
  client.send_packet(publish);
  const auto echoed = client.receive();
  ASSERT_TRUE(echoed && std::holds_alternative<mqtt::Publish>(*echoed));
  EXPECT_EQ(std::get<mqtt::Publish>(*echoed).topic, topic);
}

TEST(TlsListener, HandshakeThenConnectConnackAndPublish) {
  attestmq::test::TestPki pki;
  RunningServer running(tls_config(pki.server));
  TlsTestClient client(running.port(), trusting(pki.ca_file));
  ASSERT_TRUE(client.handshake_done()) << client.error();
  EXPECT_EQ(client.server_certificate_cn(), "localhost");
  EXPECT_EQ(client.connect("tls-client"), mqtt::ReasonCode::Success);
  expect_round_trip(client, "tls/echo");
}

TEST(TlsListener, AKeylogFileIsWarnedAboutAndGetsTheSecrets) {
  attestmq::test::TestPki pki;
  config::BrokerConfig config = tls_config(pki.server);
  const std::string log = log_to_test_file(config);
  const std::string keylog = log + ".keys";
  config.listeners[0].tls.keylog_file = keylog;
  RunningServer running(config);
  EXPECT_TRUE(log_shows(log, "Warning: tls_keylog_file " + keylog));
  EXPECT_TRUE(log_shows(log, "records TLS session secrets: for debugging only."));
  TlsTestClient client(running.port(), trusting(pki.ca_file));
  ASSERT_TRUE(client.handshake_done()) << client.error();
  EXPECT_EQ(client.connect("debugged"), mqtt::ReasonCode::Success);
  EXPECT_NE(read_file(keylog).find("CLIENT_HANDSHAKE_TRAFFIC_SECRET "), std::string::npos);
}

// With two reactors the clients land on different threads: the publisher's message is
// encrypted by the subscriber's reactor, not the one that ran the engine.
TEST(TlsListener, MessagesCrossReactorsBetweenTlsClients) {
  attestmq::test::TestPki pki;
  config::BrokerConfig config = tls_config(pki.server);
  config.threads = 2;
  RunningServer running(config);
  TlsTestClient subscriber(running.port(), trusting(pki.ca_file));
  TlsTestClient publisher(running.port(), trusting(pki.ca_file));
  ASSERT_TRUE(subscriber.handshake_done() && publisher.handshake_done());
  ASSERT_EQ(subscriber.connect("subscriber"), mqtt::ReasonCode::Success);
  ASSERT_EQ(publisher.connect("publisher"), mqtt::ReasonCode::Success);
  mqtt::Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.subscriptions.push_back(mqtt::Subscription{.filter = "across/#", .qos = 0});
  subscriber.send_packet(subscribe);
  const auto suback = subscriber.receive();
  ASSERT_TRUE(suback && std::holds_alternative<mqtt::Suback>(*suback));
  mqtt::Publish publish;
  publish.topic = "across/reactors";
  const std::vector<std::uint8_t> payload(100'000, 0x5a);  // several TLS records
  publish.payload = payload;
  publisher.send_packet(publish);
  const auto received = subscriber.receive();
  ASSERT_TRUE(received && std::holds_alternative<mqtt::Publish>(*received));
  const auto& message = std::get<mqtt::Publish>(*received);
  EXPECT_EQ(message.topic, "across/reactors");
  EXPECT_EQ(std::vector<std::uint8_t>(message.payload.begin(), message.payload.end()), payload);
}

TEST(TlsListener, AStartupErrorNamesTheListenerAndTheOption) {
  attestmq::test::TestPki pki;
  config::BrokerConfig config = tls_config(pki.server);
  config.listeners[0].origin = "broker.conf:7";
  config.listeners[0].tls.certfile = pki.directory() + "/missing.pem";
  auto created = Server::create(config);
  ASSERT_TRUE(std::holds_alternative<std::string>(created));
  const std::string& error = std::get<std::string>(created);
  EXPECT_EQ(error.rfind("listener broker.conf:7: ", 0), 0u) << error;
  EXPECT_NE(error.find("missing.pem"), std::string::npos) << error;
}

TEST(TlsListener, SighupReloadsTheCertificateWithoutDroppingConnectedClients) {
  attestmq::test::TestPki before;
  attestmq::test::TestPki after;  // another CA, another server key
  const auto live = attestmq::test::CertificateFiles{
      before.write_file("live.pem", read_file(before.server.certfile)),
      before.write_file("live.key", read_file(before.server.keyfile))};
  config::BrokerConfig config = tls_config(live);
  const std::string log = log_to_test_file(config);
  RunningServer running(config);
  StopOnSignals signals(running.server());

  TlsTestClient old_client(running.port(), trusting(before.ca_file));
  ASSERT_TRUE(old_client.handshake_done()) << old_client.error();
  ASSERT_EQ(old_client.connect("old"), mqtt::ReasonCode::Success);

  before.write_file("live.pem", read_file(after.server.certfile));
  before.write_file("live.key", read_file(after.server.keyfile));
  std::raise(SIGHUP);
  ASSERT_TRUE(log_shows(log, "Reloaded the TLS certificates and keys of 1 listener.")) << read_file(log);

  TlsTestClient distrusting(running.port(), trusting(before.ca_file));
  EXPECT_FALSE(distrusting.handshake_done()) << "the new connection still got the old certificate";
  TlsTestClient new_client(running.port(), trusting(after.ca_file));
  ASSERT_TRUE(new_client.handshake_done()) << new_client.error();
  EXPECT_EQ(new_client.connect("new"), mqtt::ReasonCode::Success);
  expect_round_trip(old_client, "still/working");
}

TEST(TlsListener, AFailedReloadKeepsThePreviousCertificate) {
  attestmq::test::TestPki pki;
  const auto live = attestmq::test::CertificateFiles{
      pki.write_file("live.pem", read_file(pki.server.certfile)),
      pki.write_file("live.key", read_file(pki.server.keyfile))};
  config::BrokerConfig config = tls_config(live);
  const std::string log = log_to_test_file(config);
  RunningServer running(config);

  pki.write_file("live.pem", "not a certificate\n");
  running.server().request_reload();
  ASSERT_TRUE(log_shows(log, "Reloading TLS certificates failed, keeping the previous ones: listener"))
      << read_file(log);
  TlsTestClient client(running.port(), trusting(pki.ca_file));
  ASSERT_TRUE(client.handshake_done()) << client.error();
  EXPECT_EQ(client.connect("after-bad-reload"), mqtt::ReasonCode::Success);
}

TEST(TlsListener, HandshakeTimeoutReapsASilentClient) {
  attestmq::test::TestPki pki;
  config::BrokerConfig config = tls_config(pki.server);
  config.settings.connect_timeout_ms = 300;
  const std::string log = log_to_test_file(config);
  RunningServer running(config);

  TestClient silent("127.0.0.1", running.port());
  ASSERT_TRUE(silent.connected());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_TRUE(log_shows(log, "did not complete the TLS handshake within 300 ms")) << read_file(log);

  TlsTestClient healthy(running.port(), trusting(pki.ca_file));
  ASSERT_TRUE(healthy.handshake_done()) << healthy.error();
  EXPECT_EQ(healthy.connect("healthy"), mqtt::ReasonCode::Success);
}

TEST(TlsListener, AFailedHandshakeIsLoggedWithThePeerAndTheReason) {
  attestmq::test::TestPki pki;
  config::BrokerConfig config = tls_config(pki.server);
  config.listeners[0].tls.cafile = pki.ca_file;
  config.listeners[0].tls.require_certificate = true;
  const std::string log = log_to_test_file(config);
  RunningServer running(config);

  tls::ClientTlsOptions expired = trusting(pki.ca_file);
  expired.certfile = pki.expired_client.certfile;
  expired.keyfile = pki.expired_client.keyfile;
  TlsTestClient refused(running.port(), expired);
  EXPECT_NE(refused.connect("expired"), mqtt::ReasonCode::Success);
  EXPECT_TRUE(log_shows(log, " TLS handshake failed: certificate verify failed (certificate has expired)"))
      << read_file(log);
}

}  // namespace
}  // namespace attestmq::server::testing

// Authentication at CONNECT (MQTT 5.0 section 3.1.4 point 3) with Mosquitto 2.0's rules:
// allow_anonymous, password_file and a username the transport authenticated, through a real
// password file (config/password_file). Native only: the file's hashes need OpenSSL, which
// the Wasm build of the engine does not link.
#include <memory>
#include <string>
#include <variant>

#include "config/password_file.hpp"
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

// A password file with one user and password.
std::shared_ptr<const Credentials> password_file(const std::string& user, std::string_view password) {
  const auto hash = config::hash_password(password, config::HashKind::sha512_pbkdf2,
                                          config::kDefaultIterations);
  EXPECT_TRUE(hash);
  auto parsed = config::parse_password_file(user + ":" + config::format_hash(*hash) + "\n", "users");
  EXPECT_TRUE(std::holds_alternative<std::shared_ptr<const config::PasswordFile>>(parsed));
  return std::get<std::shared_ptr<const config::PasswordFile>>(parsed);
}

Settings password_settings(bool allow_anonymous) {
  Settings settings = open_settings();
  settings.listeners.front().allow_anonymous = allow_anonymous;
  settings.listeners.front().passwords = password_file("alice", "secret");
  return settings;
}

struct Login {
  std::optional<std::string_view> username;
  std::optional<std::string_view> password;
};

void send_connect(TestClient& client, std::string_view client_id, Login login) {
  mqtt::Connect packet;
  packet.version = client.version();
  packet.client_id = client_id;
  packet.keep_alive = 60;
  packet.username = login.username;
  if (login.password) packet.password = TestClient::bytes_of(*login.password);
  client.send(packet);
}

mqtt::Connack connect_as(TestClient& client, std::string_view client_id, Login login) {
  send_connect(client, client_id, login);
  return client.take<mqtt::Connack>();
}

class AuthenticationTest : public ::testing::TestWithParam<Version> {};

TEST_P(AuthenticationTest, MatchingPasswordIsAccepted) {
  Broker broker(password_settings(false));
  TestClient client(broker, GetParam());
  EXPECT_EQ(connect_as(client, "c1", {"alice", "secret"}).reason, ReasonCode::Success);
  EXPECT_FALSE(client.closed());
  EXPECT_TRUE(broker.host.logged("as c1 (p" + std::string(GetParam() == Version::v5 ? "5" : "2") +
                                 ", c1, k60, u'alice')."));
}

// MQTT 5.0 section 3.2.2.2: 0x86 Bad User Name or Password; 3.1.1 section 3.2.2.3: return
// code 4, which the codec writes for the same ReasonCode.
TEST_P(AuthenticationTest, WrongPasswordIsRefusedWithBadUserNameOrPassword) {
  Broker broker(password_settings(true));
  TestClient client(broker, GetParam());
  EXPECT_EQ(connect_as(client, "c1", {"alice", "guess"}).reason, ReasonCode::BadUserNameOrPassword);
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(broker.host.logged("client id 'c1', username 'alice': unknown username or wrong password"));
  EXPECT_EQ(broker.engine->stats().clients_connected, 0u);
}

TEST_P(AuthenticationTest, UnknownUserIsRefusedLikeAWrongPassword) {
  Broker broker(password_settings(true));
  TestClient client(broker, GetParam());
  EXPECT_EQ(connect_as(client, "c1", {"mallory", "secret"}).reason, ReasonCode::BadUserNameOrPassword);
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(broker.host.logged("username 'mallory': unknown username or wrong password"));
}

TEST_P(AuthenticationTest, UsernameWithoutPasswordIsRefusedAgainstAPasswordFile) {
  Broker broker(password_settings(true));
  TestClient client(broker, GetParam());
  EXPECT_EQ(connect_as(client, "c1", {"alice", std::nullopt}).reason, ReasonCode::BadUserNameOrPassword);
  EXPECT_TRUE(broker.host.logged("username 'alice': a username without a password"));
}

// MQTT 5.0 section 3.2.2.2: 0x87 Not authorized; 3.1.1: return code 5.
TEST_P(AuthenticationTest, AnonymousClientNeedsAllowAnonymous) {
  Broker refusing(password_settings(false));
  TestClient refused(refusing, GetParam());
  EXPECT_EQ(connect_as(refused, "anon", {}).reason, ReasonCode::NotAuthorized);
  EXPECT_TRUE(refused.closed());
  EXPECT_TRUE(refusing.host.logged("client id 'anon', username none: anonymous clients are not allowed"));

  Broker allowing(password_settings(true));
  TestClient allowed(allowing, GetParam());
  EXPECT_EQ(connect_as(allowed, "anon", {}).reason, ReasonCode::Success);
}

TEST_P(AuthenticationTest, UsernameWithoutAPasswordFileNeedsAllowAnonymous) {
  Settings settings = open_settings();
  settings.listeners.front().allow_anonymous = false;
  Broker refusing(settings);
  TestClient refused(refusing, GetParam());
  EXPECT_EQ(connect_as(refused, "c1", {"alice", "anything"}).reason, ReasonCode::NotAuthorized);

  Broker allowing;  // allow_anonymous true, no password file
  TestClient allowed(allowing, GetParam());
  EXPECT_EQ(connect_as(allowed, "c1", {"alice", "anything"}).reason, ReasonCode::Success);
}

TEST_P(AuthenticationTest, TransportUsernameReplacesConnectsAndSkipsThePassword) {
  Broker broker(password_settings(false));
  ConnectionInfo info = connection_info(0, "127.0.0.1:45000");
  info.transport_username = "device-7";
  TestClient by_certificate(broker, GetParam(), info);
  EXPECT_EQ(connect_as(by_certificate, "c1", {"alice", "wrong"}).reason, ReasonCode::Success);
  EXPECT_TRUE(broker.host.logged("u'device-7'"));

  TestClient anonymous_on_the_wire(broker, GetParam(), info);
  EXPECT_EQ(connect_as(anonymous_on_the_wire, "c2", {}).reason, ReasonCode::Success);
}

TEST_P(AuthenticationTest, EachListenerChecksItsOwnPasswords) {
  Settings settings = password_settings(false);
  settings.listeners.push_back(settings.listeners.front());
  settings.listeners[1].passwords = password_file("bob", "hunter2");
  Broker broker(settings);
  TestClient alice_on_0(broker, GetParam(), 0);
  EXPECT_EQ(connect_as(alice_on_0, "a0", {"alice", "secret"}).reason, ReasonCode::Success);
  TestClient alice_on_1(broker, GetParam(), 1);
  EXPECT_EQ(connect_as(alice_on_1, "a1", {"alice", "secret"}).reason, ReasonCode::BadUserNameOrPassword);
  TestClient bob_on_1(broker, GetParam(), 1);
  EXPECT_EQ(connect_as(bob_on_1, "b1", {"bob", "hunter2"}).reason, ReasonCode::Success);
}

// Issue #7 item C: the password is checked by the host, away from the engine. Until its verdict
// the client gets no CONNACK, other clients are served, and what the client sent after
// CONNECT waits and is then handled in order.
TEST_P(AuthenticationTest, OthersAreServedWhileAPasswordIsChecked) {
  Broker broker(password_settings(true));
  TestClient bystander(broker, Version::v5);
  bystander.connect("bystander");
  broker.host.hold_password_checks = true;
  TestClient client(broker, GetParam());
  send_connect(client, "c1", {"alice", "secret"});
  client.subscribe_later("t", 1);
  EXPECT_EQ(broker.host.password_checks.size(), 1u);
  EXPECT_TRUE(client.idle()) << "no CONNACK before the verdict";

  bystander.send(mqtt::Pingreq{});
  bystander.take<mqtt::Pingresp>();

  broker.host.answer_password_checks();
  EXPECT_EQ(client.take<mqtt::Connack>().reason, ReasonCode::Success);
  EXPECT_EQ(client.take<mqtt::Suback>().reasons.size(), 1u) << "the pipelined SUBSCRIBE follows";
}

TEST_P(AuthenticationTest, AVerdictForAClosedConnectionIsIgnored) {
  Broker broker(password_settings(true));
  broker.host.hold_password_checks = true;
  ConnId id = 0;
  {
    TestClient client(broker, GetParam());
    id = client.id();
    send_connect(client, "c1", {"alice", "secret"});
  }
  broker.engine->closed(id);
  broker.host.answer_password_checks();
  EXPECT_EQ(broker.engine->stats().clients_connected, 0u);
}

// A verdict from a password_file that SIGHUP replaced meanwhile is not trusted: the password is
// checked again against the new file (here alice's password changed).
TEST_P(AuthenticationTest, AVerdictFromAReplacedPasswordFileIsAskedAgain) {
  Broker broker(password_settings(false));
  broker.host.hold_password_checks = true;
  TestClient client(broker, GetParam());
  send_connect(client, "c1", {"alice", "secret"});
  ASSERT_EQ(broker.host.password_checks.size(), 1u);
  std::vector<ListenerPolicy> reloaded = password_settings(false).listeners;
  reloaded.front().passwords = password_file("alice", "changed");
  broker.engine->update_listener_policies(reloaded);
  broker.host.answer_password_checks();  // the old file's verdict: valid
  EXPECT_TRUE(client.idle()) << "no CONNACK on the old file's word";
  ASSERT_EQ(broker.host.password_checks.size(), 1u) << "asked again";
  broker.host.answer_password_checks();
  EXPECT_EQ(client.take<mqtt::Connack>().reason, ReasonCode::BadUserNameOrPassword);
}

INSTANTIATE_TEST_SUITE_P(BothVersions, AuthenticationTest, both_versions(), version_name);

}  // namespace
}  // namespace attestmq::broker::testing

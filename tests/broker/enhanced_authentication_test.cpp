// Enhanced authentication in the engine (MQTT 5.0 section 4.12): the engine carries a method
// the host runs, AUTH 0x18 in both directions until the host decides, CONNACK naming the
// method, only AUTH or DISCONNECT before CONNACK [MQTT-3.1.2-30], and re-authentication with
// AUTH 0x19 on a live connection (section 4.12.1). The host here is the test.
#include "broker/access_control.hpp"
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

constexpr std::string_view kMethod = "test-method";

Settings offering_the_method() {
  Settings settings = open_settings();
  settings.listeners.front().authentication_methods = {std::string(kMethod)};
  return settings;
}

std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

// A client and a broker whose listener 0 offers kMethod, with the settings `make` gives.
template <Settings (*make)()>
class ExchangeTest : public ::testing::Test {
 protected:
  void send_connect(std::string_view method, std::string_view data,
                    std::optional<std::uint32_t> maximum_packet_size = std::nullopt) {
    mqtt::Connect packet;
    packet.version = Version::v5;
    packet.client_id = "c";
    packet.properties.maximum_packet_size = maximum_packet_size;
    packet.properties.authentication_method = method;
    data_ = bytes(data);
    packet.properties.authentication_data = mqtt::Bytes(data_);
    client.send(packet);
  }
  void send_auth(mqtt::ReasonCode code, std::string_view data, std::string_view method = kMethod) {
    mqtt::Auth auth;
    auth.reason = code;
    auth.properties.authentication_method = method;
    data_ = bytes(data);
    auth.properties.authentication_data = mqtt::Bytes(data_);
    client.send(auth);
  }
  // The step the host was asked for, taken from its queue.
  AuthenticationStep take_step() {
    EXPECT_EQ(broker.host.authentication_steps.size(), 1u);
    if (broker.host.authentication_steps.empty()) return {};
    auto [conn, step] = std::move(broker.host.authentication_steps.front());
    broker.host.authentication_steps.pop_front();
    EXPECT_EQ(conn, client.id());
    return step;
  }
  void answer(AuthenticationOutcome::Kind kind, std::string_view data = {},
              mqtt::ReasonCode code = ReasonCode::NotAuthorized, std::string_view context = {},
              std::optional<AttestedClaims> attested = std::nullopt) {
    broker.engine->authentication_answered(client.id(), {kind, bytes(data), code,
                                                         "refused by the test", bytes(context),
                                                         std::move(attested)});
  }
  // CONNECT, one round of AUTH, success (with what the client proved): a connected client.
  void complete_exchange(std::optional<AttestedClaims> attested = std::nullopt) {
    send_connect(kMethod, "request");
    take_step();
    answer(AuthenticationOutcome::Kind::continue_with, "evidence");
    client.take<mqtt::Auth>();
    send_auth(ReasonCode::ContinueAuthentication, "answer");
    take_step();
    answer(AuthenticationOutcome::Kind::success, {}, ReasonCode::Success, {}, std::move(attested));
    ASSERT_EQ(client.take<mqtt::Connack>().reason, ReasonCode::Success);
  }

  Broker broker{make()};
  TestClient client{broker, Version::v5};
  std::vector<std::uint8_t> data_;
};

class EnhancedAuthentication : public ExchangeTest<offering_the_method> {};

TEST_F(EnhancedAuthentication, AMethodTheListenerDoesNotOfferIsRefused) {
  send_connect("other-method", "x");
  EXPECT_EQ(client.take<mqtt::Connack>().reason, ReasonCode::BadAuthenticationMethod);
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(broker.host.authentication_steps.empty());
}

TEST_F(EnhancedAuthentication, TheExchangeRunsUntilTheHostSaysSuccess) {
  send_connect(kMethod, "request");
  const AuthenticationStep first = take_step();
  EXPECT_EQ(first.method, kMethod);
  EXPECT_EQ(first.data, bytes("request"));
  EXPECT_TRUE(first.starts_exchange);
  EXPECT_FALSE(first.reauthentication);
  EXPECT_TRUE(client.idle()) << "nothing before the host answers";

  answer(AuthenticationOutcome::Kind::continue_with, "evidence");
  const auto auth = client.take<mqtt::Auth>();
  EXPECT_EQ(auth.reason, ReasonCode::ContinueAuthentication);
  EXPECT_EQ(auth.properties.authentication_method, kMethod);
  EXPECT_EQ(TestClient::text_of(*auth.properties.authentication_data), "evidence");

  send_auth(ReasonCode::ContinueAuthentication, "answer");
  const AuthenticationStep second = take_step();
  EXPECT_EQ(second.data, bytes("answer"));
  EXPECT_FALSE(second.starts_exchange);
  EXPECT_TRUE(client.idle());

  answer(AuthenticationOutcome::Kind::success);
  const auto connack = client.take<mqtt::Connack>();
  EXPECT_EQ(connack.reason, ReasonCode::Success);
  EXPECT_EQ(connack.properties.authentication_method, kMethod) << "section 3.2.2.3.17";
}

TEST_F(EnhancedAuthentication, AFailureRefusesWithItsCodeAndReason) {
  send_connect(kMethod, "request");
  take_step();
  answer(AuthenticationOutcome::Kind::failure, {}, ReasonCode::NotAuthorized);
  const auto connack = client.take<mqtt::Connack>();
  EXPECT_EQ(connack.reason, ReasonCode::NotAuthorized);
  EXPECT_EQ(connack.properties.reason_string, "refused by the test");
  EXPECT_TRUE(client.closed());
}

// docs/attestation.md section 7.4 step 5, MQTT-3.1.2-24: evidence too large for the client's
// Maximum Packet Size is refused with CONNACK 0x95, never sent.
TEST_F(EnhancedAuthentication, AnAuthOverTheClientsMaximumPacketSizeIsRefused) {
  send_connect(kMethod, "request", 64);
  take_step();
  answer(AuthenticationOutcome::Kind::continue_with, std::string(200, 'e'));
  const auto connack = client.take<mqtt::Connack>();
  EXPECT_EQ(connack.reason, ReasonCode::PacketTooLarge);
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(client.idle()) << "no AUTH after the refusal";
}

TEST_F(EnhancedAuthentication, AnAuthWithinTheClientsMaximumPacketSizeIsSent) {
  send_connect(kMethod, "request", 64);
  take_step();
  answer(AuthenticationOutcome::Kind::continue_with, std::string(20, 'e'));
  EXPECT_EQ(client.take<mqtt::Auth>().reason, ReasonCode::ContinueAuthentication);
  EXPECT_FALSE(client.closed());
}

// docs/attestation.md section 7.4 step 7: until CONNACK each AUTH is judged on its fixed
// header against max_connect_size, so an unauthenticated client cannot make the broker
// buffer a large AUTH body.
TEST_F(EnhancedAuthentication, AnAuthOverMaxConnectSizeIsRefusedOnItsHeader) {
  send_connect(kMethod, "request");
  take_step();
  answer(AuthenticationOutcome::Kind::continue_with, "evidence");
  client.take<mqtt::Auth>();
  // AUTH (type 15) announcing 1 MiB (remaining length 0x80 0x80 0x40), of which 3 bytes come.
  const std::vector<std::uint8_t> header = {0xF0, 0x80, 0x80, 0x40, 0x18, 0x00, 0x00};
  client.send_bytes(header);
  EXPECT_EQ(client.take<mqtt::Connack>().reason, ReasonCode::PacketTooLarge);
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(broker.host.authentication_steps.empty());
}

// docs/attestation.md section 9.1: an AUTH that does not decode gets CONNACK 0x81 before
// CONNACK, not a DISCONNECT.
TEST_F(EnhancedAuthentication, AMalformedAuthBeforeConnackGetsConnack) {
  send_connect(kMethod, "request");
  take_step();
  answer(AuthenticationOutcome::Kind::continue_with, "evidence");
  client.take<mqtt::Auth>();
  // AUTH 0x18 whose property length (5) runs past the packet (2 bytes of body left).
  const std::vector<std::uint8_t> bad = {0xF0, 0x03, 0x18, 0x05, 0x15};
  client.send_bytes(bad);
  EXPECT_EQ(client.take<mqtt::Connack>().reason, ReasonCode::MalformedPacket);
  EXPECT_TRUE(client.closed());
}

// MQTT-3.1.2-30: only AUTH or DISCONNECT until CONNACK.
TEST_F(EnhancedAuthentication, APublishBeforeConnackIsAProtocolError) {
  send_connect(kMethod, "request");
  take_step();
  answer(AuthenticationOutcome::Kind::continue_with, "evidence");
  client.take<mqtt::Auth>();
  client.publish("t", "too early");
  EXPECT_EQ(client.take<mqtt::Connack>().reason, ReasonCode::ProtocolError);
  EXPECT_TRUE(client.closed());
}

TEST_F(EnhancedAuthentication, AnAuthNamingAnotherMethodIsRefused) {
  send_connect(kMethod, "request");
  take_step();
  answer(AuthenticationOutcome::Kind::continue_with, "evidence");
  client.take<mqtt::Auth>();
  send_auth(ReasonCode::ContinueAuthentication, "answer", "other-method");
  EXPECT_EQ(client.take<mqtt::Connack>().reason, ReasonCode::BadAuthenticationMethod);
}

TEST_F(EnhancedAuthentication, PacketsSentBeforeTheHostAnsweredWaitForIt) {
  send_connect(kMethod, "request");
  send_auth(ReasonCode::ContinueAuthentication, "eager");  // before the broker's AUTH
  take_step();
  answer(AuthenticationOutcome::Kind::continue_with, "evidence");
  client.take<mqtt::Auth>();
  EXPECT_EQ(take_step().data, bytes("eager")) << "handled once the broker's AUTH was sent";
}

TEST_F(EnhancedAuthentication, ReauthenticationOnALiveConnection) {
  complete_exchange();
  send_auth(ReasonCode::ReAuthenticate, "new request");
  const AuthenticationStep step = take_step();
  EXPECT_TRUE(step.starts_exchange);
  EXPECT_TRUE(step.reauthentication);
  client.subscribe("t", 0);  // the connection stays usable meanwhile (section 4.12.1)
  answer(AuthenticationOutcome::Kind::continue_with, "fresh evidence");
  EXPECT_EQ(TestClient::text_of(*client.take<mqtt::Auth>().properties.authentication_data),
            "fresh evidence");
  send_auth(ReasonCode::ContinueAuthentication, "answer");
  take_step();
  answer(AuthenticationOutcome::Kind::success);
  const auto done = client.take<mqtt::Auth>();
  EXPECT_EQ(done.reason, ReasonCode::Success);
  EXPECT_EQ(done.properties.authentication_method, kMethod);
}

TEST_F(EnhancedAuthentication, AFailedReauthenticationDisconnects) {
  complete_exchange();
  send_auth(ReasonCode::ReAuthenticate, "new request");
  take_step();
  answer(AuthenticationOutcome::Kind::failure, {}, ReasonCode::NotAuthorized);
  EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::NotAuthorized);
  EXPECT_TRUE(client.closed());
}

TEST_F(EnhancedAuthentication, ASecondReauthenticationDuringOneIsAProtocolError) {
  complete_exchange();
  send_auth(ReasonCode::ReAuthenticate, "one");
  take_step();
  send_auth(ReasonCode::ReAuthenticate, "two");
  EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::ProtocolError);
}

// [MQTT-4.12.1-1]: a re-authentication uses the method of CONNECT; another is a Protocol
// Error (docs/attestation.md section 9.1), not the Bad authentication method of CONNECT time.
TEST_F(EnhancedAuthentication, AReauthenticationNamingAnotherMethodIsAProtocolError) {
  complete_exchange();
  send_auth(ReasonCode::ReAuthenticate, "new request", "other-method");
  EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::ProtocolError);
  EXPECT_TRUE(client.closed());
}

TEST(EnhancedAuthenticationWithout, AuthWithoutAMethodInConnectIsAProtocolError) {
  Broker broker(offering_the_method());
  TestClient client(broker, Version::v5);
  client.connect("plain");
  mqtt::Auth auth;
  auth.reason = ReasonCode::ReAuthenticate;
  auth.properties.authentication_method = kMethod;
  client.send(auth);
  EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::ProtocolError);
}

TEST(EnhancedAuthenticationWithout, AnswerForAClosedConnectionIsIgnored) {
  Broker broker(offering_the_method());
  ConnId id = 0;
  {
    TestClient client(broker, Version::v5);
    id = client.id();
    mqtt::Connect packet;
    packet.version = Version::v5;
    packet.client_id = "c";
    packet.properties.authentication_method = kMethod;
    client.send(packet);
  }
  broker.engine->closed(id);
  broker.engine->authentication_answered(
      id, {AuthenticationOutcome::Kind::success, {}, {}, {}, {}, {}});
  EXPECT_EQ(broker.engine->stats().clients_connected, 0u);
}

// The method keeps what it needs between steps (the REQUEST it sent the client, for mutual
// attestation) in the outcome's context; the engine hands it back with the client's reply only.
TEST_F(EnhancedAuthentication, TheHostsContextComesBackWithTheClientsReply) {
  send_connect(kMethod, "request");
  const AuthenticationStep first = take_step();
  EXPECT_TRUE(first.context.empty());
  EXPECT_EQ(first.listener, 0u);
  EXPECT_FALSE(first.password_authenticated) << "an anonymous client";
  answer(AuthenticationOutcome::Kind::continue_with, "evidence", ReasonCode::Success, "kept");
  client.take<mqtt::Auth>();
  send_auth(ReasonCode::ContinueAuthentication, "answer");
  EXPECT_EQ(take_step().context, bytes("kept"));
  answer(AuthenticationOutcome::Kind::success);
  EXPECT_EQ(client.take<mqtt::Connack>().reason, ReasonCode::Success);
  send_auth(ReasonCode::ReAuthenticate, "new request");
  EXPECT_TRUE(take_step().context.empty()) << "a new exchange starts without it";
}

// docs/attestation.md section 7.7: where the method is required, a client naming none is
// refused whatever its version, and the host is never asked.
TEST(EnhancedAuthenticationWithout, ARequiredMethodRefusesAClientNamingNone) {
  Settings settings = offering_the_method();
  settings.listeners.front().authentication_required = true;
  Broker broker(std::move(settings));
  TestClient v5(broker, Version::v5);
  const auto connack = v5.connect("plain");
  EXPECT_EQ(connack.reason, ReasonCode::NotAuthorized);
  EXPECT_EQ(connack.properties.reason_string,
            "client id 'plain': this listener requires enhanced authentication (test-method)");
  EXPECT_TRUE(v5.closed());
  TestClient v311(broker, Version::v311);
  EXPECT_EQ(v311.connect("old").reason, ReasonCode::NotAuthorized);
  EXPECT_TRUE(broker.host.authentication_steps.empty());
}

TEST(EnhancedAuthenticationWithout, AClientTheTransportNamedIsPasswordAuthenticated) {
  Broker broker(offering_the_method());
  ConnectionInfo info = connection_info(0, "127.0.0.1:1");
  info.transport_username = "device-1";
  TestClient client(broker, Version::v5, info);
  mqtt::Connect packet;
  packet.version = Version::v5;
  packet.client_id = "c";
  packet.properties.authentication_method = kMethod;
  client.send(packet);
  ASSERT_EQ(broker.host.authentication_steps.size(), 1u);
  EXPECT_TRUE(broker.host.authentication_steps.front().second.password_authenticated);
}

// docs/attestation.md section 7.7: acl_file rules keyed on what the client proved.
const AttestedClaims kProved{"sim", std::string(64, 'c'), std::string(64, 'a')};

Settings granting_the_proved_measurement() {
  Settings settings = offering_the_method();
  auto acl = std::make_shared<AccessControl>();
  acl->add_attested_rule(AttestedKey::measurement, kProved.measurement,
                         {AclAccess::write, "secure/#"});
  settings.listeners.front().acl = std::move(acl);
  settings.connect_timeout_ms = 1000;
  return settings;
}

class AttestedClients : public ExchangeTest<granting_the_proved_measurement> {};

TEST_F(AttestedClients, OnlyAnAttestedClientGetsTheAttestedRules) {
  complete_exchange(kProved);
  EXPECT_TRUE(broker.host.logged("Client 127.0.0.1:40001 attested: sim (SIMULATED, NO SECURITY), "
                                 "module " + kProved.module_sha256 + ", measurement " +
                                 kProved.measurement + "."));
  client.publish("secure/a", "granted", 1, false, 1);
  // Accepted (nobody subscribes): not 0x87 Not authorized.
  EXPECT_EQ(client.take<mqtt::Puback>().reason, ReasonCode::NoMatchingSubscribers);

  TestClient plain(broker, Version::v5);
  plain.connect("plain");
  plain.publish("secure/a", "refused", 1, false, 2);
  EXPECT_EQ(plain.take<mqtt::Puback>().reason, ReasonCode::NotAuthorized);
}

TEST_F(AttestedClients, ReattestationReplacesWhatTheClientProved) {
  complete_exchange(kProved);
  send_auth(ReasonCode::ReAuthenticate, "new request");
  take_step();
  answer(AuthenticationOutcome::Kind::continue_with, "fresh evidence");
  client.take<mqtt::Auth>();
  send_auth(ReasonCode::ContinueAuthentication, "answer");
  take_step();
  AttestedClaims other = kProved;
  other.measurement = std::string(64, 'd');
  answer(AuthenticationOutcome::Kind::success, {}, ReasonCode::Success, {}, other);
  EXPECT_EQ(client.take<mqtt::Auth>().reason, ReasonCode::Success);
  client.publish("secure/a", "no longer", 1, false, 3);
  EXPECT_EQ(client.take<mqtt::Puback>().reason, ReasonCode::NotAuthorized);
}

// docs/attestation.md section 9.1: a re-attestation left unanswered ends the connection
// (connect_timeout, 1000 ms here) with DISCONNECT 0x87.
TEST_F(AttestedClients, AnUnansweredReattestationDisconnects) {
  complete_exchange(kProved);
  send_auth(ReasonCode::ReAuthenticate, "new request");
  take_step();
  answer(AuthenticationOutcome::Kind::continue_with, "fresh evidence");
  client.take<mqtt::Auth>();
  broker.advance(999);
  EXPECT_TRUE(client.idle());
  EXPECT_FALSE(client.closed());
  broker.advance(1);
  EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::NotAuthorized);
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(broker.host.logged("re-authentication not completed within 1000 ms"));
}

TEST_F(AttestedClients, AnUnansweredFirstExchangeClosesWithoutConnack) {
  send_connect(kMethod, "request");
  take_step();
  answer(AuthenticationOutcome::Kind::continue_with, "evidence");
  client.take<mqtt::Auth>();
  broker.advance(1000);
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(client.idle()) << "no CONNACK: nothing was granted";
  EXPECT_TRUE(
      broker.host.logged("closed: its enhanced authentication not completed within 1000 ms."));
}

TEST_F(AttestedClients, AReattestationThatEndsInTimeKeepsTheConnection) {
  complete_exchange(kProved);
  send_auth(ReasonCode::ReAuthenticate, "new request");
  take_step();
  answer(AuthenticationOutcome::Kind::continue_with, "fresh evidence");
  client.take<mqtt::Auth>();
  broker.advance(500);
  send_auth(ReasonCode::ContinueAuthentication, "answer");
  take_step();
  answer(AuthenticationOutcome::Kind::success, {}, ReasonCode::Success, {}, kProved);
  EXPECT_EQ(client.take<mqtt::Auth>().reason, ReasonCode::Success);
  broker.advance(5000);
  EXPECT_FALSE(client.closed());
  client.publish("secure/a", "still granted", 1, false, 4);
  EXPECT_EQ(client.take<mqtt::Puback>().reason, ReasonCode::NoMatchingSubscribers);
}

}  // namespace
}  // namespace attestmq::broker::testing

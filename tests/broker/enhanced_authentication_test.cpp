// Enhanced authentication in the engine (MQTT 5.0 section 4.12): the engine carries a method
// the host runs, AUTH 0x18 in both directions until the host decides, CONNACK naming the
// method, only AUTH or DISCONNECT before CONNACK [MQTT-3.1.2-30], and re-authentication with
// AUTH 0x19 on a live connection (section 4.12.1). The host here is the test.
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

class EnhancedAuthentication : public ::testing::Test {
 protected:
  void send_connect(std::string_view method, std::string_view data) {
    mqtt::Connect packet;
    packet.version = Version::v5;
    packet.client_id = "c";
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
              mqtt::ReasonCode code = ReasonCode::NotAuthorized) {
    broker.engine->authentication_answered(client.id(), {kind, bytes(data), code, "refused by the test"});
  }
  // CONNECT, one round of AUTH, success: a connected client.
  void complete_exchange() {
    send_connect(kMethod, "request");
    take_step();
    answer(AuthenticationOutcome::Kind::continue_with, "evidence");
    client.take<mqtt::Auth>();
    send_auth(ReasonCode::ContinueAuthentication, "answer");
    take_step();
    answer(AuthenticationOutcome::Kind::success);
    ASSERT_EQ(client.take<mqtt::Connack>().reason, ReasonCode::Success);
  }

  Broker broker{offering_the_method()};
  TestClient client{broker, Version::v5};
  std::vector<std::uint8_t> data_;
};

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
  broker.engine->authentication_answered(id, {AuthenticationOutcome::Kind::success, {}, {}, {}});
  EXPECT_EQ(broker.engine->stats().clients_connected, 0u);
}

}  // namespace
}  // namespace attestmq::broker::testing

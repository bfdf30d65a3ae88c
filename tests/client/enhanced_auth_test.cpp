// MQTT 5.0 enhanced authentication (section 4.12) and re-authentication (section 4.12.1)
// against a scripted server: the exchange, and every way a server can break it.
#include <gtest/gtest.h>

#include "scripted_server.hpp"

namespace attestmq::client::testing {
namespace {

using mqtt::ReasonCode;
using mqtt::Version;

constexpr std::string_view kMethod = "test-method-v1";

std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

mqtt::Bytes view(std::string_view text) {
  return mqtt::Bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

mqtt::Auth auth(ReasonCode reason, std::string_view data, std::string_view method = kMethod) {
  mqtt::Auth packet;
  packet.reason = reason;
  packet.properties.authentication_method = method;
  if (!data.empty()) packet.properties.authentication_data = view(data);
  return packet;
}

mqtt::Connack connack(std::optional<std::string_view> method = kMethod) {
  mqtt::Connack packet;
  packet.properties.authentication_method = method;
  return packet;
}

std::vector<std::uint8_t> encoded(const mqtt::Packet& packet) {
  return encode_all(Version::v5, {packet});
}

// A method that answers "challenge-N" with "answer-N" and is complete once it answered.
struct Method {
  std::vector<std::string> seen;
  bool refuse = false;

  EnhancedAuthentication options() {
    EnhancedAuthentication authentication;
    authentication.method = std::string(kMethod);
    authentication.data = bytes("hello");
    authentication.respond = [this](std::span<const std::uint8_t> data, std::string& error)
        -> std::optional<std::vector<std::uint8_t>> {
      const std::string text(data.begin(), data.end());
      seen.push_back(text);
      if (refuse) {
        error = "the challenge is not to my liking";
        return std::nullopt;
      }
      return bytes("answer" + text.substr(text.find('-')));
    };
    authentication.complete = [this] { return !seen.empty() && !refuse; };
    return authentication;
  }
};

ConnectOptions options(Method& method) {
  ConnectOptions o;
  o.version = Version::v5;
  o.client_id = "auth";
  o.timeout = std::chrono::seconds(2);
  o.authentication = method.options();
  return o;
}

template <typename T>
T packet_as(const std::vector<std::vector<std::uint8_t>>& packets, std::size_t index) {
  EXPECT_LT(index, packets.size());
  if (index >= packets.size()) return T{};
  const mqtt::Packet packet = decode_one(packets[index], Version::v5);
  const T* typed = std::get_if<T>(&packet);
  EXPECT_NE(typed, nullptr) << "packet " << index << " has another type";
  return typed != nullptr ? *typed : T{};
}

std::string data_of(const mqtt::Auth& packet) {
  const auto data = packet.properties.authentication_data.value_or(mqtt::Bytes());
  return std::string(data.begin(), data.end());
}

// The views of a decoded packet point into `bytes`; keep them while the packet is used.
struct Decoded {
  std::vector<std::uint8_t> bytes;
  mqtt::Packet packet;
};

TEST(EnhancedAuth, ConnectCarriesMethodAndDataAndTheExchangeEndsWithConnack) {
  auto connect_bytes = std::make_shared<std::vector<std::uint8_t>>();
  ScriptedServer server(
      [connect_bytes](std::size_t index, const std::vector<std::uint8_t>& packet,
                      const tls::Session*) {
        if (index == 0) {
          *connect_bytes = packet;
          return encoded(auth(ReasonCode::ContinueAuthentication, "challenge-1"));
        }
        return index == 1 ? encoded(connack()) : std::vector<std::uint8_t>{};
      },
      nullptr);
  Method method;
  auto client = server.client();
  const Status status = client->connect(options(method));
  ASSERT_TRUE(status.ok()) << status.message;
  EXPECT_EQ(method.seen, std::vector<std::string>{"challenge-1"});
  client->disconnect();

  const auto packets = server.packets_from_client();
  const auto answer = packet_as<mqtt::Auth>(packets, 0);
  EXPECT_EQ(answer.reason, ReasonCode::ContinueAuthentication);
  EXPECT_EQ(answer.properties.authentication_method, kMethod);
  EXPECT_EQ(data_of(answer), "answer-1");
  EXPECT_FALSE(answer.properties.reason_string.has_value());
  const Decoded connect{*connect_bytes, decode_one(*connect_bytes, Version::v5)};
  const auto* sent = std::get_if<mqtt::Connect>(&connect.packet);
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(sent->properties.authentication_method, kMethod);
  const auto data = sent->properties.authentication_data.value_or(mqtt::Bytes());
  EXPECT_EQ(std::string(data.begin(), data.end()), "hello");
}

TEST(EnhancedAuth, SeveralRoundsBeforeConnack) {
  ScriptedServer server(encoded(auth(ReasonCode::ContinueAuthentication, "challenge-1")),
                        {encoded(auth(ReasonCode::ContinueAuthentication, "challenge-2")),
                         encoded(connack())});
  Method method;
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(method)).ok());
  EXPECT_EQ(method.seen, (std::vector<std::string>{"challenge-1", "challenge-2"}));
  client->disconnect();
  const auto packets = server.packets_from_client();
  EXPECT_EQ(data_of(packet_as<mqtt::Auth>(packets, 0)), "answer-1");
  EXPECT_EQ(data_of(packet_as<mqtt::Auth>(packets, 1)), "answer-2");
}

// Stripping: a server (or a proxy) that skips the exchange and just says yes.
TEST(EnhancedAuth, ConnackBeforeTheMethodIsCompleteIsAProtocolError) {
  ScriptedServer server(encoded(connack()));
  Method method;
  auto client = server.client();
  const Status status = client->connect(options(method));
  EXPECT_EQ(status.kind, ErrorKind::protocol);
  EXPECT_NE(status.message.find("before the authentication exchange was complete"),
            std::string::npos)
      << status.message;
  EXPECT_TRUE(method.seen.empty());
  EXPECT_EQ(packet_as<mqtt::Disconnect>(server.packets_from_client(), 0).reason,
            ReasonCode::ProtocolError);
}

TEST(EnhancedAuth, ConnackWithoutTheMethodIsAProtocolError) {
  ScriptedServer server(encoded(auth(ReasonCode::ContinueAuthentication, "challenge-1")),
                        {encoded(connack(std::nullopt))});
  Method method;
  auto client = server.client();
  const Status status = client->connect(options(method));
  EXPECT_EQ(status.kind, ErrorKind::protocol);
  EXPECT_NE(status.message.find("CONNACK without our Authentication Method"), std::string::npos)
      << status.message;
  const auto packets = server.packets_from_client();
  EXPECT_EQ(packet_as<mqtt::Disconnect>(packets, 1).reason, ReasonCode::ProtocolError);
}

TEST(EnhancedAuth, AuthWithAnotherMethodIsAProtocolError) {
  ScriptedServer server(
      encoded(auth(ReasonCode::ContinueAuthentication, "challenge-1", "other-method")));
  Method method;
  auto client = server.client();
  const Status status = client->connect(options(method));
  EXPECT_EQ(status.kind, ErrorKind::protocol);
  EXPECT_NE(status.message.find("another authentication method"), std::string::npos);
  EXPECT_TRUE(method.seen.empty());
  EXPECT_EQ(packet_as<mqtt::Disconnect>(server.packets_from_client(), 0).reason,
            ReasonCode::ProtocolError);
}

TEST(EnhancedAuth, AuthSuccessInsteadOfConnackIsAProtocolError) {
  ScriptedServer server(encoded(auth(ReasonCode::Success, "")));
  Method method;
  auto client = server.client();
  EXPECT_EQ(client->connect(options(method)).kind, ErrorKind::protocol);
  EXPECT_EQ(packet_as<mqtt::Disconnect>(server.packets_from_client(), 0).reason,
            ReasonCode::ProtocolError);
}

TEST(EnhancedAuth, RefusalSendsDisconnect0x83WithoutReasonString) {
  ScriptedServer server(encoded(auth(ReasonCode::ContinueAuthentication, "challenge-1")),
                        {encoded(connack())});
  Method method;
  method.refuse = true;
  auto client = server.client();
  const Status status = client->connect(options(method));
  EXPECT_EQ(status.kind, ErrorKind::authentication);
  EXPECT_EQ(status.reason, ReasonCode::ImplementationSpecificError);
  EXPECT_NE(status.message.find("the challenge is not to my liking"), std::string::npos)
      << status.message;
  const auto packets = server.packets_from_client();
  ASSERT_EQ(packets.size(), 1u);
  const auto disconnect = packet_as<mqtt::Disconnect>(packets, 0);
  EXPECT_EQ(disconnect.reason, ReasonCode::ImplementationSpecificError);
  EXPECT_FALSE(disconnect.properties.reason_string.has_value());
}

// The server never answers: the client gives up with DISCONNECT 0x83.
TEST(EnhancedAuth, SilentServerGetsDisconnect0x83) {
  ScriptedServer server(std::vector<std::uint8_t>{});
  Method method;
  auto o = options(method);
  o.timeout = std::chrono::milliseconds(300);
  auto client = server.client();
  const Status status = client->connect(o);
  EXPECT_EQ(status.kind, ErrorKind::timeout);
  EXPECT_EQ(status.message, "No CONNACK from the server in time.");
  EXPECT_EQ(packet_as<mqtt::Disconnect>(server.packets_from_client(), 0).reason,
            ReasonCode::ImplementationSpecificError);
}

TEST(EnhancedAuth, RefusedConnackIsReportedAsARefusal) {
  mqtt::Connack refusal = connack();
  refusal.reason = ReasonCode::BadAuthenticationMethod;
  ScriptedServer server(encoded(refusal));
  Method method;
  auto client = server.client();
  const Status status = client->connect(options(method));
  EXPECT_EQ(status.kind, ErrorKind::refused);
  EXPECT_EQ(status.reason, ReasonCode::BadAuthenticationMethod);
}

TEST(EnhancedAuth, NeedsMqtt5) {
  ScriptedServer server(encoded(connack()));
  Method method;
  auto o = options(method);
  o.version = Version::v311;
  auto client = server.client();
  const Status status = client->connect(o);
  EXPECT_EQ(status.kind, ErrorKind::invalid_request);
  EXPECT_NE(status.message.find("MQTT 3.1.1 has no AUTH packet"), std::string::npos);
  client->abort();
}

// Re-authentication: AUTH 0x19, the server's AUTH 0x18 answered, AUTH 0x00; a publication
// arriving in the middle is delivered as usual.
TEST(EnhancedAuth, ReauthenticationOnTheLiveConnection) {
  mqtt::Publish publish;
  publish.topic = "during";
  publish.payload = view("x");
  ScriptedServer server(
      encode_all(Version::v5, {auth(ReasonCode::ContinueAuthentication, "challenge-1")}),
      {encoded(connack()),
       encode_all(Version::v5,
                  {publish, auth(ReasonCode::ContinueAuthentication, "challenge-2")}),
       encoded(auth(ReasonCode::Success, ""))});
  Method method;
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(method)).ok());
  const Status again = client->reauthenticate(bytes("hello again"));
  ASSERT_TRUE(again.ok()) << again.message;
  EXPECT_EQ(method.seen, (std::vector<std::string>{"challenge-1", "challenge-2"}));
  ReceivedMessage message;
  ASSERT_TRUE(client->receive(message, std::chrono::seconds(1)).ok());
  EXPECT_EQ(message.topic, "during");
  client->disconnect();

  const auto packets = server.packets_from_client();
  const auto start = packet_as<mqtt::Auth>(packets, 1);
  EXPECT_EQ(start.reason, ReasonCode::ReAuthenticate);
  EXPECT_EQ(start.properties.authentication_method, kMethod);
  EXPECT_EQ(data_of(start), "hello again");
  const auto answer = packet_as<mqtt::Auth>(packets, 2);
  EXPECT_EQ(answer.reason, ReasonCode::ContinueAuthentication);
  EXPECT_EQ(data_of(answer), "answer-2");
}

TEST(EnhancedAuth, ReauthenticationRefusedEndsTheConnection) {
  ScriptedServer server(encoded(auth(ReasonCode::ContinueAuthentication, "challenge-1")),
                        {encoded(connack()),
                         encoded(auth(ReasonCode::ContinueAuthentication, "challenge-2"))});
  Method method;
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(method)).ok());
  method.refuse = true;
  const Status status = client->reauthenticate(bytes("hello again"));
  EXPECT_EQ(status.kind, ErrorKind::authentication);
  ReceivedMessage message;
  EXPECT_EQ(client->receive(message, std::chrono::milliseconds(10)).kind,
            ErrorKind::connection_closed);
  const auto packets = server.packets_from_client();
  EXPECT_EQ(packet_as<mqtt::Disconnect>(packets, 2).reason,
            ReasonCode::ImplementationSpecificError);
}

TEST(EnhancedAuth, AuthOutsideAnExchangeIsAProtocolError) {
  ScriptedServer server(encoded(auth(ReasonCode::ContinueAuthentication, "challenge-1")),
                        {encode_all(Version::v5, {connack(), auth(ReasonCode::Success, "")})});
  Method method;
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(method)).ok());
  ReceivedMessage message;
  const Status status = client->receive(message, std::chrono::seconds(2));
  EXPECT_EQ(status.kind, ErrorKind::protocol);
  EXPECT_NE(status.message.find("AUTH outside an authentication exchange"), std::string::npos);
}

TEST(EnhancedAuth, ReauthenticationNeedsAMethodFromConnect) {
  ScriptedServer server(encoded(mqtt::Connack{}));
  auto client = server.client();
  ConnectOptions o;
  o.version = Version::v5;
  o.client_id = "plain";
  ASSERT_TRUE(client->connect(o).ok());
  EXPECT_EQ(client->reauthenticate(bytes("x")).kind, ErrorKind::invalid_request);
  client->disconnect();
}

}  // namespace
}  // namespace attestmq::client::testing

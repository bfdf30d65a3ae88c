// CONNECT / CONNACK / DISCONNECT and keep alive against a real mosquitto.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "client/connack_text.hpp"
#include "client/tcp_transport.hpp"
#include "mosquitto_broker.hpp"
#include "reference_programs.hpp"

namespace attestmq::client::testing {
namespace {

using mqtt::ReasonCode;
using mqtt::Version;

class ConnectTest : public ::testing::TestWithParam<Version> {};

// A file the test creates, removed however the test ends (a failed assertion returns early).
struct RemovedAtEnd {
  std::filesystem::path path;
  ~RemovedAtEnd() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};

TEST_P(ConnectTest, OpensAndClosesASession) {
  MosquittoBroker broker;
  ASSERT_TRUE(broker.started());
  std::unique_ptr<Client> client;
  ASSERT_TRUE(broker.connect(test_options(GetParam(), "connect-test"), client).message.empty());
  EXPECT_EQ(client->connack().reason, ReasonCode::Success);
  EXPECT_FALSE(client->connack().session_present);
  EXPECT_TRUE(client->ping().ok());
  EXPECT_TRUE(client->disconnect().ok());
  EXPECT_EQ(client->ping().kind, ErrorKind::connection_closed);
}

TEST_P(ConnectTest, AnonymousClientIsRefusedWhenTheBrokerForbidsIt) {
  MosquittoBroker broker("allow_anonymous false\n");
  ASSERT_TRUE(broker.started());
  std::unique_ptr<Client> client;
  const Status status = broker.connect(test_options(GetParam(), "anonymous"), client);
  EXPECT_EQ(status.kind, ErrorKind::refused);
  EXPECT_EQ(status.reason, ReasonCode::NotAuthorized);
  if (GetParam() == Version::v311) {
    EXPECT_EQ(status.message, "Connection Refused: not authorised.");
    EXPECT_EQ(connack_wire_code(Version::v311, status.reason), 5);
  } else {
    EXPECT_EQ(status.message, std::string(mqtt::to_string(ReasonCode::NotAuthorized)));
    EXPECT_EQ(connack_wire_code(Version::v5, status.reason), 135);
  }
}

TEST_P(ConnectTest, PasswordFileDecidesWhoGetsIn) {
  const RemovedAtEnd passwords_file{std::filesystem::temp_directory_path() /
                                    ("attestmq-passwords-" + std::to_string(::getpid()))};
  const std::filesystem::path& passwords = passwords_file.path;
  ASSERT_TRUE(test::installed(test::kMosquittoPasswd));
  const std::string command =
      std::string(test::kMosquittoPasswd) + " -c -b " + passwords.string() + " alice s3cret";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::filesystem::permissions(passwords, std::filesystem::perms::owner_read |
                                              std::filesystem::perms::owner_write |
                                              std::filesystem::perms::others_read);
  MosquittoBroker broker("allow_anonymous false\npassword_file " + passwords.string() + "\n");
  ASSERT_TRUE(broker.started());
  auto options = test_options(GetParam(), "alice");
  options.username = "alice";
  options.password = "s3cret";
  std::unique_ptr<Client> client;
  EXPECT_TRUE(broker.connect(options, client).ok());
  options.password = "wrong";
  const Status refused = broker.connect(options, client);
  EXPECT_EQ(refused.kind, ErrorKind::refused);
  EXPECT_EQ(refused.message.rfind("Connection Refused", 0) == 0, GetParam() == Version::v311)
      << refused.message;
}

TEST_P(ConnectTest, ClientKeepsTheConnectionAliveWithPingreq) {
  MosquittoBroker broker;
  ASSERT_TRUE(broker.started());
  auto options = test_options(GetParam(), "keepalive");
  options.keep_alive = 1;  // mosquitto closes a silent client after 1.5 keep alive intervals
  std::unique_ptr<Client> client;
  ASSERT_TRUE(broker.connect(options, client).ok());
  ReceivedMessage message;
  EXPECT_EQ(client->receive(message, std::chrono::milliseconds(3500)).kind, ErrorKind::timeout);
  OutgoingMessage probe;
  probe.topic = "keepalive/probe";
  probe.qos = 1;
  EXPECT_TRUE(client->publish(probe).ok());
}

INSTANTIATE_TEST_SUITE_P(BothVersions, ConnectTest, ::testing::Values(Version::v311, Version::v5),
                         [](const auto& info) {
                           return info.param == Version::v5 ? std::string("v5")
                                                            : std::string("v311");
                         });

TEST(ConnectV5, ServerAssignsAClientIdentifierWhenNoneIsGiven) {
  MosquittoBroker broker;
  ASSERT_TRUE(broker.started());
  std::unique_ptr<Client> client;
  ASSERT_TRUE(broker.connect(test_options(Version::v5, ""), client).ok());
  ASSERT_TRUE(client->connack().assigned_client_identifier.has_value());
  EXPECT_FALSE(client->connack().assigned_client_identifier->empty());
}

// Mosquitto 2.0.11 just closes the older connection (later versions send DISCONNECT 0x8E,
// MQTT 5.0 section 3.1.4); either way the older client learns its session is gone.
TEST(ConnectV5, SessionTakeoverEndsTheOlderConnection) {
  MosquittoBroker broker;
  ASSERT_TRUE(broker.started());
  std::unique_ptr<Client> first;
  std::unique_ptr<Client> second;
  ASSERT_TRUE(broker.connect(test_options(Version::v5, "same-id"), first).ok());
  ASSERT_TRUE(broker.connect(test_options(Version::v5, "same-id"), second).ok());
  ReceivedMessage message;
  const Status status = first->receive(message, std::chrono::seconds(5));
  if (status.kind == ErrorKind::server_disconnect) {
    EXPECT_EQ(status.reason, ReasonCode::SessionTakenOver);
  } else {
    EXPECT_EQ(status.kind, ErrorKind::connection_closed) << status.message;
  }
  EXPECT_EQ(first->ping().kind, ErrorKind::connection_closed);
  EXPECT_TRUE(second->ping().ok());
}

TEST(ConnectV5, SessionExpiryCannotBeExtendedOnDisconnectWhenItWasZero) {
  MosquittoBroker broker;
  ASSERT_TRUE(broker.started());
  std::unique_ptr<Client> client;
  ASSERT_TRUE(broker.connect(test_options(Version::v5, "expiry"), client).ok());
  DisconnectOptions options;
  options.session_expiry_interval = 60;
  EXPECT_EQ(client->disconnect(options).kind, ErrorKind::invalid_request);
}

TEST(ConnectV5, PersistentSessionIsPresentOnReconnect) {
  MosquittoBroker broker;
  ASSERT_TRUE(broker.started());
  auto options = test_options(Version::v5, "persistent");
  options.clean_start = false;
  options.session_expiry_interval = 300;
  std::unique_ptr<Client> client;
  ASSERT_TRUE(broker.connect(options, client).ok());
  EXPECT_FALSE(client->connack().session_present);
  ASSERT_TRUE(client->disconnect().ok());
  ASSERT_TRUE(broker.connect(options, client).ok());
  EXPECT_TRUE(client->connack().session_present);
}

TEST(ConnectV5, DisconnectCanShortenTheSessionExpiry) {
  MosquittoBroker broker;
  ASSERT_TRUE(broker.started());
  auto options = test_options(Version::v5, "shortened");
  options.clean_start = false;
  options.session_expiry_interval = 300;
  std::unique_ptr<Client> client;
  ASSERT_TRUE(broker.connect(options, client).ok());
  DisconnectOptions end_now;
  end_now.session_expiry_interval = 0;  // MQTT 5.0 section 3.14.2.2.2
  ASSERT_TRUE(client->disconnect(end_now).ok());
  ASSERT_TRUE(broker.connect(options, client).ok());
  EXPECT_FALSE(client->connack().session_present);
}

TEST(Connect, ClosedPortIsANetworkError) {
  std::unique_ptr<Transport> transport;
  const Status status =
      TcpTransport::connect("127.0.0.1", free_port(), std::chrono::seconds(2), transport);
  EXPECT_EQ(status.kind, ErrorKind::network);
  EXPECT_NE(status.message.find("Connection refused"), std::string::npos) << status.message;
}

TEST(Connect, Ipv6LoopbackIsReachable) {
  const int listener = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  socklen_t length = sizeof address;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener, 1) != 0) {
    if (listener >= 0) ::close(listener);
    GTEST_SKIP() << "no IPv6 loopback on this machine";
  }
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  std::unique_ptr<Transport> transport;
  const Status status = TcpTransport::connect("::1", ntohs(address.sin6_port),
                                              std::chrono::seconds(2), transport);
  EXPECT_TRUE(status.ok()) << status.message;
  ::close(listener);
}

TEST(Connect, UnknownHostIsANetworkError) {
  std::unique_ptr<Transport> transport;
  const Status status =
      TcpTransport::connect("no-such-host.invalid", 1883, std::chrono::seconds(2), transport);
  EXPECT_EQ(status.kind, ErrorKind::network);
  EXPECT_NE(status.message.find("no-such-host.invalid"), std::string::npos);
}

TEST(Connect, V311RefusesEmptyClientIdWithoutCleanSession) {
  MosquittoBroker broker;
  ASSERT_TRUE(broker.started());
  auto options = test_options(Version::v311, "");
  options.clean_start = false;
  std::unique_ptr<Client> client;
  EXPECT_EQ(broker.connect(options, client).kind, ErrorKind::invalid_request);
}

}  // namespace
}  // namespace attestmq::client::testing

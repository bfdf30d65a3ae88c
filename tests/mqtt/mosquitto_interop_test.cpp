// The codec against a real peer: Debian's mosquitto broker on 127.0.0.1. Our encodings of
// CONNECT, SUBSCRIBE, PUBLISH, PUBACK, UNSUBSCRIBE, PINGREQ and DISCONNECT must be accepted,
// and what mosquitto answers (CONNACK, SUBACK, PUBACK, PUBLISH, UNSUBACK, PINGRESP) must
// decode, properties included, in both protocol versions. Native only: the Wasm build of
// these tests has no sockets or processes.
#ifndef __wasi__

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "codec_test_support.hpp"
#include "reference_programs.hpp"

namespace attestmq::mqtt::test {
namespace {

using attestmq::test::kMosquitto;

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return fd;
  ::close(fd);
  return -1;
}

// A decoded packet together with the bytes it views.
struct Received {
  ByteVector bytes;
  Packet packet;
};

class Connection {
 public:
  Connection(int fd, Version version) : fd_(fd), version_(version) {}
  ~Connection() { ::close(fd_); }

  void send(const Packet& packet) { send_bytes(encode_bytes(packet, version_)); }

  void send_bytes(const ByteVector& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  // True once the peer has closed the connection (within two seconds).
  bool closed_by_peer() {
    pollfd poll_fd{fd_, POLLIN, 0};
    if (::poll(&poll_fd, 1, 2000) <= 0) return false;
    std::uint8_t byte = 0;
    return ::recv(fd_, &byte, 1, 0) == 0;
  }

  // The next packet from the peer, or null after two seconds without one.
  std::unique_ptr<Received> receive() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (true) {
      FixedHeader header;
      DecodeStatus status;
      if (parse_frame(inbox_, kMaxRemainingLength + 5, header, status) == FrameStatus::complete) {
        auto received = std::make_unique<Received>();
        const auto end = inbox_.begin() + static_cast<long>(header.total_size());
        received->bytes.assign(inbox_.begin() + header.header_size, end);
        inbox_.erase(inbox_.begin(), end);
        status = decode(header, received->bytes, version_, received->packet);
        EXPECT_TRUE(status.ok()) << status.detail;
        return received;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd poll_fd{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) {
        return nullptr;
      }
      std::uint8_t chunk[4096];
      const auto got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got <= 0) return nullptr;
      inbox_.insert(inbox_.end(), chunk, chunk + got);
    }
  }

 private:
  int fd_;
  Version version_;
  ByteVector inbox_;
};

class MosquittoInterop : public ::testing::TestWithParam<Version> {
 protected:
  static void SetUpTestSuite() {
    if (const auto found = attestmq::test::installed(kMosquitto); !found) {
      start_failure_ = found.message();
      return;
    }
    port_ = free_port();
    config_ = "/tmp/attestmq-codec-interop-" + std::to_string(::getpid()) + ".conf";
    std::ofstream(config_) << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test binary
      std::freopen("/dev/null", "w", stdout);
      std::freopen("/dev/null", "w", stderr);
      ::execl(kMosquitto, kMosquitto, "-c", config_.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Wait for the listener.
    for (int attempt = 0; attempt < 100; ++attempt) {
      const int fd = connect_to(port_);
      if (fd >= 0) {
        ::close(fd);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    start_failure_ =
        std::string(kMosquitto) + " did not listen on 127.0.0.1:" + std::to_string(port_);
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (!config_.empty()) ::unlink(config_.c_str());
  }

  void SetUp() override { ASSERT_TRUE(start_failure_.empty()) << start_failure_; }

  std::unique_ptr<Connection> open() {
    const int fd = connect_to(port_);
    EXPECT_GE(fd, 0);
    return std::make_unique<Connection>(fd, GetParam());
  }

  bool v5() const { return GetParam() == Version::v5; }

  static inline pid_t pid_ = -1;
  static inline std::uint16_t port_ = 0;
  static inline std::string config_;
  static inline std::string start_failure_;  // why mosquitto is not there; empty when it is
};

TEST_P(MosquittoInterop, FullSessionExchange) {
  auto connection = open();
  Connect connect;
  connect.version = GetParam();
  connect.client_id = v5() ? "attestmq-codec-v5" : "attestmq-codec-v311";
  connect.keep_alive = 30;
  connect.will = Will{.qos = 1, .retain = false, .properties = {}, .topic = "attestmq/will",
                      .payload = as_bytes("gone")};
  if (v5()) {
    connect.properties.session_expiry_interval = 0;
    connect.properties.receive_maximum = 10;
    connect.properties.topic_alias_maximum = 5;
    connect.properties.user_properties = {{"codec", "attestmq"}};
    connect.will->properties.will_delay_interval = 0;
    connect.will->properties.content_type = "text/plain";
  }
  connection->send(connect);
  const auto connack = connection->receive();
  ASSERT_NE(connack, nullptr);
  ASSERT_TRUE(std::holds_alternative<Connack>(connack->packet));
  EXPECT_EQ(std::get<Connack>(connack->packet).reason, ReasonCode::Success);

  Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.subscriptions = {{.filter = "attestmq/interop/#", .qos = 1}};
  if (v5()) subscribe.properties.subscription_identifiers = {42};
  connection->send(subscribe);
  const auto suback = connection->receive();
  ASSERT_NE(suback, nullptr);
  ASSERT_TRUE(std::holds_alternative<Suback>(suback->packet));
  EXPECT_EQ(std::get<Suback>(suback->packet).packet_id, 1);
  EXPECT_EQ(std::get<Suback>(suback->packet).reasons,
            (std::vector<ReasonCode>{ReasonCode::GrantedQos1}));

  const std::uint8_t correlation[] = {0xC0, 0xFF, 0xEE};
  Publish publish;
  publish.qos = 1;
  publish.packet_id = 2;
  publish.topic = "attestmq/interop/temperature";
  publish.payload = as_bytes("21.5 °C");
  if (v5()) {
    publish.properties.payload_format_indicator = 1;
    publish.properties.content_type = "text/plain";
    publish.properties.response_topic = "attestmq/replies";
    publish.properties.correlation_data = Bytes(correlation);
    publish.properties.message_expiry_interval = 60;
    publish.properties.user_properties = {{"unit", "celsius"}};
  }
  connection->send(publish);

  // mosquitto acknowledges our PUBLISH and delivers it back to our subscription, in either
  // order.
  std::unique_ptr<Received> delivery;
  bool acknowledged = false;
  for (int i = 0; i < 2; ++i) {
    auto received = connection->receive();
    ASSERT_NE(received, nullptr);
    if (const auto* puback = std::get_if<Puback>(&received->packet)) {
      EXPECT_EQ(puback->packet_id, 2);
      acknowledged = true;
    } else {
      ASSERT_TRUE(std::holds_alternative<Publish>(received->packet));
      delivery = std::move(received);
    }
  }
  EXPECT_TRUE(acknowledged);
  ASSERT_NE(delivery, nullptr);
  const auto& delivered = std::get<Publish>(delivery->packet);
  EXPECT_EQ(delivered.topic, publish.topic);
  EXPECT_EQ(delivered.qos, 1);
  EXPECT_TRUE(std::ranges::equal(delivered.payload, publish.payload));
  if (v5()) {
    const auto& p = delivered.properties;
    EXPECT_EQ(p.payload_format_indicator, 1);
    EXPECT_EQ(p.content_type, "text/plain");
    EXPECT_EQ(p.response_topic, "attestmq/replies");
    ASSERT_TRUE(p.correlation_data.has_value());
    EXPECT_TRUE(std::ranges::equal(*p.correlation_data, correlation));
    EXPECT_EQ(p.user_properties, (std::vector<UserProperty>{{"unit", "celsius"}}));
    EXPECT_EQ(p.subscription_identifiers, (std::vector<std::uint32_t>{42}));
    ASSERT_TRUE(p.message_expiry_interval.has_value());
    EXPECT_LE(*p.message_expiry_interval, 60u);
  }
  Puback ack;
  ack.packet_id = delivered.packet_id;
  connection->send(ack);

  Unsubscribe unsubscribe;
  unsubscribe.packet_id = 3;
  unsubscribe.filters = {"attestmq/interop/#"};
  connection->send(unsubscribe);
  const auto unsuback = connection->receive();
  ASSERT_NE(unsuback, nullptr);
  ASSERT_TRUE(std::holds_alternative<Unsuback>(unsuback->packet));
  EXPECT_EQ(std::get<Unsuback>(unsuback->packet).packet_id, 3);
  if (v5()) {
    EXPECT_EQ(std::get<Unsuback>(unsuback->packet).reasons,
              (std::vector<ReasonCode>{ReasonCode::Success}));
  }

  connection->send(Pingreq{});
  const auto pingresp = connection->receive();
  ASSERT_NE(pingresp, nullptr);
  EXPECT_TRUE(std::holds_alternative<Pingresp>(pingresp->packet));
  connection->send(Disconnect{});
}

// A PUBLISH with a wildcard in its topic, which we decode as TopicNameInvalid, is refused by
// mosquitto too: in 5.0 with a DISCONNECT (which must decode) carrying a failure code, in
// 3.1.1 by closing the connection.
TEST_P(MosquittoInterop, PeerRejectsWhatWeReject) {
  auto connection = open();
  Connect connect;
  connect.version = GetParam();
  connect.client_id = "attestmq-codec-bad";
  connection->send(connect);
  ASSERT_NE(connection->receive(), nullptr);
  const ByteVector bad_publish = v5() ? packet_with_body(0x30, {0x00, 0x03, 'a', '/', '#', 0x00})
                                      : packet_with_body(0x30, {0x00, 0x03, 'a', '/', '#'});
  EXPECT_EQ(decode_code(bad_publish, GetParam()), ReasonCode::TopicNameInvalid);
  connection->send_bytes(bad_publish);
  if (v5()) {
    const auto answer = connection->receive();
    ASSERT_NE(answer, nullptr);
    ASSERT_TRUE(std::holds_alternative<Disconnect>(answer->packet));
    EXPECT_GE(static_cast<int>(std::get<Disconnect>(answer->packet).reason), 0x80);
  }
  EXPECT_TRUE(connection->closed_by_peer());
}

INSTANTIATE_TEST_SUITE_P(BothVersions, MosquittoInterop,
                         ::testing::Values(Version::v311, Version::v5),
                         [](const auto& info) {
                           return info.param == Version::v5 ? "v5" : "v311";
                         });

}  // namespace
}  // namespace attestmq::mqtt::test

#endif  // __wasi__

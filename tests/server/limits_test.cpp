// Limits the native server applies before the engine sees a connection (max_connection_rate,
// a token bucket per client address) and the engine's CONNECT deadline driven by the
// server's timers, over real sockets on loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "mqtt/codec.hpp"
#include "server/connection_rate.hpp"
#include "test_peer.hpp"

namespace attestmq::server {
namespace {

using Verdict = ConnectionRateLimiter::Verdict;
using testing::RunningServer;
using testing::loopback_config;

sockaddr_storage ipv4(std::uint32_t host_order_address, std::uint16_t port = 40000) {
  sockaddr_storage storage{};
  auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
  v4.sin_family = AF_INET;
  v4.sin_port = htons(port);
  v4.sin_addr.s_addr = htonl(host_order_address);
  return storage;
}

sockaddr_storage ipv6(const char* text) {
  sockaddr_storage storage{};
  auto& v6 = reinterpret_cast<sockaddr_in6&>(storage);
  v6.sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, text, &v6.sin6_addr);
  return storage;
}

constexpr std::uint32_t kLoopback = 0x7F000001;

TEST(ConnectionRateLimiter, BurstThenRefillAtTheRate) {
  ConnectionRateLimiter limiter(3);
  const std::uint64_t t0 = 1'000'000;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.admit(ipv4(kLoopback, 40000 + i), t0), Verdict::admit);
  EXPECT_EQ(limiter.admit(ipv4(kLoopback), t0), Verdict::deny_and_log) << "the port does not matter";
  EXPECT_EQ(limiter.admit(ipv4(kLoopback), t0 + 100), Verdict::deny) << "logged once per burst";
  EXPECT_EQ(limiter.admit(ipv4(kLoopback), t0 + 334), Verdict::admit) << "a token every 1/3 s";
  EXPECT_EQ(limiter.admit(ipv4(kLoopback), t0 + 334), Verdict::deny_and_log);
}

TEST(ConnectionRateLimiter, AddressesHaveTheirOwnBuckets) {
  ConnectionRateLimiter limiter(1);
  EXPECT_EQ(limiter.admit(ipv4(kLoopback), 5'000), Verdict::admit);
  EXPECT_EQ(limiter.admit(ipv4(kLoopback), 5'000), Verdict::deny_and_log);
  EXPECT_EQ(limiter.admit(ipv4(kLoopback + 1), 5'000), Verdict::admit);
  EXPECT_EQ(limiter.admit(ipv6("2001:db8::1"), 5'000), Verdict::admit);
  EXPECT_EQ(limiter.admit(ipv6("2001:db8::1"), 5'000), Verdict::deny_and_log);
  EXPECT_EQ(limiter.admit(ipv6("::ffff:127.0.0.1"), 5'000), Verdict::deny)
      << "an IPv4-mapped IPv6 peer is the same IPv4 address";
}

TEST(ConnectionRateLimiter, ZeroIsUnlimitedAndTracksNothing) {
  ConnectionRateLimiter limiter(0);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.admit(ipv4(kLoopback), 7'000), Verdict::admit);
  EXPECT_EQ(limiter.tracked_addresses(), 0u);
}

TEST(ConnectionRateLimiter, IdleAddressesAreForgotten) {
  ConnectionRateLimiter limiter(5);
  for (std::uint32_t i = 0; i < 1000; ++i) limiter.admit(ipv4(0x0A000000 + i), 10'000);
  EXPECT_EQ(limiter.tracked_addresses(), 1000u);
  limiter.admit(ipv4(kLoopback), 11'000);  // a second later: every entry above is full again
  EXPECT_EQ(limiter.tracked_addresses(), 1u);
}

// A flood from more addresses than the table holds: the table stops growing, the excess
// passes untracked (a per-address limit cannot hold back that many addresses anyway), and
// addresses already tracked stay limited.
TEST(ConnectionRateLimiter, TableSizeIsCappedUnderAFloodOfAddresses) {
  constexpr std::size_t kCap = ConnectionRateLimiter::kMaxTrackedAddresses;
  ConnectionRateLimiter limiter(1);
  EXPECT_EQ(limiter.admit(ipv4(kLoopback), 20'000), Verdict::admit);
  for (std::uint32_t i = 0; i < kCap + 1000; ++i)
    EXPECT_EQ(limiter.admit(ipv4(0x0A000000 + i), 20'000 + i / 1000), Verdict::admit);
  EXPECT_EQ(limiter.tracked_addresses(), kCap);
  EXPECT_EQ(limiter.admit(ipv4(kLoopback), 20'100), Verdict::deny_and_log);
}

// A TCP connection from `source` (any 127.x.y.z works on Linux loopback) to 127.0.0.1:port.
UniqueFd connect_from(const char* source, std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  remote.sin_addr.s_addr = htonl(kLoopback);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd.get(), reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0)
    return UniqueFd();
  const timeval timeout{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

// Sends CONNECT; true if a CONNACK came back, false if the server closed the connection.
bool admitted(const UniqueFd& fd, const std::string& client_id) {
  mqtt::Connect connect;
  connect.version = mqtt::Version::v311;
  connect.client_id = client_id;
  std::vector<std::uint8_t> bytes;
  mqtt::encode(connect, connect.version, bytes);
  if (::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))
    return false;
  std::uint8_t reply[4];
  return ::recv(fd.get(), reply, sizeof reply, MSG_WAITALL) == 4 && reply[0] == 0x20;
}

TEST(ServerLimits, MaxConnectionRateDeniesTheExcessOfOneAddressOnly) {
  auto config = loopback_config();
  config.listeners[0].max_connection_rate = 2;
  const std::string log = testing::log_to_test_file(config);
  RunningServer running(config);
  const auto started = std::chrono::steady_clock::now();
  std::vector<UniqueFd> burst;
  for (int i = 0; i < 6; ++i) burst.push_back(connect_from("127.0.0.1", running.port()));
  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started).count();
  int accepted = 0;
  for (std::size_t i = 0; i < burst.size(); ++i) accepted += admitted(burst[i], "burst" + std::to_string(i));
  // Two at once, then one more per half second that the burst took.
  EXPECT_GE(accepted, 2);
  EXPECT_LE(accepted, 2 + static_cast<int>(elapsed_ms / 500) + 1);
  EXPECT_LT(accepted, 6);
  EXPECT_NE(testing::read_file(log).find("Connection from 127.0.0.1 denied: max_connection_rate (2/s)."),
            std::string::npos);

  UniqueFd other = connect_from("127.0.0.2", running.port());
  EXPECT_TRUE(admitted(other, "other-address")) << "another address has its own bucket";
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  UniqueFd later = connect_from("127.0.0.1", running.port());
  EXPECT_TRUE(admitted(later, "later")) << "the bucket refilled";
}

TEST(ServerLimits, ConnectTimeoutClosesASilentConnection) {
  auto config = loopback_config();
  config.settings.connect_timeout_ms = 1'000;
  const std::string log = testing::log_to_test_file(config);
  RunningServer running(config);
  testing::TestClient silent("127.0.0.1", running.port());
  testing::TestClient normal("127.0.0.1", running.port());
  ASSERT_EQ(normal.connect("normal"), mqtt::ReasonCode::Success);
  silent.set_receive_timeout_ms(5'000);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.closed_by_peer());
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, std::chrono::milliseconds(800));
  EXPECT_LT(waited, std::chrono::milliseconds(2'500)) << "within a tick of the deadline";
  EXPECT_NE(testing::read_file(log).find(" closed: no CONNECT within 1000 ms."), std::string::npos);
  normal.subscribe("still/here", 0);
  normal.publish("still/here", {'o', 'k'});
  const auto message = normal.receive();
  EXPECT_TRUE(message && std::holds_alternative<mqtt::Publish>(*message));
}

}  // namespace
}  // namespace attestmq::server

// accept() failing for want of descriptors (EMFILE): the server, in this process, pauses
// accepting instead of spinning on the still-readable listen socket, keeps serving the
// clients it has, and accepts the waiting ones once descriptors are free again.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "mqtt/codec.hpp"
#include "test_peer.hpp"

namespace attestmq::server {
namespace {

using testing::RunningServer;
using testing::TestClient;
using testing::loopback_config;

// Lowers this process's soft RLIMIT_NOFILE while alive.
class DescriptorLimit {
 public:
  explicit DescriptorLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &previous_);
    rlimit lowered = previous_;
    lowered.rlim_cur = std::min(soft, previous_.rlim_cur);
    ok_ = ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  }
  ~DescriptorLimit() { ::setrlimit(RLIMIT_NOFILE, &previous_); }
  bool ok() const { return ok_; }

 private:
  rlimit previous_{};
  bool ok_ = false;
};

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

bool connect_to(int fd, std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

// A 3.1.1 CONNECT on a raw socket; true once CONNACK 0x00 (accepted) comes back.
bool accepted_by_broker(int fd, const std::string& client_id) {
  mqtt::Connect connect;
  connect.version = mqtt::Version::v311;
  connect.client_id = client_id;
  std::vector<std::uint8_t> bytes;
  mqtt::encode(connect, mqtt::Version::v311, bytes);
  const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (sent != static_cast<ssize_t>(bytes.size())) return false;
  const timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::uint8_t connack[4] = {};
  std::size_t got = 0;
  while (got < sizeof connack) {
    const ssize_t n = ::recv(fd, connack + got, sizeof connack - got, 0);
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return connack[0] == 0x20 && connack[1] == 0x02 && connack[3] == 0x00;
}

std::size_t count_occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

TEST(AcceptExhaustion, PausesInsteadOfSpinningAndRecovers) {
  auto config = loopback_config();
  const std::string log = testing::log_to_test_file(config);
  RunningServer running(config);
  TestClient resident("127.0.0.1", running.port());
  ASSERT_EQ(resident.connect("resident"), mqtt::ReasonCode::Success);
  resident.subscribe("echo", 0);

  // Made while descriptors are still to be had, connected once none are left.
  std::vector<UniqueFd> waiting;
  for (int i = 0; i < 3; ++i) waiting.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  double cpu_used = 0;
  {
    const UniqueFd probe(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    const DescriptorLimit limit(static_cast<rlim_t>(probe.get()) + 64);
    ASSERT_TRUE(limit.ok());
    std::vector<UniqueFd> fillers;
    while (true) {
      UniqueFd filler(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      if (!filler) break;
      fillers.push_back(std::move(filler));
    }
    ASSERT_EQ(errno, EMFILE);
    // The kernel completes these handshakes; the server's accept() fails with EMFILE.
    for (const auto& fd : waiting) ASSERT_TRUE(connect_to(fd.get(), running.port()));
    const double cpu_before = cpu_seconds();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    cpu_used = cpu_seconds() - cpu_before;

    // The clients it already has are still served.
    resident.publish("echo", {'o', 'k'});
    const auto echo = resident.receive();
    ASSERT_TRUE(echo && std::holds_alternative<mqtt::Publish>(*echo));
  }
  EXPECT_LT(cpu_used, 0.5) << "the server spun on accept() for a second";
  // One pause of 100 ms at a time: about ten over that second, not thousands.
  const std::size_t pauses = count_occurrences(testing::read_file(log), "Too many open files; not accepting");
  EXPECT_GE(pauses, 1u);
  EXPECT_LE(pauses, 20u);

  for (std::size_t i = 0; i < waiting.size(); ++i) {
    EXPECT_TRUE(accepted_by_broker(waiting[i].get(), "waited-" + std::to_string(i)));
  }
}

}  // namespace
}  // namespace attestmq::server

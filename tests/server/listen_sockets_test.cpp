// Opening listeners: ephemeral ports, both families, and errors that name the listener.
#include <gtest/gtest.h>

#include "server/listen_sockets.hpp"

namespace attestmq::server {
namespace {

config::ListenerConfig listener(std::string address, std::uint16_t port) {
  config::ListenerConfig config;
  config.bind_address = std::move(address);
  config.port = port;
  config.origin = "test.conf:3";
  return config;
}

TEST(ListenSockets, EphemeralPortIsReported) {
  auto opened = open_listen_sockets({listener("127.0.0.1", 0)});
  ASSERT_TRUE(std::holds_alternative<OpenedSockets>(opened)) << std::get<std::string>(opened);
  const auto& sockets = std::get<OpenedSockets>(opened).sockets;
  ASSERT_EQ(sockets.size(), 1u);
  EXPECT_NE(sockets[0].port, 0);
  EXPECT_EQ(sockets[0].address, "127.0.0.1");
  EXPECT_FALSE(sockets[0].ipv6);
}

TEST(ListenSockets, PortInUseNamesTheListener) {
  auto first = open_listen_sockets({listener("127.0.0.1", 0)});
  ASSERT_TRUE(std::holds_alternative<OpenedSockets>(first));
  const std::uint16_t port = std::get<OpenedSockets>(first).sockets[0].port;
  auto second = open_listen_sockets({listener("127.0.0.1", port)});
  ASSERT_TRUE(std::holds_alternative<std::string>(second));
  EXPECT_EQ(std::get<std::string>(second), "listener " + std::to_string(port) +
                                               " 127.0.0.1 (test.conf:3): bind on 127.0.0.1: Address already in use");
}

TEST(ListenSockets, OptionalListenerIsSkippedNotFatal) {
  auto first = open_listen_sockets({listener("127.0.0.1", 0)});
  const std::uint16_t port = std::get<OpenedSockets>(first).sockets[0].port;
  auto busy = listener("127.0.0.1", port);
  busy.optional = true;
  auto opened = open_listen_sockets({listener("127.0.0.1", 0), busy});
  ASSERT_TRUE(std::holds_alternative<OpenedSockets>(opened));
  EXPECT_EQ(std::get<OpenedSockets>(opened).sockets.size(), 1u);
  EXPECT_EQ(std::get<OpenedSockets>(opened).skipped.size(), 1u);
}

TEST(ListenSockets, UnresolvableAddressIsAnError) {
  auto opened = open_listen_sockets({listener("256.1.1.1", 0)});
  ASSERT_TRUE(std::holds_alternative<std::string>(opened));
  EXPECT_EQ(std::get<std::string>(opened).rfind("listener 0 256.1.1.1 (test.conf:3): cannot resolve '256.1.1.1': ", 0), 0u)
      << std::get<std::string>(opened);
}

TEST(ListenSockets, Ipv4DomainOnAllInterfaces) {
  auto config = listener("", 0);
  config.domain = config::SocketDomain::ipv4;
  auto opened = open_listen_sockets({config});
  ASSERT_TRUE(std::holds_alternative<OpenedSockets>(opened));
  const auto& sockets = std::get<OpenedSockets>(opened).sockets;
  ASSERT_EQ(sockets.size(), 1u);
  EXPECT_EQ(sockets[0].address, "0.0.0.0");
}

}  // namespace
}  // namespace attestmq::server

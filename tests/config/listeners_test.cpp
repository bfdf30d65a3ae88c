// Listener sections, the default listener, local-only mode, per_listener_settings and -p.
#include <gtest/gtest.h>

#include "config_test_helpers.hpp"

namespace attestmq::config {
namespace {

using testing::parse_ok;

TEST(ConfigListeners, NoListenerMeansLocalOnlyWithAnonymous) {
  const auto config = parse_ok("max_qos 1\n");
  EXPECT_TRUE(config.local_only);
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0].bind_address, "127.0.0.1");
  EXPECT_EQ(config.listeners[0].port, 1883);
  EXPECT_FALSE(config.listeners[0].optional);
  EXPECT_EQ(config.listeners[1].bind_address, "::1");
  EXPECT_TRUE(config.listeners[1].optional) << "a machine without IPv6 loopback still starts";
  ASSERT_EQ(config.settings.listeners.size(), 2u);
  EXPECT_TRUE(config.settings.listeners[0].allow_anonymous);
  EXPECT_TRUE(config.settings.listeners[1].allow_anonymous);
}

TEST(ConfigListeners, DefaultConfigIsLocalOnly) {
  auto result = default_config();
  ASSERT_TRUE(std::holds_alternative<BrokerConfig>(result));
  const auto& config = std::get<BrokerConfig>(result);
  EXPECT_TRUE(config.local_only);
  EXPECT_EQ(config.listeners.size(), 2u);
}

TEST(ConfigListeners, LocalOnlyRespectsExplicitAllowAnonymousFalse) {
  const auto config = parse_ok("allow_anonymous false\n");
  EXPECT_TRUE(config.local_only);
  EXPECT_FALSE(config.settings.listeners[0].allow_anonymous);
}

TEST(ConfigListeners, LocalOnlyRespectsPerListenerAllowAnonymousFalse) {
  const auto config = parse_ok("per_listener_settings true\nallow_anonymous false\n");
  EXPECT_TRUE(config.local_only);
  EXPECT_FALSE(config.settings.listeners[0].allow_anonymous);
}

TEST(ConfigListeners, ConfiguredListenersDenyAnonymousByDefault) {
  const auto config = parse_ok("listener 1883\n");
  EXPECT_FALSE(config.local_only);
  ASSERT_EQ(config.listeners.size(), 1u);
  EXPECT_EQ(config.listeners[0].port, 1883);
  EXPECT_EQ(config.listeners[0].bind_address, "");
  EXPECT_EQ(config.listeners[0].origin, "test.conf:1");
  ASSERT_EQ(config.settings.listeners.size(), 1u);
  EXPECT_FALSE(config.settings.listeners[0].allow_anonymous);
}

TEST(ConfigListeners, ListenerSectionsTakeTheirOptions) {
  const auto config = parse_ok(
      "listener 1883 127.0.0.1\n"
      "max_connections 10\n"
      "socket_domain ipv4\n"
      "protocol mqtt\n"
      "listener 1884\n"
      "socket_domain ipv6\n");
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0].bind_address, "127.0.0.1");
  EXPECT_EQ(config.listeners[0].max_connections, 10);
  EXPECT_EQ(config.listeners[0].domain, SocketDomain::ipv4);
  EXPECT_EQ(config.listeners[1].port, 1884);
  EXPECT_EQ(config.listeners[1].max_connections, -1);
  EXPECT_EQ(config.listeners[1].domain, SocketDomain::ipv6);
}

TEST(ConfigListeners, PortAndBindAddressMakeTheDefaultListener) {
  const auto config = parse_ok("port 1999\nbind_address 127.0.0.1\nlistener 2000\n");
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0].port, 1999);
  EXPECT_EQ(config.listeners[0].bind_address, "127.0.0.1");
  EXPECT_EQ(config.listeners[1].port, 2000);
}

TEST(ConfigListeners, ListenerOptionBeforeAnyListenerMakesTheDefaultListener) {
  // As in Mosquitto: the option configures the default listener, which then exists.
  const auto config = parse_ok("max_connections 3\nlistener 2000\n");
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0].port, 1883);
  EXPECT_EQ(config.listeners[0].max_connections, 3);
  EXPECT_EQ(config.listeners[1].max_connections, -1);
}

TEST(ConfigListeners, GlobalAllowAnonymousAppliesEverywhere) {
  const auto config = parse_ok("listener 1883\nlistener 1884\nallow_anonymous true\n");
  ASSERT_EQ(config.settings.listeners.size(), 2u);
  EXPECT_TRUE(config.settings.listeners[0].allow_anonymous);
  EXPECT_TRUE(config.settings.listeners[1].allow_anonymous);
}

TEST(ConfigListeners, PerListenerSettingsBindSecurityToTheListener) {
  const auto config = parse_ok(
      "per_listener_settings true\n"
      "port 1880\n"
      "allow_anonymous true\n"
      "listener 1883\n"
      "allow_anonymous true\n"
      "listener 1884\n"
      "listener 1885\n"
      "allow_anonymous false\n");
  ASSERT_EQ(config.settings.listeners.size(), 4u);
  EXPECT_TRUE(config.per_listener_settings);
  EXPECT_TRUE(config.settings.listeners[0].allow_anonymous) << "default listener (port 1880)";
  EXPECT_TRUE(config.settings.listeners[1].allow_anonymous);
  EXPECT_FALSE(config.settings.listeners[2].allow_anonymous) << "unset means false";
  EXPECT_FALSE(config.settings.listeners[3].allow_anonymous);
}

TEST(ConfigListeners, CommandLinePortReplacesTheDefaultListenersPort) {
  CommandLine command_line;
  command_line.ports = {2883, 2884};
  const auto config = parse_ok("port 1883\nlistener 9000\n", command_line);
  ASSERT_EQ(config.listeners.size(), 3u);
  EXPECT_EQ(config.listeners[0].port, 2883);
  EXPECT_EQ(config.listeners[1].port, 9000);
  EXPECT_EQ(config.listeners[2].port, 2884);
  EXPECT_EQ(config.listeners[2].bind_address, "");
}

TEST(ConfigListeners, CommandLinePortAddsAListenerBesideExplicitOnes) {
  CommandLine command_line;
  command_line.ports = {2883};
  const auto config = parse_ok("listener 9000\n", command_line);
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[1].port, 2883);
  EXPECT_EQ(config.settings.listeners.size(), 2u);
}

TEST(ConfigListeners, CommandLinePortWithoutListenersIsLocalOnly) {
  CommandLine command_line;
  command_line.ports = {2883};
  const auto config = parse_ok("", command_line);
  EXPECT_TRUE(config.local_only);
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0].port, 2883);
  EXPECT_EQ(config.listeners[1].port, 2883);
}

TEST(ConfigListeners, PortZeroIsAllowedForEphemeralPorts) {
  EXPECT_EQ(parse_ok("listener 0 127.0.0.1\n").listeners[0].port, 0);
}

}  // namespace
}  // namespace attestmq::config

#include "client/property_arguments.hpp"

#include <gtest/gtest.h>

namespace attestmq::client {
namespace {

constexpr unsigned kPub =
    kConnectProperties | kPublishProperties | kWillProperties | kDisconnectProperties;

TEST(PropertyArguments, GroupsAreTakenOutAndRecorded) {
  std::vector<std::string> args = {"pub",  "-t", "a", "-D", "publish", "user-property", "k", "v",
                                   "--property", "publish", "message-expiry-interval", "60",
                                   "-D", "publish", "topic-alias", "3", "-D", "connect",
                                   "session-expiry-interval", "30", "-m", "x"};
  PropertyArguments properties;
  std::string error;
  ASSERT_TRUE(extract_property_arguments(args, kPub, properties, error)) << error;
  EXPECT_EQ(args, (std::vector<std::string>{"pub", "-t", "a", "-m", "x"}));
  EXPECT_EQ(properties.publish.user_properties, (std::vector<UserProperty>{{"k", "v"}}));
  EXPECT_EQ(properties.publish.message_expiry_interval, 60u);
  EXPECT_EQ(properties.publish.topic_alias, 3);
  EXPECT_EQ(properties.connect.session_expiry_interval, 30u);
  const auto publish = properties.publish.publish_properties();
  EXPECT_EQ(publish.message_expiry_interval, 60u);
}

TEST(PropertyArguments, ErrorsUseMosquittosWords) {
  const auto error_for = [](std::vector<std::string> args, unsigned allowed) {
    PropertyArguments properties;
    std::string error;
    EXPECT_FALSE(extract_property_arguments(args, allowed, properties, error));
    return error;
  };
  EXPECT_EQ(error_for({"pub", "-D", "publish", "user-property", "k"}, kPub),
            "--property argument given but not enough arguments specified.");
  EXPECT_EQ(error_for({"pub", "-D", "connect", "topic-alias", "3"}, kPub),
            "topic-alias property not allowed for connect in --property argument.");
  EXPECT_EQ(error_for({"sub", "-D", "publish", "user-property", "k", "v"}, kConnectProperties),
            "user-property property not allowed for publish in --property argument.");
  EXPECT_EQ(error_for({"pub", "-D", "publish", "no-such-thing", "1"}, kPub),
            "Invalid property name 'no-such-thing' in --property argument.");
  EXPECT_EQ(error_for({"pub", "-D", "frobnicate", "user-property", "k", "v"}, kPub),
            "Invalid command 'frobnicate' given in --property argument.");
  EXPECT_EQ(error_for({"pub", "-D", "publish", "message-expiry-interval", "4294967296"}, kPub),
            "Invalid value '4294967296' for message-expiry-interval in --property argument.");
  EXPECT_EQ(error_for({"pub", "-D", "publish", "topic-alias", "0"}, kPub),
            "Invalid value '0' for topic-alias in --property argument.");
}

}  // namespace
}  // namespace attestmq::client

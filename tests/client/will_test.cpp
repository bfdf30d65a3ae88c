// Will messages (MQTT 5.0 section 3.1.2.5): published when the connection ends without
// DISCONNECT, discarded after a normal DISCONNECT.
#include <gtest/gtest.h>

#include "mosquitto_broker.hpp"

namespace attestmq::client::testing {
namespace {

using mqtt::ReasonCode;
using mqtt::Version;

class WillTest : public ::testing::TestWithParam<Version> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(broker_.started());
    ASSERT_TRUE(broker_.connect(test_options(GetParam(), "watcher"), watcher_).ok());
    SubscriptionRequest request;
    request.filter = "clients/+/status";
    request.qos = 1;
    std::vector<ReasonCode> reasons;
    ASSERT_TRUE(watcher_->subscribe({request}, reasons).ok());
  }

  std::unique_ptr<Client> connect_with_will(const std::string& id) {
    auto options = test_options(GetParam(), id);
    WillOptions will;
    will.topic = "clients/" + id + "/status";
    will.payload = {'g', 'o', 'n', 'e'};
    will.qos = 1;
    will.properties.user_properties = {{"reason", "crash"}};
    options.will = will;
    std::unique_ptr<Client> client;
    const Status status = broker_.connect(options, client);
    EXPECT_TRUE(status.ok()) << status.message;
    return client;
  }

  MosquittoBroker broker_;
  std::unique_ptr<Client> watcher_;
};

TEST_P(WillTest, AbruptCloseTriggersTheWill) {
  auto client = connect_with_will("crasher");
  client->abort();
  ReceivedMessage will;
  ASSERT_TRUE(watcher_->receive(will, std::chrono::seconds(5)).ok());
  EXPECT_EQ(will.topic, "clients/crasher/status");
  EXPECT_EQ(std::string(will.payload.begin(), will.payload.end()), "gone");
  EXPECT_EQ(will.qos, 1);
  if (GetParam() == Version::v5) {
    EXPECT_EQ(will.properties.user_properties, (std::vector<UserProperty>{{"reason", "crash"}}));
  }
}

TEST_P(WillTest, NormalDisconnectDiscardsTheWill) {
  auto client = connect_with_will("polite");
  ASSERT_TRUE(client->disconnect().ok());
  ReceivedMessage will;
  EXPECT_EQ(watcher_->receive(will, std::chrono::milliseconds(800)).kind, ErrorKind::timeout);
}

INSTANTIATE_TEST_SUITE_P(BothVersions, WillTest, ::testing::Values(Version::v311, Version::v5),
                         [](const auto& info) {
                           return info.param == Version::v5 ? std::string("v5")
                                                            : std::string("v311");
                         });

TEST(WillV5, DisconnectWithWillReasonStillSendsTheWill) {
  MosquittoBroker broker;
  ASSERT_TRUE(broker.started());
  std::unique_ptr<Client> watcher;
  ASSERT_TRUE(broker.connect(test_options(Version::v5, "watcher"), watcher).ok());
  SubscriptionRequest request;
  request.filter = "last/words";
  std::vector<ReasonCode> reasons;
  ASSERT_TRUE(watcher->subscribe({request}, reasons).ok());

  auto options = test_options(Version::v5, "leaver");
  options.will = WillOptions{"last/words", {'b', 'y', 'e'}, 0, false, {}, std::nullopt};
  std::unique_ptr<Client> leaver;
  ASSERT_TRUE(broker.connect(options, leaver).ok());
  DisconnectOptions goodbye;
  goodbye.reason = ReasonCode::DisconnectWithWill;
  ASSERT_TRUE(leaver->disconnect(goodbye).ok());
  ReceivedMessage will;
  ASSERT_TRUE(watcher->receive(will, std::chrono::seconds(5)).ok());
  EXPECT_EQ(will.topic, "last/words");
}

}  // namespace
}  // namespace attestmq::client::testing

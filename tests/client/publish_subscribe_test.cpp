// PUBLISH and SUBSCRIBE flows at every QoS, in both protocol versions, through mosquitto.
#include <gtest/gtest.h>

#include <tuple>

#include "mosquitto_broker.hpp"

namespace attestmq::client::testing {
namespace {

using mqtt::ReasonCode;
using mqtt::Version;

constexpr auto kWait = std::chrono::seconds(5);
constexpr auto kSilence = std::chrono::milliseconds(700);

OutgoingMessage message_to(const std::string& topic, const std::string& payload, int qos) {
  OutgoingMessage message;
  message.topic = topic;
  message.payload.assign(payload.begin(), payload.end());
  message.qos = static_cast<std::uint8_t>(qos);
  return message;
}

std::string text(const std::vector<std::uint8_t>& payload) {
  return std::string(payload.begin(), payload.end());
}

Status subscribe(Client& client, const std::string& filter, int qos,
                 std::vector<ReasonCode>& reasons) {
  SubscriptionRequest request;
  request.filter = filter;
  request.qos = static_cast<std::uint8_t>(qos);
  return client.subscribe({request}, reasons);
}

// (version, QoS of the publication, QoS of the subscription)
class DeliveryTest : public ::testing::TestWithParam<std::tuple<Version, int, int>> {};

TEST_P(DeliveryTest, MessageArrivesOnceAtTheLowerOfBothQos) {
  const auto [version, publish_qos, subscribe_qos] = GetParam();
  MosquittoBroker broker;
  ASSERT_TRUE(broker.started());
  std::unique_ptr<Client> subscriber;
  std::unique_ptr<Client> publisher;
  ASSERT_TRUE(broker.connect(test_options(version, "subscriber"), subscriber).ok());
  ASSERT_TRUE(broker.connect(test_options(version, "publisher"), publisher).ok());
  std::vector<ReasonCode> reasons;
  ASSERT_TRUE(subscribe(*subscriber, "sensors/+/temperature", subscribe_qos, reasons).ok());
  ASSERT_EQ(reasons, std::vector<ReasonCode>{static_cast<ReasonCode>(subscribe_qos)});

  ASSERT_TRUE(publisher->publish(message_to("sensors/kitchen/temperature", "21.5", publish_qos))
                  .ok());
  ReceivedMessage received;
  ASSERT_TRUE(subscriber->receive(received, kWait).ok());
  EXPECT_EQ(received.topic, "sensors/kitchen/temperature");
  EXPECT_EQ(text(received.payload), "21.5");
  EXPECT_EQ(received.qos, std::min(publish_qos, subscribe_qos));
  EXPECT_FALSE(received.retain);
  EXPECT_EQ(subscriber->receive(received, kSilence).kind, ErrorKind::timeout);
  EXPECT_TRUE(publisher->disconnect().ok());
  EXPECT_TRUE(subscriber->disconnect().ok());
}

std::string delivery_name(const ::testing::TestParamInfo<DeliveryTest::ParamType>& info) {
  return std::string(std::get<0>(info.param) == Version::v5 ? "v5" : "v311") + "_pub" +
         std::to_string(std::get<1>(info.param)) + "_sub" + std::to_string(std::get<2>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllQos, DeliveryTest,
                         ::testing::Combine(::testing::Values(Version::v311, Version::v5),
                                            ::testing::Values(0, 1, 2), ::testing::Values(0, 1, 2)),
                         delivery_name);

class SessionTest : public ::testing::TestWithParam<Version> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(broker_.started());
  }
  std::unique_ptr<Client> connect(const std::string& id) {
    std::unique_ptr<Client> client;
    const Status status = broker_.connect(test_options(GetParam(), id), client);
    EXPECT_TRUE(status.ok()) << status.message;
    return client;
  }
  MosquittoBroker broker_;
};

TEST_P(SessionTest, RetainedMessageReachesALateSubscriber) {
  auto publisher = connect("retainer");
  auto retained = message_to("status/door", "open", 1);
  retained.retain = true;
  ASSERT_TRUE(publisher->publish(retained).ok());

  auto late = connect("late");
  std::vector<ReasonCode> reasons;
  ASSERT_TRUE(subscribe(*late, "status/#", 1, reasons).ok());
  ReceivedMessage received;
  ASSERT_TRUE(late->receive(received, kWait).ok());
  EXPECT_EQ(received.topic, "status/door");
  EXPECT_EQ(text(received.payload), "open");
  EXPECT_TRUE(received.retain);

  // An empty retained message clears it (MQTT 5.0 section 3.3.1.3).
  auto clear = message_to("status/door", "", 1);
  clear.retain = true;
  ASSERT_TRUE(publisher->publish(clear).ok());
  ASSERT_TRUE(late->receive(received, kWait).ok());
  auto later = connect("later");
  ASSERT_TRUE(subscribe(*later, "status/#", 1, reasons).ok());
  EXPECT_EQ(later->receive(received, kSilence).kind, ErrorKind::timeout);
}

TEST_P(SessionTest, UnsubscribedFilterDeliversNothing) {
  auto client = connect("unsubscriber");
  std::vector<ReasonCode> reasons;
  ASSERT_TRUE(subscribe(*client, "a/b", 0, reasons).ok());
  ASSERT_TRUE(client->unsubscribe({"a/b"}, reasons).ok());
  if (GetParam() == Version::v5) {
    EXPECT_EQ(reasons, std::vector<ReasonCode>{ReasonCode::Success});
  } else {
    EXPECT_TRUE(reasons.empty());
  }
  ASSERT_TRUE(client->publish(message_to("a/b", "x", 1)).ok());
  ReceivedMessage received;
  EXPECT_EQ(client->receive(received, kSilence).kind, ErrorKind::timeout);
}

TEST_P(SessionTest, SeveralFiltersGetOneReasonEach) {
  auto client = connect("multi");
  std::vector<ReasonCode> reasons;
  std::vector<SubscriptionRequest> requests(3);
  requests[0].filter = "x/#";
  requests[0].qos = 0;
  requests[1].filter = "y/+";
  requests[1].qos = 1;
  requests[2].filter = "z";
  requests[2].qos = 2;
  ASSERT_TRUE(client->subscribe(requests, reasons).ok());
  EXPECT_EQ(reasons, (std::vector<ReasonCode>{ReasonCode::Success, ReasonCode::GrantedQos1,
                                              ReasonCode::GrantedQos2}));
}

TEST_P(SessionTest, InvalidTopicsAreRefusedBeforeSending) {
  auto client = connect("invalid");
  EXPECT_EQ(client->publish(message_to("a/#", "x", 0)).kind, ErrorKind::invalid_request);
  EXPECT_EQ(client->publish(message_to("", "x", 0)).kind, ErrorKind::invalid_request);
  std::vector<ReasonCode> reasons;
  EXPECT_EQ(subscribe(*client, "a/#/b", 0, reasons).kind, ErrorKind::invalid_request);
  EXPECT_TRUE(client->ping().ok());
}

TEST_P(SessionTest, PublicationsQueuedWhileWaitingForAnAckAreKept) {
  auto client = connect("self");
  std::vector<ReasonCode> reasons;
  ASSERT_TRUE(subscribe(*client, "loop/#", 2, reasons).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client->publish(message_to("loop/" + std::to_string(i), "n", i % 3)).ok());
  }
  for (int i = 0; i < 5; ++i) {
    ReceivedMessage received;
    ASSERT_TRUE(client->receive(received, kWait).ok());
    EXPECT_EQ(received.topic, "loop/" + std::to_string(i));
  }
}

INSTANTIATE_TEST_SUITE_P(BothVersions, SessionTest, ::testing::Values(Version::v311, Version::v5),
                         [](const auto& info) {
                           return info.param == Version::v5 ? std::string("v5")
                                                            : std::string("v311");
                         });

class V5Test : public SessionTest {};

TEST_P(V5Test, PublishPropertiesTravelEndToEnd) {
  auto subscriber = connect("props-sub");
  auto publisher = connect("props-pub");
  std::vector<ReasonCode> reasons;
  ASSERT_TRUE(subscribe(*subscriber, "props", 1, reasons).ok());
  auto message = message_to("props", "{}", 1);
  message.properties.user_properties = {{"origin", "test"}, {"origin", "twice"}};
  message.properties.content_type = "application/json";
  message.properties.response_topic = "props/reply";
  message.properties.correlation_data = std::vector<std::uint8_t>{1, 2, 3};
  message.properties.message_expiry_interval = 3600;
  message.properties.payload_format_indicator = 1;
  ASSERT_TRUE(publisher->publish(message).ok());
  ReceivedMessage received;
  ASSERT_TRUE(subscriber->receive(received, kWait).ok());
  EXPECT_EQ(received.properties.user_properties, message.properties.user_properties);
  EXPECT_EQ(received.properties.content_type, message.properties.content_type);
  EXPECT_EQ(received.properties.response_topic, message.properties.response_topic);
  EXPECT_EQ(received.properties.correlation_data, message.properties.correlation_data);
  EXPECT_EQ(received.properties.payload_format_indicator, 1);
  ASSERT_TRUE(received.properties.message_expiry_interval.has_value());
  EXPECT_LE(*received.properties.message_expiry_interval, 3600u);
}

TEST_P(V5Test, OutgoingTopicAliasIsReusedWithAnEmptyTopic) {
  auto subscriber = connect("alias-sub");
  auto publisher = connect("alias-pub");
  ASSERT_GE(publisher->connack().topic_alias_maximum, 1) << "mosquitto offers topic aliases";
  std::vector<ReasonCode> reasons;
  ASSERT_TRUE(subscribe(*subscriber, "alias/long/topic/name", 1, reasons).ok());
  for (const char* payload : {"first", "second", "third"}) {
    auto message = message_to("alias/long/topic/name", payload, 1);
    message.topic_alias = 1;
    ASSERT_TRUE(publisher->publish(message).ok());
  }
  for (const char* payload : {"first", "second", "third"}) {
    ReceivedMessage received;
    ASSERT_TRUE(subscriber->receive(received, kWait).ok());
    EXPECT_EQ(received.topic, "alias/long/topic/name");
    EXPECT_EQ(text(received.payload), payload);
  }
  auto beyond = message_to("alias/other", "x", 0);
  beyond.topic_alias = static_cast<std::uint16_t>(publisher->connack().topic_alias_maximum + 1);
  EXPECT_EQ(publisher->publish(beyond).kind, ErrorKind::invalid_request);
}

TEST_P(V5Test, NoLocalSubscriptionDoesNotEchoOwnMessages) {
  auto client = connect("no-local");
  SubscriptionRequest request;
  request.filter = "echo";
  request.qos = 1;
  request.no_local = true;
  std::vector<ReasonCode> reasons;
  ASSERT_TRUE(client->subscribe({request}, reasons).ok());
  ASSERT_TRUE(client->publish(message_to("echo", "me", 1)).ok());
  ReceivedMessage received;
  EXPECT_EQ(client->receive(received, kSilence).kind, ErrorKind::timeout);
}

INSTANTIATE_TEST_SUITE_P(V5, V5Test, ::testing::Values(Version::v5));

}  // namespace
}  // namespace attestmq::client::testing

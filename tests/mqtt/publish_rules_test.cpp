// PUBLISH rules: MQTT 5.0 section 3.3, MQTT 3.1.1 section 3.3.
#include <gtest/gtest.h>

#include "codec_test_support.hpp"

namespace attestmq::mqtt::test {
namespace {

using RC = ReasonCode;

ByteVector publish(std::uint8_t first_byte, ByteVector topic, ByteVector after_topic) {
  ByteVector body = {0x00, static_cast<std::uint8_t>(topic.size())};
  body.insert(body.end(), topic.begin(), topic.end());
  body.insert(body.end(), after_topic.begin(), after_topic.end());
  return packet_with_body(first_byte, body);
}

// Section 3.3.2.1 [MQTT-3.3.2-2].
TEST(PublishRules, WildcardsInTopicNameAreTopicNameInvalid) {
  for (const ByteVector& topic : {ByteVector{'a', '/', '+'}, ByteVector{'#'},
                                  ByteVector{'a', '+', 'b'}}) {
    EXPECT_EQ(decode_code(publish(0x30, topic, {0x00}), Version::v5), RC::TopicNameInvalid);
    EXPECT_EQ(decode_code(publish(0x30, topic, {}), Version::v311), RC::TopicNameInvalid);
  }
}

TEST(PublishRules, TopicNameMustBeUtf8) {
  EXPECT_EQ(decode_code(publish(0x30, {'a', 0xFF}, {0x00}), Version::v5), RC::MalformedPacket);
  EXPECT_EQ(decode_code(publish(0x30, {'a', 0x00}, {}), Version::v311), RC::MalformedPacket);
}

// Section 3.3.2.3.4.
TEST(PublishRules, EmptyTopicNeedsATopicAlias) {
  EXPECT_EQ(decode_code(publish(0x30, {}, {0x00}), Version::v5), RC::ProtocolError);
  EXPECT_EQ(decode_code(publish(0x30, {}, {0x03, 0x23, 0x00, 0x01}), Version::v5), RC::Success);
  EXPECT_EQ(decode_code(publish(0x30, {}, {}), Version::v311), RC::TopicNameInvalid);
}

TEST(PublishRules, TopicAliasZeroIsInvalid) {
  EXPECT_EQ(decode_code(publish(0x30, {'t'}, {0x03, 0x23, 0x00, 0x00}), Version::v5),
            RC::TopicAliasInvalid);
}

// Section 2.2.1 [MQTT-2.2.1-3].
TEST(PublishRules, PacketIdentifierZeroIsAProtocolError) {
  EXPECT_EQ(decode_code(publish(0x32, {'t'}, {0x00, 0x00, 0x00}), Version::v5),
            RC::ProtocolError);
  EXPECT_EQ(decode_code(publish(0x34, {'t'}, {0x00, 0x00}), Version::v311), RC::ProtocolError);
  // At QoS 0 there is no packet identifier: the same bytes are payload.
  EXPECT_EQ(decode_code(publish(0x30, {'t'}, {0x00, 0x00, 0x00}), Version::v5), RC::Success);
}

TEST(PublishRules, FieldsDecode) {
  const auto bytes = publish(0x3D, {'a', '/', 'b'}, {0x12, 0x34, 0x00, 'h', 'i'});
  const auto decoded = decode_bytes(bytes, Version::v5);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.detail;
  const auto& p = std::get<Publish>(decoded.packet);
  EXPECT_TRUE(p.dup);
  EXPECT_EQ(p.qos, 2);
  EXPECT_TRUE(p.retain);
  EXPECT_EQ(p.topic, "a/b");
  EXPECT_EQ(p.packet_id, 0x1234);
  EXPECT_EQ(p.payload.size(), 2u);
}

// Decoded packets are views into the input: no copy of topic or payload.
TEST(PublishRules, DecodedFieldsPointIntoTheInput) {
  const auto bytes = publish(0x30, {'t'}, {0x00, 'p', 'q'});
  const auto decoded = decode_bytes(bytes, Version::v5);
  const auto& p = std::get<Publish>(decoded.packet);
  EXPECT_EQ(reinterpret_cast<const std::uint8_t*>(p.topic.data()), bytes.data() + 4);
  EXPECT_EQ(p.payload.data(), bytes.data() + 6);
}

// Section 3.3.2.3.2.
TEST(PublishRules, PayloadNotMatchingItsFormatIsPayloadFormatInvalid) {
  EXPECT_EQ(decode_code(publish(0x30, {'t'}, {0x02, 0x01, 0x01, 0xED, 0xA0, 0x80}), Version::v5),
            RC::PayloadFormatInvalid);  // a surrogate
  EXPECT_EQ(decode_code(publish(0x30, {'t'}, {0x02, 0x01, 0x01, 'o', 'k'}), Version::v5),
            RC::Success);
  // Format 0 (unspecified bytes) is not checked.
  EXPECT_EQ(decode_code(publish(0x30, {'t'}, {0x02, 0x01, 0x00, 0xFF}), Version::v5),
            RC::Success);
}

// Section 3.3.2.3.8: several Subscription Identifiers, none 0.
TEST(PublishRules, SubscriptionIdentifiers) {
  const auto decoded =
      decode_bytes(publish(0x30, {'t'}, {0x05, 0x0B, 0x01, 0x0B, 0x80, 0x01}), Version::v5);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.detail;
  EXPECT_EQ(std::get<Publish>(decoded.packet).properties.subscription_identifiers,
            (std::vector<std::uint32_t>{1, 128}));
  EXPECT_EQ(decode_code(publish(0x30, {'t'}, {0x02, 0x0B, 0x00}), Version::v5),
            RC::ProtocolError);
}

// Section 3.3.2.3.5: the Response Topic is a topic name.
TEST(PublishRules, ResponseTopicWithWildcardIsAProtocolError) {
  EXPECT_EQ(decode_code(publish(0x30, {'t'}, {0x04, 0x08, 0x00, 0x01, '#'}), Version::v5),
            RC::ProtocolError);
}

}  // namespace
}  // namespace attestmq::mqtt::test

// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK rules: MQTT 5.0 sections 3.8-3.11, 3.1.1 sections
// 3.8-3.11.
#include <gtest/gtest.h>

#include "codec_test_support.hpp"

namespace attestmq::mqtt::test {
namespace {

using RC = ReasonCode;

// SUBSCRIBE id 1 with the given payload; 5.0 gets an empty property list.
ByteVector subscribe(Version version, ByteVector payload) {
  ByteVector body = {0x00, 0x01};
  if (version == Version::v5) body.push_back(0x00);
  body.insert(body.end(), payload.begin(), payload.end());
  return packet_with_body(0x82, body);
}

ByteVector filter_with_options(std::uint8_t options) { return {0x00, 0x01, 'f', options}; }

// 5.0 section 3.8.3: "a SUBSCRIBE packet with no payload is a Protocol Error";
// 3.1.1 [MQTT-3.8.3-3].
TEST(SubscribeRules, NoTopicFilter) {
  EXPECT_EQ(decode_code(subscribe(Version::v5, {}), Version::v5), RC::ProtocolError);
  EXPECT_EQ(decode_code(subscribe(Version::v311, {}), Version::v311), RC::MalformedPacket);
}

// 5.0 [MQTT-3.8.3-5]: bits 6 and 7; 3.1.1 [MQTT-3-8.3-4]: bits 2 to 7.
TEST(SubscribeRules, ReservedOptionBitsAreMalformed) {
  for (const std::uint8_t bit : {0x40, 0x80}) {
    EXPECT_EQ(decode_code(subscribe(Version::v5, filter_with_options(bit)), Version::v5),
              RC::MalformedPacket);
  }
  for (const std::uint8_t bit : {0x04, 0x08, 0x10, 0x20, 0x40, 0x80}) {
    EXPECT_EQ(decode_code(subscribe(Version::v311, filter_with_options(bit)), Version::v311),
              RC::MalformedPacket);
  }
}

// 5.0 section 3.8.3.1.
TEST(SubscribeRules, QosAndRetainHandling3) {
  EXPECT_EQ(decode_code(subscribe(Version::v5, filter_with_options(0x03)), Version::v5),
            RC::ProtocolError);
  EXPECT_EQ(decode_code(subscribe(Version::v5, filter_with_options(0x30)), Version::v5),
            RC::ProtocolError);
  EXPECT_EQ(decode_code(subscribe(Version::v311, filter_with_options(0x03)), Version::v311),
            RC::MalformedPacket);
}

TEST(SubscribeRules, OptionsDecode) {
  const auto bytes = subscribe(Version::v5, filter_with_options(0x2E));
  const auto decoded = decode_bytes(bytes, Version::v5);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.detail;
  const auto& s = std::get<Subscribe>(decoded.packet).subscriptions.at(0);
  EXPECT_EQ(s.filter, "f");
  EXPECT_EQ(s.qos, 2);
  EXPECT_TRUE(s.no_local);
  EXPECT_TRUE(s.retain_as_published);
  EXPECT_EQ(s.retain_handling, 2);
}

// [MQTT-3.8.3-4].
TEST(SubscribeRules, NoLocalOnSharedSubscriptionIsAProtocolError) {
  const ByteVector shared = {0x00, 0x0A, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 't', 0x04};
  EXPECT_EQ(decode_code(subscribe(Version::v5, shared), Version::v5), RC::ProtocolError);
}

TEST(SubscribeRules, FilterSyntaxIsLeftToTheServer) {
  const ByteVector bad_filter = {0x00, 0x03, 'a', '#', 'b', 0x00};
  EXPECT_EQ(decode_code(subscribe(Version::v5, bad_filter), Version::v5), RC::Success);
  const ByteVector bad_utf8 = {0x00, 0x01, 0x80, 0x00};
  EXPECT_EQ(decode_code(subscribe(Version::v5, bad_utf8), Version::v5), RC::MalformedPacket);
}

TEST(SubscribeRules, TruncatedSubscriptionIsMalformed) {
  const ByteVector no_options = {0x00, 0x01, 'f'};
  EXPECT_EQ(decode_code(subscribe(Version::v5, no_options), Version::v5), RC::MalformedPacket);
}

TEST(SubscribeRules, PacketIdentifierZeroIsAProtocolError) {
  EXPECT_EQ(decode_code(ByteVector{0x82, 0x06, 0x00, 0x00, 0x00, 0x01, 'f', 0x00}, Version::v311),
            RC::ProtocolError);
  EXPECT_EQ(decode_code(ByteVector{0xA2, 0x05, 0x00, 0x00, 0x00, 0x01, 'f'}, Version::v311),
            RC::ProtocolError);
}

// Section 3.8.2.1.2.
TEST(SubscribeRules, TwoSubscriptionIdentifiersAreAProtocolError) {
  const ByteVector bytes = {0x82, 0x0B, 0x00, 0x01, 0x04, 0x0B, 0x01, 0x0B,
                            0x02, 0x00, 0x01, 'f',  0x00};
  EXPECT_EQ(decode_code(bytes, Version::v5), RC::ProtocolError);
}

// 5.0 section 3.10.3; 3.1.1 [MQTT-3.10.3-2].
TEST(SubscribeRules, UnsubscribeWithoutFilter) {
  EXPECT_EQ(decode_code(ByteVector{0xA2, 0x03, 0x00, 0x01, 0x00}, Version::v5),
            RC::ProtocolError);
  EXPECT_EQ(decode_code(ByteVector{0xA2, 0x02, 0x00, 0x01}, Version::v311), RC::MalformedPacket);
}

// 5.0 section 3.9.3 / 3.1.1 section 3.9.3.
TEST(SubscribeRules, SubackReasonCodes) {
  EXPECT_EQ(decode_code(ByteVector{0x90, 0x04, 0x00, 0x01, 0x00, 0x9E}, Version::v5),
            RC::Success);
  EXPECT_EQ(decode_code(ByteVector{0x90, 0x04, 0x00, 0x01, 0x00, 0x10}, Version::v5),
            RC::MalformedPacket);
  EXPECT_EQ(decode_code(ByteVector{0x90, 0x03, 0x00, 0x01, 0x03}, Version::v311),
            RC::MalformedPacket);
  EXPECT_EQ(decode_code(ByteVector{0x90, 0x03, 0x00, 0x01, 0x87}, Version::v311),
            RC::MalformedPacket);  // 3.1.1 knows only 0x80 as failure
  EXPECT_EQ(decode_code(ByteVector{0x90, 0x03, 0x00, 0x01, 0x00}, Version::v5),
            RC::ProtocolError);  // no reason code
}

// 5.0 section 3.11.3.
TEST(SubscribeRules, UnsubackReasonCodes) {
  EXPECT_EQ(decode_code(ByteVector{0xB0, 0x04, 0x00, 0x01, 0x00, 0x11}, Version::v5),
            RC::Success);
  EXPECT_EQ(decode_code(ByteVector{0xB0, 0x04, 0x00, 0x01, 0x00, 0x02}, Version::v5),
            RC::MalformedPacket);
  EXPECT_EQ(decode_code(ByteVector{0xB0, 0x03, 0x00, 0x01, 0x00}, Version::v5),
            RC::ProtocolError);
}

}  // namespace
}  // namespace attestmq::mqtt::test

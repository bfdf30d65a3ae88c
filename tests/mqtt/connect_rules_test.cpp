// CONNECT rules: MQTT 5.0 section 3.1, MQTT 3.1.1 section 3.1.
#include <gtest/gtest.h>

#include "codec_test_support.hpp"

namespace attestmq::mqtt::test {
namespace {

using RC = ReasonCode;

struct ConnectBytes {
  ByteVector protocol = {0x00, 0x04, 'M', 'Q', 'T', 'T'};
  std::uint8_t level = 5;
  std::uint8_t flags = 0x02;
  ByteVector properties = {0x00};  // 5.0 only
  ByteVector client_id = {0x00, 0x01, 'c'};
  ByteVector rest;                 // will, user name, password as the flags demand

  ByteVector build() const {
    ByteVector body = protocol;
    body.push_back(level);
    body.push_back(flags);
    body.insert(body.end(), {0x00, 0x3C});
    if (level == 5) body.insert(body.end(), properties.begin(), properties.end());
    body.insert(body.end(), client_id.begin(), client_id.end());
    body.insert(body.end(), rest.begin(), rest.end());
    return packet_with_body(0x10, body);
  }
  RC code() const { return decode_code(build(), Version::v5); }
};

// Will Properties (5.0), Will Topic "w", Will Payload "x".
const ByteVector kWillV5 = {0x00, 0x00, 0x01, 'w', 0x00, 0x01, 'x'};
const ByteVector kWillV311 = {0x00, 0x01, 'w', 0x00, 0x01, 'x'};

TEST(ConnectRules, ValidConnectDecodes) {
  ConnectBytes c;
  EXPECT_EQ(c.code(), RC::Success);
  c.level = 4;
  EXPECT_EQ(c.code(), RC::Success);
}

TEST(ConnectRules, VersionIsReadFromThePacket) {
  ConnectBytes c;
  c.level = 4;
  const auto decoded = decode_bytes(c.build(), Version::v5);
  ASSERT_TRUE(decoded.status.ok());
  EXPECT_EQ(std::get<Connect>(decoded.packet).version, Version::v311);
}

// Sections 3.1.2.1-3.1.2.2.
TEST(ConnectRules, UnknownProtocolOrLevelIsUnsupported) {
  ConnectBytes c;
  for (const std::uint8_t level : {0, 3, 6, 255}) {
    c.level = level;
    EXPECT_EQ(c.code(), RC::UnsupportedProtocolVersion) << int{level};
  }
  ConnectBytes mqisdp_at_4;  // MQTT 3.1's name exists only at level 3
  mqisdp_at_4.protocol = {0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p'};
  mqisdp_at_4.level = 4;
  EXPECT_EQ(mqisdp_at_4.code(), RC::UnsupportedProtocolVersion);
  ConnectBytes lower;
  lower.protocol = {0x00, 0x04, 'm', 'q', 't', 't'};
  EXPECT_EQ(lower.code(), RC::UnsupportedProtocolVersion);
}

// MQTT 3.1: "MQIsdp" at level 3 decodes as 3.1.1, marked as 3.1.
TEST(ConnectRules, Mqtt31IsDecodedAs311) {
  ConnectBytes mqisdp;
  mqisdp.protocol = {0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p'};
  mqisdp.level = 3;
  EXPECT_EQ(mqisdp.code(), RC::Success);
  Connect packet;
  packet.version = Version::v311;
  packet.mqtt31 = true;
  packet.client_id = "legacy";
  std::vector<std::uint8_t> bytes;
  encode(packet, Version::v311, bytes);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(std::string(bytes.begin() + 4, bytes.begin() + 10), "MQIsdp");
  EXPECT_EQ(bytes[10], 3);
}

// Section 3.1.2.3 [MQTT-3.1.2-3].
TEST(ConnectRules, ReservedFlagIsMalformed) {
  for (const std::uint8_t level : {4, 5}) {
    ConnectBytes c;
    c.level = level;
    c.flags = 0x03;
    EXPECT_EQ(c.code(), RC::MalformedPacket);
  }
}

// Sections 3.1.2.6-3.1.2.7 [MQTT-3.1.2-11, -13].
TEST(ConnectRules, WillQosOrRetainWithoutWillFlagIsMalformed) {
  for (const std::uint8_t level : {4, 5}) {
    ConnectBytes c;
    c.level = level;
    c.flags = 0x02 | 0x08;  // Will QoS 1
    EXPECT_EQ(c.code(), RC::MalformedPacket);
    c.flags = 0x02 | 0x20;  // Will Retain
    EXPECT_EQ(c.code(), RC::MalformedPacket);
  }
}

// Section 3.1.2.6: "A value of 3 (0x03) is a Malformed Packet".
TEST(ConnectRules, WillQos3IsMalformed) {
  ConnectBytes c;
  c.flags = 0x02 | 0x04 | 0x18;
  c.rest = kWillV5;
  EXPECT_EQ(c.code(), RC::MalformedPacket);
  c.flags = 0x02 | 0x04 | 0x10;  // Will QoS 2 is fine
  EXPECT_EQ(c.code(), RC::Success);
}

// 3.1.1 [MQTT-3.1.2-22]; 5.0 section 3.1.2.9 allows a password alone.
TEST(ConnectRules, PasswordWithoutUserName) {
  ConnectBytes c;
  c.flags = 0x02 | 0x40;
  c.rest = {0x00, 0x02, 's', 'e'};
  EXPECT_EQ(c.code(), RC::Success);
  c.level = 4;
  EXPECT_EQ(c.code(), RC::MalformedPacket);
}

TEST(ConnectRules, FlagsDemandTheirFields) {
  ConnectBytes c;
  c.flags = 0x02 | 0x80;  // user name promised, absent
  EXPECT_EQ(c.code(), RC::MalformedPacket);
  c.flags = 0x02 | 0x04;  // will promised, absent
  EXPECT_EQ(c.code(), RC::MalformedPacket);
}

TEST(ConnectRules, WillFieldsDecode) {
  ConnectBytes c;
  c.level = 4;
  c.flags = 0x02 | 0x04 | 0x10 | 0x20 | 0x80;
  c.rest = kWillV311;
  c.rest.insert(c.rest.end(), {0x00, 0x01, 'u'});
  const auto bytes = c.build();
  const auto decoded = decode_bytes(bytes, Version::v311);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.detail;
  const auto& connect = std::get<Connect>(decoded.packet);
  ASSERT_TRUE(connect.will.has_value());
  EXPECT_EQ(connect.will->qos, 2);
  EXPECT_TRUE(connect.will->retain);
  EXPECT_EQ(connect.will->topic, "w");
  EXPECT_EQ(connect.username, "u");
  EXPECT_FALSE(connect.password.has_value());
}

// Sections 3.1.3.3 and 4.7: the Will Topic is a topic name.
TEST(ConnectRules, WillTopicWithWildcardIsTopicNameInvalid) {
  ConnectBytes c;
  c.flags = 0x02 | 0x04;
  c.rest = {0x00, 0x00, 0x03, 'a', '/', '#', 0x00, 0x00};
  EXPECT_EQ(c.code(), RC::TopicNameInvalid);
}

// Section 3.1.3.2.3 with 3.3.2.3.2.
TEST(ConnectRules, WillPayloadNotMatchingItsFormatIsPayloadFormatInvalid) {
  ConnectBytes c;
  c.flags = 0x02 | 0x04;
  c.rest = {0x02, 0x01, 0x01, 0x00, 0x01, 'w', 0x00, 0x02, 0xC3, 0x28};
  EXPECT_EQ(c.code(), RC::PayloadFormatInvalid);
  c.rest = {0x02, 0x01, 0x01, 0x00, 0x01, 'w', 0x00, 0x02, 0xC3, 0xA9};  // "é"
  EXPECT_EQ(c.code(), RC::Success);
}

TEST(ConnectRules, PropertiesInTheWrongListAreMalformed) {
  ConnectBytes c;
  c.properties = {0x05, 0x18, 0x00, 0x00, 0x00, 0x05};  // Will Delay Interval in CONNECT
  EXPECT_EQ(c.code(), RC::MalformedPacket);
  ConnectBytes will;
  will.flags = 0x02 | 0x04;
  // Session Expiry Interval among the Will Properties.
  will.rest = {0x05, 0x11, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 'w', 0x00, 0x00};
  EXPECT_EQ(will.code(), RC::MalformedPacket);
}

TEST(ConnectRules, ClientIdentifierMustBeUtf8) {
  ConnectBytes c;
  c.client_id = {0x00, 0x02, 0xC0, 0x80};  // overlong U+0000
  EXPECT_EQ(c.code(), RC::MalformedPacket);
}

TEST(ConnectRules, EmptyClientIdentifierIsLeftToTheServer) {
  ConnectBytes c;
  c.client_id = {0x00, 0x00};
  c.flags = 0x00;
  EXPECT_EQ(c.code(), RC::Success);
}

}  // namespace
}  // namespace attestmq::mqtt::test

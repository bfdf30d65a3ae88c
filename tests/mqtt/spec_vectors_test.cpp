// Byte vectors taken from the examples and figures of the specifications: the encoder must
// produce them exactly and the decoder must read them back.
#include <gtest/gtest.h>

#include "codec_test_support.hpp"

namespace attestmq::mqtt::test {
namespace {

template <typename P>
P with_id(std::uint16_t packet_id) {
  P packet;
  packet.packet_id = packet_id;
  return packet;
}

void expect_encoding(const Packet& packet, Version version, const ByteVector& expected) {
  EXPECT_EQ(encode_bytes(packet, version), expected);
  const auto decoded = decode_bytes(expected, version);
  ASSERT_EQ(decoded.frame, FrameStatus::complete);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.detail;
  EXPECT_TRUE(same_packet(packet, decoded.packet));
}

// MQTT 5.0 section 3.1.2.12 (figure 3-7): variable header of a CONNECT with User Name,
// Password, Clean Start, Keep Alive 10 and Session Expiry Interval 10.
TEST(SpecVectors, V5ConnectVariableHeaderExample) {
  Connect c;
  c.version = Version::v5;
  c.keep_alive = 10;
  c.properties.session_expiry_interval = 10;
  c.client_id = "";
  c.username = "u";
  c.password = as_bytes("p");
  const ByteVector expected = {0x10, 0x18,
                               // protocol name, level, flags, keep alive
                               0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0xC2, 0x00, 0x0A,
                               // properties: length 5, Session Expiry Interval 10
                               0x05, 0x11, 0x00, 0x00, 0x00, 0x0A,
                               // client id "", user name "u", password "p"
                               0x00, 0x00, 0x00, 0x01, 'u', 0x00, 0x01, 'p'};
  expect_encoding(c, Version::v5, expected);
}

// MQTT 3.1.1 section 3.1.2.10 (figure 3.6): flags 0xCE = user name, password, will QoS 1,
// will flag, clean session; keep alive 10.
TEST(SpecVectors, V311ConnectVariableHeaderExample) {
  Connect c;
  c.version = Version::v311;
  c.keep_alive = 10;
  c.client_id = "id";
  c.will = Will{.qos = 1, .retain = false, .properties = {}, .topic = "w", .payload = {}};
  c.username = "u";
  c.password = as_bytes("p");
  const ByteVector expected = {0x10, 0x19, 0x00, 0x04, 'M',  'Q',  'T',  'T',  0x04,
                               0xCE, 0x00, 0x0A, 0x00, 0x02, 'i',  'd',  0x00, 0x01,
                               'w',  0x00, 0x00, 0x00, 0x01, 'u',  0x00, 0x01, 'p'};
  expect_encoding(c, Version::v311, expected);
}

// MQTT 3.1.1 section 3.8.3 (figure 3.22): SUBSCRIBE "a/b" QoS 1 and "c/d" QoS 2, id 10.
TEST(SpecVectors, V311SubscribeExample) {
  Subscribe s;
  s.packet_id = 10;
  s.subscriptions = {{.filter = "a/b", .qos = 1}, {.filter = "c/d", .qos = 2}};
  expect_encoding(s, Version::v311,
                  {0x82, 0x0E, 0x00, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x01, 0x00, 0x03, 'c',
                   '/', 'd', 0x02});
}

// MQTT 3.1.1 section 3.9.3 (figure 3.26): SUBACK return codes 0, 1, 2 and 0x80 (failure).
TEST(SpecVectors, V311SubackExample) {
  Suback s;
  s.packet_id = 10;
  s.reasons = {ReasonCode::Success, ReasonCode::GrantedQos1, ReasonCode::GrantedQos2,
               ReasonCode::UnspecifiedError};
  expect_encoding(s, Version::v311, {0x90, 0x06, 0x00, 0x0A, 0x00, 0x01, 0x02, 0x80});
}

// MQTT 3.1.1 section 3.3.2.3 (figure 3.11): PUBLISH "a/b", packet id 10, QoS 1.
TEST(SpecVectors, V311PublishExample) {
  Publish p;
  p.qos = 1;
  p.topic = "a/b";
  p.packet_id = 10;
  p.payload = as_bytes("hi");
  expect_encoding(p, Version::v311,
                  {0x32, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'i'});
}

TEST(SpecVectors, FixedSizePackets) {
  expect_encoding(Pingreq{}, Version::v311, {0xC0, 0x00});
  expect_encoding(Pingresp{}, Version::v5, {0xD0, 0x00});
  expect_encoding(Connack{}, Version::v311, {0x20, 0x02, 0x00, 0x00});
  expect_encoding(Connack{}, Version::v5, {0x20, 0x03, 0x00, 0x00, 0x00});
  expect_encoding(with_id<Puback>(1), Version::v311, {0x40, 0x02, 0x00, 0x01});
  expect_encoding(with_id<Pubrel>(1), Version::v311, {0x62, 0x02, 0x00, 0x01});
  expect_encoding(with_id<Unsuback>(2), Version::v311, {0xB0, 0x02, 0x00, 0x02});
  expect_encoding(Disconnect{}, Version::v311, {0xE0, 0x00});
}

// MQTT 5.0 sections 3.4.2.1, 3.14.2.1, 3.15.2.1: the short forms.
TEST(SpecVectors, V5ShortForms) {
  expect_encoding(with_id<Pubcomp>(0x1234), Version::v5, {0x70, 0x02, 0x12, 0x34});
  Puback refused;
  refused.packet_id = 5;
  refused.reason = ReasonCode::NotAuthorized;
  expect_encoding(refused, Version::v5, {0x40, 0x03, 0x00, 0x05, 0x87});
  expect_encoding(Disconnect{}, Version::v5, {0xE0, 0x00});
  Disconnect with_will;
  with_will.reason = ReasonCode::DisconnectWithWill;
  expect_encoding(with_will, Version::v5, {0xE0, 0x01, 0x04});
  expect_encoding(Auth{}, Version::v5, {0xF0, 0x00});
}

// The long forms of the same packets decode to the same thing.
TEST(SpecVectors, V5LongFormsOfShortPackets) {
  const ByteVector puback_long = {0x40, 0x04, 0x00, 0x05, 0x00, 0x00};
  const auto decoded = decode_bytes(puback_long, Version::v5);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.detail;
  EXPECT_TRUE(same_packet(with_id<Puback>(5), decoded.packet));
  const ByteVector disconnect_long = {0xE0, 0x02, 0x00, 0x00};
  const auto disconnect = decode_bytes(disconnect_long, Version::v5);
  ASSERT_TRUE(disconnect.status.ok()) << disconnect.status.detail;
  EXPECT_TRUE(same_packet(Disconnect{}, disconnect.packet));
}

// 3.1.1 CONNACK return codes (section 3.2.2.3) from 5.0 reason codes.
TEST(SpecVectors, V311ConnackReturnCodes) {
  Connack c;
  c.reason = ReasonCode::BadUserNameOrPassword;
  expect_encoding(c, Version::v311, {0x20, 0x02, 0x00, 0x04});
  c.reason = ReasonCode::Banned;  // no 3.1.1 equivalent: Not authorized
  EXPECT_EQ(encode_bytes(c, Version::v311), (ByteVector{0x20, 0x02, 0x00, 0x05}));
}

TEST(SpecVectors, V311SubackFailureCodesCollapseTo0x80) {
  Suback s;
  s.packet_id = 1;
  s.reasons = {ReasonCode::NotAuthorized, ReasonCode::TopicFilterInvalid};
  EXPECT_EQ(encode_bytes(s, Version::v311),
            (ByteVector{0x90, 0x04, 0x00, 0x01, 0x80, 0x80}));
}

}  // namespace
}  // namespace attestmq::mqtt::test

// CONNACK, PUBACK/PUBREC/PUBREL/PUBCOMP, DISCONNECT and AUTH rules: MQTT 5.0 sections 3.2,
// 3.4-3.7, 3.14, 3.15; 3.1.1 sections 3.2, 3.4-3.7.
#include <gtest/gtest.h>

#include "codec_test_support.hpp"
#include "mqtt/reason_code_rules.hpp"

namespace attestmq::mqtt::test {
namespace {

using RC = ReasonCode;

// The reason code tables, written out from the specification once more (sections 3.2.2.2,
// 3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1, 3.14.2.1, 3.15.2.1).
const std::vector<std::uint8_t> kConnackCodes = {
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F};
const std::vector<std::uint8_t> kPubackCodes = {0x00, 0x10, 0x80, 0x83, 0x87,
                                                0x90, 0x91, 0x97, 0x99};
const std::vector<std::uint8_t> kPubrelCodes = {0x00, 0x92};
const std::vector<std::uint8_t> kDisconnectCodes = {
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
    0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
const std::vector<std::uint8_t> kAuthCodes = {0x00, 0x18, 0x19};

bool listed(const std::vector<std::uint8_t>& table, unsigned code) {
  return std::find(table.begin(), table.end(), code) != table.end();
}

// Every byte value, in the packet's long form: allowed ones decode, others are malformed.
void check_reason_table(std::uint8_t first_byte, ByteVector before_reason,
                        const std::vector<std::uint8_t>& table, ByteVector after_reason) {
  for (unsigned code = 0; code <= 0xFF; ++code) {
    ByteVector body = before_reason;
    body.push_back(static_cast<std::uint8_t>(code));
    body.insert(body.end(), after_reason.begin(), after_reason.end());
    EXPECT_EQ(decode_code(packet_with_body(first_byte, body), Version::v5),
              listed(table, code) ? RC::Success : RC::MalformedPacket)
        << "packet " << int{first_byte} << " reason " << code;
  }
}

TEST(AckRules, ReasonCodesAllowedPerPacketType) {
  check_reason_table(0x20, {0x00}, kConnackCodes, {0x00});
  check_reason_table(0x40, {0x00, 0x01}, kPubackCodes, {0x00});
  check_reason_table(0x50, {0x00, 0x01}, kPubackCodes, {});
  check_reason_table(0x62, {0x00, 0x01}, kPubrelCodes, {0x00});
  check_reason_table(0x70, {0x00, 0x01}, kPubrelCodes, {});
  check_reason_table(0xE0, {}, kDisconnectCodes, {});
  // AUTH with properties must name its method (section 3.15.2.2.2).
  check_reason_table(0xF0, {}, kAuthCodes, {0x04, 0x15, 0x00, 0x01, 'm'});
}

TEST(AckRules, ReasonCodeTableHelperAgreesWithTheSpecLists) {
  for (unsigned code = 0; code <= 0xFF; ++code) {
    const auto rc = static_cast<RC>(code);
    EXPECT_EQ(reason_code_allowed(PacketType::Connack, rc), listed(kConnackCodes, code));
    EXPECT_EQ(reason_code_allowed(PacketType::Auth, rc), listed(kAuthCodes, code));
    EXPECT_FALSE(reason_code_allowed(PacketType::Publish, rc));
  }
}

// 3.1.1 section 3.2.2.3: return codes 6-255 are reserved.
TEST(AckRules, V311ConnackReturnCodes) {
  for (unsigned code = 0; code <= 0xFF; ++code) {
    const ByteVector bytes = {0x20, 0x02, 0x00, static_cast<std::uint8_t>(code)};
    EXPECT_EQ(decode_code(bytes, Version::v311), code <= 5 ? RC::Success : RC::MalformedPacket);
  }
  const ByteVector refused = {0x20, 0x02, 0x00, 0x05};
  const auto decoded = decode_bytes(refused, Version::v311);
  EXPECT_EQ(std::get<Connack>(decoded.packet).reason, RC::NotAuthorized);
}

// Section 3.2.2.1: bits 7-1 of the Connect Acknowledge Flags are reserved.
TEST(AckRules, ConnackReservedFlagsAreMalformed) {
  EXPECT_EQ(decode_code(ByteVector{0x20, 0x03, 0x02, 0x00, 0x00}, Version::v5),
            RC::MalformedPacket);
  EXPECT_EQ(decode_code(ByteVector{0x20, 0x02, 0x80, 0x00}, Version::v311), RC::MalformedPacket);
}

// 5.0 [MQTT-3.2.2-6], 3.1.1 [MQTT-3.2.2-4].
TEST(AckRules, SessionPresentWithRefusalIsAProtocolError) {
  EXPECT_EQ(decode_code(ByteVector{0x20, 0x03, 0x01, 0x87, 0x00}, Version::v5),
            RC::ProtocolError);
  EXPECT_EQ(decode_code(ByteVector{0x20, 0x02, 0x01, 0x05}, Version::v311), RC::ProtocolError);
  EXPECT_EQ(decode_code(ByteVector{0x20, 0x03, 0x01, 0x00, 0x00}, Version::v5), RC::Success);
}

// 5.0 CONNACK always has a property length (section 3.2.2.3).
TEST(AckRules, V5ConnackNeedsItsProperties) {
  EXPECT_EQ(decode_code(ByteVector{0x20, 0x02, 0x00, 0x00}, Version::v5), RC::MalformedPacket);
}

TEST(AckRules, PacketIdentifierZeroIsAProtocolError) {
  for (const std::uint8_t first : {0x40, 0x50, 0x62, 0x70, 0x90, 0xB0}) {
    ByteVector bytes = {first, 0x02, 0x00, 0x00};
    if (first == 0x90) bytes = {0x90, 0x03, 0x00, 0x00, 0x00};
    EXPECT_EQ(decode_code(bytes, Version::v311), RC::ProtocolError) << int{first};
  }
}

// 5.0 section 3.4.2.1: Remaining Length 2 means Success, 3 means no properties.
TEST(AckRules, ShortForms) {
  const ByteVector two = {0x50, 0x02, 0x00, 0x09};
  const auto decoded_two = decode_bytes(two, Version::v5);
  ASSERT_TRUE(decoded_two.status.ok());
  EXPECT_EQ(std::get<Pubrec>(decoded_two.packet).reason, RC::Success);
  const ByteVector three = {0x50, 0x03, 0x00, 0x09, 0x97};
  const auto decoded_three = decode_bytes(three, Version::v5);
  ASSERT_TRUE(decoded_three.status.ok());
  EXPECT_EQ(std::get<Pubrec>(decoded_three.packet).reason, RC::QuotaExceeded);
  EXPECT_EQ(decode_code(ByteVector{0x50, 0x01, 0x00}, Version::v5), RC::MalformedPacket);
  const ByteVector disconnect_one = {0xE0, 0x01, 0x8E};
  const auto decoded = decode_bytes(disconnect_one, Version::v5);
  ASSERT_TRUE(decoded.status.ok());
  EXPECT_EQ(std::get<Disconnect>(decoded.packet).reason, RC::SessionTakenOver);
}

// Section 3.15.2.1: the only short form of AUTH is Remaining Length 0.
TEST(AckRules, AuthForms) {
  EXPECT_EQ(decode_code(ByteVector{0xF0, 0x00}, Version::v5), RC::Success);
  EXPECT_EQ(decode_code(ByteVector{0xF0, 0x01, 0x18}, Version::v5), RC::MalformedPacket);
  // Section 3.15.2.2.2: the Authentication Method is required.
  EXPECT_EQ(decode_code(ByteVector{0xF0, 0x02, 0x18, 0x00}, Version::v5), RC::ProtocolError);
}

TEST(AckRules, PropertyLengthBeyondThePacketIsMalformed) {
  EXPECT_EQ(decode_code(ByteVector{0x40, 0x04, 0x00, 0x01, 0x00, 0x05}, Version::v5),
            RC::MalformedPacket);
  EXPECT_EQ(decode_code(ByteVector{0xE0, 0x02, 0x00, 0x7F}, Version::v5), RC::MalformedPacket);
}

}  // namespace
}  // namespace attestmq::mqtt::test

// Fixed header rules: MQTT 5.0 section 2.1 / 3.1.1 section 2.2, and bytes left over.
#include <gtest/gtest.h>

#include "codec_test_support.hpp"

namespace attestmq::mqtt::test {
namespace {

using RC = ReasonCode;

// One valid packet of each type (5.0 encodings), by type number.
ByteVector valid_packet(PacketType type) {
  switch (type) {
    case PacketType::Connect:
      return {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x00, 0x00, 0x00,
              0x00};
    case PacketType::Connack: return {0x20, 0x03, 0x00, 0x00, 0x00};
    case PacketType::Publish: return {0x30, 0x04, 0x00, 0x01, 't', 0x00};
    case PacketType::Puback: return {0x40, 0x02, 0x00, 0x01};
    case PacketType::Pubrec: return {0x50, 0x02, 0x00, 0x01};
    case PacketType::Pubrel: return {0x62, 0x02, 0x00, 0x01};
    case PacketType::Pubcomp: return {0x70, 0x02, 0x00, 0x01};
    case PacketType::Subscribe: return {0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 't', 0x00};
    case PacketType::Suback: return {0x90, 0x04, 0x00, 0x01, 0x00, 0x00};
    case PacketType::Unsubscribe: return {0xA2, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 't'};
    case PacketType::Unsuback: return {0xB0, 0x04, 0x00, 0x01, 0x00, 0x00};
    case PacketType::Pingreq: return {0xC0, 0x00};
    case PacketType::Pingresp: return {0xD0, 0x00};
    case PacketType::Disconnect: return {0xE0, 0x00};
    case PacketType::Auth: return {0xF0, 0x00};
  }
  return {};
}

TEST(FixedHeaderRules, EveryValidPacketDecodes) {
  for (unsigned type = 1; type <= 15; ++type) {
    EXPECT_EQ(decode_code(valid_packet(static_cast<PacketType>(type)), Version::v5), RC::Success)
        << "type " << type;
  }
}

// Section 2.1.3: PUBREL, SUBSCRIBE, UNSUBSCRIBE carry 0010, all others but PUBLISH 0000.
TEST(FixedHeaderRules, ReservedFlagsMustHaveTheirFixedValue) {
  for (unsigned type = 1; type <= 15; ++type) {
    if (type == static_cast<unsigned>(PacketType::Publish)) continue;
    const auto valid = valid_packet(static_cast<PacketType>(type));
    for (std::uint8_t flags = 0; flags < 16; ++flags) {
      auto bytes = valid;
      bytes[0] = static_cast<std::uint8_t>(type << 4 | flags);
      const bool expected_ok = flags == (valid[0] & 0x0F);
      EXPECT_EQ(decode_code(bytes, Version::v5), expected_ok ? RC::Success : RC::MalformedPacket)
          << "type " << type << " flags " << int{flags};
    }
  }
}

// Section 3.3.1.2: QoS 3 is malformed.
TEST(FixedHeaderRules, PublishQos3IsMalformed) {
  const ByteVector bytes = {0x36, 0x06, 0x00, 0x01, 't', 0x00, 0x01, 0x00};
  EXPECT_EQ(decode_code(bytes, Version::v5), RC::MalformedPacket);
  EXPECT_EQ(decode_code(bytes, Version::v311), RC::MalformedPacket);
}

// Section 3.3.1.1 [MQTT-3.3.1-2]: DUP must be 0 with QoS 0.
TEST(FixedHeaderRules, PublishDupWithQos0IsAProtocolError) {
  EXPECT_EQ(decode_code(ByteVector{0x38, 0x04, 0x00, 0x01, 't', 0x00}, Version::v5),
            RC::ProtocolError);
  EXPECT_EQ(decode_code(ByteVector{0x38, 0x03, 0x00, 0x01, 't'}, Version::v311),
            RC::ProtocolError);
  // DUP with QoS 1 is fine.
  EXPECT_EQ(decode_code(ByteVector{0x3A, 0x06, 0x00, 0x01, 't', 0x00, 0x01, 0x00}, Version::v5),
            RC::Success);
}

TEST(FixedHeaderRules, AuthDoesNotExistIn311) {
  EXPECT_EQ(decode_code(ByteVector{0xF0, 0x00}, Version::v311), RC::MalformedPacket);
}

TEST(FixedHeaderRules, BodyMustMatchRemainingLength) {
  FixedHeader header{.type = PacketType::Pingreq, .flags = 0, .remaining_length = 1,
                     .header_size = 2};
  Packet packet;
  const std::uint8_t body[] = {0x00, 0x00};
  EXPECT_EQ(decode(header, std::span(body, 0), Version::v5, packet).code, RC::MalformedPacket);
  EXPECT_EQ(decode(header, std::span(body, 2), Version::v5, packet).code, RC::MalformedPacket);
}

// Every packet layout accounts for all its bytes.
TEST(FixedHeaderRules, BytesLeftOverAreMalformed) {
  const ByteVector cases_v5[] = {
      {0xC0, 0x01, 0x00},                                    // PINGREQ with a body
      {0xD0, 0x01, 0x00},                                    // PINGRESP with a body
      {0x20, 0x04, 0x00, 0x00, 0x00, 0x00},                  // CONNACK after its properties
      {0x40, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00},            // PUBACK after its properties
      {0xE0, 0x03, 0x00, 0x00, 0x00},                        // DISCONNECT after properties
      {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
       0x00},                                                // CONNECT after the client id
  };
  for (const auto& bytes : cases_v5) {
    EXPECT_EQ(decode_code(bytes, Version::v5), RC::MalformedPacket) << int{bytes[0]};
  }
  const ByteVector cases_v311[] = {
      {0x40, 0x03, 0x00, 0x01, 0x00},        // 3.1.1 PUBACK has no reason code
      {0xE0, 0x01, 0x00},                    // 3.1.1 DISCONNECT has no variable header
      {0xB0, 0x03, 0x00, 0x01, 0x00},        // 3.1.1 UNSUBACK has no payload
      {0x20, 0x03, 0x00, 0x00, 0x00},        // 3.1.1 CONNACK has no properties
  };
  for (const auto& bytes : cases_v311) {
    EXPECT_EQ(decode_code(bytes, Version::v311), RC::MalformedPacket) << int{bytes[0]};
  }
}

TEST(FixedHeaderRules, TruncatedBodiesAreMalformed) {
  for (unsigned type = 1; type <= 15; ++type) {
    const auto valid = valid_packet(static_cast<PacketType>(type));
    // Cut the body short but keep the header consistent with what is left.
    for (std::size_t keep = 0; keep + 2 < valid.size(); ++keep) {
      ByteVector body(valid.begin() + 2, valid.begin() + 2 + static_cast<long>(keep));
      const auto code = decode_code(packet_with_body(valid[0], body), Version::v5);
      // Some prefixes are themselves valid short forms (a PUBACK without reason code...).
      if (code != RC::Success) {
        EXPECT_TRUE(code == RC::MalformedPacket || code == RC::ProtocolError)
            << "type " << type << " kept " << keep << ": " << to_string(code);
      }
    }
  }
}

}  // namespace
}  // namespace attestmq::mqtt::test

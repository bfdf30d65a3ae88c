// MQTT 5.0 section 2.2.2: which properties each packet may carry, repetition, and each
// property's own value rules.
#include <gtest/gtest.h>

#include <map>

#include "codec_test_support.hpp"

namespace attestmq::mqtt::test {
namespace {

using RC = ReasonCode;

// Where a property list sits; Will is the Will Properties of a CONNECT.
enum class Place {
  Connect, Will, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe, Suback,
  Unsubscribe, Unsuback, Disconnect, Auth
};
constexpr Place kAllPlaces[] = {
    Place::Connect, Place::Will,     Place::Connack,   Place::Publish,     Place::Puback,
    Place::Pubrec,  Place::Pubrel,   Place::Pubcomp,   Place::Subscribe,   Place::Suback,
    Place::Unsubscribe, Place::Unsuback, Place::Disconnect, Place::Auth};

// A packet whose (only) property list is `properties`.
ByteVector packet_with_properties(Place place, const ByteVector& properties) {
  ByteVector list = {static_cast<std::uint8_t>(properties.size())};
  list.insert(list.end(), properties.begin(), properties.end());
  auto join = [&](ByteVector before, ByteVector after) {
    before.insert(before.end(), list.begin(), list.end());
    before.insert(before.end(), after.begin(), after.end());
    return before;
  };
  const ByteVector connect_header = {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05};
  switch (place) {
    case Place::Connect: {
      ByteVector before = connect_header;
      before.insert(before.end(), {0x02, 0x00, 0x00});
      return packet_with_body(0x10, join(before, {0x00, 0x00}));
    }
    case Place::Will: {
      ByteVector before = connect_header;
      // flags (Will), keep alive, no CONNECT properties, empty client id
      before.insert(before.end(), {0x06, 0x00, 0x00, 0x00, 0x00, 0x00});
      return packet_with_body(0x10, join(before, {0x00, 0x01, 'w', 0x00, 0x00}));
    }
    case Place::Connack: return packet_with_body(0x20, join({0x00, 0x00}, {}));
    case Place::Publish: return packet_with_body(0x30, join({0x00, 0x01, 't'}, {}));
    case Place::Puback: return packet_with_body(0x40, join({0x00, 0x01, 0x00}, {}));
    case Place::Pubrec: return packet_with_body(0x50, join({0x00, 0x01, 0x00}, {}));
    case Place::Pubrel: return packet_with_body(0x62, join({0x00, 0x01, 0x00}, {}));
    case Place::Pubcomp: return packet_with_body(0x70, join({0x00, 0x01, 0x00}, {}));
    case Place::Subscribe:
      return packet_with_body(0x82, join({0x00, 0x01}, {0x00, 0x01, 'f', 0x00}));
    case Place::Suback: return packet_with_body(0x90, join({0x00, 0x01}, {0x00}));
    case Place::Unsubscribe:
      return packet_with_body(0xA2, join({0x00, 0x01}, {0x00, 0x01, 'f'}));
    case Place::Unsuback: return packet_with_body(0xB0, join({0x00, 0x01}, {0x00}));
    case Place::Disconnect: return packet_with_body(0xE0, join({0x00}, {}));
    case Place::Auth: return packet_with_body(0xF0, join({0x18}, {}));
  }
  return {};
}

const ByteVector kMethod = {0x15, 0x00, 0x01, 'm'};

struct PropertyCase {
  std::uint8_t id;
  ByteVector encoded;  // identifier and a valid value
  std::vector<Place> allowed;
  bool repeatable = false;
};

// Section 2.2.2.2, table 2-4, written out independently of the codec's own table.
std::vector<PropertyCase> property_cases() {
  using enum Place;
  const std::vector<Place> will_publish = {Publish, Will};
  const std::vector<Place> reason_string = {Connack, Puback,   Pubrec,     Pubrel, Pubcomp,
                                            Suback,  Unsuback, Disconnect, Auth};
  return {
      {0x01, {0x01, 0x00}, will_publish},
      {0x02, {0x02, 0x00, 0x00, 0x00, 0x0A}, will_publish},
      {0x03, {0x03, 0x00, 0x01, 'a'}, will_publish},
      {0x08, {0x08, 0x00, 0x01, 'r'}, will_publish},
      {0x09, {0x09, 0x00, 0x01, 0xFF}, will_publish},
      {0x0B, {0x0B, 0x05}, {Publish, Subscribe}},
      {0x11, {0x11, 0x00, 0x00, 0x00, 0x0A}, {Connect, Connack, Disconnect}},
      {0x12, {0x12, 0x00, 0x01, 'c'}, {Connack}},
      {0x13, {0x13, 0x00, 0x0A}, {Connack}},
      {0x15, kMethod, {Connect, Connack, Auth}},
      {0x16, {0x16, 0x00, 0x01, 0x01}, {Connect, Connack, Auth}},
      {0x17, {0x17, 0x01}, {Connect}},
      {0x18, {0x18, 0x00, 0x00, 0x00, 0x05}, {Will}},
      {0x19, {0x19, 0x01}, {Connect}},
      {0x1A, {0x1A, 0x00, 0x01, 'i'}, {Connack}},
      {0x1C, {0x1C, 0x00, 0x01, 's'}, {Connack, Disconnect}},
      {0x1F, {0x1F, 0x00, 0x01, 'r'}, reason_string},
      {0x21, {0x21, 0x00, 0x0A}, {Connect, Connack}},
      {0x22, {0x22, 0x00, 0x0A}, {Connect, Connack}},
      {0x23, {0x23, 0x00, 0x01}, {Publish}},
      {0x24, {0x24, 0x01}, {Connack}},
      {0x25, {0x25, 0x01}, {Connack}},
      {0x26, {0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'},
       {Connect, Connack, Publish, Will, Puback, Pubrec, Pubrel, Pubcomp, Subscribe, Suback,
        Unsubscribe, Unsuback, Disconnect, Auth},
       true},
      {0x27, {0x27, 0x00, 0x00, 0x01, 0x00}, {Connect, Connack}},
      {0x28, {0x28, 0x01}, {Connack}},
      {0x29, {0x29, 0x01}, {Connack}},
      {0x2A, {0x2A, 0x01}, {Connack}},
  };
}

// AUTH with properties needs a method; Authentication Data needs one everywhere.
ByteVector with_method_if_needed(Place place, std::uint8_t id, const ByteVector& encoded) {
  if (id == 0x15 || (place != Place::Auth && id != 0x16)) return encoded;
  ByteVector out = kMethod;
  out.insert(out.end(), encoded.begin(), encoded.end());
  return out;
}

bool contains(const std::vector<Place>& places, Place place) {
  return std::find(places.begin(), places.end(), place) != places.end();
}

TEST(PropertyRules, EachPropertyOnlyWhereAllowed) {
  for (const auto& c : property_cases()) {
    for (const auto place : kAllPlaces) {
      const auto bytes =
          packet_with_properties(place, with_method_if_needed(place, c.id, c.encoded));
      const auto expected = contains(c.allowed, place) ? RC::Success : RC::MalformedPacket;
      EXPECT_EQ(decode_code(bytes, Version::v5), expected)
          << "property " << int{c.id} << " in place " << static_cast<int>(place);
    }
  }
}

// Section 2.2.2.2: only User Property, and Subscription Identifier in PUBLISH, repeat.
TEST(PropertyRules, RepeatingAPropertyIsAProtocolError) {
  for (const auto& c : property_cases()) {
    for (const auto place : c.allowed) {
      ByteVector twice = c.encoded;
      twice.insert(twice.end(), c.encoded.begin(), c.encoded.end());
      const bool repeatable =
          c.repeatable || (c.id == 0x0B && place == Place::Publish);
      const auto bytes = packet_with_properties(place, with_method_if_needed(place, c.id, twice));
      EXPECT_EQ(decode_code(bytes, Version::v5), repeatable ? RC::Success : RC::ProtocolError)
          << "property " << int{c.id} << " in place " << static_cast<int>(place);
    }
  }
}

// Sections 3.1.2.11.10, 3.2.2.3.18.
TEST(PropertyRules, AuthenticationDataWithoutMethodIsAProtocolError) {
  EXPECT_EQ(decode_code(packet_with_properties(Place::Connect, {0x16, 0x00, 0x00}), Version::v5),
            RC::ProtocolError);
  EXPECT_EQ(decode_code(packet_with_properties(Place::Connack, {0x16, 0x00, 0x00}), Version::v5),
            RC::ProtocolError);
}

TEST(PropertyRules, ValueRules) {
  const struct {
    Place place;
    ByteVector properties;
    RC expected;
  } cases[] = {
      // Sections 3.1.2.11.3, 3.2.2.3.3: Receive Maximum 0.
      {Place::Connect, {0x21, 0x00, 0x00}, RC::ProtocolError},
      {Place::Connack, {0x21, 0x00, 0x00}, RC::ProtocolError},
      // Sections 3.1.2.11.4, 3.2.2.3.6: Maximum Packet Size 0.
      {Place::Connect, {0x27, 0x00, 0x00, 0x00, 0x00}, RC::ProtocolError},
      {Place::Connack, {0x27, 0x00, 0x00, 0x00, 0x00}, RC::ProtocolError},
      // Byte properties that are 0 or 1.
      {Place::Connect, {0x17, 0x02}, RC::ProtocolError},
      {Place::Connect, {0x19, 0x02}, RC::ProtocolError},
      {Place::Connack, {0x24, 0x02}, RC::ProtocolError},
      {Place::Connack, {0x25, 0x02}, RC::ProtocolError},
      {Place::Connack, {0x28, 0x02}, RC::ProtocolError},
      {Place::Connack, {0x29, 0x02}, RC::ProtocolError},
      {Place::Connack, {0x2A, 0xFF}, RC::ProtocolError},
      {Place::Publish, {0x01, 0x02}, RC::ProtocolError},
      {Place::Connack, {0x24, 0x00}, RC::Success},
      // Section 3.8.2.1.2: Subscription Identifier 0; the largest value is fine.
      {Place::Subscribe, {0x0B, 0x00}, RC::ProtocolError},
      {Place::Subscribe, {0x0B, 0xFF, 0xFF, 0xFF, 0x7F}, RC::Success},
      {Place::Subscribe, {0x0B, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, RC::MalformedPacket},
      // Section 3.3.2.3.4.
      {Place::Publish, {0x23, 0x00, 0x00}, RC::TopicAliasInvalid},
      // Section 3.3.2.3.5.
      {Place::Will, {0x08, 0x00, 0x03, 'a', '/', '+'}, RC::ProtocolError},
      // Section 1.5.4: strings are well-formed UTF-8.
      {Place::Connack, {0x1F, 0x00, 0x01, 0xFE}, RC::MalformedPacket},
      {Place::Connack, {0x26, 0x00, 0x01, 'k', 0x00, 0x01, 0x00}, RC::MalformedPacket},
      // Section 2.2.2.2: unknown identifiers.
      {Place::Connack, {0x00, 0x00}, RC::MalformedPacket},
      {Place::Connack, {0x04, 0x00}, RC::MalformedPacket},
      {Place::Connack, {0x7F, 0x00}, RC::MalformedPacket},
      {Place::Connack, {0x81, 0x02, 0x00}, RC::MalformedPacket},  // identifier 257
      // Values cut short by the Property Length.
      {Place::Connack, {0x11, 0x00, 0x00}, RC::MalformedPacket},
      {Place::Connack, {0x1F, 0x00, 0x05, 'a'}, RC::MalformedPacket},
      {Place::Connack, {0x26, 0x00, 0x01, 'k'}, RC::MalformedPacket},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(decode_code(packet_with_properties(c.place, c.properties), Version::v5),
              c.expected)
        << "place " << static_cast<int>(c.place) << " first byte " << int{c.properties[0]};
  }
}

TEST(PropertyRules, ValuesDecode) {
  const auto bytes = packet_with_properties(
      Place::Connack, {0x11, 0x00, 0x01, 0x00, 0x00, 0x21, 0x01, 0x00, 0x12, 0x00, 0x02, 'i',
                       'd', 0x26, 0x00, 0x01, 'a', 0x00, 0x01, 'b', 0x26, 0x00, 0x01, 'a', 0x00,
                       0x01, 'c'});
  const auto decoded = decode_bytes(bytes, Version::v5);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.detail;
  const auto& p = std::get<Connack>(decoded.packet).properties;
  EXPECT_EQ(p.session_expiry_interval, 65536u);
  EXPECT_EQ(p.receive_maximum, 256);
  EXPECT_EQ(p.assigned_client_identifier, "id");
  EXPECT_EQ(p.user_properties,
            (std::vector<UserProperty>{{"a", "b"}, {"a", "c"}}));  // order and repeats kept
}

}  // namespace
}  // namespace attestmq::mqtt::test

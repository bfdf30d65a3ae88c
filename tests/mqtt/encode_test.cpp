// encode() and encoded_size(): appending, exact sizes across Remaining Length boundaries,
// what each version leaves out, and no reallocation when the output has room.
#include <gtest/gtest.h>

#include "codec_test_support.hpp"

namespace attestmq::mqtt::test {
namespace {

TEST(Encode, AppendsAfterExistingContent) {
  ByteVector out = {0xAA, 0xBB};
  encode(Pingreq{}, Version::v5, out);
  EXPECT_EQ(out, (ByteVector{0xAA, 0xBB, 0xC0, 0x00}));
}

// The broker encodes one PUBLISH per subscriber into a reused buffer: with room available,
// encoding must not reallocate it.
TEST(Encode, UsesTheOutputsCapacity) {
  const std::vector<std::uint8_t> payload(1000, 'p');
  Publish publish;
  publish.qos = 1;
  publish.packet_id = 1;
  publish.topic = "t";
  publish.payload = payload;
  publish.properties.user_properties = {{"k", "v"}};
  ByteVector out;
  out.reserve(4096);
  const auto* before = out.data();
  encode(publish, Version::v5, out);
  encode(publish, Version::v5, out);
  EXPECT_EQ(out.data(), before);
  EXPECT_EQ(out.size(), 2 * encoded_size(publish, Version::v5));
}

TEST(Encode, GrowsGeometricallyWhenAppendingManyPackets) {
  Publish publish;
  publish.topic = "t";
  ByteVector out;
  int reallocations = 0;
  for (int i = 0; i < 10'000; ++i) {
    const auto* before = out.data();
    encode(publish, Version::v311, out);
    if (out.data() != before) ++reallocations;
  }
  EXPECT_LT(reallocations, 40);
}

// Section 1.5.5: the Remaining Length grows a byte at 128, 16384 and 2097152.
TEST(Encode, EncodedSizeIsExactAcrossLengthBoundaries) {
  const std::vector<std::uint8_t> payload(2'097'152, 'x');
  for (const std::size_t size : {0u, 120u, 121u, 122u, 16'375u, 16'376u, 16'377u, 2'097'143u,
                                 2'097'144u, 2'097'145u}) {
    Publish publish;
    publish.topic = "abc";
    publish.payload = std::span(payload).first(size);
    const auto bytes = encode_bytes(publish, Version::v311);
    EXPECT_EQ(bytes.size(), encoded_size(publish, Version::v311)) << size;
    FixedHeader header;
    DecodeStatus status;
    ASSERT_EQ(parse_frame(bytes, kMaxRemainingLength + 5, header, status),
              FrameStatus::complete);
    EXPECT_EQ(header.total_size(), bytes.size());
  }
}

// 3.1.1 has no properties and no reason codes outside CONNACK and SUBACK.
TEST(Encode, V311LeavesOutWhatItCannotCarry) {
  Publish publish;
  publish.topic = "t";
  publish.payload = as_bytes("x");
  const auto plain = encode_bytes(publish, Version::v311);
  publish.properties.message_expiry_interval = 5;
  publish.properties.user_properties = {{"k", "v"}};
  EXPECT_EQ(encode_bytes(publish, Version::v311), plain);

  Puback puback;
  puback.packet_id = 3;
  puback.reason = ReasonCode::NotAuthorized;
  puback.properties.reason_string = "no";
  EXPECT_EQ(encode_bytes(puback, Version::v311), (ByteVector{0x40, 0x02, 0x00, 0x03}));

  Disconnect disconnect;
  disconnect.reason = ReasonCode::ServerShuttingDown;
  EXPECT_EQ(encode_bytes(disconnect, Version::v311), (ByteVector{0xE0, 0x00}));

  Unsuback unsuback;
  unsuback.packet_id = 4;
  unsuback.reasons = {ReasonCode::NoSubscriptionExisted};
  EXPECT_EQ(encode_bytes(unsuback, Version::v311), (ByteVector{0xB0, 0x02, 0x00, 0x04}));

  Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.subscriptions = {
      {.filter = "f", .qos = 1, .no_local = true, .retain_as_published = true,
       .retain_handling = 2}};
  EXPECT_EQ(encode_bytes(subscribe, Version::v311),
            (ByteVector{0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'f', 0x01}));
}

TEST(Encode, PublishFlags) {
  Publish publish;
  publish.topic = "t";
  publish.dup = true;
  publish.qos = 2;
  publish.retain = true;
  publish.packet_id = 1;
  EXPECT_EQ(encode_bytes(publish, Version::v311)[0], 0x3D);
}

}  // namespace
}  // namespace attestmq::mqtt::test

// parse_frame: MQTT 5.0 section 2.1.4 (Remaining Length), 1.5.5 (variable byte integer),
// 3.1.2.11.4 (Maximum Packet Size), on partial input.
#include <gtest/gtest.h>

#include "codec_test_support.hpp"

namespace attestmq::mqtt::test {
namespace {

FrameStatus frame(const ByteVector& bytes, std::uint32_t max_size, FixedHeader& header,
                  DecodeStatus& status) {
  return parse_frame(bytes, max_size, header, status);
}

TEST(Frame, EmptyInputNeedsMore) {
  FixedHeader header;
  DecodeStatus status;
  EXPECT_EQ(frame({}, 1000, header, status), FrameStatus::need_more);
}

TEST(Frame, ReadsTypeFlagsAndLengths) {
  FixedHeader header;
  DecodeStatus status;
  const ByteVector bytes = {0x3B, 0x03, 0x00, 0x01, 'a'};
  ASSERT_EQ(frame(bytes, 1000, header, status), FrameStatus::complete);
  EXPECT_EQ(header.type, PacketType::Publish);
  EXPECT_EQ(header.flags, 0x0B);
  EXPECT_EQ(header.remaining_length, 3u);
  EXPECT_EQ(header.header_size, 2);
  EXPECT_EQ(header.total_size(), 5u);
}

// Section 1.5.5 table 1-1: the boundaries of each encoded size.
TEST(Frame, RemainingLengthBoundaries) {
  const struct {
    ByteVector encoded;
    std::uint32_t value;
  } cases[] = {
      {{0x00}, 0},
      {{0x7F}, 127},
      {{0x80, 0x01}, 128},
      {{0xFF, 0x7F}, 16'383},
      {{0x80, 0x80, 0x01}, 16'384},
      {{0xFF, 0xFF, 0x7F}, 2'097'151},
      {{0x80, 0x80, 0x80, 0x01}, 2'097'152},
      {{0xFF, 0xFF, 0xFF, 0x7F}, 268'435'455},
  };
  for (const auto& c : cases) {
    ByteVector bytes = {0x30};
    bytes.insert(bytes.end(), c.encoded.begin(), c.encoded.end());
    FixedHeader header;
    DecodeStatus status;
    // Only the header is present: need_more, but the header fields are already known.
    const auto result = frame(bytes, 0xFFFF'FFFF, header, status);
    EXPECT_EQ(result, c.value == 0 ? FrameStatus::complete : FrameStatus::need_more);
    EXPECT_EQ(header.remaining_length, c.value);
    EXPECT_EQ(header.header_size, 1 + c.encoded.size());
  }
}

TEST(Frame, RemainingLengthOfFiveBytesIsMalformed) {
  FixedHeader header;
  DecodeStatus status;
  EXPECT_EQ(frame({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, 0xFFFF'FFFF, header, status),
            FrameStatus::error);
  EXPECT_EQ(status.code, ReasonCode::MalformedPacket);
  // Detected as soon as the fourth length byte says "more follows".
  EXPECT_EQ(frame({0x30, 0x80, 0x80, 0x80, 0x80}, 0xFFFF'FFFF, header, status),
            FrameStatus::error);
}

// [MQTT-1.5.5-1]: the minimum number of bytes.
TEST(Frame, NonMinimalRemainingLengthIsMalformed) {
  FixedHeader header;
  DecodeStatus status;
  EXPECT_EQ(frame({0xC0, 0x80, 0x00}, 1000, header, status), FrameStatus::error);
  EXPECT_EQ(status.code, ReasonCode::MalformedPacket);
}

TEST(Frame, ReservedTypeZeroIsMalformed) {
  FixedHeader header;
  DecodeStatus status;
  EXPECT_EQ(frame({0x00}, 1000, header, status), FrameStatus::error);
  EXPECT_EQ(status.code, ReasonCode::MalformedPacket);
}

// Section 3.1.2.11.4: the limit covers the whole packet and applies before the body arrives.
TEST(Frame, PacketLargerThanMaximumIsTooLarge) {
  FixedHeader header;
  DecodeStatus status;
  const ByteVector exactly_ten = {0x30, 0x08, 0x00, 0x01, 't', 1, 2, 3, 4, 5};
  EXPECT_EQ(frame(exactly_ten, 10, header, status), FrameStatus::complete);
  EXPECT_EQ(frame(exactly_ten, 9, header, status), FrameStatus::error);
  EXPECT_EQ(status.code, ReasonCode::PacketTooLarge);
  EXPECT_EQ(frame({0x30, 0x80, 0x80, 0x01}, 16'000, header, status), FrameStatus::error);
  EXPECT_EQ(status.code, ReasonCode::PacketTooLarge);
}

// A stream of several packets, delivered one byte at a time: each packet is complete exactly
// when its last byte arrives, and decodes to what was encoded.
TEST(Frame, ByteByByteStream) {
  Publish publish;
  publish.qos = 1;
  publish.packet_id = 7;
  publish.topic = "x/y";
  const std::vector<std::uint8_t> big(200, 'p');  // two-byte Remaining Length
  publish.payload = big;
  Subscribe subscribe;
  subscribe.packet_id = 3;
  subscribe.subscriptions = {{.filter = "x/#", .qos = 2}};
  const std::vector<Packet> packets = {Pingreq{}, publish, subscribe, Disconnect{}};

  ByteVector stream;
  std::vector<std::size_t> ends;
  for (const auto& p : packets) {
    encode(p, Version::v5, stream);
    ends.push_back(stream.size());
  }

  ByteVector buffer;
  std::size_t consumed = 0;
  std::size_t next = 0;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    buffer.push_back(stream[i]);
    FixedHeader header;
    DecodeStatus status;
    const auto result = parse_frame(std::span(buffer).subspan(consumed), 1 << 20, header, status);
    if (i + 1 < ends[next]) {
      ASSERT_EQ(result, FrameStatus::need_more) << "byte " << i;
      continue;
    }
    ASSERT_EQ(result, FrameStatus::complete) << "byte " << i;
    const auto body = std::span(buffer).subspan(consumed + header.header_size,
                                                header.remaining_length);
    Packet decoded;
    ASSERT_TRUE(decode(header, body, Version::v5, decoded).ok());
    EXPECT_TRUE(same_packet(packets[next], decoded));
    consumed += header.total_size();
    ++next;
  }
  EXPECT_EQ(next, packets.size());
}

}  // namespace
}  // namespace attestmq::mqtt::test

#pragma once
// Helpers shared by the codec tests: run bytes through parse_frame + decode, and compare
// decoded packets field by field (Packet has no operator==: spans compare by address).
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "mqtt/codec.hpp"

namespace attestmq::mqtt::test {

using ByteVector = std::vector<std::uint8_t>;

struct DecodeResult {
  FrameStatus frame = FrameStatus::need_more;
  DecodeStatus status;
  Packet packet;
};

// Frames `bytes` (which must hold exactly one packet) and decodes it.
DecodeResult decode_bytes(std::span<const std::uint8_t> bytes, Version version,
                          std::uint32_t max_packet_size = kMaxRemainingLength + 5);

// The reason code decode_bytes ends with (Success if it decoded).
ReasonCode decode_code(std::span<const std::uint8_t> bytes, Version version);

ByteVector encode_bytes(const Packet& packet, Version version);

inline Bytes as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Field-by-field equality naming the first field that differs.
::testing::AssertionResult same_packet(const Packet& expected, const Packet& actual);
::testing::AssertionResult same_properties(const Properties& expected,
                                           const Properties& actual);

// A packet built from the fixed header byte, and a body whose Remaining Length is computed.
ByteVector packet_with_body(std::uint8_t first_byte, std::initializer_list<std::uint8_t> body);
ByteVector packet_with_body(std::uint8_t first_byte, const ByteVector& body);

}  // namespace attestmq::mqtt::test

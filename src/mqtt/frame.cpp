// Framing: find where one packet ends in a byte stream (MQTT 5.0 section 2.1, 3.1.1 section
// 2.2). Works on any prefix of the stream, so bytes may arrive one at a time.
#include "mqtt/codec.hpp"

namespace attestmq::mqtt {

FrameStatus parse_frame(std::span<const std::uint8_t> input, std::uint32_t max_packet_size,
                        FixedHeader& header, DecodeStatus& status) {
  if (input.empty()) return FrameStatus::need_more;
  const std::uint8_t first = input[0];
  // Section 2.1.2: type 0 is reserved. (AUTH, 15, is reserved in 3.1.1; decode() knows the
  // version and rejects it there.)
  if ((first >> 4) == 0) {
    status = {ReasonCode::MalformedPacket, "reserved packet type 0"};
    return FrameStatus::error;
  }
  // Sections 2.1.4 and 1.5.5: Remaining Length is a variable byte integer of 1 to 4 bytes,
  // using the minimum number of bytes [MQTT-1.5.5-1].
  std::uint32_t remaining = 0;
  std::size_t header_size = 1;
  for (unsigned shift = 0;; shift += 7) {
    if (header_size == 5) {
      status = {ReasonCode::MalformedPacket, "Remaining Length longer than four bytes"};
      return FrameStatus::error;
    }
    if (input.size() <= header_size) return FrameStatus::need_more;
    const std::uint8_t digit = input[header_size++];
    remaining |= std::uint32_t{digit & 0x7Fu} << shift;
    if ((digit & 0x80) == 0) {
      if (digit == 0 && shift > 0) {
        status = {ReasonCode::MalformedPacket, "Remaining Length not minimally encoded"};
        return FrameStatus::error;
      }
      break;
    }
  }
  header.type = static_cast<PacketType>(first >> 4);
  header.flags = first & 0x0F;
  header.remaining_length = remaining;
  header.header_size = static_cast<std::uint8_t>(header_size);
  // Section 3.1.2.11.4: Maximum Packet Size counts the whole packet, fixed header included.
  // Checked before the body arrives so an oversized packet is refused without buffering it.
  if (header.total_size() > max_packet_size) {
    status = {ReasonCode::PacketTooLarge, "packet larger than the Maximum Packet Size"};
    return FrameStatus::error;
  }
  if (input.size() < header.total_size()) return FrameStatus::need_more;
  status = {};
  return FrameStatus::complete;
}

}  // namespace attestmq::mqtt

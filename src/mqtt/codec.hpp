#pragma once
// Sans-I/O codec: bytes in, packets out, and back. Nothing here does I/O or throws.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "mqtt/packet.hpp"

namespace attestmq::mqtt {

// Largest packet the protocol can express (MQTT 5.0 section 1.5.5: 4-byte variable integer).
inline constexpr std::uint32_t kMaxRemainingLength = 268'435'455;

// The outcome of a decoding step. `code` is the reason code the spec prescribes for the
// failure (MalformedPacket, ProtocolError, PacketTooLarge, TopicNameInvalid, ...), and
// `detail` a static English sentence naming the rule that was broken.
struct DecodeStatus {
  ReasonCode code = ReasonCode::Success;
  const char* detail = "";
  bool ok() const { return code == ReasonCode::Success; }
};

struct FixedHeader {
  PacketType type = PacketType::Connect;
  std::uint8_t flags = 0;             // low nibble of the first byte
  std::uint32_t remaining_length = 0;
  std::uint8_t header_size = 0;       // 2..5 bytes
  std::size_t total_size() const { return header_size + std::size_t{remaining_length}; }
};

enum class FrameStatus { complete, need_more, error };

// Reads a fixed header from the start of `input`, which may hold a partial packet.
// complete: `header` is filled and input holds the whole packet (total_size() bytes).
// need_more: wait for more bytes. error: `status` says why (malformed remaining length, a
// packet larger than `max_packet_size`, or reserved type 0).
FrameStatus parse_frame(std::span<const std::uint8_t> input, std::uint32_t max_packet_size,
                        FixedHeader& header, DecodeStatus& status);

// Decodes one packet body (the bytes after the fixed header). `version` is the version the
// connection negotiated; for CONNECT it is ignored and read from the packet.
// Checked here: everything a single packet can break on its own (reserved flags, lengths,
// UTF-8, property placement and repetition, property values, reason codes allowed for the
// packet type, non-zero packet identifiers, wildcard-free topic names, bytes left over).
// Left to the engine, because they depend on the connection or on policy: the direction a
// packet travels (e.g. a client's PUBLISH carrying a Subscription Identifier), Topic Alias
// against Topic Alias Maximum, topic filter syntax (answered per filter in SUBACK/UNSUBACK
// with 0x8F, see valid_topic_filter), and an empty 3.1.1 Client Identifier with Clean
// Session 0 (CONNACK 0x02). After an error, `out` holds a partly decoded packet: do not use it.
DecodeStatus decode(const FixedHeader& header, std::span<const std::uint8_t> body,
                    Version version, Packet& out);

// Appends the encoding of `packet` to `out`. Fields the version cannot carry (properties in
// 3.1.1) are omitted. The caller is responsible for the packet obeying the rules.
void encode(const Packet& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Connect& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Connack& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Publish& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Puback& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Pubrec& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Pubrel& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Pubcomp& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Subscribe& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Suback& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Unsubscribe& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Unsuback& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Pingreq& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Pingresp& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Disconnect& packet, Version version, std::vector<std::uint8_t>& out);
void encode(const Auth& packet, Version version, std::vector<std::uint8_t>& out);

// Size in bytes that encode() would append: used to honour a peer's Maximum Packet Size.
std::size_t encoded_size(const Packet& packet, Version version);

}  // namespace attestmq::mqtt

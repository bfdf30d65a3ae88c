#pragma once
// A bounds-checked cursor over a packet body: MQTT 5.0 section 1.5 data representations
// (3.1.1 section 1.5). Every read checks the bytes left before touching them; strings and
// binary data come back as views into the input, never copies.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "mqtt/codec.hpp"

namespace attestmq::mqtt {

class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> input) : input_(input) {}

  std::size_t remaining() const { return input_.size() - position_; }
  bool at_end() const { return position_ == input_.size(); }

  DecodeStatus read_byte(std::uint8_t& value);
  DecodeStatus read_two_byte_integer(std::uint16_t& value);
  DecodeStatus read_four_byte_integer(std::uint32_t& value);
  DecodeStatus read_variable_byte_integer(std::uint32_t& value);
  // A UTF-8 encoded string, validated with valid_utf8 (section 1.5.4).
  DecodeStatus read_utf8_string(std::string_view& value);
  DecodeStatus read_binary_data(Bytes& value);
  // The next `size` bytes as they are.
  DecodeStatus read_bytes(std::size_t size, Bytes& value);
  // Everything left (a PUBLISH payload).
  Bytes read_rest();

 private:
  std::span<const std::uint8_t> input_;
  std::size_t position_ = 0;
};

// Every failure of a WireReader: the data ended early or did not follow its encoding.
inline DecodeStatus malformed(const char* detail) {
  return {ReasonCode::MalformedPacket, detail};
}
inline DecodeStatus protocol_error(const char* detail) {
  return {ReasonCode::ProtocolError, detail};
}

}  // namespace attestmq::mqtt

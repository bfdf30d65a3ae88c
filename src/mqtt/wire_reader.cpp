#include "mqtt/wire_reader.hpp"

#include "mqtt/utf8.hpp"

namespace attestmq::mqtt {

DecodeStatus WireReader::read_byte(std::uint8_t& value) {
  if (remaining() < 1) return malformed("packet ends inside a byte field");
  value = input_[position_++];
  return {};
}

// Section 1.5.2: big-endian.
DecodeStatus WireReader::read_two_byte_integer(std::uint16_t& value) {
  if (remaining() < 2) return malformed("packet ends inside a two byte integer");
  value = static_cast<std::uint16_t>(input_[position_] << 8 | input_[position_ + 1]);
  position_ += 2;
  return {};
}

// Section 1.5.3: big-endian.
DecodeStatus WireReader::read_four_byte_integer(std::uint32_t& value) {
  if (remaining() < 4) return malformed("packet ends inside a four byte integer");
  value = std::uint32_t{input_[position_]} << 24 | std::uint32_t{input_[position_ + 1]} << 16 |
          std::uint32_t{input_[position_ + 2]} << 8 | std::uint32_t{input_[position_ + 3]};
  position_ += 4;
  return {};
}

// Section 1.5.5: seven bits per byte, least significant group first, at most four bytes.
DecodeStatus WireReader::read_variable_byte_integer(std::uint32_t& value) {
  value = 0;
  for (unsigned shift = 0; shift < 28; shift += 7) {
    std::uint8_t byte = 0;
    if (auto status = read_byte(byte); !status.ok()) {
      return malformed("packet ends inside a variable byte integer");
    }
    value |= std::uint32_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80) == 0) {
      // [MQTT-1.5.5-1]: the minimum number of bytes, so no trailing zero group.
      if (byte == 0 && shift > 0) return malformed("variable byte integer not minimally encoded");
      return {};
    }
  }
  return malformed("variable byte integer longer than four bytes");
}

// Section 1.5.4: two byte length, then that many bytes of well-formed UTF-8.
DecodeStatus WireReader::read_utf8_string(std::string_view& value) {
  Bytes bytes;
  if (auto status = read_binary_data(bytes); !status.ok()) return status;
  value = {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  if (!valid_utf8(value)) return malformed("string is not well-formed UTF-8 or holds U+0000");
  return {};
}

// Section 1.5.6: two byte length, then that many bytes.
DecodeStatus WireReader::read_binary_data(Bytes& value) {
  std::uint16_t size = 0;
  if (auto status = read_two_byte_integer(size); !status.ok()) return status;
  return read_bytes(size, value);
}

DecodeStatus WireReader::read_bytes(std::size_t size, Bytes& value) {
  if (remaining() < size) return malformed("length field runs past the end of the packet");
  value = input_.subspan(position_, size);
  position_ += size;
  return {};
}

Bytes WireReader::read_rest() {
  const auto rest = input_.subspan(position_);
  position_ = input_.size();
  return rest;
}

}  // namespace attestmq::mqtt

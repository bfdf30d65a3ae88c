#pragma once
// The encoding side of section 1.5's data representations. A WireWriter either appends to a
// vector or, given none, only counts: the same code computes encoded_size() and writes the
// bytes, so the two cannot disagree. Defined inline: encoding a PUBLISH per subscriber is the
// broker's hot path, and a call per byte would dominate it.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mqtt/properties.hpp"

namespace attestmq::mqtt {

class WireWriter {
 public:
  // Counts only.
  WireWriter() = default;
  explicit WireWriter(std::vector<std::uint8_t>& out) : out_(&out) {}

  std::size_t size() const { return size_; }
  bool counting_only() const { return out_ == nullptr; }

  void byte(std::uint8_t value) {
    ++size_;
    if (out_) out_->push_back(value);
  }

  // Section 1.5.2: big-endian.
  void two_byte_integer(std::uint16_t value) {
    byte(static_cast<std::uint8_t>(value >> 8));
    byte(static_cast<std::uint8_t>(value));
  }

  // Section 1.5.3: big-endian.
  void four_byte_integer(std::uint32_t value) {
    two_byte_integer(static_cast<std::uint16_t>(value >> 16));
    two_byte_integer(static_cast<std::uint16_t>(value));
  }

  // Section 1.5.5: seven bits per byte, least significant group first.
  void variable_byte_integer(std::uint32_t value) {
    do {
      std::uint8_t digit = value & 0x7F;
      value >>= 7;
      if (value > 0) digit |= 0x80;
      byte(digit);
    } while (value > 0);
  }

  // Section 1.5.4.
  void utf8_string(std::string_view value) {
    binary_data({reinterpret_cast<const std::uint8_t*>(value.data()), value.size()});
  }

  // Section 1.5.6. Data longer than 65535 bytes cannot be expressed; the caller owns that
  // rule (codec.hpp: encode() trusts its input), so the data is cut to 65535 bytes together
  // with its length, keeping the output self-consistent.
  void binary_data(Bytes value) {
    const auto size = static_cast<std::uint16_t>(value.size() > 0xFFFF ? 0xFFFF : value.size());
    two_byte_integer(size);
    raw(value.first(size));
  }

  void raw(Bytes value) {
    size_ += value.size();
    if (out_) out_->insert(out_->end(), value.begin(), value.end());
  }

  // Accounts for `count` bytes whose values a counting writer does not need.
  void skip(std::size_t count) { size_ += count; }

 private:
  std::vector<std::uint8_t>* out_ = nullptr;
  std::size_t size_ = 0;
};

// Section 1.5.5: bytes needed for a variable byte integer (1 to 4).
constexpr std::size_t variable_byte_integer_size(std::uint32_t value) {
  if (value < 128) return 1;
  if (value < 16'384) return 2;
  if (value < 2'097'152) return 3;
  return 4;
}

}  // namespace attestmq::mqtt

#pragma once
// Little-endian, bounds-checked cursor over a byte span: every read either fits in the
// remaining bytes or fails and leaves the cursor unusable, so a parser never trusts a length.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace attestmq::attest {

class DcapByteReader {
 public:
  explicit DcapByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::optional<std::span<const std::uint8_t>> take(std::size_t n) {
    if (failed_ || n > bytes_.size() - offset_) {
      failed_ = true;
      return std::nullopt;
    }
    auto out = bytes_.subspan(offset_, n);
    offset_ += n;
    return out;
  }
  std::optional<std::uint16_t> u16() {
    auto b = take(2);
    if (!b) return std::nullopt;
    return static_cast<std::uint16_t>((*b)[0] | ((*b)[1] << 8));
  }
  std::optional<std::uint32_t> u32() {
    auto b = take(4);
    if (!b) return std::nullopt;
    return static_cast<std::uint32_t>((*b)[0]) | (static_cast<std::uint32_t>((*b)[1]) << 8) |
           (static_cast<std::uint32_t>((*b)[2]) << 16) |
           (static_cast<std::uint32_t>((*b)[3]) << 24);
  }
  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return bytes_.size() - offset_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
  bool failed_ = false;
};

}  // namespace attestmq::attest

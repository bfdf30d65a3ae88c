#include "mqtt/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace attestmq::mqtt {
namespace {

// Eight bytes that are all ASCII and none zero: the common case for topics and text
// payloads, checked a word at a time.
bool plain_ascii_word(const std::uint8_t* p) {
  constexpr std::uint64_t kOnes = 0x0101'0101'0101'0101;
  constexpr std::uint64_t kHighBits = 0x8080'8080'8080'8080;
  std::uint64_t word = 0;
  std::memcpy(&word, p, sizeof word);
  const bool non_ascii = (word & kHighBits) != 0;
  const bool has_zero_byte = ((word - kOnes) & ~word & kHighBits) != 0;
  return !non_ascii && !has_zero_byte;
}

}  // namespace

// RFC 3629 section 4 (the UTF8-octets grammar) plus MQTT 5.0 section 1.5.4 / 3.1.1 section
// 1.5.3: the string MUST NOT contain U+0000, and surrogates (which UTF-8 cannot carry) are
// rejected by the grammar's ED 80-9F restriction.
bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
  const auto* const end = p + text.size();
  while (p != end) {
    if (end - p >= 8 && plain_ascii_word(p)) {
      p += 8;
      continue;
    }
    const std::uint8_t lead = *p;
    if (lead < 0x80) {
      if (lead == 0) return false;
      ++p;
      continue;
    }
    // The grammar narrows the second byte's range after some lead bytes: that is what rules
    // out overlong forms (E0, F0), surrogates (ED) and code points above U+10FFFF (F4).
    std::size_t continuation = 0;
    std::uint8_t second_min = 0x80;
    std::uint8_t second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      continuation = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      continuation = 2;
      if (lead == 0xE0) second_min = 0xA0;
      if (lead == 0xED) second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      continuation = 3;
      if (lead == 0xF0) second_min = 0x90;
      if (lead == 0xF4) second_max = 0x8F;
    } else {
      return false;  // C0, C1 (overlong), F5..FF (beyond U+10FFFF) and stray continuations
    }
    if (static_cast<std::size_t>(end - p) <= continuation) return false;
    if (p[1] < second_min || p[1] > second_max) return false;
    for (std::size_t i = 2; i <= continuation; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    p += continuation + 1;
  }
  return true;
}

}  // namespace attestmq::mqtt

#include "mqtt/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace attestmq::mqtt {
namespace {

constexpr std::uint64_t kOnes = 0x0101'0101'0101'0101;
constexpr std::uint64_t kHighBits = 0x8080'8080'8080'8080;

// Whether any of the eight bytes is zero. Exact as a yes/no answer: a borrow can only
// propagate out of a byte that is itself zero (Hacker's Delight, section 6-1).
constexpr bool has_zero_byte(std::uint64_t word) {
  return ((word - kOnes) & ~word & kHighBits) != 0;
}

constexpr bool has_byte(std::uint64_t word, char value) {
  return has_zero_byte(word ^ (kOnes * static_cast<std::uint8_t>(value)));
}

// Eight bytes that are all ASCII, none zero and, when wildcards are rejected, none '+' or
// '#': the common case for topics and text payloads, checked a word at a time.
template <bool kRejectWildcards>
bool plain_ascii_word(const std::uint8_t* p) {
  std::uint64_t word = 0;
  std::memcpy(&word, p, sizeof word);
  bool plain = (word & kHighBits) == 0 && !has_zero_byte(word);
  if constexpr (kRejectWildcards) plain = plain && !has_byte(word, '+') && !has_byte(word, '#');
  return plain;
}

// RFC 3629 section 4 (the UTF8-octets grammar) plus MQTT 5.0 section 1.5.4 / 3.1.1 section
// 1.5.3: the string MUST NOT contain U+0000, and surrogates (which UTF-8 cannot carry) are
// rejected by the grammar's ED 80-9F restriction. One pass serves both public checks, so a
// Topic Name is read once rather than once for wildcards and again for UTF-8.
template <bool kRejectWildcards>
bool scan_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
  const auto* const end = p + text.size();
  while (p != end) {
    if (end - p >= 8 && plain_ascii_word<kRejectWildcards>(p)) {
      p += 8;
      continue;
    }
    const std::uint8_t lead = *p;
    if (lead < 0x80) {
      if (lead == 0) return false;
      if (kRejectWildcards && (lead == '+' || lead == '#')) return false;
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

}  // namespace

bool valid_utf8(std::string_view text) { return scan_utf8<false>(text); }

bool valid_utf8_without_wildcards(std::string_view text) { return scan_utf8<true>(text); }

}  // namespace attestmq::mqtt

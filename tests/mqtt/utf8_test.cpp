// valid_utf8: RFC 3629 well-formedness plus MQTT 5.0 section 1.5.4 (no U+0000).
#include <gtest/gtest.h>

#include <string>

#include "mqtt/utf8.hpp"

namespace attestmq::mqtt {
namespace {

std::string bytes(std::initializer_list<unsigned char> list) {
  return std::string(list.begin(), list.end());
}

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ascii/topic"));
  EXPECT_TRUE(valid_utf8("\xC2\x80"));                // U+0080, smallest two-byte
  EXPECT_TRUE(valid_utf8("\xDF\xBF"));                // U+07FF
  EXPECT_TRUE(valid_utf8("\xE0\xA0\x80"));            // U+0800, smallest three-byte
  EXPECT_TRUE(valid_utf8("\xED\x9F\xBF"));            // U+D7FF, just below the surrogates
  EXPECT_TRUE(valid_utf8("\xEE\x80\x80"));            // U+E000, just above them
  EXPECT_TRUE(valid_utf8("\xEF\xBF\xBF"));            // U+FFFF (a non-character, allowed)
  EXPECT_TRUE(valid_utf8("\xF0\x90\x80\x80"));        // U+10000
  EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));        // U+10FFFF, the last code point
  EXPECT_TRUE(valid_utf8("A\xF0\xAA\x9B\x94"));       // section 1.5.4.1 example "A𪛔"
}

TEST(Utf8, RejectsNullCharacter) {
  EXPECT_FALSE(valid_utf8(bytes({'a', 0x00, 'b'})));
  EXPECT_FALSE(valid_utf8(bytes({0x00})));
}

TEST(Utf8, RejectsOverlongForms) {
  EXPECT_FALSE(valid_utf8(bytes({0xC0, 0x80})));              // U+0000 in two bytes
  EXPECT_FALSE(valid_utf8(bytes({0xC1, 0xBF})));
  EXPECT_FALSE(valid_utf8(bytes({0xE0, 0x9F, 0xBF})));
  EXPECT_FALSE(valid_utf8(bytes({0xF0, 0x8F, 0xBF, 0xBF})));
}

TEST(Utf8, RejectsSurrogates) {
  EXPECT_FALSE(valid_utf8(bytes({0xED, 0xA0, 0x80})));  // U+D800
  EXPECT_FALSE(valid_utf8(bytes({0xED, 0xBF, 0xBF})));  // U+DFFF
}

TEST(Utf8, RejectsCodePointsAboveUnicode) {
  EXPECT_FALSE(valid_utf8(bytes({0xF4, 0x90, 0x80, 0x80})));  // U+110000
  EXPECT_FALSE(valid_utf8(bytes({0xF5, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(valid_utf8(bytes({0xFF})));
}

TEST(Utf8, RejectsBrokenSequences) {
  EXPECT_FALSE(valid_utf8(bytes({0x80})));                    // stray continuation
  EXPECT_FALSE(valid_utf8(bytes({0xC3})));                    // truncated at the end
  EXPECT_FALSE(valid_utf8(bytes({0xE2, 0x82})));
  EXPECT_FALSE(valid_utf8(bytes({0xF0, 0x9F, 0x98})));
  EXPECT_FALSE(valid_utf8(bytes({0xC3, 'a'})));               // continuation missing
  EXPECT_FALSE(valid_utf8(bytes({0xE2, 0x82, 'a'})));
  EXPECT_FALSE(valid_utf8(bytes({0xF0, 0x9F, 0x98, 0xC0})));
}

// Every two-byte sequence: valid exactly when it encodes U+0080..U+07FF.
TEST(Utf8, ExhaustiveTwoByteSequences) {
  for (unsigned lead = 0x80; lead <= 0xFF; ++lead) {
    for (unsigned trail = 0x00; trail <= 0xFF; ++trail) {
      const bool expected = lead >= 0xC2 && lead <= 0xDF && trail >= 0x80 && trail <= 0xBF;
      EXPECT_EQ(valid_utf8(bytes({static_cast<unsigned char>(lead),
                                  static_cast<unsigned char>(trail)})),
                expected)
          << lead << " " << trail;
    }
  }
}

// The word-at-a-time ASCII path must find a bad byte at any offset of a long string.
TEST(Utf8, BadByteAtAnyOffsetOfALongString) {
  for (std::size_t length = 1; length <= 40; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      std::string text(length, 'a');
      EXPECT_TRUE(valid_utf8(text));
      for (const char bad : {'\x00', '\x80', '\xFF'}) {
        text[at] = bad;
        EXPECT_FALSE(valid_utf8(text)) << length << " " << at << " " << int{bad};
      }
      if (at + 2 <= length) {
        text[at] = '\xC3';
        text[at + 1] = '\xA9';
        EXPECT_TRUE(valid_utf8(text)) << length << " " << at;
      }
    }
  }
}

}  // namespace
}  // namespace attestmq::mqtt

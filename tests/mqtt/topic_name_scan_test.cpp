// valid_topic_name checks UTF-8 and wildcards in one pass, eight ASCII bytes at a time: the
// forbidden characters and multibyte sequences must be found at every position relative to
// those 8-byte blocks, and the answer must equal the two separate checks it replaced.
#include <gtest/gtest.h>

#include <string>

#include "mqtt/topic.hpp"
#include "mqtt/utf8.hpp"

namespace attestmq::mqtt {
namespace {

// The definition the one-pass check must keep (section 4.7.1 and section 1.5.4).
bool reference_topic_name(std::string_view topic) {
  return !topic.empty() && topic.find_first_of("+#") == std::string_view::npos &&
         valid_utf8(topic);
}

std::string with_at(std::size_t length, std::size_t position, std::string_view inserted) {
  std::string text(length, 'a');
  text.replace(position, inserted.size(), inserted);
  return text;
}

TEST(TopicNameScan, ForbiddenAsciiAtEveryPositionOfABlock) {
  for (std::size_t length = 1; length <= 25; ++length) {
    for (std::size_t position = 0; position < length; ++position) {
      for (const char bad : {'+', '#', '\0'}) {
        const auto topic = with_at(length, position, std::string_view(&bad, 1));
        EXPECT_FALSE(valid_topic_name(topic)) << int(bad) << " at " << position << "/" << length;
        EXPECT_FALSE(valid_utf8_without_wildcards(topic));
      }
      EXPECT_TRUE(valid_topic_name(with_at(length, position, "/")));
    }
  }
}

// Only the wildcards are forbidden; their neighbours in ASCII (and the mask constants' own
// bytes) are ordinary characters.
TEST(TopicNameScan, NeighboursOfTheForbiddenBytesAreAccepted) {
  for (const char fine : {'*', ',', '"', '$', '\x01', '\x7F', '\x22', '\x24', '\x2A', '\x2C'}) {
    for (std::size_t position = 0; position < 16; ++position) {
      EXPECT_TRUE(valid_topic_name(with_at(16, position, std::string_view(&fine, 1))))
          << int(fine) << " at " << position;
    }
  }
}

TEST(TopicNameScan, MultibyteSequencesCrossingBlocks) {
  const std::string_view sequences[] = {"\xC2\xB0", "\xE2\x82\xAC", "\xF0\x9D\x84\x9E",
                                        "\xED\x9F\xBF", "\xF4\x8F\xBF\xBF"};
  for (const auto sequence : sequences) {
    for (std::size_t position = 0; position + sequence.size() <= 24; ++position) {
      const auto topic = with_at(24, position, sequence);
      EXPECT_TRUE(valid_topic_name(topic)) << position;
      // Cut short at the end of the topic: an incomplete sequence (RFC 3629 section 4).
      const auto truncated = topic.substr(0, position + sequence.size() - 1);
      EXPECT_FALSE(valid_topic_name(truncated)) << position;
      // A wildcard right after the sequence is still seen.
      EXPECT_FALSE(valid_topic_name(with_at(24, position, std::string(sequence) + "+")))
          << position;
    }
  }
}

TEST(TopicNameScan, IllFormedSequencesAtEveryPosition) {
  const std::string_view ill_formed[] = {"\xED\xA0\x80",  // a surrogate
                                         "\xC0\xAF",      // overlong '/'
                                         "\xE0\x80\xAF",  // overlong '/'
                                         "\xF4\x90\x80\x80", "\x80", "\xFF", "\xC2\x2B"};
  for (const auto sequence : ill_formed) {
    for (std::size_t position = 0; position + sequence.size() <= 24; ++position) {
      EXPECT_FALSE(valid_topic_name(with_at(24, position, sequence))) << position;
    }
  }
}

// Every string over a small alphabet that includes the interesting bytes, at lengths that
// straddle one block boundary: the one-pass answer equals the reference's.
TEST(TopicNameScan, AgreesWithTheTwoPassDefinition) {
  const std::string alphabet = {'a', '+', '#', '\0', '\xC3', '\xA9', '\x80'};
  for (std::size_t length = 7; length <= 10; ++length) {
    std::size_t combinations = 1;
    for (std::size_t i = 0; i < length; ++i) combinations *= alphabet.size();
    for (std::size_t n = 0; n < combinations; n += 7919) {  // a prime stride: a broad sample
      std::string topic;
      for (std::size_t rest = n, i = 0; i < length; ++i, rest /= alphabet.size()) {
        topic += alphabet[rest % alphabet.size()];
      }
      ASSERT_EQ(valid_topic_name(topic), reference_topic_name(topic)) << n << "/" << length;
    }
  }
}

}  // namespace
}  // namespace attestmq::mqtt

// The data representations of MQTT 5.0 section 1.5: reading and writing each one.
#include <gtest/gtest.h>

#include "codec_test_support.hpp"
#include "mqtt/wire_reader.hpp"
#include "mqtt/wire_writer.hpp"

namespace attestmq::mqtt::test {
namespace {

TEST(WireTypes, IntegersAreBigEndian) {
  const ByteVector bytes = {0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x7F};
  WireReader reader(bytes);
  std::uint16_t two = 0;
  std::uint32_t four = 0;
  std::uint8_t one = 0;
  ASSERT_TRUE(reader.read_two_byte_integer(two).ok());
  ASSERT_TRUE(reader.read_four_byte_integer(four).ok());
  ASSERT_TRUE(reader.read_byte(one).ok());
  EXPECT_EQ(two, 0x1234);
  EXPECT_EQ(four, 0xDEADBEEF);
  EXPECT_EQ(one, 0x7F);
  EXPECT_TRUE(reader.at_end());
  EXPECT_EQ(reader.read_byte(one).code, ReasonCode::MalformedPacket);
}

TEST(WireTypes, ReadsPastTheEndAreMalformed) {
  const ByteVector three = {0x01, 0x02, 0x03};
  std::uint32_t four = 0;
  WireReader reader(three);
  EXPECT_EQ(reader.read_four_byte_integer(four).code, ReasonCode::MalformedPacket);
  WireReader short_two(std::span<const std::uint8_t>(three).first(1));
  std::uint16_t two = 0;
  EXPECT_EQ(short_two.read_two_byte_integer(two).code, ReasonCode::MalformedPacket);
}

// Section 1.5.5, table 1-1, both directions.
TEST(WireTypes, VariableByteIntegers) {
  const struct {
    std::uint32_t value;
    ByteVector encoded;
  } cases[] = {{0, {0x00}},
               {127, {0x7F}},
               {128, {0x80, 0x01}},
               {16'383, {0xFF, 0x7F}},
               {16'384, {0x80, 0x80, 0x01}},
               {2'097'151, {0xFF, 0xFF, 0x7F}},
               {2'097'152, {0x80, 0x80, 0x80, 0x01}},
               {268'435'455, {0xFF, 0xFF, 0xFF, 0x7F}}};
  for (const auto& c : cases) {
    ByteVector out;
    WireWriter writer(out);
    writer.variable_byte_integer(c.value);
    EXPECT_EQ(out, c.encoded);
    EXPECT_EQ(variable_byte_integer_size(c.value), c.encoded.size());
    WireReader reader(c.encoded);
    std::uint32_t value = 0;
    ASSERT_TRUE(reader.read_variable_byte_integer(value).ok());
    EXPECT_EQ(value, c.value);
    EXPECT_TRUE(reader.at_end());
  }
}

TEST(WireTypes, BadVariableByteIntegers) {
  std::uint32_t value = 0;
  const ByteVector five = {0x80, 0x80, 0x80, 0x80, 0x01};
  EXPECT_EQ(WireReader(five).read_variable_byte_integer(value).code,
            ReasonCode::MalformedPacket);
  const ByteVector unterminated = {0x80, 0x80};
  EXPECT_EQ(WireReader(unterminated).read_variable_byte_integer(value).code,
            ReasonCode::MalformedPacket);
  const ByteVector non_minimal = {0x81, 0x00};
  EXPECT_EQ(WireReader(non_minimal).read_variable_byte_integer(value).code,
            ReasonCode::MalformedPacket);
}

// Section 1.5.4 and its example (figure 1-1).
TEST(WireTypes, Utf8Strings) {
  const ByteVector example = {0x00, 0x05, 0x41, 0xF0, 0xAA, 0x9B, 0x94};
  WireReader reader(example);
  std::string_view text;
  ASSERT_TRUE(reader.read_utf8_string(text).ok());
  EXPECT_EQ(text, "A\xF0\xAA\x9B\x94");
  EXPECT_EQ(reinterpret_cast<const std::uint8_t*>(text.data()), example.data() + 2);  // a view
  ByteVector out;
  WireWriter writer(out);
  writer.utf8_string(text);
  EXPECT_EQ(out, example);

  const ByteVector too_long = {0x00, 0x06, 'a', 'b'};
  EXPECT_EQ(WireReader(too_long).read_utf8_string(text).code, ReasonCode::MalformedPacket);
  const ByteVector nul = {0x00, 0x01, 0x00};
  EXPECT_EQ(WireReader(nul).read_utf8_string(text).code, ReasonCode::MalformedPacket);
}

// Sections 1.5.6 and 1.5.7.
TEST(WireTypes, BinaryDataAndStringPairs) {
  const ByteVector bytes = {0x00, 0x02, 0x00, 0xFF, 0x00, 0x01, 'k', 0x00, 0x01, 'v'};
  WireReader reader(bytes);
  Bytes data;
  ASSERT_TRUE(reader.read_binary_data(data).ok());
  EXPECT_EQ(data.size(), 2u);
  EXPECT_EQ(data[1], 0xFF);
  std::string_view name;
  std::string_view value;
  ASSERT_TRUE(reader.read_utf8_string(name).ok());
  ASSERT_TRUE(reader.read_utf8_string(value).ok());
  EXPECT_EQ(name, "k");
  EXPECT_EQ(value, "v");
  EXPECT_TRUE(reader.at_end());
}

TEST(WireTypes, CountingWriterMatchesAppendingWriter) {
  ByteVector out;
  WireWriter appending(out);
  WireWriter counting;
  for (auto* w : {&appending, &counting}) {
    w->byte(1);
    w->two_byte_integer(2);
    w->four_byte_integer(3);
    w->variable_byte_integer(300);
    w->utf8_string("topic");
    w->binary_data(as_bytes("data"));
  }
  EXPECT_EQ(counting.size(), out.size());
  EXPECT_EQ(appending.size(), out.size());
  EXPECT_EQ(out.size(), 1u + 2 + 4 + 2 + 7 + 6);
}

}  // namespace
}  // namespace attestmq::mqtt::test

// Inputs that fuzz/envelope_fuzz found, kept so the bugs stay fixed.
#include <gtest/gtest.h>

#include <string>

#include "attest/cmw/cmw.hpp"

namespace attestmq::attest {
namespace {

std::string json_record(const std::string& type) {
  return "{\"a\": [\"" + type + "\", \"Yg\"]}";
}

// The JSON parser accepted any string as a record's media type, the CBOR parser only 1 to 255
// printable ASCII characters: a CMW read from JSON could be written as CBOR that its own
// parser refused (envelope_fuzz crash-4b10d0eb649408092e964bfcf05e7178c7b06b33).
TEST(CmwJsonRegression, RecordTypeFollowsTheCborRule) {
  std::string error;
  EXPECT_FALSE(parse_cmw_json(json_record("application/" + std::string(244, 'u')), error));
  EXPECT_NE(error.find("media type"), std::string::npos) << error;
  EXPECT_FALSE(parse_cmw_json(json_record("text/\\u0001plain"), error));
  EXPECT_FALSE(parse_cmw_json(json_record(""), error));
  EXPECT_TRUE(parse_cmw_json(json_record("application/" + std::string(243, 'u')), error)) << error;
}

TEST(CmwJsonRegression, WhatJsonAcceptsRoundTripsThroughCbor) {
  std::string error;
  const auto from_json = parse_cmw_json(json_record("application/" + std::string(243, 'u')), error);
  ASSERT_TRUE(from_json) << error;
  const auto cbor = encode_cmw_cbor(*from_json);
  const auto from_cbor = parse_cmw_cbor(cbor, error);
  ASSERT_TRUE(from_cbor) << error;
  EXPECT_EQ(encode_cmw_cbor(*from_cbor), cbor);
}

}  // namespace
}  // namespace attestmq::attest

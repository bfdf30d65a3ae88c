#include "attest/cmw/cmw.hpp"

#include <gtest/gtest.h>

#include "attest/common/hex.hpp"
#include "provider_test_support.hpp"

namespace attestmq::attest {
namespace {

using testing::attest_data;
using testing::read_bytes;
using testing::read_text;

std::vector<std::uint8_t> bytes_of_hex(std::string_view hex) { return *from_hex(hex); }

// veraison/cmw testdata/collection-cbor-ok.diag: {1: ["application/signed-corim+cbor",
// h'd28443a10126a1', 3], 2: 1668576818(h'2347da55'), "s": [30001, h'2347da55']}
TEST(CmwVectors, CborCollectionParsesFully) {
  std::string error;
  const auto cmw =
      parse_cmw_cbor(read_bytes(attest_data("veraison-cmw/collection-cbor-ok.cbor")), error);
  ASSERT_TRUE(cmw) << error;
  ASSERT_EQ(cmw->form, Cmw::Form::collection);
  EXPECT_FALSE(cmw->collection_type);
  ASSERT_EQ(cmw->items.size(), 3u);
  EXPECT_EQ(cmw->items[0].label.value, (std::variant<std::string, std::int64_t>{std::int64_t{1}}));
  const Cmw& corim = cmw->items[0].cmw;
  EXPECT_EQ(corim.form, Cmw::Form::record);
  EXPECT_EQ(std::get<std::string>(corim.type), "application/signed-corim+cbor");
  EXPECT_EQ(to_hex(corim.value), "d28443a10126a1");
  EXPECT_EQ(corim.indicator, 3u);
  const Cmw& tagged = cmw->items[1].cmw;
  EXPECT_EQ(tagged.form, Cmw::Form::tag);
  EXPECT_EQ(tagged.tag, 1668576818u);
  EXPECT_EQ(to_hex(tagged.value), "2347da55");
  const Cmw* s = cmw->find("s");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(std::get<std::uint64_t>(s->type), 30001u);
  EXPECT_EQ(to_hex(s->value), "2347da55");
  EXPECT_FALSE(s->indicator);
}

TEST(CmwVectors, CborCollectionReencodesToTheSameBytes) {
  // The vector happens to be deterministically encoded, so our writer must reproduce it.
  const auto original = read_bytes(attest_data("veraison-cmw/collection-cbor-ok.cbor"));
  std::string error;
  const auto cmw = parse_cmw_cbor(original, error);
  ASSERT_TRUE(cmw) << error;
  EXPECT_EQ(to_hex(encode_cmw_cbor(*cmw)), to_hex(original));
}

TEST(CmwCbor, RoundTripOfANestedCollection) {
  Cmw inner;
  inner.form = Cmw::Form::collection;
  inner.collection_type = "tag:example.org,2026:inner";
  Cmw leaf;
  leaf.type = std::string("application/eat+cwt");
  leaf.value = {1, 2, 3};
  leaf.indicator = kEvidence;
  inner.items.push_back({CmwLabel{std::int64_t{-3}}, leaf});
  Cmw outer;
  outer.form = Cmw::Form::collection;
  outer.items.push_back({CmwLabel{std::string("inner")}, inner});
  outer.items.push_back({CmwLabel{std::string("leaf")}, leaf});
  std::string error;
  const auto parsed = parse_cmw_cbor(encode_cmw_cbor(outer), error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(encode_cmw_cbor(*parsed), encode_cmw_cbor(outer));
  EXPECT_EQ(parsed->find("inner")->collection_type, "tag:example.org,2026:inner");
  EXPECT_EQ(parsed->find("inner")->items[0].label.value,
            (std::variant<std::string, std::int64_t>{std::int64_t{-3}}));
}

struct Malformed {
  const char* name;
  const char* hex;
  const char* error;
};

class CmwCborMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(CmwCborMalformed, IsRefusedWithAReason) {
  std::string error;
  EXPECT_FALSE(parse_cmw_cbor(bytes_of_hex(GetParam().hex), error));
  EXPECT_NE(error.find(GetParam().error), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CmwCborMalformed,
    ::testing::Values(
        Malformed{"empty", "", "truncated"}, Malformed{"truncated_record", "826161", "truncated"},
        Malformed{"string_beyond_input", "8261615aff000000", "beyond the input"},
        Malformed{"array_count_beyond_input", "9bffffffffffffffff00", "beyond the input"},
        Malformed{"map_count_beyond_input", "ba7fffffff00", "beyond the input"},
        Malformed{"indefinite_array", "9f6161410aff", "indefinite"},
        Malformed{"reserved_info", "1c", "reserved"},
        Malformed{"trailing_bytes", "826161410a00", "trailing"},
        Malformed{"deep_nesting", "818181818181818181818181818181818181818100", "too deep"},
        Malformed{"record_too_long", "846161410a0102", "2 or 3"},
        Malformed{"value_not_bytes", "8261616161", "must be bytes"},
        Malformed{"unknown_indicator", "836161410a1820", "indicator"},
        Malformed{"scalar", "01", "neither"},
        Malformed{"duplicate_label", "a2616182616141006161826161410a", "duplicate"},
        Malformed{"empty_collection", "a0", "no members"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(CmwCbor, OversizeInputIsRefusedBeforeParsing) {
  std::vector<std::uint8_t> big(70 * 1024, 0x00);
  std::string error;
  EXPECT_FALSE(parse_cmw_cbor(big, error));
  EXPECT_NE(error.find("exceed"), std::string::npos) << error;
}

}  // namespace
}  // namespace attestmq::attest

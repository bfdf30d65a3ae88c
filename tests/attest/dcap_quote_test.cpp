// parse_dcap_quote on its own: layouts of v3, v4 and v5 quotes, and where the quote ends.
#include "attest/dcap/quote.hpp"

#include <gtest/gtest.h>

#include "dcap_test_data.hpp"

namespace attestmq::attest {
namespace {

using namespace dcap_test;

// A v5 quote built from dcap-qvl's v4 TDX quote: version 5 and a body descriptor (type, size)
// before the body, `extra_body` bytes appended to the body for TDX 1.5. The attestation key's
// signature no longer matches, but the layout is exactly v5's.
std::vector<std::uint8_t> as_v5(const std::vector<std::uint8_t>& v4, std::uint16_t type,
                                std::uint32_t size, std::size_t extra_body) {
  std::vector<std::uint8_t> out(v4.begin(), v4.begin() + 48);
  put_le16(out, 0, 5);
  out.resize(out.size() + 6);
  put_le16(out, 48, type);
  put_le32(out, 50, size);
  out.insert(out.end(), v4.begin() + 48, v4.begin() + 48 + 584);
  out.insert(out.end(), extra_body, 0x5a);
  out.insert(out.end(), v4.begin() + 48 + 584, v4.end());
  return out;
}

TEST(DcapQuoteParser, SgxV3Layout) {
  auto quote = read_bytes("dcap-qvl/sgx_quote");
  auto parsed = parse_dcap_quote(quote, DcapTee::sgx);
  ASSERT_TRUE(parsed.ok) << parsed.detail;
  const DcapQuote& q = parsed.quote;
  EXPECT_EQ(q.version, 3);
  EXPECT_EQ(q.body_type, DcapBodyType::sgx_enclave);
  EXPECT_EQ(q.signed_data.size(), 48u + 384u);
  EXPECT_EQ(q.qe_auth_data.size(), 32u);  // check_sgx_quote.txt
  EXPECT_EQ(q.pck_chain_pem.size(), 3548u);
  EXPECT_EQ(q.quote_size, 4600u);
  EXPECT_EQ(q.trailing_bytes, 0u);
}

// SGX v4 moves v3's QE report section into certification data type 6; rebuild dcap-qvl's v3
// quote that way (its attestation key signature then covers a different header).
TEST(DcapQuoteParser, SgxV4WrapsTheQeReportInCertificationDataType6) {
  auto v3 = read_bytes("dcap-qvl/sgx_quote");
  const std::size_t section = 48 + 384 + 4 + 64 + 64;  // QE report onwards
  std::vector<std::uint8_t> v4(v3.begin(), v3.begin() + section);
  put_le16(v4, 0, 4);
  put_le32(v4, 432, static_cast<std::uint32_t>(v3.size() - 436 + 6));
  v4.resize(v4.size() + 6);
  put_le16(v4, section, 6);
  put_le32(v4, section + 2, static_cast<std::uint32_t>(v3.size() - section));
  v4.insert(v4.end(), v3.begin() + section, v3.end());
  auto parsed = parse_dcap_quote(v4, DcapTee::sgx);
  ASSERT_TRUE(parsed.ok) << parsed.failed_check << ": " << parsed.detail;
  EXPECT_EQ(parsed.quote.version, 4);
  EXPECT_EQ(parsed.quote.qe_auth_data.size(), 32u);
  EXPECT_EQ(parsed.quote.pck_chain_pem.size(), 3548u);
  EXPECT_EQ(parsed.quote.trailing_bytes, 0u);
  // The same bytes as v3 (no type 6 wrapper) are not a v4 quote.
  put_le16(v3, 0, 4);
  EXPECT_EQ(parse_dcap_quote(v3, DcapTee::sgx).failed_check, "quote.signature_data");
}

TEST(DcapQuoteParser, TdxV4LayoutEndsWhereItsLengthsSay) {
  auto quote = read_bytes("go-tdx-guest/tdx_prod_quote_SPR_E4.dat");
  auto parsed = parse_dcap_quote(quote, DcapTee::tdx);
  ASSERT_TRUE(parsed.ok) << parsed.detail;
  const DcapQuote& q = parsed.quote;
  EXPECT_EQ(q.version, 4);
  EXPECT_EQ(q.body_type, DcapBodyType::tdx_10);
  EXPECT_EQ(q.body.size(), 584u);
  EXPECT_EQ(q.pck_chain_pem.size(), 3677u);  // check_v4.txt
  EXPECT_EQ(q.quote_size, 4935u);
  EXPECT_EQ(q.trailing_bytes, 39u);
}

TEST(DcapQuoteParser, TdxV5BodyDescriptors) {
  auto v4 = read_bytes("dcap-qvl/tdx_quote");
  // The parsed spans point into the quote, so each built quote outlives its parse result.
  const auto v5_tdx10 = as_v5(v4, 2, 584, 0);
  const auto v5_tdx15 = as_v5(v4, 3, 648, 64);
  auto tdx10 = parse_dcap_quote(v5_tdx10, DcapTee::tdx);
  ASSERT_TRUE(tdx10.ok) << tdx10.detail;
  EXPECT_EQ(tdx10.quote.version, 5);
  EXPECT_EQ(tdx10.quote.body_type, DcapBodyType::tdx_10);
  EXPECT_EQ(tdx10.quote.body.size(), 584u);
  // The attestation key signs everything before the signature data: header, descriptor, body.
  EXPECT_EQ(tdx10.quote.signed_data.size(), 48u + 6u + 584u);

  auto tdx15 = parse_dcap_quote(v5_tdx15, DcapTee::tdx);
  ASSERT_TRUE(tdx15.ok) << tdx15.detail;
  EXPECT_EQ(tdx15.quote.body_type, DcapBodyType::tdx_15);
  EXPECT_EQ(tdx15.quote.body.size(), 648u);
  EXPECT_EQ(tdx15.quote.body[600], 0x5a);  // MRSERVICETD comes from the appended bytes
}

TEST(DcapQuoteParser, TdxV5BodyDescriptorMustAgreeWithItsType) {
  auto v4 = read_bytes("dcap-qvl/tdx_quote");
  for (auto [type, size, extra] : {std::tuple{2, 648, 64}, std::tuple{3, 584, 0},
                                   std::tuple{1, 384, 0}, std::tuple{9, 584, 0}}) {
    auto parsed = parse_dcap_quote(as_v5(v4, static_cast<std::uint16_t>(type),
                                         static_cast<std::uint32_t>(size), extra),
                                   DcapTee::tdx);
    EXPECT_FALSE(parsed.ok);
    EXPECT_EQ(parsed.failed_check, "quote.body") << type << " " << size;
  }
}

TEST(DcapQuoteParser, BytesLeftInsideTheSignatureDataAreRejected) {
  auto quote = read_bytes("dcap-qvl/sgx_quote");
  // Grow the signature data length by one and append a byte: the nested lengths no longer
  // account for all of it.
  put_le32(quote, 432, 4164 + 1);
  quote.push_back(0);
  auto parsed = parse_dcap_quote(quote, DcapTee::sgx);
  EXPECT_EQ(parsed.failed_check, "quote.signature_data");
  EXPECT_NE(parsed.detail.find("unaccounted"), std::string::npos) << parsed.detail;
}

TEST(DcapQuoteParser, EveryPrefixIsRejectedWithoutReadingPastIt) {
  // Run under ASan this also shows no read goes past the given span.
  auto quote = read_bytes("dcap-qvl/tdx_quote");
  for (std::size_t n = 0; n < 4936; n += 7) {
    std::vector<std::uint8_t> prefix(quote.begin(), quote.begin() + n);
    EXPECT_FALSE(parse_dcap_quote(prefix, DcapTee::tdx).ok) << n;
  }
  std::vector<std::uint8_t> exact(quote.begin(), quote.begin() + 4936);
  EXPECT_TRUE(parse_dcap_quote(exact, DcapTee::tdx).ok);
}

}  // namespace
}  // namespace attestmq::attest

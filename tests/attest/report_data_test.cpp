#include "attest/envelope/report_data.hpp"

#include <gtest/gtest.h>

#include "attest/common/hex.hpp"

namespace attestmq::attest {
namespace {

Claims fixed_claims() {
  Claims claims;
  claims.evidence_type = EvidenceType::sim;
  claims.module_sha256.fill(0x11);
  claims.binder.assign(32, 0x22);
  claims.nonce.assign(16, 0x33);
  return claims;
}

// The expected bytes were computed independently (Python hashlib) from the layout in
// docs/evidence.md, not with this code.
TEST(ClaimsEncoding, FixedVector) {
  EXPECT_EQ(to_hex(*encode_claims(fixed_claims())), "a4016373696d025820" + std::string(64, '1') +
                                                        "035820" + std::string(64, '2') + "0450" +
                                                        std::string(32, '3'));
}

TEST(ReportData, FixedVector) {
  EXPECT_EQ(to_hex(*compute_report_data(fixed_claims())),
            "18f9bf099f27256bd7547e98f40fc2ec5821339cbc38b89675fc819bb1004582"
            "c6af53b95b5b21c2ea6747a706e0cc090dcbfc789d68900f922d229271773296");
}

TEST(ReportData, EveryClaimChangesIt) {
  const auto base = *compute_report_data(fixed_claims());
  Claims changed = fixed_claims();
  changed.evidence_type = EvidenceType::tdx;
  EXPECT_NE(*compute_report_data(changed), base);
  changed = fixed_claims();
  changed.module_sha256[31] ^= 1;
  EXPECT_NE(*compute_report_data(changed), base);
  changed = fixed_claims();
  changed.binder.pop_back();
  EXPECT_NE(*compute_report_data(changed), base);
  changed = fixed_claims();
  changed.nonce[0] ^= 1;
  EXPECT_NE(*compute_report_data(changed), base);
}

TEST(ReportData, OversizeBinderHasNoReportData) {
  Claims claims = fixed_claims();
  claims.binder.assign(65, 0);
  EXPECT_FALSE(compute_report_data(claims));
}

TEST(ClaimsParsing, RoundTripAndStrictness) {
  const auto encoded = *encode_claims(fixed_claims());
  std::string error;
  EXPECT_EQ(parse_claims(encoded, error), fixed_claims());

  // Same map with the nonce's length in a two-byte head: valid CBOR, not canonical.
  auto long_head = encoded;
  const std::size_t nonce_head = long_head.size() - 17;
  ASSERT_EQ(long_head[nonce_head], 0x50);
  long_head[nonce_head] = 0x58;
  long_head.insert(long_head.begin() + static_cast<std::ptrdiff_t>(nonce_head) + 1, 0x10);
  EXPECT_FALSE(parse_claims(long_head, error));
  EXPECT_NE(error.find("canonical"), std::string::npos) << error;

  auto unknown_key = encoded;
  unknown_key[0] = 0xa5;
  unknown_key.push_back(0x05);
  unknown_key.push_back(0x00);
  EXPECT_FALSE(parse_claims(unknown_key, error));
  EXPECT_NE(error.find("unknown key 5"), std::string::npos) << error;

  std::string missing_nonce_hex = to_hex(encoded).substr(0, to_hex(encoded).size() - 36);
  missing_nonce_hex[1] = '3';  // a4 -> a3: three pairs
  EXPECT_FALSE(parse_claims(*from_hex(missing_nonce_hex), error));
  EXPECT_NE(error.find("missing key 4"), std::string::npos) << error;

  auto bad_type = encoded;
  bad_type[4] = 'x';  // "sim" -> "xim"
  EXPECT_FALSE(parse_claims(bad_type, error));
  EXPECT_NE(error.find("unknown evidence type"), std::string::npos) << error;
}

}  // namespace
}  // namespace attestmq::attest

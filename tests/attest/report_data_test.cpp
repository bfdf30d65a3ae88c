#include "attest/envelope/report_data.hpp"

#include <gtest/gtest.h>

#include <algorithm>

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
  unknown_key.push_back(0x0a);
  unknown_key.push_back(0x00);
  EXPECT_FALSE(parse_claims(unknown_key, error));
  EXPECT_NE(error.find("unknown key 10"), std::string::npos) << error;

  std::string missing_nonce_hex = to_hex(encoded).substr(0, to_hex(encoded).size() - 36);
  missing_nonce_hex[1] = '3';  // a4 -> a3: three pairs
  EXPECT_FALSE(parse_claims(*from_hex(missing_nonce_hex), error));
  EXPECT_NE(error.find("missing key 4"), std::string::npos) << error;

  auto bad_type = encoded;
  bad_type[4] = 'x';  // "sim" -> "xim"
  EXPECT_FALSE(parse_claims(bad_type, error));
  EXPECT_NE(error.find("unknown evidence type"), std::string::npos) << error;
}

// docs/attestation.md section 12.2: session claims with key 5, computed there by an
// independent Python script, and their REPORTDATA.
TEST(SessionClaims, FixedVectorWithCertificateKey) {
  const auto binder = *from_hex("c93bea390d2825a857020f2cfeaf7f43c714cf509efdbb1261c50b7470e55515");
  Claims claims;
  claims.evidence_type = EvidenceType::sim;
  claims.module_sha256.fill(0x11);
  claims.binder = binder;
  claims.nonce = *from_hex("000102030405060708090a0b0c0d0e0f");
  claims.tls_certificate_key_sha256.emplace();
  claims.tls_certificate_key_sha256->fill(0x66);
  const auto encoded = *encode_claims(claims);
  EXPECT_EQ(to_hex(encoded), "a5016373696d025820" + std::string(64, '1') + "035820" +
                                 to_hex(binder) + "0450000102030405060708090a0b0c0d0e0f055820" +
                                 std::string(64, '6'));
  EXPECT_EQ(encoded.size(), 129u);
  EXPECT_EQ(to_hex(*compute_report_data(claims)),
            "88b8abd5793c354d8bce828ad61f08e746d6300c2a7157fc560daed1d4b10932"
            "3a7fbb3069cf47d883617b52edb127f86aa18d545c433783fefe6e48ae0d6411");
  std::string error;
  EXPECT_EQ(parse_claims(encoded, error), claims) << error;
}

TEST(SessionClaims, KeysFiveAndSixRoundTripInOrder) {
  Claims claims = fixed_claims();
  claims.tls_certificate_key_sha256.emplace();
  claims.tls_certificate_key_sha256->fill(0x55);
  claims.psk_identity_sha256.emplace();
  claims.psk_identity_sha256->fill(0x66);
  const auto encoded = *encode_claims(claims);
  std::string error;
  EXPECT_EQ(parse_claims(encoded, error), claims) << error;
  Claims psk_only = fixed_claims();
  psk_only.psk_identity_sha256 = claims.psk_identity_sha256;
  const auto psk_encoded = *encode_claims(psk_only);
  EXPECT_EQ(psk_encoded[0], 0xa5);
  EXPECT_EQ(parse_claims(psk_encoded, error), psk_only) << error;
  EXPECT_NE(psk_encoded, *encode_claims(fixed_claims()));
}

TEST(SessionClaims, TheConfigurationDigestRoundTripsBetweenKeysSixAndEight) {
  Claims claims = fixed_claims();
  claims.configuration_digest.emplace();
  claims.configuration_digest->fill(0x7c);
  claims.session_public_key = std::vector<std::uint8_t>(91, 0x04);
  std::string error;
  const auto encoded = *encode_claims(claims);
  EXPECT_EQ(parse_claims(encoded, error), claims) << error;
  // Key 7's 34 bytes (key, head, digest) sit between key 5's and key 8's.
  const std::vector<std::uint8_t> key7 = {0x07, 0x58, 0x20, 0x7c};
  EXPECT_NE(std::search(encoded.begin(), encoded.end(), key7.begin(), key7.end()), encoded.end());
  EXPECT_NE(encoded, *encode_claims(fixed_claims()));
}

TEST(SessionClaims, RefusesWrongSizeAndOutOfOrder) {
  const auto base = *encode_claims(fixed_claims());
  const auto with = [&](std::initializer_list<std::uint8_t> tail, std::uint8_t pairs) {
    auto bytes = base;
    bytes[0] = pairs;
    bytes.insert(bytes.end(), tail);
    return bytes;
  };
  std::vector<std::uint8_t> digest(32, 0x77);
  std::string error;

  auto empty_key7 = with({0x07, 0x40}, 0xa5);
  EXPECT_FALSE(parse_claims(empty_key7, error));
  EXPECT_EQ(error, "claims: key 7 is not a 32-byte SHA-256");

  auto short_key5 = with({0x05, 0x58, 0x1f}, 0xa5);
  short_key5.insert(short_key5.end(), 31, 0x77);
  EXPECT_FALSE(parse_claims(short_key5, error));
  EXPECT_EQ(error, "claims: key 5 is not a 32-byte SHA-256");

  auto text_key6 = with({0x06, 0x61, 'x'}, 0xa5);
  EXPECT_FALSE(parse_claims(text_key6, error));
  EXPECT_EQ(error, "claims: key 6 must be bytes");

  // 6 before 5: both well-formed, not canonical.
  auto reversed = with({0x06, 0x58, 0x20}, 0xa6);
  reversed.insert(reversed.end(), digest.begin(), digest.end());
  reversed.insert(reversed.end(), {0x05, 0x58, 0x20});
  reversed.insert(reversed.end(), digest.begin(), digest.end());
  EXPECT_FALSE(parse_claims(reversed, error));
  EXPECT_NE(error.find("canonical"), std::string::npos) << error;

  auto duplicate = with({0x05, 0x58, 0x20}, 0xa6);
  duplicate.insert(duplicate.end(), digest.begin(), digest.end());
  duplicate.insert(duplicate.end(), {0x05, 0x58, 0x20});
  duplicate.insert(duplicate.end(), digest.begin(), digest.end());
  EXPECT_FALSE(parse_claims(duplicate, error));
  EXPECT_EQ(error, "claims: duplicate key 5");
}

}  // namespace
}  // namespace attestmq::attest

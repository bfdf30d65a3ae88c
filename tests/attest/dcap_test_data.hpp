#pragma once
// Real DCAP evidence from tests/data/attest (see each directory's SOURCE.txt) and helpers to
// damage it in controlled ways.
#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "attest/common/verification.hpp"
#include "attest/dcap/intel_verify_options.hpp"
#include "attest/dcap/quote.hpp"

namespace attestmq::attest::dcap_test {

inline std::string data_path(const std::string& relative) {
  return std::string(ATTESTMQ_TEST_DATA_DIR) + "/attest/" + relative;
}

inline std::vector<std::uint8_t> read_bytes(const std::string& relative) {
  std::ifstream in(data_path(relative), std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << data_path(relative);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string read_text(const std::string& relative) {
  auto bytes = read_bytes(relative);
  return {bytes.begin(), bytes.end()};
}

// 2025-07-01T00:00:00Z: inside the validity of both dcap-qvl collateral bundles (TCB Info and
// QE identity 2025-06-19 .. 2025-07-19, PCK CRLs likewise, root CRL until 2026-04-03).
inline constexpr std::int64_t kDcapQvlTime = 1751328000;
// 2023-07-01T00:00:00Z: the time go-tdx-guest's SOURCE.txt names for its v4 quote and CRLs.
inline constexpr std::int64_t kGoTdxGuestTime = 1688169600;
// 2040-01-01T00:00:00Z: after the PCK leaf certificates expire (2029..2032).
inline constexpr std::int64_t kYear2040 = 2208988800;

// Offset of a span returned by parse_dcap_quote within the quote it was parsed from.
inline std::size_t offset_of(const std::vector<std::uint8_t>& quote,
                             std::span<const std::uint8_t> part) {
  return static_cast<std::size_t>(part.data() - quote.data());
}

inline DcapQuote parse_or_fail(const std::vector<std::uint8_t>& quote, DcapTee tee) {
  auto parsed = parse_dcap_quote(quote, tee);
  EXPECT_TRUE(parsed.ok) << parsed.failed_check << ": " << parsed.detail;
  return parsed.quote;
}

inline std::vector<std::uint8_t> flip_bit(std::vector<std::uint8_t> bytes, std::size_t offset) {
  bytes.at(offset) ^= 0x01;
  return bytes;
}

inline void put_le32(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes.at(offset + i) = static_cast<std::uint8_t>(v >> (8 * i));
}

inline void put_le16(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint16_t v) {
  bytes.at(offset) = static_cast<std::uint8_t>(v);
  bytes.at(offset + 1) = static_cast<std::uint8_t>(v >> 8);
}

// Rewrites one string field of a collateral bundle; a null edit removes the field.
inline std::string edit_collateral(const std::string& bundle, const std::string& field,
                                   const std::function<void(std::string&)>& edit) {
  auto json = nlohmann::json::parse(bundle);
  if (!edit) {
    json.erase(field);
  } else {
    auto text = json.at(field).get<std::string>();
    edit(text);
    json[field] = text;
  }
  return json.dump();
}

inline void flip_first_hex_digit(std::string& hex) { hex[0] = hex[0] == '0' ? '1' : '0'; }

inline std::string failed_check(const VerificationResult& r) {
  const Check* failure = r.first_failure();
  return failure ? failure->name : std::string("(none)");
}

inline std::string failure_detail(const VerificationResult& r) {
  const Check* failure = r.first_failure();
  return failure ? failure->detail : std::string();
}

inline std::string describe(const VerificationResult& r) {
  std::string out;
  for (const auto& c : r.checks) {
    out += (c.passed ? "[ok] " : "[FAIL] ") + c.name + ": " + c.detail + "\n";
  }
  return out;
}

using QuoteVerifierFn = VerificationResult (*)(std::span<const std::uint8_t>,
                                              const IntelVerifyOptions&);

// One of dcap-qvl's quotes ("sgx_quote", "tdx_quote") with its collateral bundle, verified at
// kDcapQvlTime with the built-in Intel root by `verifier` (verify_sgx_quote or verify_tdx_quote).
struct DcapQvlQuote {
  DcapQvlQuote(const std::string& name, QuoteVerifierFn verifier)
      : quote(read_bytes("dcap-qvl/" + name)),
        collateral(read_text("dcap-qvl/" + name + "_collateral.json")),
        verifier(verifier) {}

  IntelVerifyOptions options(bool with_collateral = true) const {
    IntelVerifyOptions o;
    o.at_unix = kDcapQvlTime;
    if (with_collateral) o.collateral_json = collateral;
    return o;
  }
  // A (possibly damaged) copy of the quote, without collateral.
  VerificationResult verify(const std::vector<std::uint8_t>& q) const {
    return verifier(q, options(false));
  }
  // The unchanged quote under other options.
  VerificationResult verify_with(const IntelVerifyOptions& o) const { return verifier(quote, o); }

  std::vector<std::uint8_t> quote;
  std::string collateral;
  QuoteVerifierFn verifier;
};

}  // namespace attestmq::attest::dcap_test

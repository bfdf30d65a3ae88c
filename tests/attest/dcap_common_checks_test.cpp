// The checks SGX and TDX quotes share (PCK chain, pinned root, collateral signatures and
// validity, length checks), run once per real dcap-qvl quote: each damage fails its own check.
#include <gtest/gtest.h>

#include "attest/dcap/sgx_quote_verifier.hpp"
#include "attest/dcap/tdx_quote_verifier.hpp"
#include "dcap_test_data.hpp"

namespace attestmq::attest {
namespace {

using namespace dcap_test;

struct QuoteKind {
  const char* name;  // dcap-qvl file name
  DcapTee tee;
  QuoteVerifierFn verifier;
};

class DcapCommonChecks : public ::testing::TestWithParam<QuoteKind> {
 protected:
  DcapQvlQuote q{GetParam().name, GetParam().verifier};
};

TEST_P(DcapCommonChecks, GenuineQuoteAndCollateralVerify) {
  auto r = q.verify_with(q.options());
  EXPECT_TRUE(r.valid()) << describe(r);
}

TEST_P(DcapCommonChecks, QuoteOneByteShortIsRejected) {
  // The file may carry trailing bytes; the quote's own lengths say where it ends.
  const DcapQuote parsed = parse_or_fail(q.quote, GetParam().tee);
  const std::vector<std::uint8_t> shortened(q.quote.begin(),
                                            q.quote.begin() + parsed.quote_size - 1);
  EXPECT_EQ(failed_check(q.verify(shortened)), "quote.signature_data");
}

TEST_P(DcapCommonChecks, ExpiredChainAtTheGivenTimeIsRejected) {
  auto o = q.options(false);
  o.at_unix = kYear2040;
  auto r = q.verify_with(o);
  EXPECT_EQ(failed_check(r), "pck.chain");
  EXPECT_NE(failure_detail(r).find("expired"), std::string::npos) << failure_detail(r);
}

TEST_P(DcapCommonChecks, WrongPinnedRootIsRejected) {
  auto o = q.options(false);
  o.root_pem = read_text("intel-dcap-sampledata-testroot/trustedRootCaCert.pem");
  auto r = q.verify_with(o);
  EXPECT_EQ(failed_check(r), "pck.chain");
  EXPECT_NE(failure_detail(r).find("not the pinned root"), std::string::npos) << failure_detail(r);
}

TEST_P(DcapCommonChecks, DamagedSignedCollateralIsRejected) {
  // A flipped signature digit, or nextUpdate moved to 2099 in the signed text: either way
  // the signature no longer covers the text.
  auto extend = [](std::string& text) {
    const std::string key = "\"nextUpdate\":\"";
    text.replace(text.find(key) + key.size(), 4, "2099");
  };
  for (const std::string item : {"tcb_info", "qe_identity"}) {
    auto o = q.options();
    o.collateral_json = edit_collateral(q.collateral, item + "_signature", flip_first_hex_digit);
    EXPECT_EQ(failed_check(q.verify_with(o)), "collateral." + item + ".signature");
    o.collateral_json = edit_collateral(q.collateral, item, extend);
    EXPECT_EQ(failed_check(q.verify_with(o)), "collateral." + item + ".signature");
  }
}

TEST_P(DcapCommonChecks, CollateralOutsideItsValidityIsRejected) {
  auto o = q.options();
  o.at_unix = 1754006400;  // 2025-08-01, after both bundles' nextUpdate 2025-07-19
  EXPECT_EQ(failed_check(q.verify_with(o)), "collateral.tcb_info.validity");
}

TEST_P(DcapCommonChecks, CollateralThatIsNotJsonIsRejected) {
  auto o = q.options();
  o.collateral_json = "{";
  EXPECT_EQ(failed_check(q.verify_with(o)), "collateral.format");
}

INSTANTIATE_TEST_SUITE_P(DcapQvl, DcapCommonChecks,
                         ::testing::Values(QuoteKind{"sgx_quote", DcapTee::sgx, verify_sgx_quote},
                                           QuoteKind{"tdx_quote", DcapTee::tdx, verify_tdx_quote}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace attestmq::attest

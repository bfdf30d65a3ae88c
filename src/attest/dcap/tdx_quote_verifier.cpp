#include "attest/dcap/tdx_quote_verifier.hpp"

#include "attest/common/hex.hpp"
#include "attest/dcap/dcap_verifier.hpp"
#include "attest/dcap/report_body.hpp"

namespace attestmq::attest {

void add_td_claims(std::span<const std::uint8_t> body, VerificationResult& result) {
  if (body.size() < kTdx10BodySize) return;
  auto& claims = result.claims;
  claims["tee_tcb_svn"] = to_hex(tdx_report::tee_tcb_svn.in(body));
  claims["mrseam"] = to_hex(tdx_report::mrseam.in(body));
  claims["mrtd"] = to_hex(tdx_report::mrtd.in(body));
  for (std::size_t i = 0; i < 4; ++i) {
    claims["rtmr" + std::to_string(i)] = to_hex(tdx_report::rtmr[i].in(body));
  }
  claims["mrconfigid"] = to_hex(tdx_report::mrconfigid.in(body));
  claims["mrowner"] = to_hex(tdx_report::mrowner.in(body));
  claims["mrownerconfig"] = to_hex(tdx_report::mrownerconfig.in(body));
  claims["td_attributes"] = to_hex(tdx_report::td_attributes.in(body));
  claims["xfam"] = to_hex(tdx_report::xfam.in(body));
  const bool debug = (tdx_report::td_attributes.in(body)[0] & tdx_report::kDebugBit) != 0;
  claims["debug"] = debug ? "true" : "false";
  claims["report_data"] = to_hex(tdx_report::report_data.in(body));
  if (body.size() >= kTdx15BodySize) {
    claims["tee_tcb_svn2"] = to_hex(tdx_report::tee_tcb_svn2.in(body));
    claims["mrservicetd"] = to_hex(tdx_report::mrservicetd.in(body));
  }
}

VerificationResult verify_tdx_quote(std::span<const std::uint8_t> quote,
                                    const IntelVerifyOptions& options) {
  return verify_dcap_quote(quote, DcapTee::tdx, options, add_td_claims);
}

}  // namespace attestmq::attest

#include "attest/dcap/sgx_quote_verifier.hpp"

#include "attest/common/hex.hpp"
#include "attest/dcap/dcap_verifier.hpp"
#include "attest/dcap/report_body.hpp"

namespace attestmq::attest {

void add_sgx_enclave_claims(std::span<const std::uint8_t> body, VerificationResult& result) {
  if (body.size() < kSgxReportBodySize) return;
  auto& claims = result.claims;
  claims["mrenclave"] = to_hex(sgx_report::mrenclave.in(body));
  claims["mrsigner"] = to_hex(sgx_report::mrsigner.in(body));
  claims["isv_prod_id"] = std::to_string(read_le16(sgx_report::isv_prod_id.in(body)));
  claims["isv_svn"] = std::to_string(read_le16(sgx_report::isv_svn.in(body)));
  claims["attributes"] = to_hex(sgx_report::attributes.in(body));
  claims["miscselect"] = to_hex(sgx_report::miscselect.in(body));
  claims["cpusvn"] = to_hex(sgx_report::cpusvn.in(body));
  const bool debug = (sgx_report::attributes.in(body)[0] & sgx_report::kDebugBit) != 0;
  claims["debug"] = debug ? "true" : "false";
  claims["report_data"] = to_hex(sgx_report::report_data.in(body));
}

VerificationResult verify_sgx_quote(std::span<const std::uint8_t> quote,
                                    const IntelVerifyOptions& options) {
  return verify_dcap_quote(quote, DcapTee::sgx, options, add_sgx_enclave_claims);
}

}  // namespace attestmq::attest

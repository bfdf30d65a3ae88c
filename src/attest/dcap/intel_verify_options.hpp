#pragma once
// Inputs to the Intel DCAP verifiers (SGX and TDX quotes) beyond the quote itself.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attest/common/revocation.hpp"

namespace attestmq::attest {

struct IntelVerifyOptions {
  // PEM of the root to pin; absent = the built-in Intel SGX Root CA (production).
  std::optional<std::string> root_pem;
  // Collateral bundle as JSON (the keys of Intel PCS responses: tcb_info, tcb_info_signature,
  // tcb_info_issuer_chain, qe_identity, qe_identity_signature, qe_identity_issuer_chain,
  // pck_crl, root_ca_crl, ...). Absent = no TCB or QE identity evaluation.
  std::optional<std::string> collateral_json;
  // CRLs (DER, hex DER or PEM) beside the bundle's, for the PCK and TCB signing chains.
  std::vector<std::string> crl_der_or_pem;
  // required: every certificate below the root is checked against a CRL from its issuer,
  // and a missing CRL fails (docs/policy.md, "Revocation").
  RevocationMode revocation = RevocationMode::required;
  // Verification time in seconds since the epoch; 0 = now.
  std::int64_t at_unix = 0;
};

}  // namespace attestmq::attest

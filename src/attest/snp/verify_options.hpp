#pragma once
// What the SEV-SNP verifier needs besides the report itself: the certificates the report
// does not carry, an optional root that replaces the built-in AMD roots, and the time at
// which certificate validity is judged.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attest/common/revocation.hpp"

namespace attestmq::attest {

struct SnpVerifyOptions {
  // PEM text of the AMD Root Key to trust instead of the built-in ARK for the product. If it
  // holds several certificates, the one whose subject CN is "ARK-<product>" is taken.
  std::optional<std::string> ark_pem;
  // Files' bytes, PEM or DER: VCEK, ASK and optionally ARK, in any order; a PEM file may hold
  // several certificates and "X509 CRL" blocks, and a DER file may be a CRL.
  std::vector<std::vector<std::uint8_t>> certs;
  // CRLs, PEM or DER: AMD's KDS CRL for the product, signed by the ARK, lists revoked ASKs.
  std::vector<std::vector<std::uint8_t>> crls;
  // required: the ASK must be checked against a current CRL from the ARK.
  RevocationMode revocation = RevocationMode::required;
  // Seconds since the Unix epoch at which validity is checked; 0 means now.
  std::int64_t at_unix = 0;
};

}  // namespace attestmq::attest

#pragma once
// What a client proved about itself by mutual attestation (docs/attestation.md section 7.7):
// the claims the host's verifier established, kept with the connection and its session so
// that acl_file rules can grant topics only to attested code (`attested measurement HEX`,
// `attested module HEX`).
#include <string>

namespace attestmq::broker {

struct AttestedClaims {
  std::string evidence_type;  // "sgx", "tdx", "snp" or "sim"
  // Lower-case hex: MRENCLAVE (sgx), MRTD (tdx), MEASUREMENT (snp, sim).
  std::string measurement;
  std::string module_sha256;  // lower-case hex: claims key 2, the code the TEE loaded
  bool operator==(const AttestedClaims&) const = default;
};

}  // namespace attestmq::broker

#pragma once
// What the SEV-SNP verifier needs besides the report itself: the certificates the report
// does not carry, an optional root that replaces the built-in AMD roots, and the time at
// which certificate validity is judged.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attestmq::attest {

struct SnpVerifyOptions {
  // PEM text of the AMD Root Key to trust instead of the built-in ARK for the product. If it
  // holds several certificates, the one whose subject CN is "ARK-<product>" is taken.
  std::optional<std::string> ark_pem;
  // Files' bytes, PEM or DER: VCEK, ASK and optionally ARK, in any order; a PEM file may hold
  // several certificates.
  std::vector<std::vector<std::uint8_t>> certs;
  // Seconds since the Unix epoch at which validity is checked; 0 means now.
  std::int64_t at_unix = 0;
};

}  // namespace attestmq::attest

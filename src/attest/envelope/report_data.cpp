#include "attest/envelope/report_data.hpp"

#include <openssl/evp.h>

#include <vector>

namespace attestmq::attest {

std::optional<ReportData> compute_report_data(const Claims& claims) {
  const auto encoded = encode_claims(claims);
  if (!encoded) return std::nullopt;
  unsigned char claims_digest[32];
  if (EVP_Digest(encoded->data(), encoded->size(), claims_digest, nullptr, EVP_sha256(), nullptr) !=
      1) {
    return std::nullopt;
  }
  std::vector<std::uint8_t> input(kReportDataLabel.begin(), kReportDataLabel.end());
  input.push_back(0x00);
  // The length prefix keeps (binder, digest) splits unambiguous if the binder size changes.
  input.push_back(static_cast<std::uint8_t>(claims.binder.size()));
  input.insert(input.end(), claims.binder.begin(), claims.binder.end());
  input.insert(input.end(), std::begin(claims_digest), std::end(claims_digest));
  ReportData out{};
  if (EVP_Digest(input.data(), input.size(), out.data(), nullptr, EVP_sha512(), nullptr) != 1) {
    return std::nullopt;
  }
  return out;
}

}  // namespace attestmq::attest

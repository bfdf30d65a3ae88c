#include "attest/provider/provider.hpp"

#include "attest/envelope/envelope.hpp"

namespace attestmq::attest {

std::optional<std::vector<std::uint8_t>> produce_envelope(Provider& provider, Claims claims,
                                                          std::string& error) {
  claims.evidence_type = provider.type();
  const auto report_data = compute_report_data(claims);
  if (!report_data) {
    error = "claims: binder or nonce longer than 64 bytes";
    return std::nullopt;
  }
  auto outcome = provider.evidence(*report_data);
  if (!outcome.evidence) {
    error = outcome.error;
    return std::nullopt;
  }
  Envelope envelope;
  envelope.evidence = std::move(outcome.evidence->bytes);
  envelope.claims = std::move(claims);
  return encode_envelope(envelope, error);
}

}  // namespace attestmq::attest

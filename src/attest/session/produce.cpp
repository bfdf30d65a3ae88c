// The attester's side of a session, docs/attestation.md section 7.4 steps 4 and 5 (and the
// client's in section 7.7), per-session mode (section 6.1): session claims (section 5.1),
// REPORTDATA over them, one envelope.
#include <fmt/format.h>

#include <algorithm>

#include "attest/session/session_protocol.hpp"

namespace attestmq::attest::session {

namespace {

std::string type_list(std::span<const EvidenceType> types) {
  std::string out;
  for (const auto type : types) {
    if (!out.empty()) out += ',';
    out += to_string(type);
  }
  return out;
}

}  // namespace

std::optional<EvidenceBlock> produce_evidence_block(
    Provider& provider, const Request& request, std::span<const std::uint8_t> binder,
    const TlsIdentity& identity, const std::array<std::uint8_t, 32>& module_sha256,
    std::string& error) {
  const EvidenceType offered = provider.type();
  if (std::find(request.accepted_types.begin(), request.accepted_types.end(), offered) ==
      request.accepted_types.end()) {
    error = fmt::format("no evidence type in common (client accepts {}; broker offers {})",
                        type_list(request.accepted_types), to_string(offered));
    return std::nullopt;
  }
  if (binder.size() != kBinderBytes) {
    error = fmt::format("binder of {} bytes, expected {}", binder.size(), kBinderBytes);
    return std::nullopt;
  }
  // Section 5.1: a handshake authenticates the attester by a certificate or by a PSK.
  if (identity.certificate_key_sha256 && identity.psk_identity_sha256) {
    error = "TLS identity names both a certificate key and a PSK identity";
    return std::nullopt;
  }
  Claims claims;
  claims.evidence_type = offered;
  claims.module_sha256 = module_sha256;
  claims.binder.assign(binder.begin(), binder.end());
  claims.nonce = request.nonce;
  claims.tls_certificate_key_sha256 = identity.certificate_key_sha256;
  claims.psk_identity_sha256 = identity.psk_identity_sha256;
  auto envelope = produce_envelope(provider, std::move(claims), error);
  if (!envelope) return std::nullopt;
  return EvidenceBlock{std::move(*envelope)};
}

std::optional<std::vector<std::uint8_t>> produce_evidence(
    Provider& provider, const Request& request, std::span<const std::uint8_t> binder,
    const TlsIdentity& identity, const std::array<std::uint8_t, 32>& module_sha256,
    std::string& error, const std::optional<Request>& request_for_receiver) {
  auto block = produce_evidence_block(provider, request, binder, identity, module_sha256, error);
  if (!block) return std::nullopt;
  auto message = encode_evidence({std::move(*block), request_for_receiver});
  // Section 3.5: fail rather than truncate.
  if (message.size() > kMaxMessageBytes) {
    error = fmt::format("EVIDENCE of {} bytes exceeds 65,535", message.size());
    return std::nullopt;
  }
  return message;
}

}  // namespace attestmq::attest::session

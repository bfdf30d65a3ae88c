// The attester's side of a session, docs/attestation.md section 7.4 steps 4 and 5 (and the
// client's in section 7.7): session claims (section 5.1), and REPORTDATA over them signed by
// the platform in one envelope (per-session, section 6.1) or by the cached key K next to the
// cached envelope (section 6.2).
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

// Section 6.2: the cached envelope, the session claims and K's signature over their REPORTDATA.
std::optional<EvidenceBlock> cached_block(const CachedEvidence& cached, const Claims& claims,
                                          std::string& error) {
  const auto encoded = encode_claims(claims);
  const auto report_data = compute_report_data(claims);
  const auto signature = report_data ? cached.sign(*report_data) : std::nullopt;
  if (!encoded || !signature) {
    error = "cached mode: the session signature failed";
    return std::nullopt;
  }
  return EvidenceBlock{cached.envelope(), CachedSession{*encoded, *signature}};
}

}  // namespace

std::optional<EvidenceBlock> produce_evidence_block(
    Provider& provider, const Request& request, std::span<const std::uint8_t> binder,
    const TlsIdentity& identity, const Software& software,
    std::string& error, const CachedEvidence* cached) {
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
  claims.module_sha256 = software.module_sha256;
  claims.configuration_digest = software.configuration_digest;
  claims.binder.assign(binder.begin(), binder.end());
  claims.nonce = request.nonce;
  claims.tls_certificate_key_sha256 = identity.certificate_key_sha256;
  claims.psk_identity_sha256 = identity.psk_identity_sha256;
  if (cached != nullptr && (request.flags & kCachedOk) != 0) {
    return cached_block(*cached, claims, error);
  }
  auto envelope = produce_envelope(provider, std::move(claims), error);
  if (!envelope) return std::nullopt;
  return EvidenceBlock{std::move(*envelope), std::nullopt};
}

std::optional<std::vector<std::uint8_t>> produce_evidence(
    Provider& provider, const Request& request, std::span<const std::uint8_t> binder,
    const TlsIdentity& identity, const Software& software,
    std::string& error, const std::optional<Request>& request_for_receiver,
    const CachedEvidence* cached) {
  auto block =
      produce_evidence_block(provider, request, binder, identity, software, error, cached);
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

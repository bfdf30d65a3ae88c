// The verifier's side of a session, docs/attestation.md section 7.5: checks 1 to 11 in order,
// each under its stable name; the first failure decides. Per-session mode only: cached
// evidence (section 6.2) fails `session.mode`.
#include <fmt/format.h>

#include <algorithm>

#include "attest/common/hex.hpp"
#include "attest/envelope/envelope.hpp"
#include "attest/session/session_protocol.hpp"

namespace attestmq::attest::session {

namespace {

// The `session.mode` detail: the parser's error without its check-name prefix.
constexpr std::string_view kCachedModeDetail =
    kCachedEvidenceUnsupported.substr(kCachedEvidenceUnsupported.find(": ") + 2);

// Check 1: the EVIDENCE parses exactly and asks for client evidence only if the client offered
// it. The verifier's own REQUEST is parsed too: its nonce and accepted types are what the
// evidence must answer.
bool check_message(std::span<const std::uint8_t> evidence_message, const Expectation& expectation,
                   Request& request, std::optional<EvidenceMessage>& message,
                   VerificationResult& result) {
  std::string error;
  const auto sent = parse_request(expectation.request, error);
  if (!sent) {
    return result.check("session.message", false,
                        fmt::format("the REQUEST this verifier sent does not parse: {}", error));
  }
  request = *sent;
  message = parse_evidence(evidence_message, error);
  if (!message) {
    // A well-formed cached-mode message is the next check's business.
    return result.check("session.message", error == kCachedEvidenceUnsupported,
                        error == kCachedEvidenceUnsupported ? "EVIDENCE parses (section 3.3)"
                                                            : error);
  }
  if (message->request_for_receiver && (request.flags & kCanAttest) == 0) {
    return result.check("session.message", false,
                        "the broker asks this client to attest (ATTEST_YOURSELF), but the "
                        "client did not set CAN_ATTEST");
  }
  return result.check("session.message", true, "EVIDENCE parses exactly (section 3.3)");
}

bool same_identity(const TlsIdentity& peer, const Claims& claims) {
  return claims.tls_certificate_key_sha256 == peer.certificate_key_sha256 &&
         claims.psk_identity_sha256 == peer.psk_identity_sha256;
}

std::string tls_key_detail(const TlsIdentity& peer, const Claims& claims) {
  if (same_identity(peer, claims)) {
    return peer.certificate_key_sha256 ? "evidence names this handshake's certificate key"
           : peer.psk_identity_sha256  ? "evidence names this handshake's PSK identity"
                                       : "neither the peer nor the evidence names a TLS credential";
  }
  if (!claims.tls_certificate_key_sha256 && !claims.psk_identity_sha256) {
    return "evidence names no TLS key, but the peer authenticated in this handshake";
  }
  return "evidence names another TLS key";
}

// Checks 6 to 10, on the envelope's claims (the session claims, in per-session mode).
bool check_session_claims(const Claims& claims, const Request& request,
                          const Expectation& expectation, VerificationResult& result) {
  const bool accepted = std::find(request.accepted_types.begin(), request.accepted_types.end(),
                                  claims.evidence_type) != request.accepted_types.end();
  if (!result.check("session.evidence_type", accepted,
                    fmt::format("{} evidence, {} by this client (its media type matches: "
                                "the envelope parser refuses a mismatch)",
                                to_string(claims.evidence_type),
                                accepted ? "accepted" : "not accepted"))) {
    return false;
  }
  if (!result.check("session.binder", claims.binder == expectation.binder,
                    claims.binder == expectation.binder ? "binder matches this session"
                                                        : "binder does not match this session")) {
    return false;
  }
  if (!result.check("session.nonce", claims.nonce == request.nonce,
                    claims.nonce == request.nonce ? "nonce is the one this client sent"
                                                  : "nonce is not the one this client sent")) {
    return false;
  }
  if (!result.check("session.tls_key", same_identity(expectation.peer, claims),
                    tls_key_detail(expectation.peer, claims))) {
    return false;
  }
  // Section 5.1: key 7 (reserved) and the cached-mode keys 8 and 9 never reach this point,
  // the claims parser refuses them.
  return result.check("session.claims", true, "no key 7, 8 or 9 in the session claims");
}

}  // namespace

VerificationResult verify_evidence_message(std::span<const std::uint8_t> evidence_message,
                                           const Expectation& expectation) {
  VerificationResult result;
  Request request;
  std::optional<EvidenceMessage> message;
  if (!check_message(evidence_message, expectation, request, message, result)) return result;
  if (!result.check("session.mode", message.has_value(),
                    message ? "per-session evidence (mode 0x01)" : std::string(kCachedModeDetail))) {
    return result;
  }
  // The block must hold an envelope (a CMW collection, so a CBOR map the dispatcher detects
  // as one): raw evidence would carry no claims to bind.
  const auto& envelope_bytes = message->block.envelope;
  std::string error;
  const auto envelope = parse_envelope(envelope_bytes, error);
  if (!envelope) {
    result.check("envelope.format", false, error);
    return result;
  }
  // Checks 3 and 4. `session.binder` and `session.nonce` take over from `envelope.binder`
  // and `envelope.nonce` (section 7.5), so the dispatcher is not asked for them.
  VerifyRequest platform = expectation.verify;
  platform.expected_binder.reset();
  platform.expected_nonce.reset();
  VerificationResult verified = verify_evidence_before_policy(envelope_bytes, platform);
  result.type = verified.type;
  result.checks.insert(result.checks.end(), verified.checks.begin(), verified.checks.end());
  result.claims.merge(verified.claims);
  if (!result.valid()) return result;
  const Claims& claims = envelope->claims;
  if (claims.tls_certificate_key_sha256) {
    result.claims["tls_certificate_key_sha256"] = to_hex(*claims.tls_certificate_key_sha256);
  }
  if (claims.psk_identity_sha256) {
    result.claims["psk_identity_sha256"] = to_hex(*claims.psk_identity_sha256);
  }
  if (!check_session_claims(claims, request, expectation, result)) return result;
  apply_request_policy(expectation.verify, result);
  return result;
}

}  // namespace attestmq::attest::session

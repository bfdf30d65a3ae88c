// The verifier's side of a session, docs/attestation.md section 7.5: checks 1 to 11 in order,
// each under its stable name; the first failure decides. In cached mode (section 6.2) the
// platform evidence is checked over the platform claims and the session claims under K.
#include <fmt/format.h>

#include <algorithm>

#include "attest/common/hex.hpp"
#include "attest/envelope/envelope.hpp"
#include "attest/session/session_protocol.hpp"
#include "attest/session/verify_cached.hpp"

namespace attestmq::attest::session {

namespace {

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
  if (!message) return result.check("session.message", false, error);
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
  // Section 5.1: keys 8 and 9 belong in cached mode's platform claims only.
  const bool session_only = !claims.session_public_key && !claims.issued_at;
  return result.check("session.claims", session_only,
                      session_only ? "no key 8 or 9 in the session claims"
                                   : "the session claims carry a platform claim (key 8 or 9)");
}

// Check 2: mode 0x01, or 0x02 if this verifier set CACHED_OK.
bool check_mode(const EvidenceBlock& block, const Request& request, VerificationResult& result) {
  if (!block.cached) return result.check("session.mode", true, "per-session evidence (mode 0x01)");
  const bool accepted = (request.flags & kCachedOk) != 0;
  return result.check("session.mode", accepted,
                      accepted ? "cached evidence (mode 0x02), which this client accepts"
                               : "cached evidence (mode 0x02), but this client did not set "
                                 "CACHED_OK");
}

}  // namespace

VerificationResult verify_evidence_message(std::span<const std::uint8_t> evidence_message,
                                           const Expectation& expectation) {
  VerificationResult result;
  Request request;
  std::optional<EvidenceMessage> message;
  if (!check_message(evidence_message, expectation, request, message, result)) return result;
  const EvidenceBlock& block = message->block;
  if (!check_mode(block, request, result)) return result;
  // The block must hold an envelope (a CMW collection, so a CBOR map the dispatcher detects
  // as one): raw evidence would carry no claims to bind.
  std::string error;
  const auto envelope = parse_envelope(block.envelope, error);
  if (!envelope) {
    result.check("envelope.format", false, error);
    return result;
  }
  // Checks 3 to 5. `session.binder` and `session.nonce` take over from `envelope.binder`
  // and `envelope.nonce` (section 7.5), so the dispatcher is not asked for them.
  std::optional<Claims> claims;
  if (block.cached) {
    claims = verify_cached(*envelope, block, expectation, result);
  } else if (absorb(result, verify_platform(block.envelope, expectation))) {
    claims = envelope->claims;
  }
  if (!claims) return result;
  result.claims["evidence_mode"] = block.cached ? "cached" : "per-session";
  // In cached mode the envelope's binder and nonce are the platform claims'; the session's
  // are these.
  result.claims["binder"] = to_hex(claims->binder);
  result.claims["nonce"] = to_hex(claims->nonce);
  if (claims->tls_certificate_key_sha256) {
    result.claims["tls_certificate_key_sha256"] = to_hex(*claims->tls_certificate_key_sha256);
  }
  if (claims->psk_identity_sha256) {
    result.claims["psk_identity_sha256"] = to_hex(*claims->psk_identity_sha256);
  }
  if (!check_session_claims(*claims, request, expectation, result)) return result;
  apply_request_policy(expectation.verify, result);
  return result;
}

}  // namespace attestmq::attest::session

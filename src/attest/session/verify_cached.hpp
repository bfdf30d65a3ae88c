#pragma once
// The verifier's platform part and cached mode's checks (docs/attestation.md sections 7.5 and
// 6.2), shared by verify.cpp; not part of the session protocol's interface.
#include <optional>
#include <span>

#include "attest/envelope/envelope.hpp"
#include "attest/session/session_protocol.hpp"

namespace attestmq::attest::session {

// Section 7.5 checks 3 and 4 on an envelope: the platform checks and `envelope.report_data`
// over the envelope's own claims. The session checks take over the binder and nonce.
VerificationResult verify_platform(std::span<const std::uint8_t> envelope,
                                   const Expectation& expectation);

// Appends `part`'s checks and claims to `result`, and takes its evidence type; `part`'s claims
// do not replace those `result` already holds.
bool absorb(VerificationResult& result, const VerificationResult& part);

// Section 6.2 checks 1 to 5 on a cached-mode block whose envelope parsed as `envelope`: the
// platform evidence over the platform claims (or the cache's earlier verdict), then
// `cached.session_key`, `cached.signature`, `cached.claims` and `cached.quote_age`. Returns the
// session claims, or nullopt once a check failed (recorded in `result`).
std::optional<Claims> verify_cached(const Envelope& envelope, const EvidenceBlock& block,
                                    const Expectation& expectation, VerificationResult& result);

}  // namespace attestmq::attest::session

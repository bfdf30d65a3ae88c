#include "client/attestation.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "attest/session/session_protocol.hpp"

namespace attestmq::client {

namespace session = attest::session;

// Shared by the Attestation and the callbacks it hands to the Client.
struct Attestation::State {
  const tls::Session& tls;
  attest::VerifyRequest verify;
  std::vector<std::uint8_t> request;  // the latest REQUEST, as sent
  bool answered = false;              // an EVIDENCE for it arrived (accepted or not)
  bool accepted = false;
  std::optional<attest::VerificationResult> result;
  std::optional<SelfAttestation> self;
  bool cached_ok = true;
};

namespace {

// Section 3.2: the nonce is fresh CSPRNG output, never reused; 32 bytes is within 16..64.
constexpr std::size_t kNonceBytes = 32;

// Section 6.2, client cache: one per process, shared by its connections, so that reconnecting
// to a broker in cached mode costs the session checks and one signature verification.
session::VerifiedEnvelopeCache& verified_envelopes() {
  static session::VerifiedEnvelopeCache cache;
  return cache;
}

// Section 3.2: a REQUEST with `flags`, a fresh nonce and the policy's evidence types.
std::vector<std::uint8_t> fresh_request(const attest::Policy& policy, std::uint8_t flags) {
  session::Request request;
  request.flags = flags;
  request.nonce.resize(kNonceBytes);
  // RAND_bytes fails only when OpenSSL cannot seed itself; a predictable nonce would defeat
  // freshness (section 10.3, replay), so stop rather than send one.
  if (RAND_bytes(request.nonce.data(), static_cast<int>(request.nonce.size())) != 1) std::abort();
  // Section 3.2: distinct codes, most preferred first (the policy's order).
  for (const attest::EvidenceType type : policy.accepted_types) {
    if (std::find(request.accepted_types.begin(), request.accepted_types.end(), type) ==
        request.accepted_types.end()) {
      request.accepted_types.push_back(type);
    }
  }
  return session::encode_request(request);
}

// "session.tls_key: evidence names another TLS key": the first failed check.
std::string first_failure_text(const attest::VerificationResult& result) {
  const attest::Check* failure = result.first_failure();
  return failure != nullptr ? fmt::format("{}: {}", failure->name, failure->detail)
                            : "no check was made";
}

// Section 5.1 keys 5 and 6, as the broker must have claimed them for this handshake.
session::TlsIdentity broker_identity(const tls::Session& tls) {
  return session::tls_identity(tls.peer_certificate_key_sha256(), tls.peer().psk_identity);
}

// Section 7.7: this client's evidence for the broker's REQUEST, bound by the client label to
// this TLS session and naming the credential this client authenticated with, if any.
std::optional<session::EvidenceBlock> attest_self(Attestation::State& state,
                                                  const session::Request& request,
                                                  std::string& error) {
  const auto binder = state.tls.export_keying_material(
      session::kClientBinderLabel, session::encode_request(request), session::kBinderBytes);
  if (!binder) {
    error = "client evidence: the TLS session offers no exporter";
    return std::nullopt;
  }
  const session::TlsIdentity own = session::tls_identity(
      state.tls.local_certificate_key_sha256(), state.tls.peer().psk_identity);
  auto block = session::produce_evidence_block(*state.self->provider, request, *binder, own,
                                               state.self->module_sha256, error);
  if (!block) error = "client evidence: " + error;
  return block;
}

// Section 7.1: attestation needs a TLS 1.3 session established by a full handshake.
bool qualifies(const tls::Session& tls, std::string& error) {
  if (tls.peer().protocol != "TLSv1.3") {
    error = fmt::format("attestation needs TLS 1.3, the server negotiated {}", tls.peer().protocol);
    return false;
  }
  if (tls.resumed()) {
    error = "attestation needs a full TLS handshake, this session was resumed";
    return false;
  }
  return true;
}

// Section 7.5: checks 1 to 11 on one EVIDENCE. Returns the ANSWER, or nullopt with `error`
// naming the first failed check.
std::optional<std::vector<std::uint8_t>> verify(Attestation::State& state,
                                                std::span<const std::uint8_t> evidence,
                                                std::string& error) {
  // Checked again here for an Attestation made before the handshake had completed.
  if (!qualifies(state.tls, error)) return std::nullopt;
  // One EVIDENCE answers one REQUEST: a second in the same exchange is refused.
  if (state.answered) {
    error = "session.message: a second EVIDENCE for the same REQUEST";
    return std::nullopt;
  }
  state.answered = true;
  const auto binder = state.tls.export_keying_material(session::kBrokerBinderLabel, state.request,
                                                       session::kBinderBytes);
  if (!binder) {
    error = "session.binder: the TLS session offers no exporter";
    return std::nullopt;
  }
  session::Expectation expectation;
  expectation.request = state.request;
  expectation.binder = *binder;
  expectation.peer = broker_identity(state.tls);
  expectation.verify = state.verify;
  expectation.cache = &verified_envelopes();
  state.result = session::verify_evidence_message(evidence, expectation);
  if (!state.result->valid()) {
    error = first_failure_text(*state.result);
    return std::nullopt;
  }
  state.accepted = true;
  // Check 1 passed: the message parses, and asks for evidence only if we set CAN_ATTEST.
  const auto message = session::parse_evidence(evidence, error);
  if (!message || !message->request_for_receiver) return session::encode_answer(std::nullopt);
  auto own = attest_self(state, *message->request_for_receiver, error);
  if (!own) return std::nullopt;
  return session::encode_answer(std::move(*own));
}

}  // namespace

std::optional<Attestation> Attestation::over(const Transport& transport,
                                             attest::VerifyRequest verify, std::string& error,
                                             std::optional<SelfAttestation> self) {
  const tls::Session* tls = transport.tls_session();
  if (tls == nullptr) {
    error = "attestation needs TLS: the evidence is bound to a TLS 1.3 session "
            "(docs/attestation.md section 7.1); give --cafile or --psk";
    return std::nullopt;
  }
  if (!qualifies(*tls, error)) return std::nullopt;
  Attestation attestation = before_handshake(*tls, std::move(verify));
  attestation.state_->self = std::move(self);
  return attestation;
}

Attestation Attestation::before_handshake(const tls::Session& tls, attest::VerifyRequest verify) {
  return Attestation(
      std::shared_ptr<State>(new State{tls, std::move(verify), {}, false, false, {}, {}}));
}

std::vector<std::uint8_t> Attestation::next_request() {
  // Section 6.2: cached evidence verifies as strictly as per-session evidence, and is cheaper
  // for the broker to produce. Section 7.7: CAN_ATTEST with a TEE of its own.
  state_->request = fresh_request(
      state_->verify.policy,
      static_cast<std::uint8_t>((state_->cached_ok ? session::kCachedOk : 0) |
                                (state_->self ? session::kCanAttest : 0)));
  state_->answered = false;
  state_->accepted = false;
  return state_->request;
}

void Attestation::require_per_session() { state_->cached_ok = false; }

EnhancedAuthentication Attestation::authentication() {
  EnhancedAuthentication authentication;
  authentication.method = std::string(session::kAuthenticationMethod);
  authentication.data = next_request();
  authentication.respond = [state = state_](std::span<const std::uint8_t> evidence,
                                            std::string& error) {
    return verify(*state, evidence, error);
  };
  authentication.complete = [state = state_] { return state->accepted; };
  // Section 9.2: an EVIDENCE that does not parse (check 1) is answered with 0x81, any other
  // failed check with 0x83.
  authentication.refusal_reason = [state = state_] {
    const attest::Check* failure = state->result ? state->result->first_failure() : nullptr;
    return failure != nullptr && failure->name == "session.message"
               ? mqtt::ReasonCode::MalformedPacket
               : mqtt::ReasonCode::ImplementationSpecificError;
  };
  return authentication;
}

const std::optional<attest::VerificationResult>& Attestation::result() const {
  return state_->result;
}

bool Attestation::verified() const { return state_->accepted; }

struct HandshakeAttestation::State {
  attest::VerifyRequest verify;
  std::uint16_t codepoint;
  std::optional<attest::VerificationResult> result;
  std::string refusal;
};

namespace {

// Section 8.6: the checks of 7.5 on the EncryptedExtensions EVIDENCE, with the binder of 4.2;
// the alerts of section 9.3.
std::optional<tls::HandshakeRefusal> judge_in_handshake(
    HandshakeAttestation::State& state, const tls::HandshakeBinding& binding,
    std::optional<std::span<const std::uint8_t>> answer) {
  if (!answer) {
    state.refusal = "session.message: the broker did not answer the attestation extension "
                    "(not offered there, or stripped on the way)";
    return tls::HandshakeRefusal{tls::Alert::missing_extension, state.refusal};
  }
  session::Expectation expectation;
  expectation.request.assign(binding.request.begin(), binding.request.end());
  expectation.binder.assign(binding.binder.begin(), binding.binder.end());
  expectation.peer = session::tls_identity(binding.certificate_key_sha256, binding.psk_identity);
  expectation.verify = state.verify;
  state.result = session::verify_evidence_message(*answer, expectation);
  if (state.result->valid()) return std::nullopt;
  state.refusal = first_failure_text(*state.result);
  const attest::Check* failure = state.result->first_failure();
  const bool policy = failure != nullptr && failure->name.starts_with("policy.");
  return tls::HandshakeRefusal{policy ? tls::Alert::access_denied : tls::Alert::bad_certificate,
                               state.refusal};
}

}  // namespace

HandshakeAttestation::HandshakeAttestation(attest::VerifyRequest verify, std::uint16_t codepoint)
    : state_(std::make_shared<State>(State{std::move(verify), codepoint, {}, {}})) {}

tls::ClientHandshakeAttestation HandshakeAttestation::tls_side() const {
  tls::ClientHandshakeAttestation side;
  side.codepoint = state_->codepoint;
  side.binder_label = std::string(session::kHandshakeBinderLabel);
  // Section 8.2: CAN_ATTEST 0 (no mutual attestation in the handshake); per-session evidence.
  side.next_request = [state = state_] { return fresh_request(state->verify.policy, 0); };
  side.judge = [state = state_](const tls::HandshakeBinding& binding,
                                std::optional<std::span<const std::uint8_t>> answer) {
    return judge_in_handshake(*state, binding, answer);
  };
  return side;
}

const std::optional<attest::VerificationResult>& HandshakeAttestation::result() const {
  return state_->result;
}

bool HandshakeAttestation::verified() const {
  return state_->result && state_->result->valid() && state_->refusal.empty();
}

const std::string& HandshakeAttestation::refusal() const { return state_->refusal; }

Status connect_attested(Client& client, attest::VerifyRequest verify, ConnectOptions options,
                        std::optional<Attestation>& attestation,
                        std::optional<SelfAttestation> self) {
  std::string error;
  attestation = Attestation::over(client.transport(), std::move(verify), error, std::move(self));
  if (!attestation) {
    client.abort();
    return Status::failure(ErrorKind::invalid_request, "Cannot attest the broker: " + error + ".");
  }
  options.authentication = attestation->authentication();
  return client.connect(options);
}

std::string rejection_reason(const std::optional<Attestation>& attestation, const Status& failure) {
  const attest::Check* check = attestation && attestation->result()
                                   ? attestation->result()->first_failure()
                                   : nullptr;
  return check != nullptr ? check->name + ": " + check->detail : failure.message;
}

}  // namespace attestmq::client

#include "attested/attested_sessions.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "attest/session/session_protocol.hpp"

namespace attestmq::attested {
namespace {

using broker::AuthenticationOutcome;
using mqtt::ReasonCode;
namespace session = attest::session;

// Section 3.2: a fresh nonce of 16..64 bytes from a CSPRNG, as the client's.
constexpr std::size_t kNonceBytes = 32;
// Section 3.2: at most 4 accepted types.
constexpr std::size_t kMaxAcceptedTypes = 4;

AuthenticationOutcome refusal(ReasonCode code, std::string why) {
  return {AuthenticationOutcome::Kind::failure, {}, code, "attestation: " + std::move(why), {}, {}};
}

// Section 7.4 step 3: a certificate or PSK this handshake verified, or a checked password.
bool client_authenticated(const tls::Session& tls, const broker::AuthenticationStep& step) {
  return step.password_authenticated || tls.peer_certificate_key_sha256().has_value() ||
         !tls.peer().psk_identity.empty();
}

// Section 7.7: the broker's REQUEST for the client's evidence, with the types the client
// policy accepts (CAN_ATTEST 0; no CACHED_OK: cached evidence is not verified yet).
std::optional<session::Request> client_request(const attest::Policy& policy) {
  session::Request request;
  request.nonce.resize(kNonceBytes);
  if (RAND_bytes(request.nonce.data(), static_cast<int>(request.nonce.size())) != 1)
    return std::nullopt;
  for (const attest::EvidenceType type : policy.accepted_types) {
    if (request.accepted_types.size() < kMaxAcceptedTypes &&
        std::find(request.accepted_types.begin(), request.accepted_types.end(), type) ==
            request.accepted_types.end()) {
      request.accepted_types.push_back(type);
    }
  }
  return request;
}

// What the client proved, as acl_file rules name it: the type's own measurement register.
broker::AttestedClaims attested_claims(const attest::VerificationResult& result) {
  const auto claim = [&](const char* name) {
    const auto it = result.claims.find(name);
    return it == result.claims.end() ? std::string() : it->second;
  };
  const char* measurement = result.type == attest::EvidenceType::sgx   ? "mrenclave"
                            : result.type == attest::EvidenceType::tdx ? "mrtd"
                                                                       : "measurement";
  return {std::string(attest::to_string(result.type)), claim(measurement), claim("module_sha256")};
}

std::uint64_t wall_clock_seconds() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

AttestedSessions::AttestedSessions(std::unique_ptr<attest::Provider> provider,
                                   attest::Software software,
                                   std::vector<AttestationListener> listeners)
    : provider_(std::move(provider)),
      software_(std::move(software)),
      listeners_(std::move(listeners)) {}

std::unique_ptr<AttestedSessions> AttestedSessions::create(
    std::unique_ptr<attest::Provider> provider, attest::Software software,
    std::vector<AttestationListener> listeners, std::string& error) {
  std::unique_ptr<AttestedSessions> sessions(
      new AttestedSessions(std::move(provider), std::move(software), std::move(listeners)));
  for (std::uint32_t listener = 0; listener < sessions->listeners_.size(); ++listener) {
    const auto& period = sessions->listeners_[listener].quote_period;
    if (!period) continue;
    auto cached = std::make_unique<CachedListener>();
    cached->listener = listener;
    cached->period = *period;
    if (!sessions->refresh(*cached, std::chrono::steady_clock::now(), error)) {
      error = fmt::format("attestation_mode cached (listener {}): {}", listener, error);
      return nullptr;
    }
    sessions->cached_.push_back(std::move(cached));
  }
  return sessions;
}

bool AttestedSessions::refresh(CachedListener& cached, std::chrono::steady_clock::time_point now,
                               std::string& error) {
  cached.next_refresh = now + cached.period;
  return cached.quote.refresh(*provider_, software_, wall_clock_seconds(), error);
}

// Section 6.2: a refresh that fails keeps the previous pair, is logged at error level and is
// tried again a period later; clients refuse the pair once it is older than they allow.
std::optional<std::chrono::steady_clock::time_point> AttestedSessions::refresh_due(
    std::chrono::steady_clock::time_point now, const Log& log) {
  std::optional<std::chrono::steady_clock::time_point> next;
  for (const auto& cached : cached_) {
    if (cached->next_refresh <= now) {
      std::string error;
      if (refresh(*cached, now, error)) {
        log(broker::LogLevel::info,
            fmt::format("Refreshed the cached attestation quote of listener {}.", cached->listener));
      } else {
        const auto previous = cached->quote.current();
        log(broker::LogLevel::error,
            fmt::format("Refreshing the cached attestation quote of listener {} failed, keeping "
                        "the one issued at {} (seconds since 1970): {}",
                        cached->listener, previous ? previous->issued_at() : 0, error));
      }
    }
    if (!next || cached->next_refresh < *next) next = cached->next_refresh;
  }
  return next;
}

const AttestationListener& AttestedSessions::listener(std::uint32_t index) const {
  static const AttestationListener kNothingMore;
  return index < listeners_.size() ? listeners_[index] : kNothingMore;
}

AuthenticationOutcome AttestedSessions::step(const tls::Session* tls,
                                             const broker::AuthenticationStep& step) {
  if (step.starts_exchange) return evidence_for(tls, step);
  return answered(tls, step);
}

// Section 7.4 step 8: the client's ANSWER, with its evidence when this broker asked for it
// (the exchange's context is then the REQUEST it sent).
AuthenticationOutcome AttestedSessions::answered(const tls::Session* tls,
                                                 const broker::AuthenticationStep& step) {
  std::string error;
  const auto answer = session::parse_answer(step.data, error);
  if (!answer) return refusal(ReasonCode::MalformedPacket, "ANSWER: " + error);
  const auto& client_policy = listener(step.listener).client_policy;
  if (!client_policy || step.context.empty()) {
    if (*answer)
      return refusal(ReasonCode::MalformedPacket, "ANSWER carries evidence nobody asked for");
    return {AuthenticationOutcome::Kind::success, {}, ReasonCode::Success, {}, {}, {}};
  }
  // Section 9.1: a client that sends no evidence where it is required is not authorized.
  if (!*answer)
    return refusal(ReasonCode::NotAuthorized, "this listener requires client attestation");
  if (tls == nullptr) return refusal(ReasonCode::ProtocolError, "ANSWER outside a TLS session");
  // Section 7.7: section 7.5 with the roles swapped: the client label, this broker's REQUEST,
  // the client's certificate or PSK identity (or neither), the listener's client policy.
  const auto binder =
      tls->export_keying_material(session::kClientBinderLabel, step.context, session::kBinderBytes);
  if (!binder)
    return refusal(ReasonCode::ImplementationSpecificError, "the TLS session has no exporter");
  session::Expectation expectation;
  expectation.request = step.context;
  expectation.binder = *binder;
  expectation.peer =
      session::tls_identity(tls->peer_certificate_key_sha256(), tls->peer().psk_identity);
  expectation.verify = *client_policy;
  const auto result = session::verify_evidence_message(
      session::encode_evidence({**answer, std::nullopt}), expectation);
  if (!result.valid()) {
    const attest::Check* failure = result.first_failure();
    const std::string why = failure != nullptr ? failure->name + ": " + failure->detail
                                               : std::string("no check was made");
    return refusal(ReasonCode::NotAuthorized, "client evidence: " + why);
  }
  return {AuthenticationOutcome::Kind::success, {}, ReasonCode::Success, {}, {},
          attested_claims(result)};
}

AuthenticationOutcome AttestedSessions::evidence_for(const tls::Session* tls,
                                                     const broker::AuthenticationStep& step) {
  // Section 7.1: only a full TLS 1.3 handshake has a secret of its own to bind to.
  if (tls == nullptr || tls->peer().protocol != "TLSv1.3" || tls->resumed()) {
    return refusal(ReasonCode::BadAuthenticationMethod,
                   std::string(session::kAuthenticationMethod) + " needs a full TLS 1.3 handshake");
  }
  std::string error;
  const auto request = session::parse_request(step.data, error);
  if (!request) return refusal(ReasonCode::MalformedPacket, "REQUEST: " + error);
  // Section 7.4 step 3: nothing about the TEE goes to a client this listener does not know,
  // or to one that cannot attest where attesting is required.
  const AttestationListener& rules = listener(step.listener);
  if (rules.require_client_auth && !client_authenticated(*tls, step))
    return refusal(ReasonCode::NotAuthorized, "evidence is released to authenticated clients only");
  if (rules.client_policy && (request->flags & session::kCanAttest) == 0)
    return refusal(ReasonCode::NotAuthorized, "this listener requires client attestation");
  std::optional<session::Request> for_client;
  if (rules.client_policy) {
    for_client = client_request(rules.client_policy->policy);
    if (!for_client)
      return refusal(ReasonCode::ImplementationSpecificError, "no random bytes for a nonce");
  }
  // Section 4.1: the binder is the exporter over this handshake, with the REQUEST as context.
  const auto binder = tls->export_keying_material(session::kBrokerBinderLabel, step.data,
                                                  session::kBinderBytes);
  if (!binder) return refusal(ReasonCode::ImplementationSpecificError, "the TLS session has no exporter");
  const session::TlsIdentity identity =
      session::tls_identity(tls->local_certificate_key_sha256(), tls->peer().psk_identity);
  // Section 7.4 step 4: cached evidence to a client that set CACHED_OK, per-session to others.
  const auto cached = std::find_if(cached_.begin(), cached_.end(), [&step](const auto& entry) {
    return entry->listener == step.listener;
  });
  const auto pair = cached != cached_.end() ? (*cached)->quote.current() : nullptr;
  auto evidence = session::produce_evidence(*provider_, *request, *binder, identity, software_,
                                            error, for_client, pair.get());
  if (!evidence) {
    // Section 9.1: no type in common is the method failing; anything else is the provider's.
    const bool no_common_type = error.starts_with("no evidence type in common");
    return refusal(no_common_type ? ReasonCode::BadAuthenticationMethod
                                  : ReasonCode::ImplementationSpecificError,
                   (no_common_type ? "" : "evidence unavailable: ") + error);
  }
  // The REQUEST the client's evidence must answer comes back with its ANSWER.
  std::vector<std::uint8_t> context = for_client ? session::encode_request(*for_client)
                                                 : std::vector<std::uint8_t>{};
  return {AuthenticationOutcome::Kind::continue_with, std::move(*evidence), ReasonCode::Success, {},
          std::move(context), {}};
}

std::variant<std::vector<std::uint8_t>, tls::HandshakeRefusal> AttestedSessions::handshake_evidence(
    const tls::HandshakeBinding& binding) {
  using tls::Alert;
  std::string error;
  const auto request = session::parse_request(binding.request, error);
  if (!request) {
    // Section 9.3: a length that does not add up is decode_error, a wrong value illegal_parameter.
    const bool length = error.find(" remain") != std::string::npos ||
                        error.find("trailing bytes") != std::string::npos;
    return tls::HandshakeRefusal{length ? Alert::decode_error : Alert::illegal_parameter,
                                 "REQUEST: " + error};
  }
  // Section 3.2: there is no mutual attestation in transport A.
  if ((request->flags & session::kCanAttest) != 0) {
    return tls::HandshakeRefusal{Alert::illegal_parameter, "REQUEST: CAN_ATTEST in transport A"};
  }
  const session::TlsIdentity identity =
      session::tls_identity(binding.certificate_key_sha256, binding.psk_identity);
  auto evidence = session::produce_evidence(*provider_, *request, binding.binder, identity,
                                            software_, error);
  if (!evidence) {
    if (error.starts_with("no evidence type in common")) {
      return tls::HandshakeRefusal{Alert::handshake_failure, error};
    }
    return tls::HandshakeRefusal{Alert::internal_error, "evidence unavailable: " + error};
  }
  return std::move(*evidence);
}

AuthenticationOutcome answer_step(AttestedSessions* sessions, const tls::Session* tls,
                                  const broker::AuthenticationStep& step) {
  if (sessions != nullptr) return sessions->step(tls, step);
  return {AuthenticationOutcome::Kind::failure, {}, ReasonCode::BadAuthenticationMethod,
          "no attestation provider", {}, {}};
}

}  // namespace attestmq::attested

#include "server/attested_sessions.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <vector>

#include "attest/session/session_protocol.hpp"

namespace attestmq::server {
namespace {

using broker::AuthenticationOutcome;
using mqtt::ReasonCode;
namespace session = attest::session;

AuthenticationOutcome refusal(ReasonCode code, std::string why) {
  return {AuthenticationOutcome::Kind::failure, {}, code, "attestation: " + std::move(why)};
}

}  // namespace

AttestedSessions::AttestedSessions(std::unique_ptr<attest::Provider> provider,
                                   std::array<std::uint8_t, 32> module_sha256)
    : provider_(std::move(provider)), module_sha256_(module_sha256) {}

AuthenticationOutcome AttestedSessions::step(const tls::Session* tls,
                                             const broker::AuthenticationStep& step) {
  if (step.starts_exchange) return evidence_for(tls, step);
  // Section 7.4 step 8: the client's ANSWER. This broker does not ask clients to attest, so the
  // only well-formed answer is the empty one.
  std::string error;
  const auto answer = session::parse_answer(step.data, error);
  if (!answer) return refusal(ReasonCode::MalformedPacket, "ANSWER: " + error);
  if (*answer) return refusal(ReasonCode::MalformedPacket, "ANSWER carries evidence nobody asked for");
  return {AuthenticationOutcome::Kind::success, {}, ReasonCode::Success, {}};
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
  // Section 4.1: the binder is the exporter over this handshake, with the REQUEST as context.
  const auto binder = tls->export_keying_material(session::kBrokerBinderLabel, step.data,
                                                  session::kBinderBytes);
  if (!binder) return refusal(ReasonCode::ImplementationSpecificError, "the TLS session has no exporter");
  const session::TlsIdentity identity =
      session::tls_identity(tls->local_certificate_key_sha256(), tls->peer().psk_identity);
  auto evidence = session::produce_evidence(*provider_, *request, *binder, identity, module_sha256_, error);
  if (!evidence) {
    // Section 9.1: no type in common is the method failing; anything else is the provider's.
    const bool no_common_type = error.starts_with("no evidence type in common");
    return refusal(no_common_type ? ReasonCode::BadAuthenticationMethod
                                  : ReasonCode::ImplementationSpecificError,
                   (no_common_type ? "" : "evidence unavailable: ") + error);
  }
  return {AuthenticationOutcome::Kind::continue_with, std::move(*evidence), ReasonCode::Success, {}};
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
                                            module_sha256_, error);
  if (!evidence) {
    if (error.starts_with("no evidence type in common")) {
      return tls::HandshakeRefusal{Alert::handshake_failure, error};
    }
    return tls::HandshakeRefusal{Alert::internal_error, "evidence unavailable: " + error};
  }
  return std::move(*evidence);
}

std::optional<std::array<std::uint8_t, 32>> own_executable_sha256(std::string& error) {
  std::ifstream file("/proc/self/exe", std::ios::binary);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!file || !context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    error = "cannot read /proc/self/exe to measure the broker";
    return std::nullopt;
  }
  std::vector<char> chunk(1 << 20);  // streamed: a sanitized build is over 100 MB
  while (file.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || file.gcount() > 0) {
    EVP_DigestUpdate(context.get(), chunk.data(), static_cast<std::size_t>(file.gcount()));
  }
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest.data(), &length);
  return digest;
}

}  // namespace attestmq::server

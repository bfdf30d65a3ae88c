#pragma once
// A broker's side of docs/attestation.md section 7.4 for client tests: it answers CONNECT and
// AUTH 0x19 with EVIDENCE that the session library produces with the sim provider (SIMULATED,
// NO SECURITY), bound to its side of the TLS session, and can be made to cheat in the ways
// section 10.3 lists. Serve it with ScriptedServer(broker.responder(), server_context).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <ctime>

#include "../attest/provider_test_support.hpp"
#include "attest/session/session_protocol.hpp"
#include "attest/sim/sim_provider.hpp"
#include "scripted_server.hpp"

namespace attestmq::client::testing {

namespace session = attest::session;
using Bytes = std::vector<std::uint8_t>;

inline std::array<std::uint8_t, 32> sha256(std::string_view text) {
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return digest;
}

// The attester's side of section 7.4 with the session library, and the ways to cheat.
class FakeBroker {
 public:
  FakeBroker() {
    std::array<std::uint8_t, 32> measurement{};
    measurement.fill(0x5a);
    std::string error;
    provider_ = attest::SimProvider::open(dir_.path() / "sim-platform.pem", measurement, error);
    EXPECT_TRUE(provider_) << error;
    module.fill(0x11);
  }

  std::string root_pem() const { return provider_->public_key_pem(); }

  // Section 6.2: from now on, cached evidence to requests that set CACHED_OK.
  void use_cached_mode() {
    std::string error;
    cached_ = session::CachedEvidence::make(*provider_, module,
                                            static_cast<std::uint64_t>(std::time(nullptr)), error);
    EXPECT_TRUE(cached_) << error;
  }

  ScriptedServer::Responder responder() {
    return [this](std::size_t, const Bytes& bytes, const tls::Session* tls) {
      return answer(bytes, *tls);
    };
  }

  std::array<std::uint8_t, 32> module{};
  std::string_view label = session::kBrokerBinderLabel;  // the client's: reflection
  bool other_key = false;        // key substitution: evidence names another TLS key
  bool skip_evidence = false;    // stripping: CONNACK at once
  bool reuse_first_evidence = false;  // replay within the connection
  bool corrupt_message_type = false;  // an EVIDENCE that does not parse
  // Mutual attestation (section 7.7): the REQUEST appended with ATTEST_YOURSELF, and the
  // client binder this broker's side of the session expects for it.
  std::optional<session::Request> ask_client;
  Bytes expected_client_binder;
  std::atomic<int> evidence_sent{0};
  Bytes request_received;  // the client's REQUEST in CONNECT

 private:
  Bytes answer(const Bytes& bytes, const tls::Session& tls) {
    const mqtt::Packet packet = decode_one(bytes, mqtt::Version::v5);
    if (const auto* connect = std::get_if<mqtt::Connect>(&packet)) {
      connected_ = false;  // a new connection (a reconnect, for cached mode's test)
      if (skip_evidence) return encode_all(mqtt::Version::v5, {connack()});
      const auto request = connect->properties.authentication_data.value_or(mqtt::Bytes());
      request_received.assign(request.begin(), request.end());
      return evidence(request, tls);
    }
    // SUBSCRIBE is granted QoS 0 for each filter, so attestmq sub can run against it.
    if (const auto* subscribe = std::get_if<mqtt::Subscribe>(&packet)) {
      mqtt::Suback granted;
      granted.packet_id = subscribe->packet_id;
      granted.reasons.assign(subscribe->subscriptions.size(), mqtt::ReasonCode::Success);
      return encode_all(mqtt::Version::v5, {granted});
    }
    const auto* auth = std::get_if<mqtt::Auth>(&packet);
    if (auth == nullptr) return {};
    if (auth->reason == mqtt::ReasonCode::ReAuthenticate) {
      return evidence(auth->properties.authentication_data.value_or(mqtt::Bytes()), tls);
    }
    // The ANSWER: CONNACK the first time, AUTH 0x00 after a re-attestation.
    if (!connected_) {
      connected_ = true;
      return encode_all(mqtt::Version::v5, {connack()});
    }
    mqtt::Auth done;
    done.properties.authentication_method = session::kAuthenticationMethod;
    // Then a publication, which tells a subscriber that the re-attestation is over.
    mqtt::Publish after;
    after.topic = "attested";
    after.payload = mqtt::Bytes(reinterpret_cast<const std::uint8_t*>("re-attested"), 11);
    return encode_all(mqtt::Version::v5, {done, after});
  }

  Bytes evidence(mqtt::Bytes request_bytes, const tls::Session& tls) {
    std::string error;
    const auto request = session::parse_request(request_bytes, error);
    EXPECT_TRUE(request) << error;
    if (!request) return {};
    const auto binder = tls.export_keying_material(label, request_bytes, session::kBinderBytes);
    session::TlsIdentity identity;
    identity.certificate_key_sha256 = tls.local_certificate_key_sha256();
    if (!tls.peer().psk_identity.empty()) {
      identity.psk_identity_sha256 = sha256(tls.peer().psk_identity);
    }
    if (other_key) identity.certificate_key_sha256 = sha256("another key");
    if (ask_client) {
      expected_client_binder = *tls.export_keying_material(
          session::kClientBinderLabel, session::encode_request(*ask_client), session::kBinderBytes);
    }
    auto message = session::produce_evidence(*provider_, *request, *binder, identity, module,
                                              error, ask_client, cached_.get());
    EXPECT_TRUE(message) << error;
    if (!message) return {};
    if (reuse_first_evidence && !first_evidence_.empty()) *message = first_evidence_;
    if (first_evidence_.empty()) first_evidence_ = *message;
    if (corrupt_message_type) message->front() ^= 0x0F;
    ++evidence_sent;
    mqtt::Auth auth;
    auth.reason = mqtt::ReasonCode::ContinueAuthentication;
    auth.properties.authentication_method = session::kAuthenticationMethod;
    auth.properties.authentication_data = mqtt::Bytes(*message);
    return encode_all(mqtt::Version::v5, {auth});
  }

  static mqtt::Connack connack() {
    mqtt::Connack packet;
    packet.properties.authentication_method = session::kAuthenticationMethod;
    return packet;
  }

  attest::testing::ScratchDir dir_;
  std::unique_ptr<attest::SimProvider> provider_;
  std::shared_ptr<const session::CachedEvidence> cached_;
  bool connected_ = false;
  Bytes first_evidence_;
};

}  // namespace attestmq::client::testing

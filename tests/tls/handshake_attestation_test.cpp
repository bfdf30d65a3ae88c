// Transport A's TLS mechanics (docs/attestation.md sections 4.2 and 8) between two real
// OpenSSL sessions: the extension travels in ClientHello, HelloRetryRequest and
// EncryptedExtensions, both ends derive the same binder from the server handshake traffic
// secret, and each refusal aborts the handshake. The bytes here are stand-ins for REQUEST and
// EVIDENCE: their meaning is tested with the attestation code (tests/integration).
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <string_view>

#include "session_pair.hpp"

namespace attestmq::tls {
namespace {

using State = Session::State;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint16_t kCodepoint = 0xFF5A;
constexpr std::string_view kLabel = "attestmq binder v1";

Bytes from_hex(std::string_view hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// The stand-in EVIDENCE: what the server saw of the handshake, so the client can compare.
Bytes seen_by(const HandshakeBinding& binding) {
  Bytes out(binding.request.begin(), binding.request.end());
  out.insert(out.end(), binding.binder.begin(), binding.binder.end());
  if (binding.certificate_key_sha256) {
    out.insert(out.end(), binding.certificate_key_sha256->begin(),
               binding.certificate_key_sha256->end());
  }
  out.insert(out.end(), binding.psk_identity.begin(), binding.psk_identity.end());
  return out;
}

// What each side did, for the assertions.
struct Record {
  std::vector<Bytes> requests_made;  // client: every REQUEST it put in a ClientHello
  std::vector<Bytes> requests_answered;  // server
  std::vector<Bytes> binders;        // server, then client
  bool answer_seen = false;          // client: EE carried the extension
};

// refuse: a non-empty reason makes the server refuse with internal_error.
ServerHandshakeAttestation server_side(Record& record, std::string refuse = {}) {
  ServerHandshakeAttestation attestation;
  attestation.codepoint = kCodepoint;
  attestation.binder_label = std::string(kLabel);
  attestation.answer = [&record, refuse](const HandshakeBinding& binding)
      -> std::variant<Bytes, HandshakeRefusal> {
    record.requests_answered.emplace_back(binding.request.begin(), binding.request.end());
    record.binders.emplace_back(binding.binder.begin(), binding.binder.end());
    if (!refuse.empty()) return HandshakeRefusal{Alert::internal_error, refuse};
    return seen_by(binding);
  };
  return attestation;
}

// next_request: a counter in the nonce position, or always `fixed` if it is not empty.
ClientHandshakeAttestation client_side(Record& record, Bytes fixed = {}) {
  ClientHandshakeAttestation attestation;
  attestation.codepoint = kCodepoint;
  attestation.binder_label = std::string(kLabel);
  attestation.next_request = [&record, fixed] {
    Bytes request = fixed;
    if (fixed.empty()) {
      request = {0x01, 0x01, 0x00, 0x10};
      request.resize(20, static_cast<std::uint8_t>(record.requests_made.size() + 1));
    }
    record.requests_made.push_back(request);
    return request;
  };
  attestation.judge = [&record](const HandshakeBinding& binding,
                                std::optional<std::span<const std::uint8_t>> answer)
      -> std::optional<HandshakeRefusal> {
    record.binders.emplace_back(binding.binder.begin(), binding.binder.end());
    record.answer_seen = answer.has_value();
    if (!answer) return HandshakeRefusal{Alert::missing_extension, "no answer in EE"};
    if (!std::ranges::equal(*answer, seen_by(binding))) {
      return HandshakeRefusal{Alert::bad_certificate, "the answer is for another handshake"};
    }
    return std::nullopt;
  };
  return attestation;
}

std::shared_ptr<const Context> attesting_server(const ServerTlsOptions& settings,
                                                ServerHandshakeAttestation attestation) {
  std::string error;
  auto context = Context::server(settings, error, std::move(attestation));
  EXPECT_NE(context, nullptr) << error;
  return context;
}

std::shared_ptr<const Context> attesting_client(const ClientTlsOptions& options,
                                                ClientHandshakeAttestation attestation) {
  std::string error;
  auto context = Context::client(options, error, std::move(attestation));
  EXPECT_NE(context, nullptr) << error;
  return context;
}

// docs/attestation.md section 12.2, "transport A binder".
TEST(HandshakeAttestation, BinderMatchesTheSpecificationsVector) {
  const Bytes secret(32, 0x77);
  const Bytes request = from_hex("01010110000102030405060708090a0b0c0d0e0f0104");
  const auto binder = hkdf_expand_label(secret, "SHA256", kLabel, request, 32);
  ASSERT_TRUE(binder.has_value());
  EXPECT_EQ(*binder, from_hex("07596db6f0064f45adc94601514fea22c35cd31f61b28b3682b5cfb02482eb6a"));
}

TEST(HandshakeAttestation, BothEndsDeriveTheSameBinderAndSeeTheSameCertificate) {
  Record server_record, client_record;
  SessionPair pair(attesting_client(trusting_client(), client_side(client_record)),
                   attesting_server(certificate_listener(), server_side(server_record)));
  pair.handshake();
  ASSERT_EQ(pair.client.state(), State::established) << pair.client.error();
  ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
  EXPECT_TRUE(client_record.answer_seen);
  ASSERT_EQ(server_record.binders.size(), 1u);
  ASSERT_EQ(client_record.binders.size(), 1u);
  EXPECT_EQ(server_record.binders[0], client_record.binders[0]);
  EXPECT_EQ(server_record.binders[0].size(), 32u);
  EXPECT_EQ(server_record.requests_answered, client_record.requests_made);
  EXPECT_EQ(pair.client.peer().protocol, "TLSv1.3");
}

// The prototype's flaw (PAPER.md) cannot recur: the same REQUEST in two sessions gives two
// binders, because each handshake has its own secret.
TEST(HandshakeAttestation, SameRequestInTwoSessionsGivesTwoBinders) {
  const Bytes request = from_hex("01010010aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0104");
  std::vector<Bytes> binders;
  for (int session = 0; session < 2; ++session) {
    Record server_record, client_record;
    SessionPair pair(attesting_client(trusting_client(), client_side(client_record, request)),
                     attesting_server(certificate_listener(), server_side(server_record)));
    pair.handshake();
    ASSERT_EQ(pair.client.state(), State::established) << pair.client.error();
    binders.push_back(client_record.binders.at(0));
  }
  EXPECT_NE(binders[0], binders[1]);
}

// Section 8.3: an empty extension in the HelloRetryRequest, a fresh REQUEST in the second
// ClientHello, and the server answers that one.
TEST(HandshakeAttestation, HelloRetryRequestGetsAFreshRequest) {
  Record server_record, client_record;
  SessionPair pair(attesting_client(trusting_client(), client_side(client_record)),
                   attesting_server(certificate_listener(), server_side(server_record)));
  // The client's key share (X25519, its first group) is one the server does not take.
  ASSERT_EQ(SSL_set1_groups_list(pair.client.native(), "X25519:P-256"), 1);
  ASSERT_EQ(SSL_set1_groups_list(pair.server.native(), "P-256"), 1);
  pair.handshake();
  ASSERT_EQ(pair.client.state(), State::established) << pair.client.error();
  ASSERT_EQ(client_record.requests_made.size(), 2u);
  EXPECT_NE(client_record.requests_made[0], client_record.requests_made[1]);
  ASSERT_EQ(server_record.requests_answered.size(), 1u);
  EXPECT_EQ(server_record.requests_answered[0], client_record.requests_made[1]);
  EXPECT_EQ(server_record.binders, client_record.binders);
}

TEST(HandshakeAttestation, ServerThatCannotAnswerSendsItsAlert) {
  Record server_record, client_record;
  SessionPair pair(
      attesting_client(trusting_client(), client_side(client_record)),
      attesting_server(certificate_listener(),
                       server_side(server_record, "evidence unavailable: x")));
  pair.handshake();
  EXPECT_EQ(pair.server.state(), State::failed);
  EXPECT_EQ(pair.server.error(), "attestation: evidence unavailable: x");
  EXPECT_EQ(pair.client.state(), State::failed);
  EXPECT_NE(pair.client.error().find("internal error"), std::string::npos) << pair.client.error();
}

// Section 8.5: a server without transport A ignores the extension; the client that asked
// aborts before its handshake completes, and the server sees the alert.
TEST(HandshakeAttestation, ClientThatGetsNoAnswerAborts) {
  Record client_record;
  SessionPair pair(attesting_client(trusting_client(), client_side(client_record)),
                   server_context(certificate_listener()));
  pair.handshake();
  EXPECT_FALSE(client_record.answer_seen);
  EXPECT_EQ(pair.client.state(), State::failed);
  EXPECT_EQ(pair.client.error(), "attestation: no answer in EE");
  EXPECT_EQ(pair.server.state(), State::failed);
  EXPECT_NE(pair.server.error().find("handshake failure"), std::string::npos)
      << pair.server.error();
}

TEST(HandshakeAttestation, RejectedAnswerIsABadCertificateAlert) {
  Record server_record, client_record;
  ClientHandshakeAttestation client = client_side(client_record);
  client.judge = [](const HandshakeBinding&, std::optional<std::span<const std::uint8_t>>) {
    return std::optional(HandshakeRefusal{Alert::bad_certificate, "session.binder: no"});
  };
  SessionPair pair(attesting_client(trusting_client(), std::move(client)),
                   attesting_server(certificate_listener(), server_side(server_record)));
  pair.handshake();
  EXPECT_EQ(pair.client.state(), State::failed);
  EXPECT_EQ(pair.client.error(), "attestation: session.binder: no");
  EXPECT_EQ(pair.server.state(), State::failed);
  EXPECT_NE(pair.server.error().find("bad certificate"), std::string::npos) << pair.server.error();
}

// Clients that do not ask are served as before on the same listener.
TEST(HandshakeAttestation, ClientThatDoesNotAskIsServedAsBefore) {
  Record server_record;
  SessionPair pair(client_context(trusting_client()),
                   attesting_server(certificate_listener(), server_side(server_record)));
  pair.handshake();
  EXPECT_EQ(pair.client.state(), State::established) << pair.client.error();
  EXPECT_EQ(pair.server.state(), State::established) << pair.server.error();
  EXPECT_TRUE(server_record.requests_answered.empty());
}

// A PSK handshake has no Certificate: the client judges once its handshake is done, and the
// evidence names the PSK identity instead of a certificate.
TEST(HandshakeAttestation, PskHandshakeIsJudgedWithTheIdentity) {
  const Bytes key(32, 0x42);
  ServerTlsOptions listener;
  listener.psk_hint = "attestmq";
  listener.psk_file = pki().write_psk_file({{"device-7", key}}, "handshake_psk.txt");
  ClientTlsOptions options;
  options.psk_identity = "device-7";
  options.psk_key = key;
  Record server_record, client_record;
  SessionPair pair(attesting_client(options, client_side(client_record)),
                   attesting_server(listener, server_side(server_record)));
  pair.handshake();
  ASSERT_EQ(pair.client.state(), State::established) << pair.client.error();
  EXPECT_TRUE(client_record.answer_seen);
  EXPECT_EQ(server_record.binders, client_record.binders);
}

TEST(HandshakeAttestation, CodepointOpenSslHandlesItselfIsRefused) {
  Record record;
  ServerHandshakeAttestation attestation = server_side(record);
  attestation.codepoint = 0xFF01;  // renegotiation_info (RFC 5746), inside the private range
  std::string error;
  EXPECT_EQ(Context::server(certificate_listener(), error, attestation), nullptr);
  EXPECT_EQ(error,
            "attestation extension codepoint 0xFF01: OpenSSL already handles this extension type");
}

}  // namespace
}  // namespace attestmq::tls

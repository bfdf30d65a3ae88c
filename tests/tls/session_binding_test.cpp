// What binds attestation evidence to one TLS session (docs/attestation.md sections 4.1, 5.1
// and 7.1): the exporter, the hashes of the certificates' keys, the PSK identity, and that a
// listener never hands out a session ticket to resume from.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>
#include <string_view>

#include "session_pair.hpp"

namespace attestmq::tls {
namespace {

using State = Session::State;
using KeyHash = std::array<std::uint8_t, 32>;

constexpr std::string_view kLabel = "EXPERIMENTAL-attestmq-broker-binder-v1";
const std::vector<std::uint8_t> kContext = {0x01, 0x01, 0x00, 0x10, 0xaa, 0xbb};

// The reference value of claims key 5, computed another way than the code under test: the
// certificate's public key re-encoded as a SubjectPublicKeyInfo by i2d_PUBKEY, as
// `openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum` does.
KeyHash expected_key_hash(const std::string& certfile) {
  std::FILE* file = std::fopen(certfile.c_str(), "r");
  EXPECT_NE(file, nullptr) << certfile;
  X509* certificate = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  EXPECT_NE(certificate, nullptr);
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(X509_get0_pubkey(certificate), &der);
  EXPECT_GT(length, 0);
  KeyHash digest{};
  unsigned int digest_length = 0;
  EVP_Digest(der, static_cast<std::size_t>(length), digest.data(), &digest_length, EVP_sha256(),
             nullptr);
  OPENSSL_free(der);
  X509_free(certificate);
  return digest;
}

// A session pair over these options whose handshake completed.
struct EstablishedPair : SessionPair {
  EstablishedPair(const ClientTlsOptions& client, const ServerTlsOptions& server)
      : SessionPair(client_context(client), server_context(server)) {
    handshake();
    EXPECT_EQ(this->client.state(), State::established) << this->client.error();
    EXPECT_EQ(this->server.state(), State::established) << this->server.error();
  }
};

TEST(SessionBinding, ExporterIsTheSameOnBothEnds) {
  EstablishedPair pair(trusting_client(), certificate_listener());
  const auto client = pair.client.export_keying_material(kLabel, kContext, 32);
  const auto server = pair.server.export_keying_material(kLabel, kContext, 32);
  ASSERT_TRUE(client.has_value());
  ASSERT_TRUE(server.has_value());
  EXPECT_EQ(client->size(), 32u);
  EXPECT_EQ(*client, *server);
}

// The research prototype's flaw: a binder that depends on the nonce alone repeats.
TEST(SessionBinding, ExporterDiffersBetweenSessionsWithTheSameContext) {
  EstablishedPair first(trusting_client(), certificate_listener());
  EstablishedPair second(trusting_client(), certificate_listener());
  const auto one = first.client.export_keying_material(kLabel, kContext, 32);
  const auto two = second.client.export_keying_material(kLabel, kContext, 32);
  ASSERT_TRUE(one.has_value());
  ASSERT_TRUE(two.has_value());
  EXPECT_NE(*one, *two);
}

TEST(SessionBinding, ExporterDependsOnLabelAndContext) {
  EstablishedPair pair(trusting_client(), certificate_listener());
  const auto broker = pair.client.export_keying_material(kLabel, kContext, 32);
  const auto client_label = pair.client.export_keying_material(
      "EXPERIMENTAL-attestmq-client-binder-v1", kContext, 32);
  std::vector<std::uint8_t> other_context = kContext;
  other_context.back() ^= 1;
  const auto other = pair.client.export_keying_material(kLabel, other_context, 32);
  ASSERT_TRUE(broker && client_label && other);
  EXPECT_NE(*broker, *client_label);
  EXPECT_NE(*broker, *other);
}

TEST(SessionBinding, NoExporterBeforeTheHandshakeCompletes) {
  SessionPair pair(client_context(trusting_client()), server_context(certificate_listener()));
  EXPECT_FALSE(pair.client.export_keying_material(kLabel, kContext, 32).has_value());
  pair.client.start(pair.client_out);
  EXPECT_FALSE(pair.client.export_keying_material(kLabel, kContext, 32).has_value());
  EXPECT_FALSE(pair.client.local_certificate_key_sha256().has_value());
  EXPECT_FALSE(pair.client.peer_certificate_key_sha256().has_value());
}

TEST(SessionBinding, ServerCertificateKeyHashOnBothEnds) {
  EstablishedPair pair(trusting_client(), certificate_listener());
  const KeyHash expected = expected_key_hash(pki().server.certfile);
  EXPECT_EQ(pair.server.local_certificate_key_sha256(), expected);
  EXPECT_EQ(pair.client.peer_certificate_key_sha256(), expected);
  // The client presented no certificate.
  EXPECT_FALSE(pair.client.local_certificate_key_sha256().has_value());
  EXPECT_FALSE(pair.server.peer_certificate_key_sha256().has_value());
  EXPECT_FALSE(pair.client.resumed());
  EXPECT_FALSE(pair.server.resumed());
}

TEST(SessionBinding, ClientCertificateKeyHashWithMutualTls) {
  ServerTlsOptions listener = certificate_listener();
  listener.cafile = pki().ca_file;
  listener.require_certificate = true;
  ClientTlsOptions client = trusting_client();
  client.certfile = pki().client.certfile;
  client.keyfile = pki().client.keyfile;
  EstablishedPair pair(client, listener);
  const KeyHash expected = expected_key_hash(pki().client.certfile);
  EXPECT_EQ(pair.client.local_certificate_key_sha256(), expected);
  EXPECT_EQ(pair.server.peer_certificate_key_sha256(), expected);
  EXPECT_NE(expected, expected_key_hash(pki().server.certfile));
}

// A client certificate the server never asked for is never sent, so it names no key.
TEST(SessionBinding, UnrequestedClientCertificateIsNotClaimed) {
  ClientTlsOptions client = trusting_client();
  client.certfile = pki().client.certfile;
  client.keyfile = pki().client.keyfile;
  EstablishedPair pair(client, certificate_listener());
  EXPECT_FALSE(pair.client.local_certificate_key_sha256().has_value());
  EXPECT_FALSE(pair.server.peer_certificate_key_sha256().has_value());
}

// An external PSK handshake is a full handshake (not a resumption) without certificates.
TEST(SessionBinding, ExternalPskIsNotAResumptionAndHasNoCertificateKey) {
  const std::vector<std::uint8_t> key(32, 0x5a);
  ServerTlsOptions listener;
  listener.psk_hint = "attestmq";
  listener.psk_file = pki().write_psk_file({{"device-7", key}}, "binding_psk.txt");
  ClientTlsOptions client;
  client.server_name = "localhost";
  client.psk_identity = "device-7";
  client.psk_key = key;
  EstablishedPair pair(client, listener);
  EXPECT_EQ(pair.client.peer().psk_identity, "device-7");
  EXPECT_EQ(pair.server.peer().psk_identity, "device-7");
  EXPECT_FALSE(pair.client.resumed());
  EXPECT_FALSE(pair.server.resumed());
  EXPECT_FALSE(pair.server.local_certificate_key_sha256().has_value());
  EXPECT_FALSE(pair.client.peer_certificate_key_sha256().has_value());
  const auto client_binder = pair.client.export_keying_material(kLabel, kContext, 32);
  ASSERT_TRUE(client_binder.has_value());
  EXPECT_EQ(client_binder, pair.server.export_keying_material(kLabel, kContext, 32));
}

int g_tickets = 0;
int count_ticket(SSL* /*ssl*/, SSL_SESSION* /*session*/) {
  ++g_tickets;
  return 0;  // not kept
}

// docs/attestation.md section 7.1: a listener sends no NewSessionTicket.
TEST(SessionBinding, ListenerSendsNoSessionTicket) {
  auto client = client_context(trusting_client());
  SSL_CTX_set_session_cache_mode(client->native(), SSL_SESS_CACHE_CLIENT);
  SSL_CTX_sess_set_new_cb(client->native(), count_ticket);
  g_tickets = 0;
  SessionPair pair(client, server_context(certificate_listener()));
  pair.handshake();
  ASSERT_EQ(pair.client.state(), State::established) << pair.client.error();
  // Tickets follow the handshake (RFC 8446 section 4.6.1): data both ways makes sure the
  // client has read everything the server wrote.
  ASSERT_TRUE(pair.client.send(bytes_of("ping"), pair.client_out));
  pair.pump();
  ASSERT_TRUE(pair.server.send(bytes_of("pong"), pair.server_out));
  pair.pump();
  EXPECT_EQ(pair.client_plaintext, bytes_of("pong"));
  EXPECT_EQ(g_tickets, 0);
}

}  // namespace
}  // namespace attestmq::tls

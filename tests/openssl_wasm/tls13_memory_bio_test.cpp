// libssl built for wasm32-wasi (src/wasm/openssl): a full TLS 1.3 handshake between two SSL
// objects inside the module, over memory BIOs. The test moves the ciphertext between them,
// as the enclave runner will move it between sockets, and keeps every byte it moved: what a
// host beneath the module sees.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <string>

#include "openssl_test_support.hpp"

namespace attestmq::openssl_wasm::test {
namespace {

struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
  void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
  void operator()(X509* certificate) const { X509_free(certificate); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslFree>;
using X509Ptr = std::unique_ptr<X509, SslFree>;

constexpr const char* kHost = "broker.test";
constexpr const char* kChaCha = "TLS_CHACHA20_POLY1305_SHA256";

// A self-signed P-256 certificate for `host`, valid for an hour, made in memory: tests in
// the Wasm build get no host files.
struct Identity {
  PkeyPtr key;
  X509Ptr certificate;
};

Identity make_identity(const std::string& host) {
  Identity identity{PkeyPtr(EVP_EC_gen("P-256")), X509Ptr(X509_new())};
  EVP_PKEY* key = identity.key.get();
  X509* certificate = identity.certificate.get();
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name,
                                            ("DNS:" + host).c_str());
  bool made = key && certificate && san && X509_set_version(certificate, X509_VERSION_3) &&
              ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1) &&
              X509_gmtime_adj(X509_getm_notBefore(certificate), -60) &&
              X509_gmtime_adj(X509_getm_notAfter(certificate), 3600) &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                         reinterpret_cast<const unsigned char*>(host.c_str()),
                                         -1, -1, 0) &&
              X509_set_issuer_name(certificate, name) && X509_set_pubkey(certificate, key) &&
              X509_add_ext(certificate, san, -1) && X509_sign(certificate, key, EVP_sha256()) > 0;
  X509_EXTENSION_free(san);
  if (!made) {
    ADD_FAILURE() << "test certificate for " << host << ": " << openssl_errors();
  }
  return identity;
}

// The server prefers ChaCha20-Poly1305 to what the client lists first (OpenSSL's default
// client order starts with AES-256-GCM), as a broker inside a TEE without AES-NI would.
SslCtxPtr server_context(const Identity& identity) {
  SslCtxPtr context(SSL_CTX_new(TLS_server_method()));
  bool made = context && SSL_CTX_set_min_proto_version(context.get(), TLS1_3_VERSION) &&
              SSL_CTX_set_ciphersuites(context.get(),
                                       "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256") &&
              SSL_CTX_use_certificate(context.get(), identity.certificate.get()) &&
              SSL_CTX_use_PrivateKey(context.get(), identity.key.get()) &&
              SSL_CTX_check_private_key(context.get());
  if (!made) {
    ADD_FAILURE() << "server context: " << openssl_errors();
    return nullptr;
  }
  SSL_CTX_set_options(context.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  return context;
}

SslCtxPtr client_context(const Identity& trusted) {
  SslCtxPtr context(SSL_CTX_new(TLS_client_method()));
  if (!context || !SSL_CTX_set_min_proto_version(context.get(), TLS1_3_VERSION) ||
      !X509_STORE_add_cert(SSL_CTX_get_cert_store(context.get()), trusted.certificate.get())) {
    ADD_FAILURE() << "client context: " << openssl_errors();
    return nullptr;
  }
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  return context;
}

// One side of the connection: an SSL object reading from and writing to memory BIOs.
class Endpoint {
 public:
  explicit Endpoint(SSL_CTX* context) : ssl_(SSL_new(context)) {
    BIO* input = BIO_new(BIO_s_mem());
    BIO* output = BIO_new(BIO_s_mem());
    // An empty input BIO means "wait for more", never end of stream.
    BIO_set_mem_eof_return(input, -1);
    SSL_set_bio(ssl_.get(), input, output);
  }
  SSL* ssl() const { return ssl_.get(); }

  std::string take_ciphertext() {
    std::string bytes;
    char buffer[4096];
    int read;
    while ((read = BIO_read(SSL_get_wbio(ssl()), buffer, sizeof buffer)) > 0) {
      bytes.append(buffer, static_cast<std::size_t>(read));
    }
    return bytes;
  }
  void give_ciphertext(const std::string& bytes) {
    if (!bytes.empty()) {
      BIO_write(SSL_get_rbio(ssl()), bytes.data(), static_cast<int>(bytes.size()));
    }
  }
  // Everything decrypted so far, until the SSL object wants more ciphertext.
  std::string read_plaintext() {
    std::string text;
    char buffer[4096];
    std::size_t read = 0;
    while (SSL_read_ex(ssl(), buffer, sizeof buffer, &read) == 1) {
      text.append(buffer, read);
    }
    return text;
  }

 private:
  SslPtr ssl_;
};

class TlsPair {
 public:
  TlsPair(SSL_CTX* client_context, SSL_CTX* server_context, const char* expected_host)
      : client(client_context), server(server_context) {
    SSL_set_connect_state(client.ssl());
    SSL_set_accept_state(server.ssl());
    SSL_set_tlsext_host_name(client.ssl(), expected_host);
    SSL_set1_host(client.ssl(), expected_host);
  }

  // Moves what each side has written to the other, keeping a copy of the bytes in `wire`.
  void pump() {
    std::string to_server = client.take_ciphertext();
    std::string to_client = server.take_ciphertext();
    wire += to_server + to_client;
    server.give_ciphertext(to_server);
    client.give_ciphertext(to_client);
  }

  // Drives both sides until both finish (true) or one fails (false); a TLS 1.3 handshake
  // needs two round trips here, so a bounded number of rounds suffices.
  bool handshake() {
    for (int round = 0; round < 8; ++round) {
      int client_done = SSL_do_handshake(client.ssl());
      bool client_failed = client_done != 1 && !wants_io(client.ssl(), client_done);
      int server_done = SSL_do_handshake(server.ssl());
      bool server_failed = server_done != 1 && !wants_io(server.ssl(), server_done);
      pump();  // also delivers the alert of a side that failed
      if (client_failed || server_failed) {
        return false;
      }
      if (client_done == 1 && server_done == 1) {
        return true;
      }
    }
    return false;
  }

  Endpoint client;
  Endpoint server;
  std::string wire;

 private:
  static bool wants_io(SSL* ssl, int result) {
    int error = SSL_get_error(ssl, result);
    return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE;
  }
};

void send(Endpoint& from, const std::string& text) {
  std::size_t written = 0;
  ASSERT_EQ(SSL_write_ex(from.ssl(), text.data(), text.size(), &written), 1) << openssl_errors();
  ASSERT_EQ(written, text.size());
}

TEST(Tls13MemoryBio, HandshakeThenChaCha20Poly1305BothWays) {
  Identity broker = make_identity(kHost);
  auto server_ctx = server_context(broker);
  auto client_ctx = client_context(broker);
  ASSERT_TRUE(server_ctx && client_ctx);
  TlsPair pair(client_ctx.get(), server_ctx.get(), kHost);

  ASSERT_TRUE(pair.handshake()) << openssl_errors();
  EXPECT_EQ(SSL_version(pair.client.ssl()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_get_verify_result(pair.client.ssl()), X509_V_OK);
  X509Ptr presented(SSL_get1_peer_certificate(pair.client.ssl()));
  ASSERT_TRUE(presented);
  EXPECT_EQ(X509_cmp(presented.get(), broker.certificate.get()), 0);
  EXPECT_STREQ(SSL_CIPHER_get_name(SSL_get_current_cipher(pair.client.ssl())), kChaCha);
  EXPECT_STREQ(SSL_CIPHER_get_name(SSL_get_current_cipher(pair.server.ssl())), kChaCha);

  const std::string request = "PUBLISH marker-from-client-5f1c";
  const std::string response = "PUBLISH marker-from-server-a93e";
  send(pair.client, request);
  pair.pump();
  EXPECT_EQ(pair.server.read_plaintext(), request);
  send(pair.server, response);
  pair.pump();
  EXPECT_EQ(pair.client.read_plaintext(), response);

  // What crossed between the two SSL objects was ciphertext only.
  EXPECT_EQ(pair.wire.find(request), std::string::npos);
  EXPECT_EQ(pair.wire.find(response), std::string::npos);
}

// The client's checks fail closed inside the module: an untrusted certificate, or one for
// another name, ends the handshake on both sides (the server gets the client's alert).
void expect_client_rejects(const Identity& presented, const Identity& trusted,
                           const char* expected_host, long verify_error) {
  auto server_ctx = server_context(presented);
  auto client_ctx = client_context(trusted);
  ASSERT_TRUE(server_ctx && client_ctx);
  TlsPair pair(client_ctx.get(), server_ctx.get(), expected_host);

  EXPECT_FALSE(pair.handshake());
  EXPECT_EQ(SSL_get_verify_result(pair.client.ssl()), verify_error);
  EXPECT_FALSE(SSL_is_init_finished(pair.client.ssl()));
  EXPECT_FALSE(SSL_is_init_finished(pair.server.ssl()));
  ERR_clear_error();
}

TEST(Tls13MemoryBio, ClientRejectsACertificateItDoesNotTrust) {
  expect_client_rejects(make_identity(kHost), make_identity(kHost), kHost,
                        X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
}

TEST(Tls13MemoryBio, ClientRejectsACertificateForAnotherName) {
  Identity other = make_identity("other.test");
  expect_client_rejects(other, other, kHost, X509_V_ERR_HOSTNAME_MISMATCH);
}

}  // namespace
}  // namespace attestmq::openssl_wasm::test

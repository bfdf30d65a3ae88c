// tls_version, ciphers, ciphers_tls1.3 and keylog_file, observed in real handshakes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "session_pair.hpp"

namespace attestmq::tls {
namespace {

using State = Session::State;

std::string contents_of(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(ProtocolOptions, Tls13ListenerRefusesATls12OnlyClient) {
  ServerTlsOptions settings = certificate_listener();
  settings.tls_version = "tlsv1.3";
  ClientTlsOptions options = trusting_client();
  options.tls_version = "tlsv1.2";
  SessionPair pair(client_context(options), server_context(settings));
  pair.handshake();
  EXPECT_EQ(pair.server.state(), State::failed);
  EXPECT_EQ(pair.server.error(),
            "unsupported protocol (client offered TLS 1.2 at most, listener requires TLS 1.3)");
  EXPECT_EQ(pair.client.state(), State::failed);
  EXPECT_EQ(pair.client.error(), "peer sent alert \"protocol version\"");
}

TEST(ProtocolOptions, Tls12ListenerWithATls12Client) {
  ServerTlsOptions settings = certificate_listener();
  settings.tls_version = "tlsv1.2";
  ClientTlsOptions options = trusting_client();
  options.tls_version = "tlsv1.2";
  SessionPair pair(client_context(options), server_context(settings));
  pair.handshake();
  ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
  EXPECT_EQ(pair.server.peer().protocol, "TLSv1.2");
  ASSERT_TRUE(pair.server.send(bytes_of("over 1.2"), pair.server_out));
  pair.pump();
  EXPECT_EQ(pair.client_plaintext, bytes_of("over 1.2"));
}

TEST(ProtocolOptions, Tls12ListenerWithADefaultClientSettlesOnTls12) {
  ServerTlsOptions settings = certificate_listener();
  settings.tls_version = "tlsv1.2";
  SessionPair pair(client_context(trusting_client()), server_context(settings));
  pair.handshake();
  ASSERT_EQ(pair.client.state(), State::established) << pair.client.error();
  EXPECT_EQ(pair.client.peer().protocol, "TLSv1.2");
}

TEST(ProtocolOptions, CiphersTls13RestrictsTheSuite) {
  for (const std::string suite : {"TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384"}) {
    ServerTlsOptions settings = certificate_listener();
    settings.ciphers_tls13 = suite;
    SessionPair pair(client_context(trusting_client()), server_context(settings));
    pair.handshake();
    ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
    EXPECT_EQ(pair.server.peer().cipher, suite);
    EXPECT_EQ(pair.client.peer().cipher, suite);
  }
}

TEST(ProtocolOptions, CiphersTls13WithNoCommonSuiteFails) {
  ServerTlsOptions settings = certificate_listener();
  settings.ciphers_tls13 = "TLS_CHACHA20_POLY1305_SHA256";
  ClientTlsOptions options = trusting_client();
  options.ciphers_tls13 = "TLS_AES_128_GCM_SHA256";
  SessionPair pair(client_context(options), server_context(settings));
  pair.handshake();
  EXPECT_EQ(pair.server.state(), State::failed);
  EXPECT_EQ(pair.server.error(), "no shared cipher");
}

TEST(ProtocolOptions, CiphersRestrictsTls12Suites) {
  ServerTlsOptions settings = certificate_listener();
  settings.tls_version = "tlsv1.2";
  settings.ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305";
  SessionPair pair(client_context(trusting_client()), server_context(settings));
  pair.handshake();
  ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
  EXPECT_EQ(pair.server.peer().cipher, "ECDHE-ECDSA-CHACHA20-POLY1305");
}

TEST(ProtocolOptions, KeylogFileGetsSecretsOnlyWhenConfigured) {
  const std::string path = pki().directory() + "/keylog.txt";
  ServerTlsOptions settings = certificate_listener();
  settings.keylog_file = path;
  {
    SessionPair pair(client_context(trusting_client()), server_context(settings));
    pair.handshake();
    ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
  }
  const std::string logged = contents_of(path);
  EXPECT_NE(logged.find("CLIENT_HANDSHAKE_TRAFFIC_SECRET "), std::string::npos) << logged;
  EXPECT_NE(logged.find("SERVER_TRAFFIC_SECRET_0 "), std::string::npos) << logged;
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::group_all,
            std::filesystem::perms::none);

  // Another listener without the option: the file does not grow.
  SessionPair quiet(client_context(trusting_client()), server_context(certificate_listener()));
  quiet.handshake();
  ASSERT_EQ(quiet.server.state(), State::established);
  EXPECT_EQ(contents_of(path), logged);
}

TEST(ProtocolOptions, ClientKeylogFile) {
  ClientTlsOptions options = trusting_client();
  options.keylog_file = pki().directory() + "/client_keylog.txt";
  SessionPair pair(client_context(options), server_context(certificate_listener()));
  pair.handshake();
  ASSERT_EQ(pair.client.state(), State::established);
  EXPECT_NE(contents_of(options.keylog_file).find("CLIENT_HANDSHAKE_TRAFFIC_SECRET "),
            std::string::npos);
}

}  // namespace
}  // namespace attestmq::tls

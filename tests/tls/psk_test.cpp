// Pre-shared keys: TLS 1.3 external PSKs and TLS 1.2 PSK suites, right key, wrong key,
// unknown identity; and the psk_file format.
#include <gtest/gtest.h>

#include "session_pair.hpp"

namespace attestmq::tls {
namespace {

using State = Session::State;

const std::vector<std::uint8_t> kAliceKey = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                             0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

// A listener with keys only: no certificate to fall back on.
ServerTlsOptions psk_listener() {
  ServerTlsOptions settings;
  settings.psk_hint = "attestmq";
  settings.psk_file =
      pki().write_psk_file({{"alice", kAliceKey}, {"bob", {0xb0, 0xb0}}}, "psk_listener.txt");
  return settings;
}

ClientTlsOptions psk_client(const std::string& identity, std::vector<std::uint8_t> key) {
  ClientTlsOptions options;
  options.server_name = "localhost";
  options.psk_identity = identity;
  options.psk_key = std::move(key);
  return options;
}

TEST(Psk, Tls13WithTheRightKey) {
  SessionPair pair(client_context(psk_client("alice", kAliceKey)),
                   server_context(psk_listener()));
  pair.handshake();
  ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
  ASSERT_EQ(pair.client.state(), State::established) << pair.client.error();
  EXPECT_EQ(pair.server.peer().protocol, "TLSv1.3");
  EXPECT_EQ(pair.server.peer().psk_identity, "alice");
  EXPECT_EQ(pair.client.peer().psk_identity, "alice");
  EXPECT_EQ(pair.server.peer().certificate_cn, "");
  ASSERT_TRUE(pair.client.send(bytes_of("over psk"), pair.client_out));
  pair.pump();
  EXPECT_EQ(pair.server_plaintext, bytes_of("over psk"));
}

TEST(Psk, Tls13WithTheWrongKey) {
  std::vector<std::uint8_t> wrong = kAliceKey;
  wrong.back() ^= 1;
  SessionPair pair(client_context(psk_client("alice", wrong)), server_context(psk_listener()));
  pair.handshake();
  EXPECT_EQ(pair.server.state(), State::failed);
  EXPECT_EQ(pair.server.error(), "PSK binder does not verify: wrong key for identity \"alice\"");
  EXPECT_EQ(pair.client.state(), State::failed);
}

TEST(Psk, UnknownIdentity) {
  SessionPair pair(client_context(psk_client("mallory", kAliceKey)),
                   server_context(psk_listener()));
  pair.handshake();
  EXPECT_EQ(pair.server.state(), State::failed);
  // What OpenSSL says next (no certificate to fall back on) follows in parentheses.
  EXPECT_EQ(pair.server.error().rfind("no PSK for identity \"mallory\" (", 0), 0u)
      << pair.server.error();
  EXPECT_EQ(pair.client.state(), State::failed);
}

// A listener with both a certificate and keys serves certificate clients unchanged.
TEST(Psk, CertificateClientOnAListenerWithKeys) {
  ServerTlsOptions settings = psk_listener();
  settings.certfile = pki().server.certfile;
  settings.keyfile = pki().server.keyfile;
  SessionPair pair(client_context(trusting_client()), server_context(settings));
  pair.handshake();
  ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
  EXPECT_EQ(pair.server.peer().psk_identity, "");
}

// TLS 1.2 PSK cipher suites (RFC 4279), the identity callbacks mosquitto_pub uses.
TEST(Psk, Tls12PskSuite) {
  ClientTlsOptions options = psk_client("bob", {0xb0, 0xb0});
  options.tls_version = "tlsv1.2";
  options.ciphers = "PSK";
  SessionPair pair(client_context(options), server_context(psk_listener()));
  pair.handshake();
  ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
  EXPECT_EQ(pair.server.peer().protocol, "TLSv1.2");
  EXPECT_NE(pair.server.peer().cipher.find("PSK"), std::string::npos) << pair.server.peer().cipher;
  EXPECT_EQ(pair.server.peer().psk_identity, "bob");
  EXPECT_EQ(pair.client.peer().psk_identity, "bob");
}

TEST(Psk, ClientNeedsIdentityAndKeyTogether) {
  ClientTlsOptions options = psk_client("alice", {});
  std::string error;
  EXPECT_EQ(Context::client(options, error), nullptr);
  EXPECT_EQ(error, "psk and psk_identity must be given together");
}

TEST(Psk, ListenerWithHintNeedsAPskFile) {
  ServerTlsOptions settings;
  settings.psk_hint = "attestmq";
  std::string error;
  EXPECT_EQ(Context::server(settings, error), nullptr);
  EXPECT_EQ(error, "psk_hint is set but no psk_file gives the keys");
}

class PskFile : public testing::Test {
 protected:
  std::string load_error(const std::string& contents) {
    path_ = pki().write_file("psk_file_test.txt", contents);
    PskTable table;
    std::string error;
    EXPECT_FALSE(load_psk_file(path_, table, error));
    return error;
  }
  std::string path_;
};

// config/ reads the psk_file once and hashes it into the configuration digest; the context
// is built from those bytes.
TEST(Psk, ListenerUsesThePskFileBytesItIsGiven) {
  ServerTlsOptions settings;
  settings.psk_hint = "attestmq";
  settings.psk_file = "/nonexistent/psk.txt";
  settings.psk_file_bytes = "alice:00ff\n";
  std::string error;
  const auto context = Context::server(settings, error);
  ASSERT_NE(context, nullptr) << error;
  EXPECT_EQ(context->psk_table().at("alice"), (std::vector<std::uint8_t>{0x00, 0xff}));
}

TEST_F(PskFile, ReadsIdentitiesSkippingCommentsAndBlankLines) {
  const std::string path =
      pki().write_file("psk_file_good.txt", "# keys\n\nalice:00ff\r\nbob:AB\n");
  PskTable table;
  std::string error;
  ASSERT_TRUE(load_psk_file(path, table, error)) << error;
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.at("alice"), (std::vector<std::uint8_t>{0x00, 0xff}));
  EXPECT_EQ(table.at("bob"), (std::vector<std::uint8_t>{0xab}));
}

TEST_F(PskFile, MissingColonNamesFileAndLine) {
  const std::string error = load_error("alice:00\nno-colon-here\n");
  EXPECT_EQ(error, path_ + ":2: expected identity:hexkey");
}

TEST_F(PskFile, OddHexNamesFileAndLine) {
  const std::string error = load_error("alice:abc\n");
  EXPECT_EQ(error, path_ + ":1: the key of \"alice\" must be 1 to 64 bytes of hex digits");
}

TEST_F(PskFile, SeparatorsInTheKeyAreRefused) {
  const std::string error = load_error("alice:0a:0b\n");
  EXPECT_EQ(error, path_ + ":1: the key of \"alice\" must be 1 to 64 bytes of hex digits");
}

TEST_F(PskFile, DuplicateIdentityNamesFileAndLine) {
  const std::string error = load_error("alice:00\n#\nalice:01\n");
  EXPECT_EQ(error, path_ + ":3: identity \"alice\" appears twice");
}

TEST_F(PskFile, ListenerReportsTheFileError) {
  ServerTlsOptions settings;
  settings.psk_hint = "attestmq";
  settings.psk_file = pki().write_file("psk_file_bad.txt", "alice:xyz1\n");
  std::string error;
  EXPECT_EQ(Context::server(settings, error), nullptr);
  EXPECT_EQ(error,
            settings.psk_file + ":1: the key of \"alice\" must be 1 to 64 bytes of hex digits");
}

TEST_F(PskFile, MissingFile) {
  PskTable table;
  std::string error;
  EXPECT_FALSE(load_psk_file("/nonexistent/psk.txt", table, error));
  EXPECT_EQ(error, "psk_file /nonexistent/psk.txt: No such file or directory");
}

}  // namespace
}  // namespace attestmq::tls

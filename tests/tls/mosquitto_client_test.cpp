// Interoperability with Debian's mosquitto_pub (mosquitto 2.0.11) as the TLS client: a real
// socket on 127.0.0.1, a server Session driven by this test, and mosquitto_pub's CONNECT as
// proof that its side of the handshake completed too.
#include <gtest/gtest.h>

#include "loopback_peer.hpp"
#include "reference_programs.hpp"
#include "session_pair.hpp"

namespace attestmq::tls {
namespace {

using State = Session::State;

// Runs mosquitto_pub with `tls_arguments` against a server Session until the session
// fails, closes, or decrypts the first bytes of an MQTT CONNECT.
struct MosquittoPubRun {
  MosquittoPubRun(std::shared_ptr<const Context> context, std::vector<std::string> tls_arguments)
      : session(std::move(context)) {
    std::uint16_t port = 0;
    const int listener = listen_on_loopback(port);
    EXPECT_GE(listener, 0);
    EXPECT_TRUE(test::installed(test::kMosquittoPub));
    std::vector<std::string> arguments = {test::kMosquittoPub, "-h", "127.0.0.1", "-p",
                                          std::to_string(port), "-t", "tls/test", "-m", "hello"};
    arguments.insert(arguments.end(), tls_arguments.begin(), tls_arguments.end());
    ChildProcess mosquitto_pub(arguments);
    EXPECT_TRUE(mosquitto_pub.started());
    const int connection = accept_one(listener);
    ::close(listener);
    EXPECT_GE(connection, 0) << "mosquitto_pub did not connect";
    std::vector<std::uint8_t> to_peer;
    if (connection >= 0) {
      converse(connection, session, to_peer, plaintext, [this] { return !plaintext.empty(); });
    }
  }

  Session session;
  std::vector<std::uint8_t> plaintext;
};

ServerTlsOptions psk_listener() {
  ServerTlsOptions settings;
  settings.psk_hint = "attestmq";
  settings.psk_file = pki().write_psk_file({{"alice", {0xa1, 0x1c, 0xe0}}}, "interop_psk.txt");
  return settings;
}

constexpr std::uint8_t kConnect = 0x10;  // MQTT 3.1.1 section 3.1.1: CONNECT fixed header

TEST(MosquittoClient, PskWithDefaultVersions) {
  MosquittoPubRun run(server_context(psk_listener()),
                      {"--psk", "a11ce0", "--psk-identity", "alice"});
  ASSERT_EQ(run.session.state(), State::established) << run.session.error();
  // mosquitto 2.0.11 installs only the TLS 1.2-style PSK callback; OpenSSL uses it in 1.3.
  EXPECT_EQ(run.session.peer().protocol, "TLSv1.3");
  EXPECT_EQ(run.session.peer().psk_identity, "alice");
  ASSERT_FALSE(run.plaintext.empty());
  EXPECT_EQ(run.plaintext[0], kConnect);
}

// mosquitto_pub's --tls-version tlsv1.2 still offers TLS 1.3, so the listener insists.
TEST(MosquittoClient, PskOverTls12) {
  ServerTlsOptions settings = psk_listener();
  settings.tls_version = "tlsv1.2";
  MosquittoPubRun run(server_context(settings), {"--psk", "a11ce0", "--psk-identity", "alice"});
  ASSERT_EQ(run.session.state(), State::established) << run.session.error();
  EXPECT_EQ(run.session.peer().protocol, "TLSv1.2");
  EXPECT_EQ(run.session.peer().psk_identity, "alice");
}

TEST(MosquittoClient, WrongPskFails) {
  MosquittoPubRun run(server_context(psk_listener()),
                      {"--psk", "a11ce1", "--psk-identity", "alice"});
  EXPECT_EQ(run.session.state(), State::failed);
  EXPECT_TRUE(run.plaintext.empty());
}

TEST(MosquittoClient, MutualTls) {
  ServerTlsOptions settings = certificate_listener();
  settings.cafile = pki().ca_file;
  settings.require_certificate = true;
  MosquittoPubRun run(server_context(settings),
                      {"--cafile", pki().ca_file, "--cert", pki().client.certfile, "--key",
                       pki().client.keyfile});
  ASSERT_EQ(run.session.state(), State::established) << run.session.error();
  EXPECT_EQ(run.session.peer().certificate_cn, "client");
  ASSERT_FALSE(run.plaintext.empty());
  EXPECT_EQ(run.plaintext[0], kConnect);
}

}  // namespace
}  // namespace attestmq::tls

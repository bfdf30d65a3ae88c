// The client side against Debian's mosquitto broker (2.0.11) as the TLS server: a client
// Session on a real socket completes the handshake and gets a CONNACK for its CONNECT.
#include <gtest/gtest.h>

#include "loopback_peer.hpp"
#include "reference_programs.hpp"
#include "session_pair.hpp"

namespace attestmq::tls {
namespace {

using State = Session::State;

// MQTT 3.1.1 section 3.1: CONNECT, protocol "MQTT" level 4, clean session, keep alive 60 s,
// empty client identifier (section 3.1.3.1 lets the server assign one).
const std::vector<std::uint8_t> kConnect = {0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60,
                                            0,    0};
// Section 3.2: CONNACK, session not present, return code 0 (accepted).
const std::vector<std::uint8_t> kConnackAccepted = {0x20, 2, 0, 0};

struct MosquittoBrokerRun {
  // Starts mosquitto with `listener_options` after "listener PORT 127.0.0.1", connects a
  // client Session, sends CONNECT once established and waits for the CONNACK.
  MosquittoBrokerRun(const std::string& listener_options, const ClientTlsOptions& options)
      : session(client_context(options)) {
    const std::uint16_t port = free_loopback_port();
    const std::string config = pki().write_file(
        "mosquitto_" + std::to_string(port) + ".conf",
        "listener " + std::to_string(port) + " 127.0.0.1\nallow_anonymous true\n" +
            listener_options);
    EXPECT_TRUE(test::installed(test::kMosquitto));
    ChildProcess mosquitto({test::kMosquitto, "-c", config});
    EXPECT_TRUE(mosquitto.started());
    const int fd = connect_when_listening(port);
    EXPECT_GE(fd, 0) << "mosquitto did not listen on " << port;
    if (fd < 0) return;
    std::vector<std::uint8_t> to_peer;
    session.start(to_peer);
    bool connect_sent = false;
    converse(fd, session, to_peer, plaintext, [&] {
      if (!connect_sent && session.state() == State::established) {
        connect_sent = session.send(kConnect, to_peer);
      }
      return plaintext.size() >= kConnackAccepted.size();
    });
  }

  Session session;
  std::vector<std::uint8_t> plaintext;
};

std::string certificate_options(bool require_certificate) {
  return "certfile " + pki().server.certfile + "\nkeyfile " + pki().server.keyfile +
         "\ncafile " + pki().ca_file + "\nrequire_certificate " +
         (require_certificate ? "true" : "false") + "\n";
}

TEST(MosquittoBroker, VerifiesTheBrokerCertificateAndHostName) {
  MosquittoBrokerRun run(certificate_options(false), trusting_client());
  ASSERT_EQ(run.session.state(), State::established) << run.session.error();
  EXPECT_EQ(run.session.peer().certificate_cn, "localhost");
  EXPECT_EQ(run.plaintext, kConnackAccepted);
}

TEST(MosquittoBroker, MutualTls) {
  ClientTlsOptions options = trusting_client();
  options.certfile = pki().client.certfile;
  options.keyfile = pki().client.keyfile;
  MosquittoBrokerRun run(certificate_options(true), options);
  ASSERT_EQ(run.session.state(), State::established) << run.session.error();
  EXPECT_EQ(run.plaintext, kConnackAccepted);
}

TEST(MosquittoBroker, UntrustedBrokerCertificate) {
  ClientTlsOptions options = trusting_client();
  options.cafile = pki().wrong_ca_file;
  MosquittoBrokerRun run(certificate_options(false), options);
  EXPECT_EQ(run.session.state(), State::failed);
  // mosquitto sends its CA along with its certificate: the chain ends in an untrusted root.
  EXPECT_EQ(run.session.error(),
            "certificate verify failed (self-signed certificate in certificate chain)");
}

TEST(MosquittoBroker, Psk) {
  const std::string psk_file =
      pki().write_psk_file({{"carol", {0xca, 0x20, 0x1e}}}, "mosquitto_psk.txt");
  ClientTlsOptions options;
  options.psk_identity = "carol";
  options.psk_key = {0xca, 0x20, 0x1e};
  MosquittoBrokerRun run("psk_hint attestmq\npsk_file " + psk_file + "\n", options);
  ASSERT_EQ(run.session.state(), State::established) << run.session.error();
  EXPECT_EQ(run.session.peer().psk_identity, "carol");
  EXPECT_EQ(run.plaintext, kConnackAccepted);
}

}  // namespace
}  // namespace attestmq::tls

// The Session state machine with real OpenSSL on both ends: handshake, data, close, garbage.
#include <gtest/gtest.h>
#include <openssl/err.h>

#include "session_pair.hpp"

namespace attestmq::tls {
namespace {

using State = Session::State;

TEST(Session, Tls13HandshakeWithServerCertificateOnly) {
  SessionPair pair(client_context(trusting_client()), server_context(certificate_listener()));
  EXPECT_EQ(pair.client.state(), State::handshaking);
  pair.handshake();
  ASSERT_EQ(pair.client.state(), State::established) << pair.client.error();
  ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
  EXPECT_EQ(pair.server.peer().protocol, "TLSv1.3");
  EXPECT_EQ(pair.client.peer().protocol, "TLSv1.3");
  EXPECT_EQ(pair.server.peer().cipher, pair.client.peer().cipher);
  EXPECT_FALSE(pair.server.peer().cipher.empty());
  EXPECT_EQ(pair.server.peer().certificate_cn, "");  // the client offered no certificate
  EXPECT_EQ(pair.client.peer().certificate_cn, "localhost");
  EXPECT_EQ(pair.server.peer().psk_identity, "");
}

TEST(Session, HandshakeCompletedIsReportedExactlyOnce) {
  SessionPair pair(client_context(trusting_client()), server_context(certificate_listener()));
  pair.client.start(pair.client_out);
  EXPECT_FALSE(pair.client.take_handshake_completed());
  pair.pump();
  EXPECT_TRUE(pair.server.take_handshake_completed());
  EXPECT_FALSE(pair.server.take_handshake_completed());
  EXPECT_TRUE(pair.client.take_handshake_completed());
  EXPECT_FALSE(pair.client.take_handshake_completed());
  ASSERT_TRUE(pair.client.send(bytes_of("more"), pair.client_out));
  pair.pump();
  EXPECT_FALSE(pair.server.take_handshake_completed());
}

TEST(Session, SendIsRefusedBeforeTheHandshakeCompletes) {
  SessionPair pair(client_context(trusting_client()), server_context(certificate_listener()));
  std::vector<std::uint8_t> out;
  EXPECT_FALSE(pair.client.send(bytes_of("early"), out));
  EXPECT_TRUE(out.empty());
}

TEST(Session, ApplicationDataBothWays) {
  SessionPair pair(client_context(trusting_client()), server_context(certificate_listener()));
  pair.handshake();
  ASSERT_TRUE(pair.client.send(bytes_of("CONNECT"), pair.client_out));
  ASSERT_TRUE(pair.server.send(bytes_of("CONNACK"), pair.server_out));
  pair.pump();
  EXPECT_EQ(pair.server_plaintext, bytes_of("CONNECT"));
  EXPECT_EQ(pair.client_plaintext, bytes_of("CONNACK"));
}

// A host may hand over any split of the stream, down to single bytes.
TEST(Session, OneBytePiecesStillWork) {
  SessionPair pair(client_context(trusting_client()), server_context(certificate_listener()));
  pair.handshake(1);
  ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
  ASSERT_EQ(pair.client.state(), State::established) << pair.client.error();
  ASSERT_TRUE(pair.client.send(bytes_of("split me"), pair.client_out));
  ASSERT_TRUE(pair.server.send(bytes_of("and me"), pair.server_out));
  pair.pump(1);
  EXPECT_EQ(pair.server_plaintext, bytes_of("split me"));
  EXPECT_EQ(pair.client_plaintext, bytes_of("and me"));
}

TEST(Session, OneMebibyteEachWay) {
  SessionPair pair(client_context(trusting_client()), server_context(certificate_listener()));
  pair.handshake();
  std::vector<std::uint8_t> upload(1 << 20), download(1 << 20);
  for (std::size_t i = 0; i < upload.size(); ++i) {
    upload[i] = static_cast<std::uint8_t>(i * 7);
    download[i] = static_cast<std::uint8_t>(i * 13 + 5);
  }
  ASSERT_TRUE(pair.client.send(upload, pair.client_out));
  ASSERT_TRUE(pair.server.send(download, pair.server_out));
  EXPECT_GT(pair.client_out.size(), upload.size());  // records add headers and tags
  pair.pump(65536);
  EXPECT_EQ(pair.server_plaintext, upload);
  EXPECT_EQ(pair.client_plaintext, download);
  // The burst's oversized buffers were given back; the connection goes on.
  pair.server_plaintext.clear();
  ASSERT_TRUE(pair.client.send(bytes_of("after"), pair.client_out));
  pair.pump();
  EXPECT_EQ(pair.server_plaintext, bytes_of("after"));
  EXPECT_EQ(pair.server.state(), State::established);
}

TEST(Session, CloseNotifyClosesThePeer) {
  SessionPair pair(client_context(trusting_client()), server_context(certificate_listener()));
  pair.handshake();
  pair.client.close(pair.client_out);
  EXPECT_EQ(pair.client.state(), State::closed);
  EXPECT_FALSE(pair.client_out.empty());
  EXPECT_FALSE(pair.client.send(bytes_of("late"), pair.client_out));
  pair.pump();
  EXPECT_EQ(pair.server.state(), State::closed);
  // The server answers with its own close_notify, once.
  pair.server.close(pair.server_out);
  EXPECT_FALSE(pair.server_out.empty());
  pair.server_out.clear();
  pair.server.close(pair.server_out);
  EXPECT_TRUE(pair.server_out.empty());
}

TEST(Session, ServerCloseNotifyClosesTheClient) {
  SessionPair pair(client_context(trusting_client()), server_context(certificate_listener()));
  pair.handshake();
  ASSERT_TRUE(pair.server.send(bytes_of("bye"), pair.server_out));
  pair.server.close(pair.server_out);
  pair.pump();
  EXPECT_EQ(pair.client_plaintext, bytes_of("bye"));
  EXPECT_EQ(pair.client.state(), State::closed);
}

// Other OpenSSL users on the host's thread may leave errors behind; SSL_get_error would
// mistake them for this session's failure.
TEST(Session, StaleOpenSslErrorsOnTheThreadAreIgnored) {
  SessionPair pair(client_context(trusting_client()), server_context(certificate_listener()));
  pair.handshake();
  ASSERT_TRUE(pair.client.send(bytes_of("still fine"), pair.client_out));
  ERR_raise(ERR_LIB_USER, 1);
  // A partial record: SSL_read wants more, and SSL_get_error must not see the stale error.
  pair.pump(1);
  ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
  EXPECT_EQ(pair.server_plaintext, bytes_of("still fine"));
}

TEST(Session, CloseDuringTheHandshakeSendsNothing) {
  SessionPair pair(client_context(trusting_client()), server_context(certificate_listener()));
  pair.client.start(pair.client_out);
  pair.client_out.clear();
  pair.client.close(pair.client_out);
  pair.client.close(pair.client_out);
  EXPECT_EQ(pair.client.state(), State::closed);
  EXPECT_TRUE(pair.client_out.empty());
}

TEST(Session, GarbageBeforeTheHandshakeFailsWithAnAlert) {
  Session server(server_context(certificate_listener()));
  // A handshake record holding a ClientHello one byte long: nothing a TLS client would send.
  const std::vector<std::uint8_t> record = {22, 3, 1, 0, 5, 1, 0, 0, 1, 0xFF};
  std::vector<std::uint8_t> plaintext, to_peer;
  const auto state = server.receive(record, plaintext, to_peer);
  EXPECT_EQ(state, State::failed);
  EXPECT_FALSE(server.error().empty());
  ASSERT_GE(to_peer.size(), 7u);
  EXPECT_EQ(to_peer[0], 21);  // ContentType alert, RFC 8446 section 5.1
}

TEST(Session, GarbageRecordAfterTheHandshakeFailsWithAnAlert) {
  SessionPair pair(client_context(trusting_client()), server_context(certificate_listener()));
  pair.handshake();
  // An application_data record whose AEAD tag cannot verify (RFC 8446 section 5.2).
  std::vector<std::uint8_t> record = {23, 3, 3, 0, 32};
  record.resize(record.size() + 32, 0xAB);
  std::vector<std::uint8_t> plaintext, to_peer;
  EXPECT_EQ(pair.server.receive(record, plaintext, to_peer), State::failed);
  EXPECT_EQ(pair.server.error(), "decryption failed or bad record mac");
  EXPECT_FALSE(to_peer.empty());
  EXPECT_TRUE(plaintext.empty());
  // A failed session stays failed and says nothing more.
  to_peer.clear();
  EXPECT_EQ(pair.server.receive(record, plaintext, to_peer), State::failed);
  EXPECT_TRUE(to_peer.empty());
}

}  // namespace
}  // namespace attestmq::tls

// TlsTransport against a real server tls::Session on a real socket: a thread accepts one
// connection on 127.0.0.1, runs the server side of the handshake and echoes what it decrypts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "client/tcp_transport.hpp"
#include "client/tls_transport.hpp"
#include "test_pki.hpp"

namespace attestmq::client {
namespace {

using namespace std::chrono_literals;

test::TestPki& pki() {
  static test::TestPki instance;
  return instance;
}

// Accepts one connection and echoes the plaintext back through a server tls::Session until
// the client goes away. Records who the client proved to be.
class EchoServer {
 public:
  // reset_on_failure: a failed handshake ends with a TCP reset instead of the alert, as a
  // client sees it when its next record meets a socket the server already closed.
  explicit EchoServer(const tls::ServerTlsOptions& settings, bool reset_on_failure = false)
      : reset_on_failure_(reset_on_failure) {
    std::string error;
    context_ = tls::Context::server(settings, error);
    EXPECT_NE(context_, nullptr) << error;
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(::listen(listener_, 1), 0);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~EchoServer() {
    join();
    ::close(listener_);
  }

  std::uint16_t port() const { return port_; }
  // Waits until the client has gone; `peer` and `failure` are final then.
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  tls::PeerIdentity peer;
  std::string failure;

 private:
  void serve() {
    pollfd waiting{listener_, POLLIN, 0};
    if (::poll(&waiting, 1, 10'000) != 1) return;
    const int fd = ::accept(listener_, nullptr, nullptr);
    tls::Session session(context_);
    std::vector<std::uint8_t> ciphertext(4096), plaintext, to_peer;
    for (;;) {
      const ssize_t count = ::recv(fd, ciphertext.data(), ciphertext.size(), 0);
      if (count <= 0) break;
      const auto state = session.receive(
          std::span(ciphertext.data(), static_cast<std::size_t>(count)), plaintext, to_peer);
      if (state == tls::Session::State::established && !plaintext.empty()) {
        session.send(plaintext, to_peer);
        plaintext.clear();
      }
      if (state == tls::Session::State::failed && reset_on_failure_) {
        const linger abort{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
        failure = session.error();
        break;
      }
      if (!to_peer.empty()) ::send(fd, to_peer.data(), to_peer.size(), MSG_NOSIGNAL);
      to_peer.clear();
      if (state == tls::Session::State::failed) failure = session.error();
      if (state == tls::Session::State::failed || state == tls::Session::State::closed) break;
    }
    peer = session.peer();
    ::close(fd);
  }

  const bool reset_on_failure_;
  std::shared_ptr<const tls::Context> context_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

tls::ServerTlsOptions certificate_listener() {
  tls::ServerTlsOptions settings;
  settings.certfile = pki().server.certfile;
  settings.keyfile = pki().server.keyfile;
  return settings;
}

tls::ClientTlsOptions trusting_client() {
  tls::ClientTlsOptions options;
  options.cafile = pki().ca_file;
  options.server_name = "localhost";
  return options;
}

Status connect_tls(std::uint16_t port, const tls::ClientTlsOptions& options,
                   std::unique_ptr<Transport>& transport) {
  std::unique_ptr<Transport> tcp;
  if (Status connected = TcpTransport::connect("127.0.0.1", port, 5s, tcp); !connected.ok()) {
    return connected;
  }
  std::string error;
  auto context = tls::Context::client(options, error);
  if (!context) return Status::failure(ErrorKind::invalid_request, error);
  return TlsTransport::connect(std::move(tcp), std::move(context), 5s, transport);
}

// Writes `text` and reads until as many bytes came back.
std::string echo(Transport& transport, const std::string& text) {
  const std::vector<std::uint8_t> bytes(text.begin(), text.end());
  EXPECT_TRUE(transport.write(bytes, 5s).ok());
  std::string back;
  std::vector<std::uint8_t> buffer(1000);
  while (back.size() < text.size()) {
    std::size_t received = 0;
    const Status read = transport.read(buffer, 5s, received);
    if (!read.ok()) {
      ADD_FAILURE() << read.message;
      break;
    }
    back.append(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(received));
  }
  return back;
}

TEST(TlsTransport, CarriesDataBothWaysAfterVerifyingTheServer) {
  EchoServer server(certificate_listener());
  std::unique_ptr<Transport> transport;
  const Status status = connect_tls(server.port(), trusting_client(), transport);
  ASSERT_TRUE(status.ok()) << status.message;
  auto& tls = static_cast<TlsTransport&>(*transport);
  EXPECT_EQ(tls.peer().protocol, "TLSv1.3");
  EXPECT_EQ(echo(*transport, "hello"), "hello");
  // Larger than one TLS record (16 KiB): several records each way, read in 1000-byte pieces.
  const std::string big(40'000, 'x');
  EXPECT_EQ(echo(*transport, big), big);
  transport->close();
}

TEST(TlsTransport, ReadTimesOutWhenTheServerIsSilent) {
  EchoServer server(certificate_listener());
  std::unique_ptr<Transport> transport;
  ASSERT_TRUE(connect_tls(server.port(), trusting_client(), transport).ok());
  std::vector<std::uint8_t> buffer(100);
  std::size_t received = 0;
  EXPECT_EQ(transport->read(buffer, 200ms, received).kind, ErrorKind::timeout);
  EXPECT_EQ(received, 0u);
  transport->close();
}

TEST(TlsTransport, TlsVersionTwelveIsNegotiatedWhenAsked) {
  EchoServer server(certificate_listener());
  auto options = trusting_client();
  options.tls_version = "tlsv1.2";
  std::unique_ptr<Transport> transport;
  const Status status = connect_tls(server.port(), options, transport);
  ASSERT_TRUE(status.ok()) << status.message;
  EXPECT_EQ(static_cast<TlsTransport&>(*transport).peer().protocol, "TLSv1.2");
  EXPECT_EQ(echo(*transport, "twelve"), "twelve");
  transport->close();
}

TEST(TlsTransport, WrongCaFailsTheHandshakeWithTheReason) {
  EchoServer server(certificate_listener());
  auto options = trusting_client();
  options.cafile = pki().wrong_ca_file;
  std::unique_ptr<Transport> transport;
  const Status status = connect_tls(server.port(), options, transport);
  EXPECT_EQ(status.kind, ErrorKind::tls);
  EXPECT_EQ(status.message.rfind("TLS handshake failed: certificate verify failed", 0), 0u)
      << status.message;
  EXPECT_EQ(transport, nullptr);
}

TEST(TlsTransport, HostnameMismatchFailsUnlessVerificationIsOff) {
  {
    EchoServer server(certificate_listener());
    auto options = trusting_client();
    options.server_name = "not-the-server.example";
    std::unique_ptr<Transport> transport;
    const Status status = connect_tls(server.port(), options, transport);
    EXPECT_EQ(status.kind, ErrorKind::tls);
    EXPECT_NE(status.message.find("certificate verify failed"), std::string::npos)
        << status.message;
  }
  EchoServer server(certificate_listener());
  auto options = trusting_client();
  options.server_name = "not-the-server.example";
  options.verify_hostname = false;  // --insecure
  std::unique_ptr<Transport> transport;
  const Status status = connect_tls(server.port(), options, transport);
  ASSERT_TRUE(status.ok()) << status.message;
  EXPECT_EQ(echo(*transport, "insecure"), "insecure");
  transport->close();
}

TEST(TlsTransport, MutualTlsPresentsTheClientCertificate) {
  auto settings = certificate_listener();
  settings.cafile = pki().ca_file;
  settings.require_certificate = true;
  EchoServer server(settings);
  auto options = trusting_client();
  options.certfile = pki().client.certfile;
  options.keyfile = pki().client.keyfile;
  std::unique_ptr<Transport> transport;
  const Status status = connect_tls(server.port(), options, transport);
  ASSERT_TRUE(status.ok()) << status.message;
  EXPECT_EQ(echo(*transport, "mutual"), "mutual");
  transport->close();
  server.join();
  EXPECT_EQ(server.peer.certificate_cn, "client");
}

TEST(TlsTransport, ServerRequiringACertificateRejectsAClientWithoutOne) {
  auto settings = certificate_listener();
  settings.cafile = pki().ca_file;
  settings.require_certificate = true;
  EchoServer server(settings);
  std::unique_ptr<Transport> transport;
  Status status = connect_tls(server.port(), trusting_client(), transport);
  // TLS 1.3 finishes the client's side of the handshake before the server checks the client
  // (RFC 8446 section 4.4.2.4): the refusal arrives as an alert on the first read.
  if (status.ok()) {
    const std::vector<std::uint8_t> bytes{'x'};
    transport->write(bytes, 5s);
    std::vector<std::uint8_t> buffer(10);
    std::size_t received = 0;
    status = transport->read(buffer, 5s, received);
  }
  EXPECT_EQ(status.kind, ErrorKind::tls) << status.message;
  EXPECT_NE(status.message.find("certificate required"), std::string::npos) << status.message;
}

TEST(TlsTransport, AResetAfterAnUnansweredCertificateRequestIsATlsFailure) {
  auto settings = certificate_listener();
  settings.cafile = pki().ca_file;
  settings.require_certificate = true;
  EchoServer server(settings, /*reset_on_failure=*/true);
  std::unique_ptr<Transport> transport;
  ASSERT_TRUE(connect_tls(server.port(), trusting_client(), transport).ok());
  server.join();  // the server has refused the client and reset the connection
  const std::vector<std::uint8_t> bytes{'x'};
  Status status = transport->write(bytes, 5s);
  if (status.ok()) {
    std::vector<std::uint8_t> buffer(10);
    std::size_t received = 0;
    status = transport->read(buffer, 5s, received);
  }
  EXPECT_EQ(status.kind, ErrorKind::tls) << status.message;
  EXPECT_NE(status.message.find("asked for a client certificate and none was given"),
            std::string::npos)
      << status.message;
}

TEST(TlsTransport, PreSharedKeyReplacesCertificates) {
  const std::vector<std::uint8_t> key{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};
  tls::ServerTlsOptions settings;
  settings.psk_hint = "hint";
  settings.psk_file = pki().write_psk_file({{"sensor-1", key}}, "client_psk.txt");
  EchoServer server(settings);
  tls::ClientTlsOptions options;
  options.server_name = "localhost";
  options.psk_identity = "sensor-1";
  options.psk_key = key;
  std::unique_ptr<Transport> transport;
  const Status status = connect_tls(server.port(), options, transport);
  ASSERT_TRUE(status.ok()) << status.message;
  EXPECT_EQ(echo(*transport, "psk"), "psk");
  transport->close();
  server.join();
  EXPECT_EQ(server.peer.psk_identity, "sensor-1");
}

TEST(TlsTransport, WrongPreSharedKeyFails) {
  tls::ServerTlsOptions settings;
  settings.psk_hint = "hint";
  settings.psk_file = pki().write_psk_file({{"sensor-1", {0x01, 0x02, 0x03, 0x04}}},
                                           "client_psk_wrong.txt");
  EchoServer server(settings);
  tls::ClientTlsOptions options;
  options.server_name = "localhost";
  options.psk_identity = "sensor-1";
  options.psk_key = {0x0a, 0x0b, 0x0c, 0x0d};
  std::unique_ptr<Transport> transport;
  const Status status = connect_tls(server.port(), options, transport);
  EXPECT_EQ(status.kind, ErrorKind::tls) << status.message;
  EXPECT_EQ(status.message.rfind("TLS handshake failed: ", 0), 0u) << status.message;
}

}  // namespace
}  // namespace attestmq::client

#include "tls_test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "mqtt/codec.hpp"

namespace attestmq::server::testing {

TlsTestClient::TlsTestClient(std::uint16_t port, const tls::ClientTlsOptions& options) {
  auto context = tls::Context::client(options, error_);
  if (!context) return;
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    error_ = "connect failed";
    return;
  }
  const timeval timeout{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  fd_ = std::move(fd);
  session_ = std::make_unique<tls::Session>(std::move(context));
  std::vector<std::uint8_t> to_peer;
  session_->start(to_peer);
  write(to_peer);
  while (session_->state() == tls::Session::State::handshaking && read_more()) {
  }
  if (!handshake_done() && error_.empty()) error_ = session_->error();
}

std::string TlsTestClient::server_certificate_cn() const {
  X509* certificate = SSL_get1_peer_certificate(session_->native());
  if (certificate == nullptr) return "";
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name, sizeof name);
  X509_free(certificate);
  return name;
}

void TlsTestClient::write(const std::vector<std::uint8_t>& ciphertext) {
  std::size_t sent = 0;
  while (sent < ciphertext.size()) {
    const ssize_t n = ::send(fd_.get(), ciphertext.data() + sent, ciphertext.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

bool TlsTestClient::read_more() {
  std::uint8_t chunk[16384];
  const ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  std::vector<std::uint8_t> to_peer;
  const auto state = session_->receive(std::span<const std::uint8_t>(chunk, static_cast<std::size_t>(n)),
                                       plaintext_, to_peer);
  write(to_peer);
  return state == tls::Session::State::handshaking || state == tls::Session::State::established;
}

void TlsTestClient::send_packet(const mqtt::Packet& packet) {
  std::vector<std::uint8_t> plaintext;
  mqtt::encode(packet, mqtt::Version::v5, plaintext);
  std::vector<std::uint8_t> ciphertext;
  if (session_ && session_->send(plaintext, ciphertext)) write(ciphertext);
}

std::optional<mqtt::Packet> TlsTestClient::receive() {
  if (!packet_.empty()) {
    plaintext_.erase(plaintext_.begin(), plaintext_.begin() + static_cast<std::ptrdiff_t>(packet_.size()));
    packet_.clear();
  }
  while (true) {
    mqtt::FixedHeader header;
    mqtt::DecodeStatus status;
    const auto frame = mqtt::parse_frame(plaintext_, mqtt::kMaxRemainingLength + 5, header, status);
    if (frame == mqtt::FrameStatus::error) return std::nullopt;
    if (frame == mqtt::FrameStatus::complete) {
      packet_.assign(plaintext_.begin(), plaintext_.begin() + static_cast<std::ptrdiff_t>(header.total_size()));
      mqtt::Packet packet;
      const std::span<const std::uint8_t> body(packet_.data() + header.header_size, header.remaining_length);
      if (!mqtt::decode(header, body, mqtt::Version::v5, packet).ok()) return std::nullopt;
      return packet;
    }
    if (!session_) return std::nullopt;
    const std::size_t before = plaintext_.size();
    // A last packet may arrive together with the close_notify that ends the session.
    if (!read_more() && plaintext_.size() == before) return std::nullopt;
  }
}

mqtt::ReasonCode TlsTestClient::connect(const std::string& client_id) {
  mqtt::Connect connect;
  connect.version = mqtt::Version::v5;
  connect.keep_alive = 60;
  connect.client_id = client_id;
  send_packet(connect);
  const auto reply = receive();
  if (!reply || !std::holds_alternative<mqtt::Connack>(*reply)) return mqtt::ReasonCode::UnspecifiedError;
  return std::get<mqtt::Connack>(*reply).reason;
}

}  // namespace attestmq::server::testing

#pragma once
// A blocking MQTT client over TLS for server tests: a real socket, with tls::Session (the
// same sans-I/O layer the broker uses, here on the client side) in between.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mqtt/packet.hpp"
#include "server/unique_fd.hpp"
#include "tls/session.hpp"

namespace attestmq::server::testing {

class TlsTestClient {
 public:
  // TCP-connects to 127.0.0.1:port and runs the handshake (reads time out after a few
  // seconds). handshake_done() says whether it succeeded; error() why not.
  TlsTestClient(std::uint16_t port, const tls::ClientTlsOptions& options);

  bool handshake_done() const { return session_ && session_->state() == tls::Session::State::established; }
  const std::string& error() const { return error_; }
  // The CN of the certificate the server presented.
  std::string server_certificate_cn() const;

  void send_packet(const mqtt::Packet& packet);
  // The next packet, or nullopt on EOF, TLS failure or timeout. Its views point into this
  // client's buffer until the next call.
  std::optional<mqtt::Packet> receive();
  // CONNECT (MQTT 5.0), then the CONNACK's reason; UnspecifiedError when none came.
  mqtt::ReasonCode connect(const std::string& client_id);

 private:
  // One recv() through the session; false on EOF, error, timeout or TLS failure.
  bool read_more();
  void write(const std::vector<std::uint8_t>& ciphertext);

  UniqueFd fd_;
  std::unique_ptr<tls::Session> session_;
  std::string error_;
  std::vector<std::uint8_t> plaintext_;
  std::vector<std::uint8_t> packet_;  // the bytes of the packet last returned
};

}  // namespace attestmq::server::testing

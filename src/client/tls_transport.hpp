#pragma once
// TLS transport: a tls::Session (sans-I/O, memory BIOs) over another transport, normally a
// TcpTransport. Blocking with timeouts like TcpTransport: the handshake runs inside connect(),
// and read/write move ciphertext through the inner transport.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/transport.hpp"
#include "tls/session.hpp"

namespace attestmq::client {

class TlsTransport final : public Transport {
 public:
  // Runs the TLS handshake over `inner` within `timeout`. On failure `transport` stays empty
  // and the status (ErrorKind::tls) says why: "TLS handshake failed: certificate verify failed
  // (unable to get local issuer certificate)."
  static Status connect(std::unique_ptr<Transport> inner,
                        std::shared_ptr<const tls::Context> context,
                        std::chrono::milliseconds timeout, std::unique_ptr<Transport>& transport);

  TlsTransport(std::unique_ptr<Transport> inner, std::shared_ptr<const tls::Context> context);

  Status write(std::span<const std::uint8_t> data, std::chrono::milliseconds timeout) override;
  Status read(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout,
              std::size_t& received) override;
  void close() override;

  const tls::PeerIdentity& peer() const { return session_.peer(); }
  const tls::Session* tls_session() const override { return &session_; }

 private:
  // Reads ciphertext once (waiting at most `timeout`), feeds it to the session and sends what
  // the session answers. Decrypted bytes collect in plaintext_.
  Status pump(std::chrono::milliseconds timeout);
  Status send_records(std::chrono::milliseconds timeout);
  Status failed(const char* when) const;
  Status explain_refusal(Status status) const;

  std::unique_ptr<Transport> inner_;
  tls::Session session_;
  std::vector<std::uint8_t> to_peer_;
  std::vector<std::uint8_t> plaintext_;
  std::size_t plaintext_begin_ = 0;
  bool received_application_data_ = false;
};

// A TCP connection to host:port, under TLS with `tls` when it is set: how the CLI reaches a
// broker. Failures say why ("Problem setting TLS options: cafile ...", the handshake's error).
// `attestation`: transport A (docs/attestation.md section 8) in the TLS handshake.
Status open_transport(const std::string& host, std::uint16_t port,
                      const std::optional<tls::ClientTlsOptions>& tls,
                      std::chrono::milliseconds timeout, std::unique_ptr<Transport>& transport,
                      std::optional<tls::ClientHandshakeAttestation> attestation = std::nullopt);

}  // namespace attestmq::client

#include "client/tls_transport.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

#include "client/tcp_transport.hpp"

namespace attestmq::client {
namespace {

using Clock = std::chrono::steady_clock;

// One TLS record holds at most 16 KiB of plaintext plus its overhead (RFC 8446 section 5.2).
constexpr std::size_t kCiphertextChunk = 16 * 1024 + 256;
// An alert on a failed session is a courtesy to the peer: do not wait long for it to go out.
constexpr std::chrono::milliseconds kAlertTimeout{1000};

std::chrono::milliseconds time_left(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

}  // namespace

TlsTransport::TlsTransport(std::unique_ptr<Transport> inner,
                           std::shared_ptr<const tls::Context> context)
    : inner_(std::move(inner)), session_(std::move(context)) {}

Status TlsTransport::connect(std::unique_ptr<Transport> inner,
                             std::shared_ptr<const tls::Context> context,
                             std::chrono::milliseconds timeout,
                             std::unique_ptr<Transport>& transport) {
  const auto deadline = Clock::now() + timeout;
  auto tls = std::make_unique<TlsTransport>(std::move(inner), std::move(context));
  tls->session_.start(tls->to_peer_);
  if (Status sent = tls->send_records(timeout); !sent.ok()) return sent;
  while (tls->session_.state() == tls::Session::State::handshaking) {
    const auto left = time_left(deadline);
    if (left.count() == 0) {
      return Status::failure(ErrorKind::timeout,
                             "TLS handshake failed: the server did not complete it in time.");
    }
    Status step = tls->pump(left);
    if (step.kind == ErrorKind::timeout) continue;  // the deadline decides
    if (step.kind == ErrorKind::connection_closed) {
      return Status::failure(ErrorKind::tls,
                             "TLS handshake failed: the server closed the connection.");
    }
    if (!step.ok()) return step;
  }
  if (tls->session_.state() != tls::Session::State::established) {
    return tls->failed("TLS handshake failed");
  }
  transport = std::move(tls);
  return Status::success();
}

Status TlsTransport::write(std::span<const std::uint8_t> data, std::chrono::milliseconds timeout) {
  if (!session_.send(data, to_peer_)) {
    if (session_.state() == tls::Session::State::failed) return failed("TLS error");
    return Status::failure(ErrorKind::connection_closed, "The TLS session is closed.");
  }
  return explain_refusal(send_records(timeout));
}

// TLS 1.3: a server that wanted a client certificate we did not have refuses only after our
// handshake is done; its alert may come back as a plain reset or end of stream on our next
// write or read. Said as the TLS failure it is, not as a network error.
Status TlsTransport::explain_refusal(Status status) const {
  if (status.ok() || status.kind == ErrorKind::tls || status.kind == ErrorKind::timeout ||
      !session_.notes().certificate_requested_without_one || received_application_data_) {
    return status;
  }
  return Status::failure(ErrorKind::tls,
                         "TLS error: the server asked for a client certificate and none was "
                         "given (--cert, --key); it closed the connection (" + status.message + ")");
}

Status TlsTransport::read(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout,
                          std::size_t& received) {
  received = 0;
  const auto deadline = Clock::now() + timeout;
  // A record may carry no application data (a TLS 1.3 NewSessionTicket, a KeyUpdate): keep
  // reading until some plaintext arrives or the time is up.
  while (plaintext_begin_ == plaintext_.size()) {
    if (session_.state() == tls::Session::State::closed) {
      return Status::failure(ErrorKind::connection_closed, "The server closed the TLS session.");
    }
    if (session_.state() == tls::Session::State::failed) return failed("TLS error");
    if (Status step = pump(time_left(deadline)); !step.ok()) return explain_refusal(step);
    if (plaintext_begin_ == plaintext_.size() && time_left(deadline).count() == 0) {
      return Status::failure(ErrorKind::timeout, "No data from the server in time.");
    }
  }
  received_application_data_ = true;
  received = std::min(buffer.size(), plaintext_.size() - plaintext_begin_);
  std::memcpy(buffer.data(), plaintext_.data() + plaintext_begin_, received);
  plaintext_begin_ += received;
  if (plaintext_begin_ == plaintext_.size()) {
    plaintext_.clear();
    plaintext_begin_ = 0;
  }
  return Status::success();
}

void TlsTransport::close() { inner_->close(); }

Status TlsTransport::pump(std::chrono::milliseconds timeout) {
  std::array<std::uint8_t, kCiphertextChunk> ciphertext;
  std::size_t count = 0;
  if (Status read = inner_->read(ciphertext, timeout, count); !read.ok()) return read;
  const bool handshaking = session_.state() == tls::Session::State::handshaking;
  const auto state =
      session_.receive(std::span(ciphertext.data(), count), plaintext_, to_peer_);
  if (state == tls::Session::State::failed) {
    send_records(kAlertTimeout);  // the alert; the failure below is what matters
    return failed(handshaking ? "TLS handshake failed" : "TLS error");
  }
  return send_records(timeout);
}

Status TlsTransport::send_records(std::chrono::milliseconds timeout) {
  if (to_peer_.empty()) return Status::success();
  Status sent = inner_->write(to_peer_, timeout);
  to_peer_.clear();
  return sent;
}

Status TlsTransport::failed(const char* when) const {
  return Status::failure(ErrorKind::tls, fmt::format("{}: {}.", when, session_.error()));
}

Status open_transport(const std::string& host, std::uint16_t port,
                      const std::optional<tls::ClientTlsOptions>& tls,
                      std::chrono::milliseconds timeout, std::unique_ptr<Transport>& transport,
                      std::optional<tls::ClientHandshakeAttestation> attestation) {
  std::unique_ptr<Transport> tcp;
  if (Status connected = TcpTransport::connect(host, port, timeout, tcp); !connected.ok()) {
    return connected;
  }
  if (!tls) {
    transport = std::move(tcp);
    return Status::success();
  }
  std::string error;
  auto context = tls::Context::client(*tls, error, std::move(attestation));
  if (!context) {
    return Status::failure(ErrorKind::invalid_request, "Problem setting TLS options: " + error);
  }
  return TlsTransport::connect(std::move(tcp), std::move(context), timeout, transport);
}

}  // namespace attestmq::client

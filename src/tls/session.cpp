// The Session state machine over two memory BIOs: ciphertext in through from_peer_, out
// through to_peer_. OpenSSL never sees a socket, so it never blocks: "want read" just means
// the host has to feed more bytes.
#include "tls/session.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <utility>

#include "tls/callbacks.hpp"

namespace attestmq::tls {
namespace {

// Plaintext is read in steps of at most one maximal TLS record (RFC 8446 section 5.1:
// 2^14 bytes), and at least enough for a typical small MQTT packet.
constexpr std::size_t kReadStep = 16384;
constexpr std::size_t kMinReadStep = 512;
// A memory BIO keeps its largest buffer forever; after a burst (a 1 MiB message) an idle
// connection gives it back by starting a fresh BIO once this one is empty.
constexpr std::size_t kKeepBioCapacity = 64 * 1024;

BIO* new_memory_bio() {
  BIO* bio = BIO_new(BIO_s_mem());
  // An empty BIO reads as "retry later", never as end of file.
  BIO_set_mem_eof_return(bio, -1);
  return bio;
}

bool oversized_and_empty(BIO* bio) {
  BUF_MEM* memory = nullptr;
  BIO_get_mem_ptr(bio, &memory);
  return memory != nullptr && memory->max > kKeepBioCapacity && BIO_ctrl_pending(bio) == 0;
}

std::string name_entry(const X509_NAME* name, int nid) {
  const int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return {};
  unsigned char* utf8 = nullptr;
  const int length =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
  if (length < 0) return {};
  std::string text(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return text;
}

// RFC 2253 form, as Mosquitto's use_subject_as_username prints it.
std::string rfc2253(const X509_NAME* name) {
  BIO* out = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(out, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long length = BIO_get_mem_data(out, &data);
  std::string text(data, static_cast<std::size_t>(length));
  BIO_free(out);
  return text;
}

// SSL_get_error needs an empty error queue before each I/O call; it usually is (failures
// clear it), and peeking is much cheaper than clearing on every record.
void clear_stale_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace

// SHA-256 over the certificate's SubjectPublicKeyInfo exactly as encoded in it.
std::optional<std::array<std::uint8_t, 32>> certificate_key_sha256(const X509* certificate) {
  if (certificate == nullptr) return std::nullopt;
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(certificate), &der);
  if (length <= 0) return std::nullopt;
  std::array<std::uint8_t, 32> digest{};
  unsigned int digest_length = 0;
  const bool hashed = EVP_Digest(der, static_cast<std::size_t>(length), digest.data(),
                                 &digest_length, EVP_sha256(), nullptr) == 1 &&
                      digest_length == digest.size();
  OPENSSL_free(der);
  if (!hashed) return std::nullopt;
  return digest;
}

Session::Session(std::shared_ptr<const Context> context) : context_(std::move(context)) {
  ssl_ = SSL_new(context_->native());
  from_peer_ = new_memory_bio();
  to_peer_ = new_memory_bio();
  SSL_set_bio(ssl_, from_peer_, to_peer_);
  SSL_set_app_data(ssl_, &notes_);
  if (context_->is_server()) {
    SSL_set_accept_state(ssl_);
    return;
  }
  SSL_set_connect_state(ssl_);
  const std::string& name = context_->server_name();
  if (name.empty()) return;
  // RFC 6066 section 3: SNI carries host names only, never a literal IP address.
  ASN1_OCTET_STRING* address = a2i_IPADDRESS(name.c_str());
  if (address == nullptr) SSL_set_tlsext_host_name(ssl_, name.c_str());
  ASN1_OCTET_STRING_free(address);
  // SSL_set1_host takes an IP address as such (checked against iPAddress SANs).
  if (context_->verify_hostname()) SSL_set1_host(ssl_, name.c_str());
}

Session::~Session() { SSL_free(ssl_); }

void Session::start(std::vector<std::uint8_t>& to_peer) {
  if (context_->is_server() || state_ != State::handshaking) return;
  clear_stale_errors();
  advance_handshake();
  drain(to_peer);
}

Session::State Session::receive(std::span<const std::uint8_t> ciphertext,
                                std::vector<std::uint8_t>& plaintext,
                                std::vector<std::uint8_t>& to_peer) {
  if (state_ == State::failed || state_ == State::closed) return state_;
  clear_stale_errors();
  while (!ciphertext.empty()) {
    const int chunk = static_cast<int>(std::min<std::size_t>(ciphertext.size(), INT_MAX));
    BIO_write(from_peer_, ciphertext.data(), chunk);
    ciphertext = ciphertext.subspan(static_cast<std::size_t>(chunk));
  }
  if (state_ == State::handshaking) advance_handshake();
  if (state_ == State::established) read_application_data(plaintext);
  drain(to_peer);
  return state_;
}

bool Session::send(std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& to_peer) {
  if (state_ != State::established) return false;
  clear_stale_errors();
  // Without SSL_MODE_ENABLE_PARTIAL_WRITE, SSL_write_ex writes everything or fails; a
  // memory BIO never pushes back.
  std::size_t written = 0;
  if (!plaintext.empty() &&
      SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &written) != 1) {
    fail();
  }
  drain(to_peer);
  return state_ == State::established;
}

void Session::close(std::vector<std::uint8_t>& to_peer) {
  // One close_notify at most, none after a fatal alert, and none for an abandoned
  // handshake: it has nothing to protect, and OpenSSL refuses to shut it down.
  const bool already_sent = (SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) != 0;
  if (state_ != State::failed && !already_sent && SSL_is_init_finished(ssl_)) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
    drain(to_peer);
  }
  if (state_ != State::failed) state_ = State::closed;
}

std::optional<std::vector<std::uint8_t>> Session::export_keying_material(
    std::string_view label, std::span<const std::uint8_t> context, std::size_t length) const {
  if (state_ != State::established || length == 0) return std::nullopt;
  std::vector<std::uint8_t> material(length);
  if (SSL_export_keying_material(ssl_, material.data(), material.size(), label.data(),
                                 label.size(), context.data(), context.size(),
                                 /*use_context=*/1) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return material;
}

bool Session::resumed() const {
  return SSL_session_reused(ssl_) == 1 && !notes_.external_psk_used;
}

std::optional<std::array<std::uint8_t, 32>> Session::local_certificate_key_sha256() const {
  if (state_ != State::established || SSL_session_reused(ssl_) == 1) return std::nullopt;
  // A server always sends its certificate in a full handshake; a client only when asked
  // (RFC 8446 section 4.4.2), which the message callback noted.
  if (!context_->is_server() && !notes_.certificate_sent) return std::nullopt;
  return certificate_key_sha256(SSL_get_certificate(ssl_));
}

std::optional<std::array<std::uint8_t, 32>> Session::peer_certificate_key_sha256() const {
  if (state_ != State::established) return std::nullopt;
  return certificate_key_sha256(SSL_get0_peer_certificate(ssl_));
}

bool Session::take_handshake_completed() { return std::exchange(handshake_completed_, false); }

void Session::advance_handshake() {
  if (SSL_do_handshake(ssl_) == 1) {
    record_peer();
    // Transport A: a PSK handshake has no Certificate, where the client judges the evidence
    // otherwise (handshake_attestation.cpp); it is judged here, after the client's Finished
    // but before any application data, and a refusal ends the session without an alert:
    // OpenSSL sends none of our choosing once its handshake is done.
    if (context_->client_attestation() && !notes_.attestation.judged &&
        judge_handshake_attestation(ssl_, std::nullopt, peer_.psk_identity)) {
      state_ = State::failed;
      error_ = "attestation: " + notes_.attestation.refusal->reason;
      return;
    }
    state_ = State::established;
    handshake_completed_ = true;
    return;
  }
  if (SSL_get_error(ssl_, 0) != SSL_ERROR_WANT_READ) fail();
}

void Session::read_application_data(std::vector<std::uint8_t>& plaintext) {
  for (;;) {
    // Plaintext is never longer than the ciphertext still to decrypt, so grow by about that
    // much (at most one record) rather than zero-filling a whole record's worth each time.
    const std::size_t undecrypted = BIO_ctrl_pending(from_peer_) + std::size_t(SSL_pending(ssl_));
    const std::size_t step = std::clamp(undecrypted, kMinReadStep, kReadStep);
    const std::size_t used = plaintext.size();
    plaintext.resize(used + step);
    std::size_t read = 0;
    const int result = SSL_read_ex(ssl_, plaintext.data() + used, step, &read);
    plaintext.resize(used + read);
    if (result == 1) {
      // Nothing left to decrypt: a partial record waits inside OpenSSL for the next receive().
      if (BIO_ctrl_pending(from_peer_) == 0 && SSL_has_pending(ssl_) == 0) break;
      continue;
    }
    switch (SSL_get_error(ssl_, result)) {
      case SSL_ERROR_WANT_READ:
        break;
      case SSL_ERROR_ZERO_RETURN:  // close_notify, RFC 8446 section 6.1
        state_ = State::closed;
        break;
      default:
        fail();
        break;
    }
    break;
  }
  if (oversized_and_empty(from_peer_)) {
    from_peer_ = new_memory_bio();
    SSL_set0_rbio(ssl_, from_peer_);
  }
}

void Session::drain(std::vector<std::uint8_t>& to_peer) {
  const std::size_t pending = BIO_ctrl_pending(to_peer_);
  if (pending == 0) return;
  const std::size_t used = to_peer.size();
  to_peer.resize(used + pending);
  std::size_t read = 0;
  BIO_read_ex(to_peer_, to_peer.data() + used, pending, &read);
  to_peer.resize(used + read);
  if (oversized_and_empty(to_peer_)) {
    to_peer_ = new_memory_bio();
    SSL_set0_wbio(ssl_, to_peer_);
  }
}

void Session::fail() {
  state_ = State::failed;
  error_ = describe_failure(ssl_, notes_);
}

void Session::record_peer() {
  peer_.protocol = SSL_get_version(ssl_);
  peer_.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl_));
  const X509* certificate = SSL_get0_peer_certificate(ssl_);
  if (certificate != nullptr && SSL_get_verify_result(ssl_) == X509_V_OK) {
    const X509_NAME* subject = X509_get_subject_name(certificate);
    peer_.certificate_cn = name_entry(subject, NID_commonName);
    peer_.certificate_subject = rfc2253(subject);
  }
  // A TLS 1.3 PSK handshake resumes the PSK's session; a TLS 1.2 one negotiated a PSK suite,
  // the only case in which its callbacks run.
  const bool psk_used = SSL_version(ssl_) == TLS1_3_VERSION ? SSL_session_reused(ssl_) == 1
                                                            : notes_.psk_found;
  notes_.external_psk_used = psk_used && notes_.psk_found;
  if (notes_.external_psk_used) peer_.psk_identity = notes_.psk_identity;
}

}  // namespace attestmq::tls

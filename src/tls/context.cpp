// Building an SSL_CTX from a listener's mosquitto.conf(5) TLS options, or from a client's
// command-line options. Every failure names the option and, for files, the path.
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <type_traits>

#include "tls/callbacks.hpp"
#include "tls/context.hpp"
#include "tls/whole_file.hpp"

namespace attestmq::tls {
namespace {

// OpenSSL's text for the oldest error in its queue, then the queue is cleared: the queue is
// per thread, and a stale entry would be blamed on the next session.
std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

// A readable-file check before OpenSSL sees the path, so a typo reads as
// "certfile /x.pem: No such file or directory" rather than as a PEM decoding error.
bool readable(const std::string& option, const std::string& path, std::string& error) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    error = option + " " + path + ": " + std::strerror(errno);
    return false;
  }
  std::fclose(file);
  return true;
}

// tls_version, mosquitto.conf(5): empty allows TLS 1.2 and 1.3; older versions are never
// offered (RFC 8996 deprecates TLS 1.0 and 1.1).
bool apply_tls_version(SSL_CTX* ctx, const std::string& tls_version, std::string& error) {
  int min = TLS1_2_VERSION;
  int max = TLS1_3_VERSION;
  if (tls_version == "tlsv1.3") {
    min = TLS1_3_VERSION;
  } else if (tls_version == "tlsv1.2") {
    max = TLS1_2_VERSION;
  } else if (!tls_version.empty()) {
    error = "tls_version '" + tls_version + "': expected tlsv1.2 or tlsv1.3";
    return false;
  }
  SSL_CTX_set_min_proto_version(ctx, min);
  SSL_CTX_set_max_proto_version(ctx, max);
  return true;
}

bool apply_ciphers(SSL_CTX* ctx, const std::string& ciphers, const std::string& ciphers_tls13,
                   std::string& error) {
  if (!ciphers.empty() && SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) {
    ERR_clear_error();
    error = "ciphers '" + ciphers + "': no cipher matches";
    return false;
  }
  if (!ciphers_tls13.empty() && SSL_CTX_set_ciphersuites(ctx, ciphers_tls13.c_str()) != 1) {
    ERR_clear_error();
    error = "ciphers_tls1.3 '" + ciphers_tls13 + "': no cipher suite matches";
    return false;
  }
  return true;
}

// The certificate chain and its key (mosquitto.conf(5) certfile/keyfile); both or neither.
bool load_certificate(SSL_CTX* ctx, const std::string& certfile, const std::string& keyfile,
                      std::string& error) {
  if (certfile.empty() != keyfile.empty()) {
    error = certfile.empty() ? "keyfile " + keyfile + " is set without certfile"
                             : "certfile " + certfile + " is set without keyfile";
    return false;
  }
  if (certfile.empty()) return true;
  if (!readable("certfile", certfile, error) || !readable("keyfile", keyfile, error)) {
    return false;
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, certfile.c_str()) != 1) {
    error = "certfile " + certfile + ": " + openssl_reason();
    return false;
  }
  // OpenSSL checks the key against the certificate as it loads it.
  if (SSL_CTX_use_PrivateKey_file(ctx, keyfile.c_str(), SSL_FILETYPE_PEM) != 1) {
    const bool mismatch = ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH;
    const std::string reason = openssl_reason();
    error = mismatch ? "keyfile " + keyfile + " does not match certfile " + certfile
                     : "keyfile " + keyfile + ": " + reason;
    return false;
  }
  return true;
}

// The certificates (and any CRLs) of a PEM cafile, added to the context's store from bytes
// already in memory: the bytes config/ hashed into the configuration digest are the bytes
// trusted, whatever the file holds by now.
bool add_trust_anchors(SSL_CTX* ctx, const std::string& cafile, const std::string& pem,
                       std::string& error) {
  // BIO_new_mem_buf takes an int; a negative one would make it read up to a NUL instead.
  if (pem.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    error = "cafile " + cafile + ": larger than 2 GiB";
    return false;
  }
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  const std::unique_ptr<STACK_OF(X509_INFO), void (*)(STACK_OF(X509_INFO)*)> infos(
      bio ? PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr) : nullptr,
      [](STACK_OF(X509_INFO)* stack) { sk_X509_INFO_pop_free(stack, X509_INFO_free); });
  if (!infos) {
    error = "cafile " + cafile + ": " + openssl_reason();
    return false;
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  for (int i = 0; i < sk_X509_INFO_num(infos.get()); ++i) {
    const X509_INFO* info = sk_X509_INFO_value(infos.get(), i);
    if ((info->x509 != nullptr && X509_STORE_add_cert(store, info->x509) != 1) ||
        (info->crl != nullptr && X509_STORE_add_crl(store, info->crl) != 1)) {
      error = "cafile " + cafile + ": " + openssl_reason();
      return false;
    }
    added += (info->x509 != nullptr ? 1 : 0) + (info->crl != nullptr ? 1 : 0);
  }
  if (added == 0) {
    error = "cafile " + cafile + ": no PEM certificate in the file";
    return false;
  }
  return true;
}

// The trust anchors that verify the peer's certificate: `cafile_bytes` when config/ read
// them, else the file at `cafile`.
bool load_trust(SSL_CTX* ctx, const std::string& cafile,
                const std::optional<std::string>& cafile_bytes, const std::string& capath,
                std::string& error) {
  if (!cafile.empty()) {
    int error_number = 0;
    const auto pem = cafile_bytes ? cafile_bytes : read_whole_file(cafile, error_number);
    if (!pem) {
      error = "cafile " + cafile + ": " + std::strerror(error_number);
      return false;
    }
    if (!add_trust_anchors(ctx, cafile, *pem, error)) return false;
  }
  // OpenSSL only looks into capath when it needs an issuer, so check it now.
  if (!capath.empty() && ::access(capath.c_str(), R_OK | X_OK) != 0) {
    error = "capath " + capath + ": " + std::strerror(errno);
    return false;
  }
  if (!capath.empty() && SSL_CTX_load_verify_dir(ctx, capath.c_str()) != 1) {
    error = "capath " + capath + ": " + openssl_reason();
    return false;
  }
  return true;
}

// crlfile: every CRL in the file joins the store; X509_V_FLAG_CRL_CHECK then rejects a
// revoked client certificate, and also one whose issuer has no CRL in the file.
bool load_crls(SSL_CTX* ctx, const std::string& crlfile, std::string& error) {
  if (!readable("crlfile", crlfile, error)) return false;
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
  if (lookup == nullptr ||
      X509_load_crl_file(lookup, crlfile.c_str(), X509_FILETYPE_PEM) < 1) {
    error = "crlfile " + crlfile + ": " + openssl_reason();
    return false;
  }
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  return true;
}

// mosquitto.conf(5): with trust anchors, a client certificate is asked for and verified
// when offered; require_certificate makes it mandatory, crlfile adds revocation.
bool verify_client_certificates(SSL_CTX* ctx, const ServerTlsOptions& settings,
                                std::string& error) {
  if (!load_trust(ctx, settings.cafile, settings.cafile_bytes, settings.capath, error)) return false;
  const bool has_trust = !settings.cafile.empty() || !settings.capath.empty();
  if (settings.require_certificate && !has_trust) {
    error = "require_certificate needs cafile or capath to verify client certificates";
    return false;
  }
  if (!settings.crlfile.empty()) {
    if (!has_trust) {
      error = "crlfile " + settings.crlfile + " needs cafile or capath";
      return false;
    }
    if (!load_crls(ctx, settings.crlfile, error)) return false;
  }
  if (has_trust) {
    SSL_CTX_set_verify(ctx,
                       settings.require_certificate
                           ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                           : SSL_VERIFY_PEER,
                       nullptr);
  }
  return true;
}

bool open_keylog(const std::string& path, std::FILE*& keylog, std::string& error) {
  // 0600: the secrets decrypt every session of this context.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  keylog = fd < 0 ? nullptr : ::fdopen(fd, "a");
  if (keylog == nullptr) {
    error = "tls_keylog_file " + path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  return true;
}

// Settings both sides share: no renegotiation (RFC 5746 attacks, and TLS 1.3 has none), no
// compression (CRIME), and buffers released while a connection is idle.
SSL_CTX* new_ssl_ctx(const SSL_METHOD* method) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (ctx == nullptr) return nullptr;
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

}  // namespace

// Transport A: the extension and the key log callback that yields the binder's secret.
template <typename Attestation>
bool Context::install_handshake_attestation(Context& context, Attestation attestation,
                                            std::string& error) {
  const std::uint16_t codepoint = attestation.codepoint;
  const bool installed = context.server_
                             ? install_server_handshake_attestation(context.ctx_, codepoint)
                             : install_client_handshake_attestation(context.ctx_, codepoint);
  if (!installed) {
    ERR_clear_error();
    // 0xFF01, for one, is renegotiation_info (RFC 5746), which OpenSSL handles itself.
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%04X", codepoint);
    error = std::string("attestation extension codepoint ") + hex +
            ": OpenSSL already handles this extension type";
    return false;
  }
  if constexpr (std::is_same_v<Attestation, ServerHandshakeAttestation>) {
    context.server_attestation_ = std::move(attestation);
  } else {
    context.client_attestation_ = std::move(attestation);
  }
  install_keylog(context.ctx_);
  return true;
}

Context::Context(SSL_CTX* ctx, bool server) : ctx_(ctx), server_(server) {
  SSL_CTX_set_app_data(ctx_, this);
}

Context::~Context() {
  SSL_CTX_free(ctx_);
  if (keylog_ != nullptr) std::fclose(keylog_);
}

std::shared_ptr<const Context> Context::server(
    const ServerTlsOptions& settings, std::string& error,
    std::optional<ServerHandshakeAttestation> attestation) {
  if (!settings.enabled()) {
    error = "a TLS listener needs certfile and keyfile, or psk_hint and psk_file";
    return nullptr;
  }
  SSL_CTX* ctx = new_ssl_ctx(TLS_server_method());
  if (ctx == nullptr) {
    error = "TLS server context: " + openssl_reason();
    return nullptr;
  }
  std::shared_ptr<Context> context(new Context(ctx, true));
  if (!apply_tls_version(ctx, settings.tls_version, error) ||
      !apply_ciphers(ctx, settings.ciphers, settings.ciphers_tls13, error) ||
      !load_certificate(ctx, settings.certfile, settings.keyfile, error)) {
    return nullptr;
  }
  if (settings.prefer_server_ciphers) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (!verify_client_certificates(ctx, settings, error)) return nullptr;
  if (!settings.psk_hint.empty()) {
    if (settings.psk_file.empty()) {
      error = "psk_hint is set but no psk_file gives the keys";
      return nullptr;
    }
    const bool psk_loaded =
        settings.psk_file_bytes
            ? parse_psk_file(*settings.psk_file_bytes, settings.psk_file, context->psk_table_, error)
            : load_psk_file(settings.psk_file, context->psk_table_, error);
    if (!psk_loaded) return nullptr;
    if (SSL_CTX_use_psk_identity_hint(ctx, settings.psk_hint.c_str()) != 1) {
      error = "psk_hint '" + settings.psk_hint + "': " + openssl_reason();
      return nullptr;
    }
    install_server_psk(ctx);
  }
  if (!settings.keylog_file.empty()) {
    if (!open_keylog(settings.keylog_file, context->keylog_, error)) return nullptr;
    install_keylog(ctx);
  }
  if (attestation && !install_handshake_attestation(*context, std::move(*attestation), error)) {
    return nullptr;
  }
  install_client_hello_notes(ctx);
  // No NewSessionTicket, hence no resumption: an attested session needs a full handshake to
  // bind its evidence to (docs/attestation.md section 7.1), and nothing else here uses one.
  SSL_CTX_set_num_tickets(ctx, 0);
  return context;
}

std::shared_ptr<const Context> Context::client(
    const ClientTlsOptions& options, std::string& error,
    std::optional<ClientHandshakeAttestation> attestation) {
  SSL_CTX* ctx = new_ssl_ctx(TLS_client_method());
  if (ctx == nullptr) {
    error = "TLS client context: " + openssl_reason();
    return nullptr;
  }
  std::shared_ptr<Context> context(new Context(ctx, false));
  context->server_name_ = options.server_name;
  context->verify_hostname_ = options.verify_hostname;
  if (!apply_tls_version(ctx, options.tls_version, error) ||
      !apply_ciphers(ctx, options.ciphers, options.ciphers_tls13, error) ||
      !load_certificate(ctx, options.certfile, options.keyfile, error) ||
      !load_trust(ctx, options.cafile, std::nullopt, options.capath, error)) {
    return nullptr;
  }
  // The server's certificate is always verified; without cafile/capath only a PSK handshake
  // can succeed, as with mosquitto_pub.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (options.psk_identity.empty() != options.psk_key.empty()) {
    error = "psk and psk_identity must be given together";
    return nullptr;
  }
  if (!options.psk_identity.empty()) {
    if (options.psk_key.size() > PSK_MAX_PSK_LEN ||
        options.psk_identity.size() > PSK_MAX_IDENTITY_LEN) {
      error = "psk: the key must be at most " + std::to_string(PSK_MAX_PSK_LEN) +
              " bytes and the identity at most " + std::to_string(PSK_MAX_IDENTITY_LEN);
      return nullptr;
    }
    context->psk_table_.emplace(options.psk_identity, options.psk_key);
    install_client_psk(ctx);
  }
  if (!options.keylog_file.empty()) {
    if (!open_keylog(options.keylog_file, context->keylog_, error)) return nullptr;
    install_keylog(ctx);
  }
  if (attestation) {
    // Section 8.2: TLS 1.3 only, no resumption, no early data.
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    if (!install_handshake_attestation(*context, std::move(*attestation), error)) return nullptr;
  }
  install_certificate_request_notes(ctx);
  return context;
}

}  // namespace attestmq::tls

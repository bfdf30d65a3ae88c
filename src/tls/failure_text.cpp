// A failed session's error() text: OpenSSL's reason, made specific where OpenSSL knows more
// than its error string says (the certificate verify result) or where only the callbacks
// saw the cause (an unknown PSK identity, the versions a refused client offered).
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <string_view>

#include "tls/callbacks.hpp"

namespace attestmq::tls {
namespace {

std::string version_name(int version) {
  if (version >= TLS1_VERSION && version <= TLS1_3_VERSION) {
    return "TLS 1." + std::to_string(version - TLS1_VERSION);
  }
  return version == SSL3_VERSION ? "SSL 3.0" : "version " + std::to_string(version);
}

// "unsupported protocol (client offered TLS 1.2 at most, listener requires TLS 1.3)".
std::string version_mismatch(SSL* ssl, const HandshakeNotes& notes) {
  std::string text = "unsupported protocol";
  if (!SSL_is_server(ssl) || notes.client_max_version == 0) return text;
  const long min = SSL_get_min_proto_version(ssl);
  const long max = SSL_get_max_proto_version(ssl);
  text += " (client offered " + version_name(notes.client_max_version) + " at most, listener ";
  text += min == max ? "requires " + version_name(static_cast<int>(min))
                     : "accepts " + version_name(static_cast<int>(min)) + " to " +
                           version_name(static_cast<int>(max));
  return text + ")";
}

std::string reason_text(SSL* ssl, const HandshakeNotes& notes, unsigned long code) {
  const int reason = ERR_GET_REASON(code);
  if (ERR_GET_LIB(code) == ERR_LIB_SSL) {
    // RFC 8446 section 6: an alert from the peer is its verdict, say it as such. OpenSSL's
    // text is "tlsv13 alert certificate required" and the like; its alert-name table
    // (SSL_alert_desc_string_long) lacks the TLS 1.3 alerts.
    if (reason >= SSL_AD_REASON_OFFSET) {
      const char* text = ERR_reason_error_string(code);
      const std::string_view alert = text != nullptr ? text : "unknown";
      const auto name = alert.find("alert ");
      return "peer sent alert \"" +
             std::string(name == std::string_view::npos ? alert : alert.substr(name + 6)) + "\"";
    }
    switch (reason) {
      case SSL_R_CERTIFICATE_VERIFY_FAILED:
        return std::string("certificate verify failed (") +
               X509_verify_cert_error_string(SSL_get_verify_result(ssl)) + ")";
      case SSL_R_UNSUPPORTED_PROTOCOL:
        return version_mismatch(ssl, notes);
      case SSL_R_BINDER_DOES_NOT_VERIFY:
        return "PSK binder does not verify: wrong key for identity \"" + notes.psk_identity +
               "\"";
      default:
        break;
    }
  }
  const char* text = ERR_reason_error_string(code);
  return text != nullptr ? text : "TLS error";
}

}  // namespace

std::string describe_failure(SSL* ssl, const HandshakeNotes& notes) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  // This side refused the peer's transport A exchange: OpenSSL only knows a callback failed.
  if (notes.attestation.refusal) return "attestation: " + notes.attestation.refusal->reason;
  std::string text = reason_text(ssl, notes, code);
  // The client's identity was unknown, and whatever failed next is a consequence.
  if (SSL_is_server(ssl) && !notes.psk_identity.empty() && !notes.psk_found) {
    text = "no PSK for identity \"" + notes.psk_identity + "\" (" + text + ")";
  }
  return text;
}

}  // namespace attestmq::tls

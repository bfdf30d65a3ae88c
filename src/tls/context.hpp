#pragma once
// A TLS configuration (OpenSSL SSL_CTX) for one listener or one client: certificates, CA,
// CRL, versions, ciphers, PSK. Immutable once built; a SIGHUP reload builds a new one, and
// sessions already open keep the one they started with (shared ownership).
// The tls layer never touches sockets (DESIGN.md section 1): see session.hpp.
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tls/context_options.hpp"
#include "tls/handshake_attestation.hpp"

typedef struct ssl_ctx_st SSL_CTX;

namespace attestmq::tls {

// Pre-shared keys by identity (psk_file: identity:hexkey lines).
using PskTable = std::map<std::string, std::vector<std::uint8_t>, std::less<>>;

class Context {
 public:
  // A server context for options whose enabled() is true; nullptr with `error` set
  // ("certfile /path: No such file or directory", "psk_file FILE:LINE: ...") when an option
  // cannot be honoured.
  // keylog_file: the file is opened (append, mode 0600) here and every session of this
  // context writes its secrets to it; anyone who reads it can decrypt the captured traffic,
  // so the caller must log a loud warning whenever it is set.
  // attestation: transport A (docs/attestation.md section 8) on this listener, or for this
  // client, which then offers TLS 1.3 only and no tickets.
  static std::shared_ptr<const Context> server(
      const ServerTlsOptions& settings, std::string& error,
      std::optional<ServerHandshakeAttestation> attestation = std::nullopt);
  static std::shared_ptr<const Context> client(
      const ClientTlsOptions& options, std::string& error,
      std::optional<ClientHandshakeAttestation> attestation = std::nullopt);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  SSL_CTX* native() const { return ctx_; }
  bool is_server() const { return server_; }

  // Server: the psk_file's keys. Client: the one identity it offers, if any.
  const PskTable& psk_table() const { return psk_table_; }
  // Client: SNI and, with verify_hostname(), the name (or IP address) the server's
  // certificate must carry.
  const std::string& server_name() const { return server_name_; }
  bool verify_hostname() const { return verify_hostname_; }
  // The open keylog_file, or nullptr.
  std::FILE* keylog() const { return keylog_; }
  // Transport A, when this context carries it.
  const std::optional<ServerHandshakeAttestation>& server_attestation() const {
    return server_attestation_;
  }
  const std::optional<ClientHandshakeAttestation>& client_attestation() const {
    return client_attestation_;
  }

 private:
  Context(SSL_CTX* ctx, bool server);
  template <typename Attestation>
  static bool install_handshake_attestation(Context& context, Attestation attestation,
                                            std::string& error);
  SSL_CTX* ctx_;
  bool server_;
  PskTable psk_table_;
  std::string server_name_;
  bool verify_hostname_ = false;
  std::FILE* keylog_ = nullptr;
  std::optional<ServerHandshakeAttestation> server_attestation_;
  std::optional<ClientHandshakeAttestation> client_attestation_;
};

// A psk_file's text: one `identity:hexkey` per line, as mosquitto.conf(5) describes. Blank
// lines and lines starting with # are skipped; errors name FILE:LINE (`path` only names it).
bool parse_psk_file(std::string_view text, const std::string& path, PskTable& table,
                    std::string& error);
// Reads the file at `path` and parses it as above.
bool load_psk_file(const std::string& path, PskTable& table, std::string& error);

}  // namespace attestmq::tls

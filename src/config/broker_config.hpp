#pragma once
// The broker's configuration as read from a mosquitto.conf-style file: what the engine needs
// (broker::Settings), what the TLS layer needs (tls::ServerTlsOptions, per listener) and what
// only the native host needs (listeners, threads, logging).
#include <array>
#include <optional>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attest/policy/policy.hpp"
#include "broker/settings.hpp"
#include "tls/context_options.hpp"

namespace attestmq::config {

// Mosquitto's socket_domain: unset listens on every address family the bind address
// resolves to.
enum class SocketDomain : std::uint8_t { any, ipv4, ipv6 };

// A listener's TLS options, mosquitto.conf(5) "Certificate based SSL/TLS support" and
// "Pre-shared-key based SSL/TLS support": what the TLS layer builds the listener's context
// from (tls::Context::server takes it as is), plus what the host does with the identity the
// client proved. psk_file is a security option (per_listener_settings).
struct ListenerTls : tls::ServerTlsOptions {
  bool use_identity_as_username = false;  // certificate CN, or PSK identity, as the username
  bool use_subject_as_username = false;   // certificate subject as the username
};

// One security file as load_security_files read it: the option that names it and the SHA-256
// of the exact bytes parsed. The configuration digest (docs/evidence.md) is made of these.
struct FileDigest {
  std::string option;
  std::array<std::uint8_t, 32> sha256{};
  bool operator==(const FileDigest&) const = default;
};

struct ListenerConfig {
  std::uint16_t port = 1883;  // 0 = an ephemeral port (tests); the bound port is logged
  std::string bind_address;   // empty = every interface
  SocketDomain domain = SocketDomain::any;
  std::int32_t max_connections = -1;  // -1 = unlimited
  // Local-only mode opens ::1 beside 127.0.0.1; a machine without IPv6 loopback just
  // skips it, while an explicitly configured listener that cannot bind is an error.
  bool optional = false;
  // "FILE:LINE" of the `listener`/`port` line, for startup errors.
  std::string origin;
  ListenerTls tls;
  // AttestMQ's max_connection_rate: new connections per second accepted from one client
  // address (a token bucket with this burst); 0 = unlimited.
  std::uint32_t max_connection_rate = 0;
  // Security files (per listener with per_listener_settings, else the global ones); empty =
  // none. Loaded into broker::ListenerPolicy; kept for messages and reloads.
  std::string password_file;
  std::string acl_file;
  bool use_username_as_clientid = false;  // copied into broker::ListenerPolicy
  // AttestMQ's attestation_auth: with a TEE provider (`tee`), this TLS listener offers attested
  // sessions by MQTT 5 enhanced authentication (docs/attestation.md, transport B).
  bool attestation_auth = true;
  // AttestMQ's attestation_mode and attestation_quote_period (docs/attestation.md section 6):
  // a quote per request, or a cached quote over a session key K, refreshed every period.
  enum class AttestationMode : std::uint8_t { per_session, cached };
  AttestationMode attestation_mode = AttestationMode::per_session;
  std::uint32_t attestation_quote_period_s = 3600;
  // AttestMQ's attestation_require_client_auth: evidence only to a client that authenticated
  // with a certificate, a PSK or a password (docs/attestation.md section 7.4 step 3).
  bool attestation_require_client_auth = false;
  // AttestMQ's attestation_client_policy: mutual attestation (docs/attestation.md section 7.7),
  // the client's evidence verified against this policy file (docs/policy.md); empty = none.
  std::string attestation_client_policy;
  // attestation_handshake: with a provider, this TLS listener also answers the transport A
  // ClientHello extension (docs/attestation.md section 8), whose ExtensionType is
  // attestation_extension_codepoint.
  bool attestation_handshake = false;
  std::uint16_t attestation_extension_codepoint = 0xFF5A;
  // Filled by load_security_files: the digests of this listener's security files in a fixed
  // order, and attestation_client_policy parsed, with the roots it pins read into it.
  std::vector<FileDigest> file_digests;
  std::shared_ptr<const attest::Policy> client_policy;
};

// Mosquitto's log_type values that AttestMQ produces, as a bit mask.
enum LogTypeBit : std::uint8_t {
  kLogError = 1,
  kLogWarning = 2,
  kLogNotice = 4,
  kLogInformation = 8,
  kLogDebug = 16,
};
inline constexpr std::uint8_t kLogAll = 31;
// mosquitto.conf(5): "Defaults to error, warning, notice and information."
inline constexpr std::uint8_t kLogDefaultTypes = kLogError | kLogWarning | kLogNotice | kLogInformation;

struct LogDestination {
  enum class Kind : std::uint8_t { stdout_stream, stderr_stream, file };
  Kind kind = Kind::stderr_stream;
  std::string path;  // for Kind::file
  bool operator==(const LogDestination&) const = default;
};

struct LogConfig {
  // Empty after `log_dest none`. Mosquitto's default destination is stderr.
  std::vector<LogDestination> destinations{LogDestination{}};
  std::uint8_t types = kLogDefaultTypes;
  bool timestamp = true;
  std::string timestamp_format;  // strftime format; empty = seconds since the epoch
};

// Mosquitto's persistence options and AttestMQ's persistence_sync (docs/persistence.md).
struct PersistenceConfig {
  enum class Sync : std::uint8_t { full, normal, off };
  bool enabled = false;              // persistence
  std::string location;              // persistence_location: the directory of `file`
  std::string file = "attestmq.db";  // persistence_file
  Sync sync = Sync::normal;          // persistence_sync
  // persistence_seal_migrate_from: the module whose sealed database this one may take over.
  std::optional<std::array<std::uint8_t, 32>> seal_migrate_from;
  // The database's path: `file` in `location`, or in the working directory.
  std::string path() const {
    if (location.empty()) return file;
    return location.back() == '/' ? location + file : location + "/" + file;
  }
};

struct BrokerConfig {
  // Settings::listeners[i] is the policy of listeners[i].
  std::vector<ListenerConfig> listeners;
  broker::Settings settings;
  bool per_listener_settings = false;
  // No listener configured: Mosquitto 2.0's "local only" mode on 127.0.0.1 and ::1.
  bool local_only = false;
  unsigned threads = 0;  // reactor threads; 0 = one per core
  bool tcp_nodelay = true;
  LogConfig log;
  PersistenceConfig persistence;
  // AttestMQ's tee (and `--tee`): the attestation provider, none|sim|sgx-gramine|tsm.
  std::string tee = "none";
  // The sim provider's platform key (PEM, P-256), created if missing.
  std::string tee_sim_key_file = "attestmq-sim-key.pem";
};

}  // namespace attestmq::config

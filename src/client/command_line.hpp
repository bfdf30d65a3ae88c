#pragma once
// The options `attestmq pub` and `attestmq sub` share with mosquitto_pub and mosquitto_sub
// (connection, session, will, -D properties), parsed with CLI11 and turned into a session.
// Errors are printed in mosquitto's words and give mosquitto's exit codes.
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "attest/verifier.hpp"
#include "client/attestation.hpp"
#include "client/tee_arguments.hpp"
#include "client/client.hpp"
#include "client/property_arguments.hpp"
#include "client/session_options.hpp"
#include "client/tls_arguments.hpp"

namespace attestmq::client {

// Exit status when the TLS handshake or a TLS record failed: libmosquitto's MOSQ_ERR_TLS. It
// is clear of the other codes (1 for other errors, 27 for sub's -W, CONNACK codes 1-5 and
// 128-162). mosquitto_pub itself exits 1 here; a distinct code lets scripts tell a
// certificate problem from an unreachable broker.
inline constexpr int kTlsFailedExitCode = 8;

struct CommonArguments {
  std::string host = "localhost";
  int port = 1883;
  std::string protocol_version = "311";  // mosquitto's default
  std::string id;
  std::string id_prefix;
  int keepalive = 60;
  std::string username;
  std::string password;
  bool disable_clean_session = false;
  std::string session_expiry;
  bool debug = false;
  bool quiet = false;
  int qos = 0;
  std::string will_topic;
  std::string will_payload;
  int will_qos = 0;
  bool will_retain = false;
  PropertyArguments properties;
  TlsArguments tls;
  std::string attest_policy;             // --attest POLICY
  std::string attest_transport = "auth";  // --attest-transport
  TeeArguments tee;                        // --tee, --tee-sim-key-file (mutual attestation)
  std::string attest_codepoint = "0xFF5A";  // --attest-codepoint (transport A)
};

// Exit status of a usage error about attestation, as `attestmq attest` and
// docs/attestation.md section 9.2 give it (mosquitto's usage errors are 1).
inline constexpr int kAttestUsageExitCode = 2;

class CommandLine {
 public:
  // `program` is how errors name the tool ("attestmq pub"); `property_commands` says which
  // PropertyCommand values -D accepts; `footer` ends --help (exit codes, examples).
  CommandLine(std::string program, const std::string& description, unsigned property_commands,
              const std::string& footer);

  CLI::App& app() { return app_; }
  const CommonArguments& common() const { return common_; }

  // Parses argv and checks the TLS options (TLS moves the default port to 8883). Returns the
  // exit code when the program should stop now (0 after --help, 1 after a usage error),
  // nullopt to go on.
  std::optional<int> parse(int argc, char** argv);

  // Prints "Error: MESSAGE" and the --help hint, as mosquitto does; returns 1.
  int usage_error(const std::string& message) const;

  // Prints one line to stderr unless --quiet was given.
  void report(const std::string& line) const;

  // Checks the common options and fills `options`; on a usage error returns the exit code.
  std::optional<int> connect_options(ConnectOptions& options) const;

  // The TLS settings when --cafile, --capath or --psk was given.
  const std::optional<tls::ClientTlsOptions>& tls() const { return tls_; }

  // Connects over TCP (and TLS when asked) and opens the MQTT session, with the broker
  // attested first under --attest. On failure prints why and returns the exit code: the
  // CONNACK code when the server refused (like mosquitto), kTlsFailedExitCode when TLS
  // failed, otherwise 1 (also for rejected evidence, naming the failed check).
  std::optional<int> open_session(const ConnectOptions& options, std::unique_ptr<Client>& client);

  // Under --attest with transport B, once open_session() succeeded: the attestation, for
  // re-attestation. Transport A has none (docs/attestation.md section 8.7).
  std::optional<Attestation>& attestation() { return attestation_; }
  bool attests_in_handshake() const { return codepoint_.has_value(); }

  // DISCONNECT options from `-D disconnect ...`.
  DisconnectOptions disconnect_options() const;

  bool was_given(const std::string& option) const { return app_.count(option) > 0; }

 private:
  // --attest, --attest-transport and --tee, after the TLS options.
  std::optional<int> parse_attestation();

  std::string program_;
  unsigned property_commands_;
  CLI::App app_;
  CommonArguments common_;
  std::optional<tls::ClientTlsOptions> tls_;
  std::optional<attest::VerifyRequest> attest_;  // --attest: what the evidence must satisfy
  std::optional<SelfAttestation> self_;          // --tee: what this client proves when asked
  std::optional<Attestation> attestation_;
  std::optional<std::uint16_t> codepoint_;  // --attest-transport handshake
};

}  // namespace attestmq::client

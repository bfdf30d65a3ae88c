// `attestmq attest HOST[:PORT]`: connect with MQTT 5 over TLS 1.3, ask the broker for evidence
// bound to this very session (docs/attestation.md transport B, or with --transport handshake
// transport A), verify it and print the established claims and every check. Exit 0 verified,
// 1 rejected (the failed check named), 2 usage (DESIGN.md section 4).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <tuple>

#include "attest/common/iso8601.hpp"
#include "attest/verifier.hpp"
#include "client/attestation.hpp"
#include "client/tls_arguments.hpp"
#include "client/tee_arguments.hpp"
#include "client/tls_transport.hpp"
#include "commands.hpp"
#include "verification_report.hpp"

namespace attestmq::app {
namespace {

constexpr int kVerified = 0;
constexpr int kRejected = 1;
constexpr int kUsage = 2;
constexpr std::size_t kMaxRootBytes = 1 << 20;
constexpr std::chrono::milliseconds kNetworkTimeout{30'000};

int usage_error(const std::string& message) {
  fmt::print(stderr, "attestmq attest: {}\n", message);
  return kUsage;
}

// HOST, HOST:PORT or [IPv6]:PORT; the port defaults to 8883 (IANA secure-mqtt).
bool parse_target(const std::string& target, std::string& host, std::uint16_t& port) {
  port = client::kSecureMqttPort;
  std::string_view rest = target;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (rest.empty()) return !host.empty();
    if (!rest.starts_with(':')) return false;
  } else {
    const auto colon = rest.rfind(':');
    host = std::string(rest.substr(0, colon));
    if (colon == std::string_view::npos) return !host.empty();
    rest.remove_prefix(colon);
    // An unbracketed IPv6 address has more colons: it takes no port.
    if (host.find(':') != std::string::npos) {
      host = target;
      return true;
    }
  }
  rest.remove_prefix(1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || end != rest.data() + rest.size() || value == 0 || value > 65535) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return !host.empty();
}

bool is_sha256_hex(const std::string& hex) {
  return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// What the verifier concluded, by either transport.
struct Verdict {
  bool verified = false;
  const attest::VerificationResult* result = nullptr;  // null: no evidence arrived
  std::string rejection;  // the failed check, or the connection's failure
};

Verdict verdict_of(const client::Status& status,
                   const std::optional<client::Attestation>& attestation) {
  return {status.ok() && attestation && attestation->verified(),
          attestation && attestation->result() ? &*attestation->result() : nullptr,
          client::rejection_reason(attestation, status)};
}

Verdict verdict_of(const client::Status& status, const client::HandshakeAttestation& attestation) {
  return {status.ok() && attestation.verified(),
          attestation.result() ? &*attestation.result() : nullptr,
          attestation.refusal().empty() ? status.message : attestation.refusal()};
}

// What the verdict was and why: the verifier's report when evidence arrived, the connection's
// failure otherwise (refused by the broker, stripped, no TLS 1.3).
int report(const client::Status& status, const Verdict& verdict, const attest::Policy& policy,
           bool json) {
  const bool verified = verdict.verified;
  const auto* result = verdict.result;
  if (json) {
    nlohmann::json out = result != nullptr ? verification_json(*result, policy)
                                           : nlohmann::json{{"valid", false}};
    out["verified"] = verified;
    if (!status.ok()) out["error"] = status.message;
    fmt::print("{}\n", out.dump(2));
  } else if (result != nullptr) {
    print_verification(*result, policy);
    print_checks(*result);
  }
  if (verified) return kVerified;
  if (status.kind == client::ErrorKind::refused) {
    fmt::print(stderr, "rejected: the broker refused the connection: {}\n", status.message);
  } else {
    fmt::print(stderr, "rejected: {}\n",
               status.ok() ? "no evidence was verified" : verdict.rejection);
  }
  return kRejected;
}

// Transport A (section 8.6): the evidence is judged inside the TLS handshake; only then does
// the client send its MQTT CONNECT, which shows that the broker serves the attested session.
int attest_in_handshake(const std::string& host, std::uint16_t port,
                        const tls::ClientTlsOptions& tls_options,
                        const attest::VerifyRequest& verify, std::uint16_t codepoint,
                        const client::ConnectOptions& options, bool json) {
  client::HandshakeAttestation attestation(verify, codepoint);
  std::unique_ptr<client::Transport> transport;
  client::Status status = client::open_transport(host, port, tls_options, kNetworkTimeout,
                                                 transport, attestation.tls_side());
  std::optional<client::Client> session;
  if (status.ok() && attestation.verified()) {
    session.emplace(std::move(transport));
    status = session->connect(options);
  }
  const int verdict = report(status, verdict_of(status, attestation), verify.policy, json);
  if (session && status.ok()) session->disconnect();
  return verdict;
}

}  // namespace

int attest_main(int argc, char** argv) {
  CLI::App app{
      "Connect to a broker with MQTT 5 over TLS 1.3, request attestation evidence bound to the "
      "session (docs/attestation.md), verify it and print the established claims.",
      "attestmq attest"};
  std::string target, policy_path, root_path, expect_module, expect_config, transport = "auth";
  std::string at_text;
  std::string codepoint_text = "0xFF5A";
  std::string username, password;
  bool allow_simulated = false, json_output = false;
  client::TlsArguments tls_arguments;
  app.add_option("HOST:PORT", target, "the broker (port 8883 if omitted)")->required();
  app.add_option("--policy", policy_path, "policy JSON (docs/policy.md)");
  app.add_flag("--allow-simulated", allow_simulated,
               "accept sim evidence (SIMULATED, NO SECURITY): for tests only");
  app.add_option("--expect-module", expect_module,
                 "the only module hash (SHA-256, 64 hex digits) to accept");
  app.add_option("--expect-config", expect_config,
                 "the only configuration digest (claims key 7, 64 hex digits) to accept");
  app.add_option("--root", root_path,
                 "PEM root to pin (Intel SGX Root CA, AMD ARK, or the sim platform key)");
  app.add_option("--transport", transport,
                 "auth (MQTT 5 AUTH, the default) or handshake (a TLS ClientHello extension)")
      ->check(CLI::IsMember({"auth", "handshake"}));
  app.add_option("--codepoint", codepoint_text,
                 "the handshake transport's TLS extension type, 0xFF00..0xFFFF (default 0xFF5A)");
  app.add_option("-u,--username", username, "user name, for brokers that release evidence "
                                            "only to authenticated clients");
  app.add_option("-P,--pw", password, "password");
  app.add_flag("--json", json_output, "print the verdict, claims and checks as JSON");
  app.add_option("--at", at_text,
                 "verification time, ISO 8601 UTC (default: now): judge the evidence's age "
                 "(cached.quote_age, collateral) as of then");
  client::add_tls_options(app, tls_arguments);
  client::TeeArguments tee_arguments;
  client::add_tee_options(app, tee_arguments);
  app.footer("Exit status: 0 verified, 1 rejected (the failed check is printed), 2 usage.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kUsage;
  }

  const bool in_handshake = transport == "handshake";
  const auto codepoint = tls::parse_private_extension_type(codepoint_text);
  if (!codepoint) {
    return usage_error(fmt::format(
        "--codepoint '{}': expected a private-use TLS extension type, 0xFF00..0xFFFF",
        codepoint_text));
  }
  if (app.count("--codepoint") > 0 && !in_handshake) {
    return usage_error("--codepoint needs --transport handshake");
  }
  std::string host;
  std::uint16_t port = 0;
  if (!parse_target(target, host, port)) {
    return usage_error(fmt::format("'{}': expected HOST or HOST:PORT", target));
  }
  if (!tls_arguments.enabled()) {
    return usage_error("attestation needs TLS: give --cafile, --capath or --psk");
  }
  // Section 7.1: TLS 1.3 only, so a downgrade to 1.2 fails in the handshake.
  if (!tls_arguments.tls_version.empty() && tls_arguments.tls_version != "tlsv1.3") {
    return usage_error("attestation needs TLS 1.3 (docs/attestation.md section 7.1)");
  }
  tls_arguments.tls_version = "tlsv1.3";
  tls::ClientTlsOptions tls_options;
  if (std::string error; !client::client_tls_options(tls_arguments, host, tls_options, error)) {
    return usage_error(error);
  }
  if (app.count("-P") > 0 && app.count("-u") == 0) {
    return usage_error("-P needs -u");
  }

  attest::VerifyRequest verify;
  if (!policy_path.empty()) {
    std::string error;
    auto policy = attest::load_policy(policy_path, error);
    if (!policy) return usage_error(error);
    verify.policy = std::move(*policy);
  }
  if (allow_simulated) verify.policy.allow_simulated = true;
  // Each pin replaces the policy file's list for that claim.
  for (const auto& [flag, value, accepted] :
       {std::tuple{"--expect-module", &expect_module, &verify.policy.accepted_module_hashes},
        std::tuple{"--expect-config", &expect_config, &verify.policy.accepted_configuration_digests}}) {
    if (value->empty()) continue;
    if (!is_sha256_hex(*value)) {
      return usage_error(fmt::format("{} '{}': expected 64 hexadecimal digits", flag, *value));
    }
    *accepted = {lower(*value)};
  }
  if (!at_text.empty()) {
    const auto at = attest::parse_iso8601_utc(at_text);
    if (!at) {
      return usage_error(
          fmt::format("--at '{}': not ISO 8601 UTC (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)", at_text));
    }
    verify.at_unix = *at;
  }
  if (!root_path.empty()) {
    const auto pem = read_file(root_path, kMaxRootBytes);
    if (!pem) return usage_error(fmt::format("--root {}: cannot read", root_path));
    verify.root_pem = std::string(pem->begin(), pem->end());
  }

  std::optional<client::SelfAttestation> self;
  if (std::string error; !client::self_attestation(tee_arguments, self, error)) {
    return usage_error(error);
  }

  client::ConnectOptions options;
  options.version = mqtt::Version::v5;
  options.timeout = kNetworkTimeout;
  if (app.count("-u") > 0) options.username = username;
  if (app.count("-P") > 0) options.password = password;
  if (in_handshake) {
    // Section 8.7: transport A has no mutual attestation.
    if (self) return usage_error("--tee needs --transport auth: the handshake transport has no "
                                 "mutual attestation");
    return attest_in_handshake(host, port, tls_options, verify, *codepoint, options, json_output);
  }
  const attest::Policy policy = verify.policy;
  std::unique_ptr<client::Transport> transport_stream;
  if (client::Status opened =
          client::open_transport(host, port, tls_options, kNetworkTimeout, transport_stream);
      !opened.ok()) {
    return report(opened, verdict_of(opened, std::nullopt), policy, json_output);
  }
  client::Client session(std::move(transport_stream));
  std::optional<client::Attestation> attestation;
  const client::Status connected =
      client::connect_attested(session, std::move(verify), options, attestation, std::move(self));
  const int verdict = report(connected, verdict_of(connected, attestation), policy, json_output);
  if (connected.ok()) session.disconnect();
  return verdict;
}

}  // namespace attestmq::app

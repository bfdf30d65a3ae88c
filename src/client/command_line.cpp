#include "client/command_line.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "client/connack_text.hpp"
#include "client/tls_transport.hpp"
#include "mqtt/topic.hpp"

namespace attestmq::client {
namespace {

constexpr std::uint32_t kSessionNeverExpires = 0xFFFFFFFF;  // MQTT 5.0 section 3.1.2.11.2
constexpr std::chrono::milliseconds kNetworkTimeout{30'000};

bool parse_version(const std::string& text, mqtt::Version& version) {
  if (text == "5" || text == "mqttv5") {
    version = mqtt::Version::v5;
  } else if (text == "311" || text == "mqttv311") {
    version = mqtt::Version::v311;
  } else {
    return false;
  }
  return true;
}

// mosquitto's -x: seconds, or -1 / ∞ for "never expires".
bool parse_session_expiry(const std::string& text, std::uint32_t& seconds) {
  if (text == "-1" || text == "∞") {
    seconds = kSessionNeverExpires;
    return true;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

int exit_code_for(const Status& failure) {
  return failure.kind == ErrorKind::tls ? kTlsFailedExitCode : 1;
}

}  // namespace

CommandLine::CommandLine(std::string program, const std::string& description,
                         unsigned property_commands, const std::string& footer)
    : program_(std::move(program)), property_commands_(property_commands), app_(description) {
  auto& c = common_;
  app_.name(program_);
  // -h is the host, as in mosquitto_pub; help is --help only.
  app_.set_help_flag("--help", "display this message");
  app_.footer(footer);
  app_.add_option("-h,--host", c.host, "MQTT host to connect to (default localhost)");
  app_.add_option("-p,--port", c.port, "network port to connect to (default 1883, 8883 with TLS)")
      ->check(CLI::Range(1, 65535));
  app_.add_option("-V,--protocol-version", c.protocol_version,
                  "MQTT protocol version: 5, 311, mqttv5 or mqttv311 (default 311)");
  app_.add_option("-i,--id", c.id, "client id (default: the broker assigns one)");
  app_.add_option("-I,--id-prefix", c.id_prefix, "client id: this prefix and the process id");
  app_.add_option("-k,--keepalive", c.keepalive, "keep alive in seconds, 5-65535 (default 60)");
  app_.add_option("-u,--username", c.username, "user name");
  app_.add_option("-P,--pw", c.password, "password");
  app_.add_flag("-c,--disable-clean-session", c.disable_clean_session,
                "keep the session (needs -i); with MQTT 5 it never expires unless -x is given");
  app_.add_option("-x,--session-expiry-interval", c.session_expiry,
                  "MQTT 5 session expiry in seconds, or -1 for never (default 0, -1 with -c)");
  app_.add_option("-q,--qos", c.qos, "quality of service 0, 1 or 2 (default 0)");
  app_.add_flag("-d,--debug", c.debug, "print every packet sent and received");
  app_.add_flag("--quiet", c.quiet, "do not print error messages");
  app_.add_option("--will-topic", c.will_topic, "topic of the will message");
  app_.add_option("--will-payload", c.will_payload, "payload of the will message");
  app_.add_option("--will-qos", c.will_qos, "QoS of the will message");
  app_.add_flag("--will-retain", c.will_retain, "retain the will message");
  // -D is taken out of argv before CLI11 runs (it has a variable number of values); this entry
  // only documents it.
  app_.add_option("-D,--property",
                  "MQTT 5 property: -D COMMAND IDENTIFIER VALUE, e.g. -D connect user-property "
                  "NAME VALUE; COMMAND is connect, will, disconnect (and publish for pub)");
  add_tls_options(app_, c.tls);
  app_.add_option("--attest", c.attest_policy,
                  "verify that the broker runs in a TEE (docs/attestation.md) against this policy "
                  "(docs/policy.md) before anything else; needs TLS 1.3 (and MQTT 5 for the "
                  "auth transport)");
  app_.add_option("--attest-transport", c.attest_transport,
                  "auth (MQTT 5 enhanced authentication, the default) or handshake (a TLS "
                  "ClientHello extension, any MQTT version)")
      ->check(CLI::IsMember({"auth", "handshake"}));
  add_tee_options(app_, c.tee);
  app_.add_option("--attest-codepoint", c.attest_codepoint,
                  "the handshake transport's TLS extension type, 0xFF00..0xFFFF (default 0xFF5A)");
}

std::optional<int> CommandLine::parse(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  std::string error;
  if (!extract_property_arguments(args, property_commands_, common_.properties, error)) {
    return usage_error(error);
  }
  std::vector<char*> rest;
  for (auto& arg : args) rest.push_back(arg.data());
  try {
    app_.parse(static_cast<int>(rest.size()), rest.data());
  } catch (const CLI::CallForHelp&) {
    std::fputs(app_.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }
  tls::ClientTlsOptions tls_options;
  if (std::string tls_error;
      !client_tls_options(common_.tls, common_.host, tls_options, tls_error)) {
    return usage_error(tls_error);
  }
  if (common_.tls.enabled()) {
    tls_ = std::move(tls_options);
    if (!was_given("-p")) common_.port = kSecureMqttPort;
  }
  return parse_attestation();
}

std::optional<int> CommandLine::parse_attestation() {
  auto& c = common_;
  if (!was_given("--attest")) {
    if (was_given("--attest-transport")) return usage_error("--attest-transport needs --attest.");
    // Section 7.7: a client attests itself only inside the exchange that attests the broker.
    if (was_given("--tee")) return usage_error("--tee needs --attest.");
    if (was_given("--attest-codepoint")) return usage_error("--attest-codepoint needs --attest.");
    return std::nullopt;
  }
  const auto attest_usage_error = [this](const std::string& message) {
    usage_error(message);
    return kAttestUsageExitCode;
  };
  const bool in_handshake = c.attest_transport == "handshake";
  if (was_given("--attest-codepoint") && !in_handshake) {
    return attest_usage_error("--attest-codepoint needs --attest-transport handshake.");
  }
  if (in_handshake) {
    codepoint_ = tls::parse_private_extension_type(c.attest_codepoint);
    if (!codepoint_) {
      return attest_usage_error("--attest-codepoint '" + c.attest_codepoint +
                                "': expected a private-use TLS extension type, 0xFF00..0xFFFF.");
    }
  }
  // docs/attestation.md section 9.2: transport B is MQTT 5 enhanced authentication; transport
  // A lies below MQTT and serves 3.1.1 and 3.1 clients too.
  if (!was_given("-V")) c.protocol_version = "5";
  mqtt::Version version = mqtt::Version::v5;
  if (!in_handshake && parse_version(c.protocol_version, version) &&
      version != mqtt::Version::v5) {
    return attest_usage_error(
        "MQTT 3.1.1 has no AUTH packet: use --attest-transport handshake");
  }
  if (!tls_) return usage_error("--attest needs TLS: give --cafile, --capath or --psk.");
  // Section 7.1: TLS 1.3 only, so a downgrade to 1.2 fails in the handshake.
  if (tls_->tls_version == "tlsv1.2") return usage_error("--attest needs TLS 1.3.");
  tls_->tls_version = "tlsv1.3";
  std::string error;
  auto policy = attest::load_policy(c.attest_policy, error);
  if (!policy) return usage_error("--attest: " + error);
  attest_.emplace();
  attest_->policy = std::move(*policy);
  // Section 8.7: transport A has no mutual attestation.
  if (in_handshake && was_given("--tee")) {
    return attest_usage_error("--tee needs --attest-transport auth: the handshake transport has "
                              "no mutual attestation.");
  }
  if (!self_attestation(c.tee, self_, error)) return usage_error(error);
  return std::nullopt;
}

int CommandLine::usage_error(const std::string& message) const {
  report(fmt::format("Error: {}\n\nUse '{} --help' to see usage.", message, program_));
  return 1;
}

void CommandLine::report(const std::string& line) const {
  if (!common_.quiet) std::fprintf(stderr, "%s\n", line.c_str());
}

std::optional<int> CommandLine::connect_options(ConnectOptions& options) const {
  const auto& c = common_;
  if (!parse_version(c.protocol_version, options.version)) {
    return usage_error(fmt::format("Invalid protocol version '{}': use 5 or 311.",
                                   c.protocol_version));
  }
  const bool v5 = options.version == mqtt::Version::v5;
  if (c.qos < 0 || c.qos > 2) return usage_error(fmt::format("Invalid QoS given: {}", c.qos));
  if (c.keepalive < 5 || c.keepalive > 65535) {
    return usage_error("Invalid keepalive given, it must be between 5 and 65535 inclusive.");
  }
  if (was_given("-i") && was_given("-I")) {
    return usage_error("-i and -I argument cannot be used together.");
  }
  options.client_id = was_given("-I") ? c.id_prefix + std::to_string(::getpid()) : c.id;
  if (c.disable_clean_session && options.client_id.empty()) {
    return usage_error("You must provide a client id if you are using the -c option.");
  }
  if (was_given("-P") && !was_given("-u")) {
    return usage_error("-P argument given but no username specified.");
  }
  options.clean_start = !c.disable_clean_session;
  options.keep_alive = static_cast<std::uint16_t>(c.keepalive);
  if (was_given("-u")) options.username = c.username;
  if (was_given("-P")) options.password = c.password;
  options.timeout = kNetworkTimeout;

  if (!c.will_topic.empty() || was_given("--will-topic")) {
    if (!mqtt::valid_topic_name(c.will_topic)) {
      return usage_error(fmt::format("Invalid will topic '{}', does it contain '+' or '#'?",
                                     c.will_topic));
    }
    if (c.will_qos < 0 || c.will_qos > 2) {
      return usage_error(fmt::format("Invalid will QoS {}.", c.will_qos));
    }
    WillOptions will;
    will.topic = c.will_topic;
    will.payload = bytes_of(c.will_payload);
    will.qos = static_cast<std::uint8_t>(c.will_qos);
    will.retain = c.will_retain;
    will.properties = c.properties.will.publish_properties();
    will.will_delay_interval = c.properties.will.will_delay_interval;
    options.will = std::move(will);
  } else if (was_given("--will-payload")) {
    return usage_error("Will payload given, but no will topic given.");
  } else if (c.will_retain) {
    return usage_error("Will retain given, but no will topic given.");
  }

  if (v5) {
    const auto& p = c.properties.connect;
    std::uint32_t expiry = c.disable_clean_session ? kSessionNeverExpires : 0;
    if (p.session_expiry_interval) expiry = *p.session_expiry_interval;
    if (was_given("-x") && !parse_session_expiry(c.session_expiry, expiry)) {
      return usage_error(fmt::format("Invalid session expiry interval '{}'.", c.session_expiry));
    }
    if (expiry != 0) options.session_expiry_interval = expiry;
    options.receive_maximum = p.receive_maximum;
    options.topic_alias_maximum = p.topic_alias_maximum;
    options.maximum_packet_size = p.maximum_packet_size;
    // docs/attestation.md section 7.3: room for the largest EVIDENCE.
    if (attest_ && !codepoint_ && p.maximum_packet_size && *p.maximum_packet_size < 65536) {
      return usage_error("--attest needs a maximum-packet-size of at least 65536.");
    }
    options.request_problem_information = p.request_problem_information;
    options.request_response_information = p.request_response_information;
    options.user_properties = p.user_properties;
  }
  return std::nullopt;
}

std::optional<int> CommandLine::open_session(const ConnectOptions& options,
                                             std::unique_ptr<Client>& client) {
  std::unique_ptr<Transport> transport;
  // Transport A: the evidence is judged inside the TLS handshake, before any MQTT packet.
  std::optional<HandshakeAttestation> in_handshake;
  if (attest_ && codepoint_) in_handshake.emplace(*attest_, *codepoint_);
  if (Status opened = open_transport(
          common_.host, static_cast<std::uint16_t>(common_.port), tls_, kNetworkTimeout, transport,
          in_handshake ? std::optional(in_handshake->tls_side()) : std::nullopt);
      !opened.ok()) {
    if (in_handshake && !in_handshake->refusal().empty()) {
      report("Error: attestation rejected: " + in_handshake->refusal());
      return 1;
    }
    report("Error: " + opened.message);
    return exit_code_for(opened);
  }
  // Fail closed: a handshake that completed without accepted evidence carries no CONNECT.
  if (in_handshake && !in_handshake->verified()) {
    report("Error: attestation rejected: no evidence was verified in the TLS handshake");
    return 1;
  }
  client = std::make_unique<Client>(std::move(transport));
  if (common_.debug) {
    client->set_debug_sink([](const std::string& line) {
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    });
  }
  Status session = attest_ && !in_handshake
                       ? connect_attested(*client, *attest_, options, attestation_, self_)
                       : client->connect(options);
  if (session.ok()) return std::nullopt;
  if (session.kind == ErrorKind::authentication) {
    report("Error: attestation rejected: " + rejection_reason(attestation_, session));
    return 1;
  }
  if (session.kind != ErrorKind::refused) {
    report("Error: " + session.message);
    return exit_code_for(session);
  }
  std::string line = "Connection error: " + session.message;
  if (session.reason == mqtt::ReasonCode::UnsupportedProtocolVersion &&
      options.version == mqtt::Version::v5) {
    line += ". Try connecting to an MQTT v5 broker, or use MQTTv3.x mode.";
  }
  report(line);
  return connack_wire_code(options.version, session.reason);
}

DisconnectOptions CommandLine::disconnect_options() const {
  DisconnectOptions options;
  const auto& p = common_.properties.disconnect;
  options.session_expiry_interval = p.session_expiry_interval;
  options.user_properties = p.user_properties;
  return options;
}

}  // namespace attestmq::client

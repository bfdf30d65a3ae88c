// Every option AttestMQ accepts, except include_dir (which the reader itself handles): its
// arity, the values it takes and where it lands. Meanings and defaults: docs/configuration.md.
#include "config/option_handlers.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "attest/common/hex.hpp"
#include "config/value_parsers.hpp"
#include "tls/handshake_attestation.hpp"

namespace attestmq::config {
namespace {

using Outcome = std::optional<std::string>;  // an error message, after "OPTION: "

Outcome integer_value(std::string_view text, std::int64_t min, std::int64_t max, std::int64_t& out) {
  const auto value = parse_integer(text, min, max);
  if (!value) {
    return "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
           ", got " + in_quotes(text);
  }
  out = *value;
  return std::nullopt;
}

// Options whose value is one integer stored in one place.
struct IntegerOption {
  std::string_view name;
  std::int64_t min;
  std::int64_t max;
  void (*apply)(ParseState&, std::int64_t);
};

// MQTT 5.0 section 2.2.3 / 3.1.1 section 2.2.3: a remaining length of at most 268,435,455
// bytes plus a fixed header of at most 5.
constexpr std::int64_t kLargestPacket = 268'435'455 + 5;

constexpr IntegerOption kIntegerOptions[] = {
    // Accepted for Mosquitto's configurations, with no effect: every change is committed in
    // the event-loop turn that made it, which is stricter than any autosave schedule.
    {"autosave_interval", 0, INT32_MAX, [](ParseState&, std::int64_t) {}},
    {"max_inflight_messages", 0, 65535,
     [](ParseState& s, std::int64_t v) { s.config.settings.max_inflight_messages = static_cast<std::uint16_t>(v); }},
    {"max_queued_messages", 0, UINT32_MAX,
     [](ParseState& s, std::int64_t v) { s.config.settings.max_queued_messages = static_cast<std::uint32_t>(v); }},
    {"max_inflight_bytes", 0, INT64_MAX,
     [](ParseState& s, std::int64_t v) { s.config.settings.max_inflight_bytes = static_cast<std::uint64_t>(v); }},
    {"max_connect_size", 0, kLargestPacket,
     [](ParseState& s, std::int64_t v) { s.config.settings.max_connect_size = static_cast<std::uint32_t>(v); }},
    {"max_subscriptions_per_client", 0, UINT32_MAX,
     [](ParseState& s, std::int64_t v) { s.config.settings.max_subscriptions_per_client = static_cast<std::uint32_t>(v); }},
    {"max_queued_bytes", 0, INT64_MAX,
     [](ParseState& s, std::int64_t v) { s.config.settings.max_queued_bytes = static_cast<std::uint64_t>(v); }},
    {"message_size_limit", 0, 268'435'455,
     [](ParseState& s, std::int64_t v) { s.config.settings.message_size_limit = static_cast<std::uint32_t>(v); }},
    {"max_keepalive", 0, 65535,
     [](ParseState& s, std::int64_t v) { s.config.settings.max_keepalive = static_cast<std::uint16_t>(v); }},
    {"sys_interval", 0, UINT32_MAX,
     [](ParseState& s, std::int64_t v) { s.config.settings.sys_interval_s = static_cast<std::uint32_t>(v); }},
    {"max_connections", -1, INT32_MAX,
     [](ParseState& s, std::int64_t v) { current_listener(s).config.max_connections = static_cast<std::int32_t>(v); }},
    {"threads", 0, 256,
     [](ParseState& s, std::int64_t v) { s.config.threads = static_cast<unsigned>(v); }},
    {"max_client_output_bytes", 1024, INT64_MAX,
     [](ParseState& s, std::int64_t v) { s.config.settings.max_client_output_bytes = static_cast<std::uint64_t>(v); }},
    {"connect_timeout", 0, 3600,
     [](ParseState& s, std::int64_t v) { s.config.settings.connect_timeout_ms = static_cast<std::uint32_t>(v * 1000); }},
    {"max_connection_rate", 0, UINT32_MAX,
     [](ParseState& s, std::int64_t v) { current_listener(s).config.max_connection_rate = static_cast<std::uint32_t>(v); }},
    // docs/attestation.md section 6.2: at most a week, well past any sensible quote age.
    {"attestation_quote_period", 1, 604800,
     [](ParseState& s, std::int64_t v) { current_listener(s).config.attestation_quote_period_s = static_cast<std::uint32_t>(v); }},
};

// Options whose value is true or false.
struct BoolOption {
  std::string_view name;
  void (*apply)(ParseState&, bool);
};

constexpr BoolOption kBoolOptions[] = {
    {"persistence", [](ParseState& s, bool v) { s.config.persistence.enabled = v; }},
    {"autosave_on_changes", [](ParseState&, bool) {}},  // as autosave_interval
    {"retain_available", [](ParseState& s, bool v) { s.config.settings.retain_available = v; }},
    {"connection_messages", [](ParseState& s, bool v) { s.config.settings.connection_messages = v; }},
    {"set_tcp_nodelay", [](ParseState& s, bool v) { s.config.tcp_nodelay = v; }},
    {"upgrade_outgoing_qos", [](ParseState& s, bool v) { s.config.settings.upgrade_outgoing_qos = v; }},
    {"use_username_as_clientid",
     [](ParseState& s, bool v) { current_listener(s).config.use_username_as_clientid = v; }},
    {"attestation_auth",
     [](ParseState& s, bool v) { current_listener(s).config.attestation_auth = v; }},
    {"attestation_require_client_auth",
     [](ParseState& s, bool v) { current_listener(s).config.attestation_require_client_auth = v; }},
    {"attestation_handshake",
     [](ParseState& s, bool v) { current_listener(s).config.attestation_handshake = v; }},
    {"log_timestamp", [](ParseState& s, bool v) { s.config.log.timestamp = v; }},
};

// max_qos and max_topic_alias are listener options in Mosquitto; the engine has one value
// for all listeners, so two listeners asking for different values are refused.
Outcome single_value(std::optional<SingleValue>& seen, std::int64_t value, const Line& line) {
  if (seen && seen->value != value) {
    return "AttestMQ applies one value to every listener; " + std::to_string(value) +
           " conflicts with " + std::to_string(seen->value) + " set at " + seen->origin;
  }
  seen = SingleValue{value, line.origin};
  return std::nullopt;
}

Outcome handle_max_qos(ParseState& state, const Line& line) {
  const auto qos = parse_integer(line.args[0], 0, 2);
  if (!qos) return "expected 0, 1 or 2, got " + in_quotes(line.args[0]);
  if (auto error = single_value(state.max_qos, *qos, line)) return error;
  state.config.settings.max_qos = static_cast<std::uint8_t>(*qos);
  return std::nullopt;
}

Outcome handle_max_topic_alias(ParseState& state, const Line& line) {
  std::int64_t value = 0;
  if (auto error = integer_value(line.args[0], 0, 65535, value)) return error;
  if (auto error = single_value(state.max_topic_alias, value, line)) return error;
  state.config.settings.max_topic_alias = static_cast<std::uint16_t>(value);
  return std::nullopt;
}

Outcome handle_max_packet_size(ParseState& state, const Line& line) {
  // Mosquitto refuses values below 20; 0 keeps the protocol's own limit.
  const auto value = parse_integer(line.args[0], 0, kLargestPacket);
  if (!value || (*value != 0 && *value < 20)) {
    return "expected 0 or an integer from 20 to " + std::to_string(kLargestPacket) + ", got " +
           in_quotes(line.args[0]);
  }
  state.config.settings.max_packet_size = static_cast<std::uint32_t>(*value);
  return std::nullopt;
}

// docs/attestation.md section 8.1: a TLS ExtensionType in the private-use range (RFC 8447),
// written 0xFF5A or 65370.
Outcome handle_attestation_extension_codepoint(ParseState& state, const Line& line) {
  const auto codepoint = tls::parse_private_extension_type(line.args[0]);
  if (!codepoint) {
    return "expected a private-use TLS extension type from 0xFF00 to 0xFFFF (RFC 8447), got " +
           in_quotes(line.args[0]);
  }
  current_listener(state).config.attestation_extension_codepoint = *codepoint;
  return std::nullopt;
}

Outcome port_value(std::string_view text, std::uint16_t& port) {
  std::int64_t value = 0;
  if (auto error = integer_value(text, 0, 65535, value)) return error;
  port = static_cast<std::uint16_t>(value);
  return std::nullopt;
}

Outcome handle_listener(ParseState& state, const Line& line) {
  ListenerDraft listener;
  listener.config.origin = line.origin;
  if (auto error = port_value(line.args[0], listener.config.port)) return error;
  if (line.args.size() == 2) listener.config.bind_address = std::string(line.args[1]);
  state.listeners.push_back(std::move(listener));
  return std::nullopt;
}

Outcome handle_port(ParseState& state, const Line& line) {
  state.default_listener_used = true;
  state.default_listener.config.origin = line.origin;
  return port_value(line.args[0], state.default_listener.config.port);
}

Outcome handle_bind_address(ParseState& state, const Line& line) {
  state.default_listener_used = true;
  state.default_listener.config.bind_address = std::string(line.args[0]);
  return std::nullopt;
}

Outcome handle_socket_domain(ParseState& state, const Line& line) {
  auto& listener = current_listener(state).config;
  if (line.args[0] == "ipv4") {
    listener.domain = SocketDomain::ipv4;
  } else if (line.args[0] == "ipv6") {
    listener.domain = SocketDomain::ipv6;
  } else {
    return "expected ipv4 or ipv6, got " + in_quotes(line.args[0]);
  }
  return std::nullopt;
}

Outcome handle_protocol(ParseState& state, const Line& line) {
  current_listener(state);
  if (line.args[0] == "websockets") return std::string("websockets: not supported yet");
  if (line.args[0] != "mqtt") return "expected mqtt or websockets, got " + in_quotes(line.args[0]);
  return std::nullopt;
}

Outcome handle_per_listener_settings(ParseState& state, const Line& line) {
  const auto value = parse_bool(line.args[0]);
  if (!value) return "expected true or false, got " + in_quotes(line.args[0]);
  if (!state.first_security_option.empty()) {
    return "must come before any security option (the first is at " +
           state.first_security_option + ")";
  }
  state.config.per_listener_settings = *value;
  return std::nullopt;
}

Outcome handle_allow_anonymous(ParseState& state, const Line& line) {
  const auto value = parse_bool(line.args[0]);
  if (!value) return "expected true or false, got " + in_quotes(line.args[0]);
  if (state.first_security_option.empty()) state.first_security_option = line.origin;
  // mosquitto.conf(5): with per_listener_settings true, security options belong to the
  // listener they follow; before any listener, to the default listener.
  if (state.config.per_listener_settings) {
    auto& listener = state.listeners.empty() ? state.default_listener : state.listeners.back();
    listener.allow_anonymous = *value;
  } else {
    state.allow_anonymous = *value;
  }
  return std::nullopt;
}

Outcome handle_persistent_client_expiration(ParseState& state, const Line& line) {
  const auto seconds = parse_duration_seconds(line.args[0]);
  if (!seconds) {
    return "expected a duration such as 1h, 2d, 1w, 1m or 1y, got " + in_quotes(line.args[0]);
  }
  state.config.settings.persistent_client_expiration_s = *seconds;
  return std::nullopt;
}

Outcome handle_persistence_location(ParseState& state, const Line& line) {
  state.config.persistence.location = std::string(line.args[0]);
  return std::nullopt;
}

Outcome handle_persistence_file(ParseState& state, const Line& line) {
  state.config.persistence.file = std::string(line.args[0]);
  return std::nullopt;
}

Outcome handle_persistence_sync(ParseState& state, const Line& line) {
  using Sync = PersistenceConfig::Sync;
  const std::string_view value = line.args[0];
  if (value == "full")
    state.config.persistence.sync = Sync::full;
  else if (value == "normal")
    state.config.persistence.sync = Sync::normal;
  else if (value == "off")
    state.config.persistence.sync = Sync::off;
  else
    return "expected full, normal or off, got " + in_quotes(value);
  return std::nullopt;
}

// A database sealed by exactly this module may be taken over (docs/persistence.md, "Migration").
Outcome handle_persistence_seal_migrate_from(ParseState& state, const Line& line) {
  const auto bytes = attest::from_hex(line.args[0]);
  if (!bytes || bytes->size() != 32)
    return "expected the SHA-256 of the module that sealed the database, as 64 hex digits, got " +
           in_quotes(line.args[0]);
  std::array<std::uint8_t, 32> module{};
  std::copy(bytes->begin(), bytes->end(), module.begin());
  state.config.persistence.seal_migrate_from = module;
  return std::nullopt;
}

Outcome handle_log_dest(ParseState& state, const Line& line) {
  auto& destinations = state.config.log.destinations;
  if (!state.log_dest_given) destinations.clear();
  state.log_dest_given = true;
  const std::string_view kind = line.args[0];
  LogDestination destination;
  if (kind == "none") {
    destinations.clear();
    return std::nullopt;
  }
  if (kind == "stdout") {
    destination.kind = LogDestination::Kind::stdout_stream;
  } else if (kind == "stderr") {
    destination.kind = LogDestination::Kind::stderr_stream;
  } else if (kind == "file") {
    const std::string_view path = trim_blanks(line.rest.substr(kind.size()));
    if (path.empty()) return std::string("file: expected a path");
    destination.kind = LogDestination::Kind::file;
    destination.path = std::string(path);
  } else if (kind == "syslog" || kind == "topic" || kind == "dlt") {
    return std::string(kind) + ": not supported yet";
  } else {
    return "expected stdout, stderr, file PATH or none, got " + in_quotes(kind);
  }
  if (kind != "file" && line.args.size() > 1) return "unexpected argument " + in_quotes(line.args[1]);
  if (std::find(destinations.begin(), destinations.end(), destination) == destinations.end()) {
    destinations.push_back(std::move(destination));
  }
  return std::nullopt;
}

struct LogTypeName {
  std::string_view name;
  std::uint8_t bit;
};

constexpr LogTypeName kLogTypes[] = {{"error", kLogError},
                                     {"warning", kLogWarning},
                                     {"notice", kLogNotice},
                                     {"information", kLogInformation},
                                     {"debug", kLogDebug}};

Outcome handle_log_type(ParseState& state, const Line& line) {
  auto& types = state.config.log.types;
  if (!state.log_type_given) types = 0;
  state.log_type_given = true;
  const std::string_view type = line.args[0];
  if (type == "all" || type == "none") {
    types = type == "all" ? kLogAll : 0;
    return std::nullopt;
  }
  for (const auto& known : kLogTypes) {
    if (known.name != type) continue;
    types |= known.bit;
    return std::nullopt;
  }
  if (type == "subscribe" || type == "unsubscribe" || type == "websockets") {
    return std::string(type) + ": not supported yet";
  }
  return "expected error, warning, notice, information, debug, all or none, got " + in_quotes(type);
}

Outcome handle_tee(ParseState& state, const Line& line) {
  const std::string_view kind = line.args[0];
  if (!is_tee_kind(kind)) return "expected none, sim, sgx-gramine or tsm, got " + in_quotes(kind);
  state.config.tee = std::string(kind);
  return std::nullopt;
}

Outcome handle_attestation_mode(ParseState& state, const Line& line) {
  using Mode = ListenerConfig::AttestationMode;
  const std::string_view mode = line.args[0];
  if (mode != "per-session" && mode != "cached") {
    return "expected per-session or cached, got " + in_quotes(mode);
  }
  current_listener(state).config.attestation_mode = mode == "cached" ? Mode::cached : Mode::per_session;
  return std::nullopt;
}

Outcome handle_tee_sim_key_file(ParseState& state, const Line& line) {
  state.config.tee_sim_key_file = std::string(line.args[0]);
  return std::nullopt;
}

// Read with the TEE provider at startup (a policy needs the verifier, which this layer does not
// link); the path is taken as given, like tee_sim_key_file.
Outcome handle_attestation_client_policy(ParseState& state, const Line& line) {
  current_listener(state).config.attestation_client_policy = std::string(line.args[0]);
  return std::nullopt;
}

Outcome handle_log_timestamp_format(ParseState& state, const Line& line) {
  state.config.log.timestamp_format = std::string(line.rest);
  return std::nullopt;
}

OptionOutcome rejected(std::string message) {
  return {OptionOutcome::Kind::rejected, std::move(message)};
}

constexpr std::size_t kRestOfLine = SIZE_MAX;

struct Handler {
  std::string_view name;
  std::size_t min_args;
  std::size_t max_args;
  Outcome (*handle)(ParseState&, const Line&);
};

constexpr Handler kHandlers[] = {
    {"listener", 1, 2, handle_listener},
    {"port", 1, 1, handle_port},
    {"bind_address", 1, 1, handle_bind_address},
    {"socket_domain", 1, 1, handle_socket_domain},
    {"protocol", 1, 1, handle_protocol},
    {"max_qos", 1, 1, handle_max_qos},
    {"max_topic_alias", 1, 1, handle_max_topic_alias},
    {"max_packet_size", 1, 1, handle_max_packet_size},
    {"per_listener_settings", 1, 1, handle_per_listener_settings},
    {"allow_anonymous", 1, 1, handle_allow_anonymous},
    {"persistent_client_expiration", 1, 1, handle_persistent_client_expiration},
    {"persistence_location", 1, 1, handle_persistence_location},
    {"persistence_file", 1, 1, handle_persistence_file},
    {"persistence_sync", 1, 1, handle_persistence_sync},
    {"persistence_seal_migrate_from", 1, 1, handle_persistence_seal_migrate_from},
    {"log_dest", 1, kRestOfLine, handle_log_dest},
    {"log_type", 1, 1, handle_log_type},
    {"log_timestamp_format", 1, kRestOfLine, handle_log_timestamp_format},
    {"tee", 1, 1, handle_tee},
    {"tee_sim_key_file", 1, 1, handle_tee_sim_key_file},
    {"attestation_mode", 1, 1, handle_attestation_mode},
    {"attestation_client_policy", 1, 1, handle_attestation_client_policy},
    {"attestation_extension_codepoint", 1, 1, handle_attestation_extension_codepoint},
};

Outcome check_arity(const Line& line, std::size_t min_args, std::size_t max_args) {
  if (line.args.size() < min_args) return std::string("expected a value");
  if (line.args.size() > max_args) {
    return "unexpected extra argument " + in_quotes(line.args[max_args]) +
           " (comments must be on a line of their own)";
  }
  return std::nullopt;
}

OptionOutcome apply_line(ParseState& state, const Line& line) {
  for (const auto& option : kIntegerOptions) {
    if (option.name != line.name) continue;
    if (auto error = check_arity(line, 1, 1)) return rejected(*error);
    std::int64_t value = 0;
    if (auto error = integer_value(line.args[0], option.min, option.max, value)) return rejected(*error);
    option.apply(state, value);
    return {};
  }
  for (const auto& option : kBoolOptions) {
    if (option.name != line.name) continue;
    if (auto error = check_arity(line, 1, 1)) return rejected(*error);
    const auto value = parse_bool(line.args[0]);
    if (!value) return rejected("expected true or false, got " + in_quotes(line.args[0]));
    option.apply(state, *value);
    return {};
  }
  for (const auto& handler : kHandlers) {
    if (handler.name != line.name) continue;
    if (auto error = check_arity(line, handler.min_args, handler.max_args)) return rejected(*error);
    if (auto error = handler.handle(state, line)) return rejected(*error);
    return {};
  }
  return apply_tls_or_security_option(state, line);
}

}  // namespace

OptionOutcome apply_option(ParseState& state, const Line& line) {
  OptionOutcome outcome = apply_line(state, line);
  // Errors found later about the default listener name the line that brought it into being.
  if (state.default_listener_used && state.default_listener.config.origin.empty()) {
    state.default_listener.config.origin = line.origin;
  }
  return outcome;
}


}  // namespace attestmq::config

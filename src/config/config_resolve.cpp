// Mosquitto 2.0's rules that turn what the file says into listeners and their policies.
#include "config/parse_state.hpp"
#include "config/security_files.hpp"

#include <optional>
#include <string>
#include <utility>

namespace attestmq::config {
namespace {

ListenerConfig local_only_listener(std::string address, std::uint16_t port, bool optional) {
  ListenerConfig listener;
  listener.port = port;
  listener.bind_address = std::move(address);
  listener.optional = optional;
  listener.origin = "local-only mode";
  return listener;
}

// The -p ports against a file that does configure listeners.
void apply_port_overrides(ParseState& state, const std::vector<std::uint16_t>& ports) {
  auto next = ports.begin();
  if (state.default_listener_used && next != ports.end()) {
    state.default_listener.config.port = *next++;
    state.default_listener.config.origin = "command line -p";
  }
  for (; next != ports.end(); ++next) {
    ListenerDraft added;
    added.config.port = *next;
    added.config.origin = "command line -p";
    state.listeners.push_back(std::move(added));
  }
}

broker::ListenerPolicy anonymous_policy(bool allow_anonymous) {
  broker::ListenerPolicy policy;
  policy.allow_anonymous = allow_anonymous;
  return policy;
}

void apply_security_files(const SecurityFiles& files, ListenerConfig& listener) {
  listener.password_file = files.password_file;
  listener.acl_file = files.acl_file;
  listener.tls.psk_file = files.psk_file;
}

// The combinations Mosquitto refuses at startup, reported against the listener's line.
std::optional<std::string> check_tls(const ListenerConfig& listener) {
  const ListenerTls& tls = listener.tls;
  if (!tls.certfile.empty() && tls.keyfile.empty()) return "certfile: needs keyfile";
  if (tls.certfile.empty() && !tls.keyfile.empty()) return "keyfile: needs certfile";
  if (tls.require_certificate && tls.cafile.empty() && tls.capath.empty()) {
    return "require_certificate: needs cafile or capath to verify client certificates with";
  }
  if (!tls.psk_hint.empty() && tls.psk_file.empty()) return "psk_hint: needs psk_file";
  const bool has_tls_option = !tls.cafile.empty() || !tls.capath.empty() || !tls.crlfile.empty() ||
                              tls.require_certificate || tls.use_identity_as_username ||
                              tls.use_subject_as_username || !tls.tls_version.empty() ||
                              !tls.ciphers.empty() || !tls.ciphers_tls13.empty() ||
                              !tls.keylog_file.empty();
  if (!tls.enabled() && has_tls_option) {
    return "TLS options on a listener without certfile/keyfile or psk_hint";
  }
  if (tls.use_identity_as_username && tls.use_subject_as_username) {
    return "use_identity_as_username and use_subject_as_username: choose one";
  }
  return std::nullopt;
}

}  // namespace

ConfigResult resolve(ParseState state, const CommandLine& command_line) {
  const bool has_listeners = state.default_listener_used || !state.listeners.empty();
  if (has_listeners) apply_port_overrides(state, command_line.ports);

  BrokerConfig config = std::move(state.config);
  std::vector<ListenerDraft> drafts;
  if (state.default_listener_used) drafts.push_back(std::move(state.default_listener));
  for (auto& draft : state.listeners) drafts.push_back(std::move(draft));

  config.settings.listeners.clear();
  if (drafts.empty()) {
    // Mosquitto 2.0: "local only" mode binds the loopback interfaces and, having no other
    // protection, allows anonymous clients unless the file explicitly forbids them.
    config.local_only = true;
    std::vector<std::uint16_t> ports = command_line.ports;
    if (ports.empty()) ports.push_back(1883);
    const auto& explicit_choice =
        config.per_listener_settings ? state.default_listener.allow_anonymous : state.allow_anonymous;
    const bool anonymous = explicit_choice.value_or(true);
    for (const std::uint16_t port : ports) {
      config.listeners.push_back(local_only_listener("127.0.0.1", port, false));
      config.listeners.push_back(local_only_listener("::1", port, true));
      config.settings.listeners.push_back(anonymous_policy(anonymous));
      config.settings.listeners.push_back(anonymous_policy(anonymous));
    }
    // The security files hold in local-only mode too: an acl_file must not be dropped.
    const SecurityFiles& files = config.per_listener_settings
                                     ? state.default_listener.security_files
                                     : state.security_files;
    for (auto& listener : config.listeners) apply_security_files(files, listener);
  } else {
    // Mosquitto 2.0: allow_anonymous defaults to false once listeners are configured.
    for (auto& draft : drafts) {
      const bool anonymous = config.per_listener_settings
                                 ? draft.allow_anonymous.value_or(false)
                                 : state.allow_anonymous.value_or(false);
      apply_security_files(config.per_listener_settings ? draft.security_files : state.security_files,
                           draft.config);
      broker::ListenerPolicy policy = anonymous_policy(anonymous);
      policy.use_username_as_clientid = draft.config.use_username_as_clientid;
      config.listeners.push_back(std::move(draft.config));
      config.settings.listeners.push_back(std::move(policy));
    }
  }
  for (const auto& listener : config.listeners) {
    if (auto error = check_tls(listener)) return ConfigError{listener.origin, 0, *error};
  }
  if (auto error = load_security_files(config)) return std::move(*error);

  if (command_line.tee) config.tee = *command_line.tee;
  if (command_line.verbose) {
    config.log.types = kLogAll;
    config.log.destinations = {LogDestination{.kind = LogDestination::Kind::stdout_stream, .path = {}}};
  }
  return config;
}

}  // namespace attestmq::config

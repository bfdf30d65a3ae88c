// Mosquitto 2.0's rules that turn what the file says into listeners and their policies.
#include "config/parse_state.hpp"

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
      config.settings.listeners.push_back({.allow_anonymous = anonymous});
      config.settings.listeners.push_back({.allow_anonymous = anonymous});
    }
  } else {
    // Mosquitto 2.0: allow_anonymous defaults to false once listeners are configured.
    for (auto& draft : drafts) {
      const bool anonymous = config.per_listener_settings
                                 ? draft.allow_anonymous.value_or(false)
                                 : state.allow_anonymous.value_or(false);
      config.listeners.push_back(std::move(draft.config));
      config.settings.listeners.push_back({.allow_anonymous = anonymous});
    }
  }

  if (command_line.verbose) {
    config.log.types = kLogAll;
    config.log.destinations = {LogDestination{.kind = LogDestination::Kind::stdout_stream, .path = {}}};
  }
  return config;
}

}  // namespace attestmq::config

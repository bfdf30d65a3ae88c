#pragma once
// What the parser has gathered so far, before Mosquitto's defaulting rules (default listener,
// local-only mode, per_listener_settings) turn it into a BrokerConfig. Internal to config/.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/broker_config.hpp"
#include "config/config_parser.hpp"

namespace attestmq::config {

// password_file, acl_file and psk_file as given; empty = not given.
struct SecurityFiles {
  std::string password_file;
  std::string acl_file;
  std::string psk_file;
};

struct ListenerDraft {
  ListenerConfig config;
  std::optional<bool> allow_anonymous;  // with per_listener_settings true
  SecurityFiles security_files;         // with per_listener_settings true
};

// A value AttestMQ applies to every listener although Mosquitto sets it per listener
// (max_qos, max_topic_alias): remembered with where it was set, to refuse a conflict.
struct SingleValue {
  std::int64_t value = 0;
  std::string origin;
};

struct ParseState {
  BrokerConfig config;  // settings, threads, logging, per_listener_settings
  // The listener made by `port` / `bind_address` and the listener options that come before
  // any `listener` line; it exists only if one of them was given.
  ListenerDraft default_listener;
  bool default_listener_used = false;
  std::vector<ListenerDraft> listeners;
  std::optional<bool> allow_anonymous;  // with per_listener_settings false
  SecurityFiles security_files;         // with per_listener_settings false
  // "FILE:LINE" of the first security option (allow_anonymous, password_file, acl_file,
  // psk_file): per_listener_settings must come before it.
  std::string first_security_option;
  bool log_dest_given = false;          // the first log_dest / log_type replaces the default
  bool log_type_given = false;
  std::optional<SingleValue> max_qos;
  std::optional<SingleValue> max_topic_alias;
};

// The listener a listener option applies to: the last `listener`, or before any the default
// listener, which an option brings into being as `port` would.
inline ListenerDraft& current_listener(ParseState& state) {
  if (state.listeners.empty()) {
    state.default_listener_used = true;
    return state.default_listener;
  }
  return state.listeners.back();
}

// Applies Mosquitto 2.0's defaulting rules and the command line.
ConfigResult resolve(ParseState state, const CommandLine& command_line);

}  // namespace attestmq::config

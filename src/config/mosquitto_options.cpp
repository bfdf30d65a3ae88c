#include "config/mosquitto_options.hpp"

#include <algorithm>
#include <iterator>

namespace attestmq::config {
namespace {

// mosquitto.conf(5), Mosquitto 2.0: general, listener, TLS, security and bridge options.
constexpr std::string_view kUnsupported[] = {
    "address", "addresses", "allow_duplicate_messages", "allow_zero_length_clientid",
    "auth_plugin", "auth_plugin_deny_special_chars", "bind_interface", "check_retain_source", "cleansession", "clientid", "clientid_prefixes",
    "connection", "dhparamfile", "enable_control_api", "global_max_clients", "global_plugin",
    "http_dir", "idle_timeout", "keepalive_interval", "local_cleansession", "local_clientid",
    "local_password", "local_username", "log_facility", "memory_limit",
    "mount_point", "notification_topic", "notifications", "notifications_local_only",
    "ocsp_url", "pid_file", "plugin",
    "queue_qos0_messages", "remote_clientid", "remote_password", "remote_username",
    "restart_timeout", "round_robin", "start_type", "threshold", "tls_engine",
    "tls_engine_kpass_sha1", "tls_keyform", "topic", "try_private", "user", "websockets_headers_size", "websockets_log_level",
};

// Families of options sharing a prefix (bridge_cafile, auth_opt_NAME, plugin_opt_NAME, ...).
constexpr std::string_view kUnsupportedPrefixes[] = {"bridge_", "auth_opt_", "plugin_opt_"};

}  // namespace

bool is_unsupported_mosquitto_option(std::string_view name) {
  if (std::find(std::begin(kUnsupported), std::end(kUnsupported), name) != std::end(kUnsupported)) {
    return true;
  }
  return std::any_of(std::begin(kUnsupportedPrefixes), std::end(kUnsupportedPrefixes),
                     [&](std::string_view prefix) { return name.starts_with(prefix); });
}

}  // namespace attestmq::config

// The TLS options of a listener and the security files (password_file, acl_file, psk_file):
// mosquitto.conf(5) "Certificate based SSL/TLS support", "Pre-shared-key based SSL/TLS
// support" and "Security", in Mosquitto 2.0's per_listener_settings semantics. Files must be
// readable when the configuration is read, so a typo is reported with its line.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "config/option_handlers.hpp"
#include "config/value_parsers.hpp"

namespace attestmq::config {
namespace {

using Outcome = std::optional<std::string>;

// The listener a security option belongs to with per_listener_settings true: the one it
// follows, or before any listener the default one (without creating it).
ListenerDraft& security_listener(ParseState& state) {
  return state.listeners.empty() ? state.default_listener : state.listeners.back();
}

Outcome readable(const std::string& path, bool directory) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || ::access(path.c_str(), R_OK) != 0) {
    return "cannot read " + in_quotes(path) + ": " + std::strerror(errno);
  }
  if (directory != S_ISDIR(info.st_mode)) {
    return in_quotes(path) + (directory ? " is not a directory" : " is a directory");
  }
  return std::nullopt;
}

struct PathOption {
  std::string_view name;
  bool directory;
  std::string ListenerTls::*field;
};

constexpr PathOption kTlsPaths[] = {
    {"cafile", false, &ListenerTls::cafile},     {"capath", true, &ListenerTls::capath},
    {"certfile", false, &ListenerTls::certfile}, {"keyfile", false, &ListenerTls::keyfile},
    {"crlfile", false, &ListenerTls::crlfile},
};

struct BoolTlsOption {
  std::string_view name;
  bool ListenerTls::*field;
};

constexpr BoolTlsOption kTlsBools[] = {
    {"require_certificate", &ListenerTls::require_certificate},
    {"use_identity_as_username", &ListenerTls::use_identity_as_username},
    {"use_subject_as_username", &ListenerTls::use_subject_as_username},
};

struct TextTlsOption {
  std::string_view name;
  std::string ListenerTls::*field;
};

constexpr TextTlsOption kTlsTexts[] = {
    {"ciphers", &ListenerTls::ciphers},
    {"ciphers_tls1.3", &ListenerTls::ciphers_tls13},
    {"psk_hint", &ListenerTls::psk_hint},
    {"tls_keylog_file", &ListenerTls::keylog_file},  // written, not read: opened at startup
};

Outcome handle_tls_version(ListenerTls& tls, std::string_view value) {
  if (value == "tlsv1.3" || value == "tlsv1.2") {
    tls.tls_version = std::string(value);
    return std::nullopt;
  }
  if (value == "tlsv1.1" || value == "tlsv1") {
    return in_quotes(value) + " is not offered: AttestMQ speaks TLS 1.2 and 1.3 only";
  }
  return "expected tlsv1.3 or tlsv1.2, got " + in_quotes(value);
}

// password_file, acl_file, psk_file: per listener or global, as allow_anonymous.
Outcome handle_security_file(ParseState& state, const Line& line, std::string_view path) {
  if (auto error = readable(std::string(path), false)) return error;
  if (state.first_security_option.empty()) state.first_security_option = line.origin;
  const bool per_listener = state.config.per_listener_settings;
  auto& files = per_listener ? security_listener(state).security_files : state.security_files;
  if (line.name == "password_file") files.password_file = std::string(path);
  if (line.name == "acl_file") files.acl_file = std::string(path);
  if (line.name == "psk_file") files.psk_file = std::string(path);
  return std::nullopt;
}

}  // namespace

OptionOutcome apply_tls_or_security_option(ParseState& state, const Line& line) {
  auto outcome = [](Outcome error) {
    if (error) return OptionOutcome{OptionOutcome::Kind::rejected, std::move(*error)};
    return OptionOutcome{};
  };
  // Every option here takes exactly one value; paths may contain spaces.
  const std::string_view value = trim_blanks(line.rest);
  const bool one_word = line.args.size() == 1;
  if (value.empty()) return {OptionOutcome::Kind::rejected, "expected a value"};
  for (const auto& option : kTlsPaths) {
    if (option.name != line.name) continue;
    if (auto error = readable(std::string(value), option.directory)) return outcome(error);
    current_listener(state).config.tls.*option.field = std::string(value);
    return {};
  }
  for (const auto& option : kTlsBools) {
    if (option.name != line.name) continue;
    const auto flag = parse_bool(value);
    if (!one_word || !flag) return outcome("expected true or false, got " + in_quotes(value));
    current_listener(state).config.tls.*option.field = *flag;
    return {};
  }
  for (const auto& option : kTlsTexts) {
    if (option.name != line.name) continue;
    current_listener(state).config.tls.*option.field = std::string(value);
    return {};
  }
  if (line.name == "tls_version") {
    if (!one_word) return outcome("expected tlsv1.3 or tlsv1.2, got " + in_quotes(value));
    return outcome(handle_tls_version(current_listener(state).config.tls, value));
  }
  if (line.name == "password_file" || line.name == "acl_file" || line.name == "psk_file") {
    return outcome(handle_security_file(state, line, value));
  }
  return {OptionOutcome::Kind::not_handled, {}};
}

}  // namespace attestmq::config

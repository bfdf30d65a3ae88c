#include "tls/whole_file.hpp"
#include "config/acl_file.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <variant>

#include "mqtt/topic.hpp"

namespace attestmq::config {

namespace {

constexpr std::string_view kBlanks = " \t\r";

// An `attested measurement|module HEX` section header.
struct Attested {
  broker::AttestedKey key;
  std::string hex;  // lower-case
};

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlanks) - first + 1);
}

// Splits off the first blank-separated word; `rest` keeps the remainder, trimmed.
std::string_view next_word(std::string_view& rest) {
  const auto end = rest.find_first_of(kBlanks);
  const std::string_view word = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : trim(rest.substr(end));
  return word;
}

std::optional<broker::AclAccess> access_named(std::string_view word) {
  if (word == "read") return broker::AclAccess::read;
  if (word == "write") return broker::AclAccess::write;
  if (word == "readwrite") return broker::AclAccess::readwrite;
  if (word == "deny") return broker::AclAccess::deny;
  return std::nullopt;
}

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

std::string lower_case(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The section an `attested` line starts: a module hash is a SHA-256 (64 hex digits); a
// measurement is MRENCLAVE or the sim one (32 bytes), or MRTD or an SNP MEASUREMENT (48 bytes).
std::variant<Attested, std::string> attested_section(std::string_view rest) {
  const std::string_view kind = next_word(rest);
  const std::string_view hex = rest;
  if (kind != "measurement" && kind != "module") {
    return "attested: expected measurement or module, got '" + std::string(kind) + "'";
  }
  const bool module = kind == "module";
  const bool valid_length = module ? hex.size() == 64 : (hex.size() == 64 || hex.size() == 96);
  if (!is_hex(hex) || !valid_length) {
    return "attested " + std::string(kind) + ": expected " +
           (module ? "64 hex digits (SHA-256)" : "64 or 96 hex digits (32 or 48 bytes)") +
           ", got '" + std::string(hex) + "'";
  }
  return Attested{module ? broker::AttestedKey::module : broker::AttestedKey::measurement,
                  lower_case(hex)};
}

}  // namespace

AclFileResult parse_acl_file(std::string_view text, std::string_view file_name) {
  auto acl = std::make_shared<broker::AccessControl>();
  // The section a `topic` line belongs to: nullopt = anonymous, a user, or an attested key.
  std::optional<std::variant<std::string, Attested>> section;
  std::size_t line_number = 0;
  auto error = [&](std::string message) {
    return ConfigError{std::string(file_name), line_number, std::move(message)};
  };
  while (!text.empty()) {
    ++line_number;
    const auto newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    if (line.empty() || line.starts_with('#')) continue;

    const std::string_view keyword = next_word(line);
    if (keyword == "user") {
      if (line.empty()) return error("user: missing username");
      section = std::string(line);
      continue;
    }
    if (keyword == "attested") {
      auto attested = attested_section(line);
      if (auto* message = std::get_if<std::string>(&attested)) return error(std::move(*message));
      section = std::get<Attested>(std::move(attested));
      continue;
    }
    if (keyword != "topic" && keyword != "pattern") {
      return error("unknown rule '" + std::string(keyword) +
                   "', expected topic, pattern, user or attested");
    }
    if (line.empty()) return error(std::string(keyword) + ": missing topic filter");
    broker::AclRule rule;
    std::string_view filter = line;
    // With one word the access was left out (readwrite); with more, the first is the access.
    if (line.find_first_of(kBlanks) != std::string_view::npos) {
      const std::string_view access_word = next_word(filter);
      const auto access = access_named(access_word);
      if (!access) {
        return error("expected read, write, readwrite or deny, got '" + std::string(access_word) +
                     "'");
      }
      rule.access = *access;
    }
    // mosquitto.conf(5): FILTER "can contain the + or # wildcards as in subscriptions".
    if (!mqtt::valid_topic_filter(filter)) {
      return error(std::string(keyword) + ": invalid topic filter '" + std::string(filter) + "'");
    }
    rule.filter = std::string(filter);
    if (keyword == "pattern") {
      acl->add_pattern_rule(std::move(rule));
    } else if (!section) {
      acl->add_topic_rule(std::nullopt, std::move(rule));
    } else if (const auto* attested = std::get_if<Attested>(&*section)) {
      acl->add_attested_rule(attested->key, attested->hex, std::move(rule));
    } else {
      acl->add_topic_rule(std::get<std::string>(*section), std::move(rule));
    }
  }
  return std::shared_ptr<const broker::AccessControl>(std::move(acl));
}

AclFileResult load_acl_file(const std::string& path) {
  int error_number = 0;
  const auto text = tls::read_whole_file(path, error_number);
  if (!text) {
    return ConfigError{path, 0, std::string("acl_file: cannot read: ") + std::strerror(error_number)};
  }
  return parse_acl_file(*text, path);
}

}  // namespace attestmq::config

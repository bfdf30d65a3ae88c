#include "config/acl_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "mqtt/topic.hpp"

namespace attestmq::config {

namespace {

constexpr std::string_view kBlanks = " \t\r";

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

}  // namespace

AclFileResult parse_acl_file(std::string_view text, std::string_view file_name) {
  auto acl = std::make_shared<broker::AccessControl>();
  std::optional<std::string> user;  // the section a `topic` line belongs to; nullopt = anonymous
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
      user = std::string(line);
      continue;
    }
    if (keyword != "topic" && keyword != "pattern") {
      return error("unknown rule '" + std::string(keyword) +
                   "', expected topic, pattern or user");
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
    if (keyword == "topic")
      acl->add_topic_rule(user, std::move(rule));
    else
      acl->add_pattern_rule(std::move(rule));
  }
  return std::shared_ptr<const broker::AccessControl>(std::move(acl));
}

AclFileResult load_acl_file(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return ConfigError{path, 0, std::string("acl_file: cannot read: ") + std::strerror(errno)};
  }
  std::ostringstream text;
  text << stream.rdbuf();
  return parse_acl_file(text.str(), path);
}

}  // namespace attestmq::config

#pragma once
// Shorthands for parsing a configuration text in a test.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config_parser.hpp"

namespace attestmq::config::testing {

inline constexpr std::string_view kFile = "test.conf";

// The configuration `text` yields; fails the test if it is refused.
inline BrokerConfig parse_ok(std::string_view text, const CommandLine& command_line = {}) {
  auto result = parse_config(text, kFile, command_line);
  if (const auto* error = std::get_if<ConfigError>(&result)) {
    ADD_FAILURE() << "unexpected error: " << error->to_string();
    return BrokerConfig{};
  }
  return std::get<BrokerConfig>(std::move(result));
}

// The error `text` yields, as reported ("FILE:LINE: MESSAGE"); fails the test if accepted.
inline std::string parse_error(std::string_view text, const CommandLine& command_line = {}) {
  auto result = parse_config(text, kFile, command_line);
  if (const auto* error = std::get_if<ConfigError>(&result)) return error->to_string();
  ADD_FAILURE() << "accepted: " << text;
  return {};
}

}  // namespace attestmq::config::testing

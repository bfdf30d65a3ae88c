#pragma once
// Applying one configuration line to the parse state. Internal to config/.
#include <string>
#include <string_view>
#include <vector>

#include "config/parse_state.hpp"

namespace attestmq::config {

// One non-comment line, split on blanks.
struct Line {
  std::string origin;  // "FILE:LINE"
  std::string_view name;
  std::vector<std::string_view> args;
  std::string_view rest;  // everything after the name, for values that may hold spaces
};

struct OptionOutcome {
  enum class Kind { applied, rejected, not_handled };
  Kind kind = Kind::applied;
  std::string message;  // for rejected: what is wrong, to follow "OPTION: "
};

// not_handled: `line.name` is not an option AttestMQ implements.
OptionOutcome apply_option(ParseState& state, const Line& line);

// The TLS and security-file options (tls_security_options.cpp); apply_option's fallback.
OptionOutcome apply_tls_or_security_option(ParseState& state, const Line& line);

}  // namespace attestmq::config

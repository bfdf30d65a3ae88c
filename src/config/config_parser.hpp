#pragma once
// mosquitto.conf-compatible configuration parser (mosquitto.conf(5), Mosquitto 2.0), plus
// AttestMQ's own options. A pure function of the text, the file name and the command line,
// except that include_dir reads the directory it names. No exceptions: the result is either
// a complete configuration or one error naming file, line and option.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/broker_config.hpp"

namespace attestmq::config {

struct ConfigError {
  std::string file;
  std::size_t line = 0;  // 1-based; 0 when the error is about the file as a whole
  std::string message;   // starts with the option's name when one is at fault
  // "FILE:LINE: MESSAGE", the form every error is reported in.
  std::string to_string() const;
};

// The parts of `attestmq broker`'s command line that change the configuration.
struct CommandLine {
  // -p PORT, in order: the first replaces the port of the default listener (`port`), any
  // other adds a listener on every interface; with no listener configured at all they are
  // the ports of local-only mode, as in Mosquitto 2.0.
  std::vector<std::uint16_t> ports;
  bool verbose = false;  // -v: every log type, on stdout
  std::optional<std::string> tee;  // --tee: replaces the file's `tee`
};

using ConfigResult = std::variant<BrokerConfig, ConfigError>;

ConfigResult parse_config(std::string_view text, std::string_view file_name,
                          const CommandLine& command_line = {});

// Reads and parses `path` (errors name the path).
ConfigResult load_config_file(const std::string& path, const CommandLine& command_line = {});

// No -c: Mosquitto 2.0's defaults, i.e. local-only mode.
ConfigResult default_config(const CommandLine& command_line = {});

}  // namespace attestmq::config

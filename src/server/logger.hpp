#pragma once
// Log lines to the configured destinations, filtered by log_type, prefixed like Mosquitto's
// ("1700000000: New connection from ..."). Safe to call from any reactor thread.
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/host.hpp"
#include "config/broker_config.hpp"
#include "server/optional_mutex.hpp"

namespace attestmq::server {

class Logger {
 public:
  // Opens every `log_dest file` (appending); the error names the file that cannot be opened.
  static std::variant<std::unique_ptr<Logger>, std::string> open(const config::LogConfig& config,
                                                                 bool threaded);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool enabled(broker::LogLevel level) const;
  void log(broker::LogLevel level, std::string_view line);

 private:
  struct Stream {
    std::FILE* file;
    bool owned;  // opened by us (log_dest file), closed by us
  };
  Logger(const config::LogConfig& config, bool threaded) : config_(config), mutex_(threaded) {}
  std::string prefix() const;

  config::LogConfig config_;
  std::vector<Stream> streams_;
  OptionalMutex mutex_;
};

}  // namespace attestmq::server

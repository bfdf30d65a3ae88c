#include "server/logger.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>

namespace attestmq::server {
namespace {

std::uint8_t type_bit(broker::LogLevel level) {
  switch (level) {
    case broker::LogLevel::debug: return config::kLogDebug;
    case broker::LogLevel::info: return config::kLogInformation;
    case broker::LogLevel::notice: return config::kLogNotice;
    case broker::LogLevel::warning: return config::kLogWarning;
    case broker::LogLevel::error: return config::kLogError;
  }
  return config::kLogError;
}

}  // namespace

std::variant<std::unique_ptr<Logger>, std::string> Logger::open(const config::LogConfig& config,
                                                                bool threaded) {
  std::unique_ptr<Logger> logger(new Logger(config, threaded));
  for (const auto& destination : config.destinations) {
    switch (destination.kind) {
      case config::LogDestination::Kind::stdout_stream:
        logger->streams_.push_back({stdout, false});
        break;
      case config::LogDestination::Kind::stderr_stream:
        logger->streams_.push_back({stderr, false});
        break;
      case config::LogDestination::Kind::file: {
        std::FILE* file = std::fopen(destination.path.c_str(), "a");
        if (file == nullptr) {
          return "log_dest file " + destination.path + ": " + std::strerror(errno);
        }
        logger->streams_.push_back({file, true});
        break;
      }
    }
  }
  return logger;
}

Logger::~Logger() {
  for (const auto& stream : streams_) {
    if (stream.owned) std::fclose(stream.file);
  }
}

bool Logger::enabled(broker::LogLevel level) const {
  return !streams_.empty() && (config_.types & type_bit(level)) != 0;
}

// Mosquitto's log_timestamp: seconds since the epoch, or log_timestamp_format (strftime).
std::string Logger::prefix() const {
  if (!config_.timestamp) return {};
  const std::time_t now = std::time(nullptr);
  if (config_.timestamp_format.empty()) return std::to_string(now) + ": ";
  std::tm local{};
  localtime_r(&now, &local);
  char text[128];
  const std::size_t size = std::strftime(text, sizeof text, config_.timestamp_format.c_str(), &local);
  return std::string(text, size) + ": ";
}

void Logger::log(broker::LogLevel level, std::string_view line) {
  if (!enabled(level)) return;
  const std::string text = prefix() + std::string(line) + "\n";
  std::lock_guard lock(mutex_);
  for (const auto& stream : streams_) {
    std::fwrite(text.data(), 1, text.size(), stream.file);
    std::fflush(stream.file);
  }
}

}  // namespace attestmq::server

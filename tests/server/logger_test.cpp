// Log lines: Mosquitto's "SECONDS: text" form, filtered by log_type, to every destination.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "server/logger.hpp"

namespace attestmq::server {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class LoggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "attestmq_logger_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".log";
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::unique_ptr<Logger> open(config::LogConfig log) {
    log.destinations = {config::LogDestination{config::LogDestination::Kind::file, path_}};
    auto opened = Logger::open(log, false);
    if (auto* error = std::get_if<std::string>(&opened)) ADD_FAILURE() << *error;
    return std::move(std::get<0>(opened));
  }
  std::string path_;
};

TEST_F(LoggerTest, MosquittoTimestampAndTypeFilter) {
  config::LogConfig log;
  log.types = config::kLogNotice | config::kLogError;
  auto logger = open(log);
  logger->log(broker::LogLevel::notice, "New connection from 127.0.0.1:5000 on port 1883.");
  logger->log(broker::LogLevel::debug, "not shown");
  logger->log(broker::LogLevel::info, "not shown either");
  logger->log(broker::LogLevel::error, "Error: something");
  EXPECT_FALSE(logger->enabled(broker::LogLevel::debug));
  EXPECT_TRUE(logger->enabled(broker::LogLevel::error));
  const std::string text = read_all(path_);
  EXPECT_TRUE(std::regex_match(text, std::regex("[0-9]{10}: New connection from 127\\.0\\.0\\.1:5000 on port 1883\\.\n"
                                                "[0-9]{10}: Error: something\n")))
      << text;
}

TEST_F(LoggerTest, TimestampFormatAndNoTimestamp) {
  config::LogConfig log;
  log.timestamp_format = "%Y";
  open(log)->log(broker::LogLevel::notice, "formatted");
  EXPECT_TRUE(std::regex_match(read_all(path_), std::regex("[0-9]{4}: formatted\n")));
  std::filesystem::remove(path_);
  log.timestamp = false;
  open(log)->log(broker::LogLevel::notice, "bare");
  EXPECT_EQ(read_all(path_), "bare\n");
}

TEST_F(LoggerTest, AppendsToAnExistingFile) {
  std::ofstream(path_) << "earlier\n";
  config::LogConfig log;
  log.timestamp = false;
  open(log)->log(broker::LogLevel::warning, "later");
  EXPECT_EQ(read_all(path_), "earlier\nlater\n");
}

TEST(Logger, UnopenableFileNamesIt) {
  config::LogConfig log;
  log.destinations = {config::LogDestination{config::LogDestination::Kind::file, "/nonexistent/dir/x.log"}};
  auto opened = Logger::open(log, false);
  ASSERT_TRUE(std::holds_alternative<std::string>(opened));
  EXPECT_EQ(std::get<std::string>(opened), "log_dest file /nonexistent/dir/x.log: No such file or directory");
}

TEST(Logger, NoDestinationsMeansNothingEnabled) {
  config::LogConfig log;
  log.destinations.clear();
  auto opened = Logger::open(log, false);
  EXPECT_FALSE(std::get<0>(opened)->enabled(broker::LogLevel::error));
}

}  // namespace
}  // namespace attestmq::server

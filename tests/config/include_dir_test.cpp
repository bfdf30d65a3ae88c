// include_dir: every *.conf in the directory, alphabetically, errors naming the included file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config_test_helpers.hpp"

namespace attestmq::config {
namespace {

namespace fs = std::filesystem;

class IncludeDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("attestmq_include_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::string main_text() const { return "max_qos 1\ninclude_dir " + dir_.string() + "\n"; }

  fs::path dir_;
};

TEST_F(IncludeDir, ReadsConfFilesInAlphabeticalOrder) {
  write("b.conf", "max_queued_messages 2\nlistener 1885\n");
  write("a.conf", "max_queued_messages 1\nlistener 1884\n");
  write("c.txt", "this is not read\n");
  const auto config = testing::parse_ok(main_text());
  EXPECT_EQ(config.settings.max_queued_messages, 2u) << "b.conf is read after a.conf";
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0].port, 1884);
  EXPECT_EQ(config.listeners[1].port, 1885);
  EXPECT_EQ(config.listeners[1].origin, (dir_ / "b.conf").string() + ":2");
}

TEST_F(IncludeDir, ErrorsNameTheIncludedFileAndLine) {
  write("a.conf", "\n\nmax_qos 9\n");
  EXPECT_EQ(testing::parse_error(main_text()),
            (dir_ / "a.conf").string() + ":3: max_qos: expected 0, 1 or 2, got '9'");
}

TEST_F(IncludeDir, MissingDirectoryIsAnError) {
  const std::string missing = (dir_ / "nope").string();
  const std::string error = testing::parse_error("include_dir " + missing + "\n");
  EXPECT_EQ(error.rfind("test.conf:1: include_dir: cannot read directory '" + missing + "': ", 0), 0u) << error;
}

TEST_F(IncludeDir, OnlyInTheMainFile) {
  write("a.conf", "include_dir /etc\n");
  EXPECT_EQ(testing::parse_error(main_text()),
            (dir_ / "a.conf").string() + ":1: include_dir: only allowed in the main configuration file");
}

}  // namespace
}  // namespace attestmq::config

#pragma once
// A fresh directory under the system's temporary directory, removed with everything in it
// when the test ends. Header-only: test binaries that link no test support use it too.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace attestmq::testing {

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "attestmq-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace attestmq::testing

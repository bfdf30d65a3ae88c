#include "reference_programs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace attestmq::test {

::testing::AssertionResult installed(const char* program) {
  const std::string path = program;
  const std::string name = path.substr(path.rfind('/') + 1);
  struct stat info {};
  std::string problem;
  if (::stat(program, &info) != 0) {
    problem = std::strerror(errno);
  } else if (!S_ISREG(info.st_mode) || ::access(program, X_OK) != 0) {
    // access() alone would let root "execute" a directory.
    problem = "not an executable file";
  } else {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "Debian's " << name << " not found at " << path << " ("
                                       << problem << "): run scripts/setup.sh";
}

}  // namespace attestmq::test

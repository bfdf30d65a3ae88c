#include "server/open_file_limit.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace attestmq::server {
namespace {

// The most descriptors one process may have (fs.nr_open); 0 when unreadable.
rlim_t kernel_descriptor_maximum() {
  std::ifstream file("/proc/sys/fs/nr_open");
  unsigned long long maximum = 0;
  file >> maximum;
  return static_cast<rlim_t>(maximum);
}

}  // namespace

OpenFileLimit raise_open_file_limit() {
  OpenFileLimit result;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    result.error = std::string("getrlimit: ") + std::strerror(errno);
    return result;
  }
  result.before = result.now = limit.rlim_cur;
  rlim_t target = limit.rlim_max;
  if (target == RLIM_INFINITY) target = kernel_descriptor_maximum();
  if (target <= limit.rlim_cur) return result;
  limit.rlim_cur = target;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    result.error = std::string("setrlimit: ") + std::strerror(errno);
    return result;
  }
  result.now = target;
  return result;
}

std::string describe(const OpenFileLimit& limit) {
  std::string line = "Open files limit: " + std::to_string(limit.now);
  if (limit.now != limit.before) line += " (raised from " + std::to_string(limit.before) + ")";
  if (!limit.error.empty()) line += " (not raised: " + limit.error + ")";
  return line + ".";
}

}  // namespace attestmq::server

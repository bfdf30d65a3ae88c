#pragma once
// Every connection costs a descriptor, and the soft RLIMIT_NOFILE a shell hands out (often
// 1024) is far below what the hard limit allows. Like FlashMQ and unlike Mosquitto, the
// broker raises its own soft limit to the hard one at start, so `ulimit -n` is needed only
// to go past the hard limit.
#include <sys/resource.h>

#include <string>

namespace attestmq::server {

struct OpenFileLimit {
  rlim_t before = 0;  // the soft limit found
  rlim_t now = 0;     // the soft limit in force afterwards
  std::string error;  // why it could not be raised; empty on success
};

// Raises the soft RLIMIT_NOFILE to the hard limit (to fs.nr_open when the hard limit is
// unlimited, which the kernel allows for descriptors).
OpenFileLimit raise_open_file_limit();

// "Open files limit: 20000 (raised from 1024)." and the like, for the log.
std::string describe(const OpenFileLimit& limit);

}  // namespace attestmq::server

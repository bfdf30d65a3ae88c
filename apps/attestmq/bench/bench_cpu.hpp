#pragma once
// CPU time consumed so far by this process (getrusage) and by another one (/proc/PID/stat),
// so a report can put the generator's cost next to the broker's.
#include <optional>

namespace attestmq::app::bench {

struct CpuTime {
  double user_s = 0;
  double system_s = 0;
  double total() const { return user_s + system_s; }
};

CpuTime own_cpu_time();
// nullopt when the process does not exist (or /proc is not mounted).
std::optional<CpuTime> process_cpu_time(int pid);

}  // namespace attestmq::app::bench

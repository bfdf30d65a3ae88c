#pragma once
// CPU time consumed so far by this process (getrusage) and by another one (/proc/PID/stat),
// so a report can put the generator's cost next to the broker's.
#include <cstdint>
#include <optional>
#include <string>

namespace attestmq::app::bench {

struct CpuTime {
  double user_s = 0;
  double system_s = 0;
  double total() const { return user_s + system_s; }
  CpuTime operator-(const CpuTime& earlier) const {
    return {user_s - earlier.user_s, system_s - earlier.system_s};
  }
};

CpuTime own_cpu_time();
// nullopt when the process does not exist (or /proc is not mounted).
std::optional<CpuTime> process_cpu_time(int pid);

// The generator's and (with a pid) the broker's CPU time at one instant of the run.
struct CpuSample {
  std::int64_t at_ns = 0;  // monotonic
  CpuTime generator;
  std::optional<CpuTime> broker;
};
CpuSample sample_cpu(int broker_pid);

// The generator's CPU time between two samples over the time its threads had.
double busy_share(const CpuSample& start, const CpuSample& end, unsigned threads);

// The generator must not be the bottleneck: past this share of its threads' time, a warning
// on stderr (`where`: which part of the run, or empty).
inline constexpr double kGeneratorBusyLimit = 0.9;
void warn_if_generator_busy(double busy, unsigned threads, const std::string& where);

}  // namespace attestmq::app::bench

#include "bench_cpu.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "bench_timeline.hpp"

namespace attestmq::app::bench {

namespace {

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; }

}  // namespace

CpuTime own_cpu_time() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return {seconds(usage.ru_utime), seconds(usage.ru_stime)};
}

std::optional<CpuTime> process_cpu_time(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  // proc(5): the command name (field 2) is in parentheses and may hold spaces, so count the
  // fields after the last ')'. utime and stime are fields 14 and 15, in clock ticks.
  const auto name_end = stat.rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(name_end + 1));
  std::string field;
  for (int index = 3; index < 14; ++index) fields >> field;
  double user_ticks = 0;
  double system_ticks = 0;
  if (!(fields >> user_ticks >> system_ticks)) return std::nullopt;
  const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return CpuTime{user_ticks / ticks_per_second, system_ticks / ticks_per_second};
}

CpuSample sample_cpu(int broker_pid) {
  CpuSample sample;
  sample.at_ns = monotonic_ns();
  sample.generator = own_cpu_time();
  if (broker_pid > 0) sample.broker = process_cpu_time(broker_pid);
  return sample;
}

double busy_share(const CpuSample& start, const CpuSample& end, unsigned threads) {
  const double seconds = static_cast<double>(end.at_ns - start.at_ns) / 1e9;
  return seconds > 0 ? (end.generator - start.generator).total() / (seconds * threads) : 0;
}

void warn_if_generator_busy(double busy, unsigned threads, const std::string& where) {
  if (busy <= kGeneratorBusyLimit) return;
  std::fprintf(stderr,
               "attestmq bench: warning: the generator used %.0f%% of its %u thread(s)%s: it may "
               "have been the bottleneck (give it more threads, or a core of its own)\n",
               100 * busy, threads, where.c_str());
}

}  // namespace attestmq::app::bench

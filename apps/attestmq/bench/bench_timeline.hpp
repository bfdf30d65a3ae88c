#pragma once
#include <algorithm>
#include <cstdint>

#include "bench_options.hpp"

namespace attestmq::app::bench {

std::int64_t monotonic_ns();

// The phases of a run on the monotonic clock: warmup, then the measurement window in equal
// steps (one, unless --ramp), then the drain that lets the last messages arrive. Messages
// stamped inside [measure_start, measure_end) are the ones counted, each in its step.
struct Timeline {
  std::int64_t measure_start = 0;
  std::int64_t step_ns = 1;
  unsigned steps = 1;
  std::int64_t measure_end = 0;  // the last step's end, or earlier after a stop (SIGINT)
  std::int64_t drain_deadline = 0;

  // Warmup from `start`, then `options.step_count()` steps of --duration each.
  static Timeline of(const Options& options, std::int64_t start);
  // Ends the window at `at` (if it had not ended before): a run stopped early.
  void stop_at(std::int64_t at);

  bool in_window(std::int64_t t) const { return t >= measure_start && t < measure_end; }
  std::int64_t step_start(unsigned step) const { return measure_start + step * step_ns; }
  // The step a time falls in; -1 outside the window.
  int step_of(std::int64_t t) const {
    if (!in_window(t)) return -1;
    return static_cast<int>(std::min<std::int64_t>((t - measure_start) / step_ns, steps - 1));
  }
  // The step whose settings hold at `t`: the first during warmup, the last after the window.
  unsigned settings_step(std::int64_t t) const {
    if (t < measure_start) return 0;
    return static_cast<unsigned>(std::min<std::int64_t>((t - measure_start) / step_ns, steps - 1));
  }
  // How long the step lasted: shorter, or 0, after a stop.
  double step_seconds(unsigned step) const;
};

}  // namespace attestmq::app::bench

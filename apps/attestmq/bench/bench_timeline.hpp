#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>

#include "bench_options.hpp"

namespace attestmq::app::bench {

std::int64_t monotonic_ns();

// The phases of a run on the monotonic clock: warmup, then the measurement window in equal
// steps (one, unless --ramp), then the drain that lets the last messages arrive. Messages
// stamped inside the planned window are the ones counted, each in its step.
struct Timeline {
  std::int64_t measure_start = 0;
  std::int64_t step_ns = 1;
  unsigned steps = 1;
  std::int64_t planned_end = 0;  // the last step's end
  std::int64_t measure_end = 0;  // the same, or earlier after a stop (SIGINT)
  std::int64_t drain_deadline = 0;

  // Warmup from `start`, then `options.step_count()` steps of --duration each.
  static Timeline of(const Options& options, std::int64_t start);
  // Ends the window at `at` (if it had not ended before): a run stopped early. A stop
  // before the window ends it before it began.
  void stop_at(std::int64_t at);
  bool stopped() const { return measure_end < planned_end; }

  std::int64_t step_start(unsigned step) const { return measure_start + step * step_ns; }
  // The step a message's stamp falls in, by the planned steps; -1 outside them. Workers
  // learn of a stop at slightly different times: by the plan, a message stamped just after
  // the stop counts in the same step for its publisher and its subscribers.
  int stamp_step(std::int64_t stamp) const {
    if (stamp < measure_start || stamp >= planned_end) return -1;
    return static_cast<int>(std::min<std::int64_t>((stamp - measure_start) / step_ns, steps - 1));
  }
  // The step a delivery arriving at `t` counts in; -1 outside the (possibly cut) window.
  int arrival_step(std::int64_t t) const { return t < measure_end ? stamp_step(t) : -1; }
  // The step whose settings hold at `t`: the first during warmup, then each in turn up to the
  // one the window ended in.
  unsigned settings_step(std::int64_t t) const {
    const std::int64_t at = std::clamp(t, measure_start, std::max(measure_start, measure_end - 1));
    return static_cast<unsigned>(std::min<std::int64_t>((at - measure_start) / step_ns, steps - 1));
  }
  // How long the step lasted: shorter, or 0, after a stop.
  double step_seconds(unsigned step) const;
};

// A stop signal ends the window for every worker at the same instant: the first worker to
// see it in the window fixes when, in `stop_ns`; each applies it to its own copy.
void observe_stop(std::atomic<std::int64_t>& stop_ns, std::int64_t now, Timeline& timeline);

}  // namespace attestmq::app::bench

#include "bench_timeline.hpp"

#include <time.h>

namespace attestmq::app::bench {

namespace {
constexpr std::int64_t kSecond = 1'000'000'000;
// The last messages of the window get this long to arrive; what is still missing is lost.
constexpr std::int64_t kDrainTimeout = 2 * kSecond;
}  // namespace

std::int64_t monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return std::int64_t{now.tv_sec} * kSecond + now.tv_nsec;
}

Timeline Timeline::of(const Options& options, std::int64_t start) {
  Timeline timeline;
  timeline.measure_start = start + static_cast<std::int64_t>(options.warmup_s * kSecond);
  timeline.step_ns = std::max<std::int64_t>(static_cast<std::int64_t>(options.duration_s * kSecond), 1);
  timeline.steps = options.step_count();
  timeline.measure_end = timeline.step_start(timeline.steps);
  timeline.drain_deadline = timeline.measure_end + kDrainTimeout;
  return timeline;
}

void Timeline::stop_at(std::int64_t at) {
  if (at >= measure_end) return;
  measure_end = std::max(at, measure_start);
  drain_deadline = measure_end + kDrainTimeout;
}

double Timeline::step_seconds(unsigned step) const {
  const std::int64_t start = std::min(step_start(step), measure_end);
  const std::int64_t end = std::min(step_start(step + 1), measure_end);
  return static_cast<double>(end - start) / kSecond;
}

}  // namespace attestmq::app::bench

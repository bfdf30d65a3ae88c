#include "bench_timeline.hpp"

#include <time.h>

#include "bench_progress.hpp"

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
  timeline.step_ns =
      std::max<std::int64_t>(static_cast<std::int64_t>(options.duration_s * kSecond), 1);
  timeline.steps = options.step_count();
  timeline.planned_end = timeline.step_start(timeline.steps);
  timeline.measure_end = timeline.planned_end;
  timeline.drain_deadline = timeline.measure_end + kDrainTimeout;
  return timeline;
}

void Timeline::stop_at(std::int64_t at) {
  if (at >= measure_end) return;
  if (at < measure_start) measure_start = at;  // stopped while connecting or warming up
  measure_end = at;
  drain_deadline = measure_end + kDrainTimeout;
}

void observe_stop(std::atomic<std::int64_t>& stop_ns, std::int64_t now, Timeline& timeline) {
  if (stop_requested() && now < timeline.planned_end) {
    std::int64_t unset = 0;
    stop_ns.compare_exchange_strong(unset, now);
  }
  if (const std::int64_t stopped = stop_ns.load(); stopped != 0) timeline.stop_at(stopped);
}

double Timeline::step_seconds(unsigned step) const {
  const std::int64_t start = std::min(step_start(step), measure_end);
  const std::int64_t end = std::min(step_start(step + 1), measure_end);
  return static_cast<double>(end - start) / kSecond;
}

}  // namespace attestmq::app::bench

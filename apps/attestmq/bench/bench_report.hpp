#pragma once
// The numbers of one benchmark run, summed over all clients, step by step (one step unless
// --ramp), and their text and JSON forms.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "bench_histogram.hpp"
#include "bench_options.hpp"
#include "bench_peers.hpp"
#include "bench_worker.hpp"

namespace attestmq::app::bench {

struct StepReport {
  double seconds = 0;             // how long the step was measured
  unsigned publishers = 0;        // taking part in the step
  unsigned subscribers = 0;
  // Subscribers that received a message stamped in the step: the members a ramp has joined
  // (and the broker serves) by the step's end.
  unsigned subscribers_receiving = 0;
  double rate_target = 0;         // total msg/s scheduled; 0: as fast as the window allows
  std::uint64_t sent = 0;         // messages stamped inside the step
  std::uint64_t expected = 0;     // sent times the subscribers each message reaches
  std::uint64_t delivered_unique = 0;  // of those, received at least once
  std::uint64_t received = 0;     // every delivery that arrived inside the step
  std::uint64_t lost = 0;
  std::uint64_t duplicates = 0;   // of messages stamped inside the step
  double sent_per_s = 0;
  double delivered_per_s = 0;
  LatencyHistogram latency;
  CpuTime generator_cpu;
  std::optional<CpuTime> broker_cpu;
  // The generator's CPU time over the time its threads had: near 1, it may have been the
  // bottleneck rather than the broker.
  double generator_busy = 0;
};

struct Report {
  std::vector<StepReport> steps;  // those that were measured: a stop cuts the rest
  std::uint64_t duplicates = 0;   // over the whole run, warmup and drain included
  std::uint64_t gaps = 0;
  std::uint64_t rejected_acks = 0;
  std::uint8_t granted_qos = 0;   // the lowest QoS a subscriber was granted
  bool stopped = false;           // a signal ended the window early
};

Report summarize(const Options& options, const std::vector<std::unique_ptr<Publisher>>& publishers,
                 const std::vector<std::unique_ptr<Subscriber>>& subscribers,
                 const SharedRun& shared);

void print_text(const Options& options, const Report& report, std::FILE* out);
nlohmann::json to_json(const Options& options, const Report& report);
// The steps in which the generator was busier than kGeneratorBusyLimit, on stderr.
void warn_if_generator_busy(const Options& options, const Report& report);

}  // namespace attestmq::app::bench

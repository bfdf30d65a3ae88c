#pragma once
// The numbers of one benchmark run, summed over all clients, and their text and JSON forms.
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

struct Report {
  std::uint64_t sent = 0;                // messages stamped inside the window
  std::uint64_t expected = 0;            // sent times the subscribers each message reaches
  std::uint64_t delivered_unique = 0;    // of those, received at least once
  std::uint64_t received_in_window = 0;  // every delivery that arrived inside the window
  std::uint64_t lost = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t gaps = 0;
  std::uint64_t rejected_acks = 0;
  std::uint8_t granted_qos = 0;  // the lowest QoS a subscriber was granted
  double sent_per_s = 0;
  double delivered_per_s = 0;
  LatencyHistogram latency;
  CpuTime generator_cpu;
  std::optional<CpuTime> broker_cpu;
};

Report summarize(const Options& options, const std::vector<std::unique_ptr<Publisher>>& publishers,
                 const std::vector<std::unique_ptr<Subscriber>>& subscribers,
                 const SharedRun& shared);

void print_text(const Options& options, const Report& report, std::FILE* out);
nlohmann::json to_json(const Options& options, const Report& report);

}  // namespace attestmq::app::bench

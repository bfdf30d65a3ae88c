#include "bench_report.hpp"

#include <algorithm>

namespace attestmq::app::bench {

namespace {

struct Percentile {
  const char* name;
  double quantile;
};
constexpr Percentile kPercentiles[] = {
    {"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"p99.9", 0.999}, {"max", 1.0}};

double microseconds(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

const char* scenario_name(Scenario scenario) {
  switch (scenario) {
    case Scenario::pairs: return "pairs";
    case Scenario::fanout: return "fanout";
    case Scenario::fanin: return "fanin";
    case Scenario::shared: return "shared";
    case Scenario::connect: break;
  }
  return "connect";
}

// CPU microseconds spent per delivered message, the cost measure that compares brokers.
double per_message_us(double cpu_s, std::uint64_t messages) {
  return messages == 0 ? 0.0 : cpu_s * 1e6 / static_cast<double>(messages);
}

}  // namespace

Report summarize(const Options& options, const std::vector<std::unique_ptr<Publisher>>& publishers,
                 const std::vector<std::unique_ptr<Subscriber>>& subscribers,
                 const SharedRun& shared) {
  Report report;
  for (const auto& publisher : publishers) {
    report.sent += publisher->sent_in_window();
    report.rejected_acks += publisher->rejected_acks();
  }
  report.expected = report.sent * options.subscribers_per_publisher();
  report.granted_qos = options.qos;
  for (const auto& subscriber : subscribers) {
    report.delivered_unique += subscriber->unique_from_window();
    report.received_in_window += subscriber->received_in_window();
    report.duplicates += subscriber->duplicates();
    report.gaps += subscriber->gaps();
    report.granted_qos = std::min(report.granted_qos, subscriber->granted_qos());
    report.latency.merge(subscriber->latency());
  }
  report.lost = report.expected - std::min(report.expected, report.delivered_unique);
  report.sent_per_s = static_cast<double>(report.sent) / options.duration_s;
  report.delivered_per_s = static_cast<double>(report.received_in_window) / options.duration_s;
  report.generator_cpu = {shared.generator_at_end.user_s - shared.generator_at_start.user_s,
                          shared.generator_at_end.system_s - shared.generator_at_start.system_s};
  if (shared.broker_at_start && shared.broker_at_end) {
    report.broker_cpu = CpuTime{shared.broker_at_end->user_s - shared.broker_at_start->user_s,
                                shared.broker_at_end->system_s - shared.broker_at_start->system_s};
  }
  return report;
}

void print_text(const Options& options, const Report& report, std::FILE* out) {
  std::fprintf(
      out, "scenario   %s: %u publisher(s), %u subscriber(s), QoS %u, %zu-byte payload, MQTT %s\n",
      scenario_name(options.scenario), options.publisher_count(), options.subscriber_count(),
      options.qos, options.payload_size, options.version == mqtt::Version::v5 ? "5" : "3.1.1");
  std::fprintf(out, "window     %.1f s measured after %.1f s warmup; ", options.duration_s,
               options.warmup_s);
  if (options.rate > 0) {
    std::fprintf(out, "scheduled rate %.0f msg/s\n", options.rate);
  } else {
    std::fprintf(out, "as fast as a window of %u allows\n", options.window);
  }
  std::fprintf(out, "sent       %12.0f msg/s  (%llu messages)\n", report.sent_per_s,
               static_cast<unsigned long long>(report.sent));
  std::fprintf(out, "delivered  %12.0f msg/s  (%llu arrived in the window)\n",
               report.delivered_per_s, static_cast<unsigned long long>(report.received_in_window));
  std::fprintf(out, "loss       %llu of %llu (%.4f%%), %llu duplicates\n",
               static_cast<unsigned long long>(report.lost),
               static_cast<unsigned long long>(report.expected),
               report.expected ? 100.0 * report.lost / report.expected : 0.0,
               static_cast<unsigned long long>(report.duplicates));
  if (report.rejected_acks > 0) {
    std::fprintf(out, "rejected   %llu PUBACK, PUBREC or PUBCOMP with a failure reason code\n",
                 static_cast<unsigned long long>(report.rejected_acks));
  }
  if (report.granted_qos < options.qos) {
    std::fprintf(out, "warning    the broker granted only QoS %u\n", report.granted_qos);
  }
  std::fprintf(out, "latency us");
  for (const auto& p : kPercentiles) {
    std::fprintf(out, "  %s %.1f", p.name, microseconds(report.latency.value_at(p.quantile)));
  }
  std::fprintf(out, "\n");
  std::fprintf(out, "generator  %.2f CPU s (user %.2f, sys %.2f), %.2f us/msg delivered\n",
               report.generator_cpu.total(), report.generator_cpu.user_s,
               report.generator_cpu.system_s,
               per_message_us(report.generator_cpu.total(), report.received_in_window));
  if (report.broker_cpu) {
    std::fprintf(out, "broker     %.2f CPU s (user %.2f, sys %.2f), %.2f us/msg delivered\n",
                 report.broker_cpu->total(), report.broker_cpu->user_s, report.broker_cpu->system_s,
                 per_message_us(report.broker_cpu->total(), report.received_in_window));
  }
}

nlohmann::json to_json(const Options& options, const Report& report) {
  nlohmann::json latency;
  for (const auto& p : kPercentiles) {
    latency[p.name] = microseconds(report.latency.value_at(p.quantile));
  }
  latency["mean"] = report.latency.mean() / 1000.0;
  latency["samples"] = report.latency.count();
  const auto cpu = [&](const CpuTime& time) {
    return nlohmann::json{
        {"user_s", time.user_s},
        {"system_s", time.system_s},
        {"total_s", time.total()},
        {"us_per_delivered", per_message_us(time.total(), report.received_in_window)}};
  };
  nlohmann::json result = {
      {"scenario", scenario_name(options.scenario)},
      {"publishers", options.publisher_count()},
      {"subscribers", options.subscriber_count()},
      {"qos", options.qos},
      {"granted_qos", report.granted_qos},
      {"payload_bytes", options.payload_size},
      {"mqtt_version", options.version == mqtt::Version::v5 ? "5" : "3.1.1"},
      {"duration_s", options.duration_s},
      {"warmup_s", options.warmup_s},
      {"rate_target", options.rate},
      {"window", options.window},
      {"threads", options.threads},
      {"sent", report.sent},
      {"sent_per_s", report.sent_per_s},
      {"delivered", report.received_in_window},
      {"delivered_per_s", report.delivered_per_s},
      {"expected", report.expected},
      {"delivered_unique", report.delivered_unique},
      {"lost", report.lost},
      {"duplicates", report.duplicates},
      {"sequence_gaps", report.gaps},
      {"rejected_acks", report.rejected_acks},
      {"latency_us", latency},
      {"generator_cpu", cpu(report.generator_cpu)},
  };
  result["broker_cpu"] = report.broker_cpu ? cpu(*report.broker_cpu) : nlohmann::json(nullptr);
  return result;
}

}  // namespace attestmq::app::bench

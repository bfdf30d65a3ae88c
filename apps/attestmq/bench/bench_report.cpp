#include "bench_report.hpp"

#include <algorithm>
#include <string>

namespace attestmq::app::bench {

namespace {

struct Percentile {
  const char* name;
  double quantile;
};
constexpr Percentile kPercentiles[] = {
    {"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"p99.9", 0.999}, {"max", 1.0}};

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

const char* ramp_name(Ramp ramp) {
  switch (ramp) {
    case Ramp::rate: return "rate";
    case Ramp::subscribers: return "subscribers";
    case Ramp::publishers: return "publishers";
    case Ramp::none: break;
  }
  return "none";
}

// CPU microseconds spent per delivered message, the cost measure that compares brokers.
double per_message_us(double cpu_s, std::uint64_t messages) {
  return messages == 0 ? 0.0 : cpu_s * 1e6 / static_cast<double>(messages);
}

std::string fmt_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

StepReport summarize_step(const Options& options, unsigned step, const Timeline& timeline,
                          const std::vector<std::unique_ptr<Publisher>>& publishers,
                          const std::vector<std::unique_ptr<Subscriber>>& subscribers,
                          const SharedRun& shared) {
  StepReport report;
  report.seconds = timeline.step_seconds(step);
  report.publishers = options.publishers_in(step);
  report.subscribers = options.subscribers_in(step);
  report.rate_target = options.publisher_rate > 0 ? options.publisher_rate * report.publishers
                                                  : options.rate_in(step);
  for (const auto& publisher : publishers) report.sent += publisher->sent_in(step);
  report.expected = report.sent * options.subscribers_per_publisher();
  for (const auto& subscriber : subscribers) {
    const Subscriber::StepCounts& counts = subscriber->in(step);
    report.delivered_unique += counts.unique;
    report.received += counts.received;
    report.duplicates += counts.duplicates;
    report.subscribers_receiving += counts.unique > 0;
    if (counts.latency) report.latency.merge(*counts.latency);
  }
  report.lost = report.expected - std::min(report.expected, report.delivered_unique);
  if (report.seconds > 0) {
    report.sent_per_s = static_cast<double>(report.sent) / report.seconds;
    report.delivered_per_s = static_cast<double>(report.received) / report.seconds;
  }
  const CpuSample& start = shared.cpu[step];
  const CpuSample& end = shared.cpu[step + 1];
  report.generator_cpu = end.generator - start.generator;
  if (start.broker && end.broker) report.broker_cpu = *end.broker - *start.broker;
  report.generator_busy = busy_share(start, end, options.threads);
  return report;
}

nlohmann::json step_json(const StepReport& step) {
  nlohmann::json latency;
  for (const auto& p : kPercentiles) {
    latency[p.name] = microseconds(step.latency.value_at(p.quantile));
  }
  latency["mean"] = step.latency.mean() / 1000.0;
  latency["samples"] = step.latency.count();
  const auto cpu = [&](const CpuTime& time) {
    return nlohmann::json{{"user_s", time.user_s},
                          {"system_s", time.system_s},
                          {"total_s", time.total()},
                          {"us_per_delivered", per_message_us(time.total(), step.received)}};
  };
  nlohmann::json result = {
      {"duration_s", step.seconds},
      {"publishers", step.publishers},
      {"subscribers", step.subscribers},
      {"subscribers_receiving", step.subscribers_receiving},
      {"rate_target", step.rate_target},
      {"sent", step.sent},
      {"sent_per_s", step.sent_per_s},
      {"delivered", step.received},
      {"delivered_per_s", step.delivered_per_s},
      {"expected", step.expected},
      {"delivered_unique", step.delivered_unique},
      {"lost", step.lost},
      {"duplicates", step.duplicates},
      {"latency_us", latency},
      {"generator_cpu", cpu(step.generator_cpu)},
      {"generator_busy", step.generator_busy},
  };
  result["broker_cpu"] = step.broker_cpu ? cpu(*step.broker_cpu) : nlohmann::json(nullptr);
  return result;
}

void print_step_line(const Options& options, unsigned index, const StepReport& step,
                     std::FILE* out) {
  // A rate of 0 is the step that sends as fast as the window allows.
  const double value = options.ramp_steps[index];
  const std::string shown = options.ramp == Ramp::rate && value == 0 ? "max" : fmt_number(value);
  std::fprintf(out, "%4u %10s %5u %5u %12.0f %12.0f %8llu %5llu %9.1f %9.1f %9.1f %10.1f",
               index + 1, shown.c_str(), step.publishers, step.subscribers,
               step.sent_per_s, step.delivered_per_s, static_cast<unsigned long long>(step.lost),
               static_cast<unsigned long long>(step.duplicates),
               microseconds(step.latency.value_at(0.5)), microseconds(step.latency.value_at(0.99)),
               microseconds(step.latency.value_at(0.999)),
               microseconds(step.latency.value_at(1.0)));
  if (step.broker_cpu) {
    std::fprintf(out, " %8.2f", per_message_us(step.broker_cpu->total(), step.received));
  }
  std::fprintf(out, " %5.0f%%\n", 100 * step.generator_busy);
}

void print_one_step(const Report& report, std::FILE* out) {
  const StepReport& step = report.steps.front();
  std::fprintf(out, "sent       %12.0f msg/s  (%llu messages)\n", step.sent_per_s,
               static_cast<unsigned long long>(step.sent));
  std::fprintf(out, "delivered  %12.0f msg/s  (%llu arrived in the window)\n",
               step.delivered_per_s, static_cast<unsigned long long>(step.received));
  std::fprintf(out, "loss       %llu of %llu (%.4f%%), %llu duplicates\n",
               static_cast<unsigned long long>(step.lost),
               static_cast<unsigned long long>(step.expected),
               step.expected ? 100.0 * step.lost / step.expected : 0.0,
               static_cast<unsigned long long>(report.duplicates));
  std::fprintf(out, "latency us");
  for (const auto& p : kPercentiles) {
    std::fprintf(out, "  %s %.1f", p.name, microseconds(step.latency.value_at(p.quantile)));
  }
  std::fprintf(out, "\n");
  std::fprintf(out,
               "generator  %.2f CPU s (user %.2f, sys %.2f), %.2f us/msg delivered, %.0f%% busy\n",
               step.generator_cpu.total(), step.generator_cpu.user_s, step.generator_cpu.system_s,
               per_message_us(step.generator_cpu.total(), step.received),
               100 * step.generator_busy);
  if (step.broker_cpu) {
    std::fprintf(out, "broker     %.2f CPU s (user %.2f, sys %.2f), %.2f us/msg delivered\n",
                 step.broker_cpu->total(), step.broker_cpu->user_s, step.broker_cpu->system_s,
                 per_message_us(step.broker_cpu->total(), step.received));
  }
}

}  // namespace

Report summarize(const Options& options, const std::vector<std::unique_ptr<Publisher>>& publishers,
                 const std::vector<std::unique_ptr<Subscriber>>& subscribers,
                 const SharedRun& shared) {
  Report report;
  const Timeline timeline = shared.timeline(options);
  report.stopped = timeline.stopped();
  for (unsigned step = 0; step < timeline.steps; ++step) {
    // A step a stop cut before it began was not measured.
    if (step > 0 && timeline.step_seconds(step) <= 0) break;
    report.steps.push_back(
        summarize_step(options, step, timeline, publishers, subscribers, shared));
  }
  for (const auto& publisher : publishers) report.rejected_acks += publisher->rejected_acks();
  report.granted_qos = options.qos;
  for (const auto& subscriber : subscribers) {
    report.duplicates += subscriber->duplicates();
    report.gaps += subscriber->gaps();
    // A member of a ramp that never subscribed (or had no SUBACK yet) was granted nothing.
    if (subscriber->subscribed()) {
      report.granted_qos = std::min(report.granted_qos, subscriber->granted_qos());
    }
  }
  return report;
}

void print_text(const Options& options, const Report& report, std::FILE* out) {
  std::fprintf(
      out, "scenario   %s: %u publisher(s), %u subscriber(s), QoS %u, %zu-byte payload, MQTT %s\n",
      scenario_name(options.scenario), options.publisher_count(), options.subscriber_count(),
      options.qos, options.payload_size, options.version == mqtt::Version::v5 ? "5" : "3.1.1");
  double measured = 0;
  for (const StepReport& step : report.steps) measured += step.seconds;
  std::fprintf(out, "window     %.1f s measured in %zu step(s) after %.1f s warmup%s; ", measured,
               report.steps.size(), options.warmup_s, report.stopped ? ", stopped early" : "");
  if (options.ramp != Ramp::none) {
    std::fprintf(out, "%s ramp\n", ramp_name(options.ramp));
  } else if (options.rate > 0 || options.publisher_rate > 0) {
    std::fprintf(out, "scheduled rate %.0f msg/s\n", report.steps.front().rate_target);
  } else {
    std::fprintf(out, "as fast as a window of %u allows\n", options.window);
  }
  if (options.ramp == Ramp::none) {
    print_one_step(report, out);
  } else {
    std::fprintf(out, "step %10s %5s %5s %12s %12s %8s %5s %9s %9s %9s %10s%s %6s\n",
                 ramp_name(options.ramp), "pubs", "subs", "sent/s", "delivered/s", "lost", "dup",
                 "p50 us", "p99 us", "p99.9 us", "max us",
                 options.broker_pid > 0 ? " brokerus" : "",
                 "gen");
    for (unsigned i = 0; i < report.steps.size(); ++i) {
      print_step_line(options, i, report.steps[i], out);
    }
    std::fprintf(out, "duplicates %llu over the run\n",
                 static_cast<unsigned long long>(report.duplicates));
  }
  if (report.rejected_acks > 0) {
    std::fprintf(out, "rejected   %llu PUBACK, PUBREC or PUBCOMP with a failure reason code\n",
                 static_cast<unsigned long long>(report.rejected_acks));
  }
  if (report.granted_qos < options.qos) {
    std::fprintf(out, "warning    the broker granted only QoS %u\n", report.granted_qos);
  }
}

nlohmann::json to_json(const Options& options, const Report& report) {
  nlohmann::json result = {
      {"scenario", scenario_name(options.scenario)},
      {"qos", options.qos},
      {"granted_qos", report.granted_qos},
      {"payload_bytes", options.payload_size},
      {"mqtt_version", options.version == mqtt::Version::v5 ? "5" : "3.1.1"},
      {"warmup_s", options.warmup_s},
      {"window", options.window},
      {"threads", options.threads},
      {"stopped_early", report.stopped},
      {"sequence_gaps", report.gaps},
      {"rejected_acks", report.rejected_acks},
  };
  if (options.ramp == Ramp::none) {
    // One step: its numbers at the top level, the run's duplicates (warmup and drain too).
    result.update(step_json(report.steps.front()));
    result["duplicates"] = report.duplicates;
    return result;
  }
  result["ramp"] = ramp_name(options.ramp);
  result["duplicates"] = report.duplicates;
  result["steps"] = nlohmann::json::array();
  for (unsigned i = 0; i < report.steps.size(); ++i) {
    nlohmann::json step = step_json(report.steps[i]);
    step["step"] = i + 1;
    step["value"] = options.ramp_steps[i];
    result["steps"].push_back(std::move(step));
  }
  return result;
}

void warn_if_generator_busy(const Options& options, const Report& report) {
  for (unsigned i = 0; i < report.steps.size(); ++i) {
    warn_if_generator_busy(report.steps[i].generator_busy, options.threads,
                           options.ramp == Ramp::none ? "" : " in step " + std::to_string(i + 1));
  }
}

}  // namespace attestmq::app::bench

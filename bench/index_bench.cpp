// Cost of finding a publication's subscribers, and a retained set's matches, as the number
// of filters grows; a brute-force scan with topic_matches alongside for scale. The topic
// space is sensor-like: siteS/deviceD/sensorK, filters mostly literal, some with '+'/'#'.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "broker/retained_store.hpp"
#include "broker/subscription_index.hpp"
#include "mqtt/topic.hpp"

namespace attestmq::broker {
namespace {

class SensorTopics {
 public:
  std::string topic() { return site() + "/" + device() + "/" + sensor(); }
  std::string filter(std::size_t i) {
    switch (i % 10) {
      case 6:
      case 7:
        return site() + "/" + device() + "/+";
      case 8:
        return site() + "/+/" + sensor();
      case 9:
        return site() + "/" + device() + "/#";
      default:
        return topic();
    }
  }

 private:
  std::string site() { return "site" + std::to_string(pick(100)); }
  std::string device() { return "device" + std::to_string(pick(1000)); }
  std::string sensor() { return "sensor" + std::to_string(pick(10)); }
  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_);
  }
  std::mt19937 random_{42};
};

struct Workload {
  std::vector<std::string> filters;
  std::vector<std::string> topics;
  SubscriptionIndex index;
};

// Built once per size: the benchmark library calls a benchmark several times to calibrate.
Workload& workload(std::size_t filters) {
  static std::map<std::size_t, std::unique_ptr<Workload>> cache;
  auto& slot = cache[filters];
  if (!slot) {
    slot = std::make_unique<Workload>();
    SensorTopics random;
    for (std::size_t i = 0; i < filters; ++i) {
      slot->filters.push_back(random.filter(i));
      slot->index.subscribe(slot->filters.back(), static_cast<SubscriberId>(i), {});
    }
    for (int i = 0; i < 4096; ++i) slot->topics.push_back(random.topic());
  }
  return *slot;
}

void BM_IndexMatch(benchmark::State& state) {
  Workload& w = workload(static_cast<std::size_t>(state.range(0)));
  std::vector<SubscriptionMatch> out;
  std::size_t next = 0, matched = 0;
  for (auto _ : state) {
    out.clear();
    w.index.match(w.topics[next++ % w.topics.size()], out, [](SubscriberId) { return true; });
    matched += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["matches/publish"] =
      static_cast<double>(matched) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_IndexMatch)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_BruteForceMatch(benchmark::State& state) {
  Workload& w = workload(static_cast<std::size_t>(state.range(0)));
  std::size_t next = 0;
  for (auto _ : state) {
    const std::string& topic = w.topics[next++ % w.topics.size()];
    std::size_t matched = 0;
    for (const std::string& filter : w.filters) matched += mqtt::topic_matches(filter, topic);
    benchmark::DoNotOptimize(matched);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BruteForceMatch)->RangeMultiplier(10)->Range(1000, 100000);

void BM_SubscribeUnsubscribe(benchmark::State& state) {
  Workload& w = workload(static_cast<std::size_t>(state.range(0)));
  SensorTopics random;
  std::vector<std::string> churn;
  for (std::size_t i = 0; i < 1024; ++i) churn.push_back(random.filter(i));
  std::size_t next = 0;
  const auto who = static_cast<SubscriberId>(w.filters.size());  // a session of its own
  for (auto _ : state) {
    const std::string& filter = churn[next++ % churn.size()];
    w.index.subscribe(filter, who, {});
    w.index.unsubscribe(filter, who);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubscribeUnsubscribe)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_RetainedMatch(benchmark::State& state) {
  RetainedStore store;
  SensorTopics random;
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    auto message = std::make_shared<Message>();
    message->topic = random.topic();
    store.set(std::move(message));
  }
  const std::vector<std::string> filters = {"site17/device3/sensor1", "site17/+/sensor3",
                                            "site17/device3/#", "+/device3/+"};
  std::size_t next = 0;
  for (auto _ : state) {
    std::size_t matched = 0;
    store.match(filters[next++ % filters.size()], [&](const MessagePtr&) { ++matched; });
    benchmark::DoNotOptimize(matched);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RetainedMatch)->RangeMultiplier(10)->Range(1000, 1000000);

}  // namespace
}  // namespace attestmq::broker

BENCHMARK_MAIN();

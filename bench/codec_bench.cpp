// Cost of the codec on the broker's hot path: encoding one PUBLISH per subscriber, framing
// and decoding an incoming PUBLISH, and the UTF-8 and topic checks every message goes
// through. Encoding appends to a reused buffer, as the engine does, so a run that allocates
// per packet shows up as a slowdown here.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "mqtt/codec.hpp"
#include "mqtt/topic.hpp"
#include "mqtt/utf8.hpp"

namespace attestmq::mqtt {
namespace {

Publish sample_publish(const std::vector<std::uint8_t>& payload, std::uint8_t qos) {
  Publish publish;
  publish.qos = qos;
  publish.packet_id = qos > 0 ? 17 : 0;
  publish.topic = "site7/device42/sensor3/temperature";
  publish.payload = payload;
  return publish;
}

void BM_EncodePublish(benchmark::State& state) {
  const std::vector<std::uint8_t> payload(static_cast<std::size_t>(state.range(0)), 'x');
  const auto version = state.range(2) == 5 ? Version::v5 : Version::v311;
  const auto publish = sample_publish(payload, static_cast<std::uint8_t>(state.range(1)));
  std::vector<std::uint8_t> out;
  out.reserve(1 << 16);
  for (auto _ : state) {
    out.clear();
    encode(publish, version, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(out.size()));
}
BENCHMARK(BM_EncodePublish)
    ->ArgsProduct({{16, 256, 4096}, {0, 1}, {4, 5}})
    ->ArgNames({"payload", "qos", "version"});

void BM_EncodePublishWithProperties(benchmark::State& state) {
  const std::vector<std::uint8_t> payload(256, 'x');
  auto publish = sample_publish(payload, 1);
  publish.properties.message_expiry_interval = 60;
  publish.properties.subscription_identifiers = {12};
  publish.properties.user_properties = {{"trace", "abc123"}};
  std::vector<std::uint8_t> out;
  out.reserve(1 << 16);
  for (auto _ : state) {
    out.clear();
    encode(publish, Version::v5, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_EncodePublishWithProperties);

void BM_FrameAndDecodePublish(benchmark::State& state) {
  const std::vector<std::uint8_t> payload(static_cast<std::size_t>(state.range(0)), 'x');
  auto publish = sample_publish(payload, 1);
  publish.properties.payload_format_indicator = static_cast<std::uint8_t>(state.range(1));
  std::vector<std::uint8_t> bytes;
  encode(publish, Version::v5, bytes);
  Packet packet;
  for (auto _ : state) {
    FixedHeader header;
    DecodeStatus status;
    parse_frame(bytes, kMaxRemainingLength, header, status);
    status = decode(header, std::span(bytes).subspan(header.header_size), Version::v5, packet);
    benchmark::DoNotOptimize(status);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bytes.size()));
}
BENCHMARK(BM_FrameAndDecodePublish)
    ->ArgsProduct({{16, 256, 4096}, {0, 1}})
    ->ArgNames({"payload", "utf8_payload"});

void BM_ValidUtf8(benchmark::State& state) {
  std::string text;
  while (text.size() < 1024) text += "temperature=21.5°C; ";
  for (auto _ : state) benchmark::DoNotOptimize(valid_utf8(text));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_ValidUtf8);

// Every PUBLISH's Topic Name is checked for UTF-8 and wildcards (section 4.7.1, 4.7.3).
void BM_ValidTopicName(benchmark::State& state) {
  const std::string topic = "site7/device42/sensor3/temperature";
  for (auto _ : state) benchmark::DoNotOptimize(valid_topic_name(topic));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(topic.size()));
}
BENCHMARK(BM_ValidTopicName);

void BM_TopicMatches(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(topic_matches("site7/+/sensor3/#", "site7/device42/sensor3/temp"));
    benchmark::DoNotOptimize(topic_matches("site7/device42/sensor4", "site7/device42/sensor3"));
  }
}
BENCHMARK(BM_TopicMatches);

}  // namespace
}  // namespace attestmq::mqtt

BENCHMARK_MAIN();

// $SYS topics in Mosquitto's layout: retained QoS 0 messages the broker publishes at start
// and every sys_interval seconds.
#include <string>

#include "broker/engine_impl.hpp"

namespace attestmq::broker {

void Engine::Impl::publish_sys() {
  const std::uint64_t uptime_s = (now() - started_ms) / 1000;
  const std::uint64_t sessions_known = session_by_client.size();
  const std::pair<const char*, std::string> entries[] = {
      {"$SYS/broker/version", settings.version_string},
      {"$SYS/broker/uptime", std::to_string(uptime_s) + " seconds"},
      {"$SYS/broker/clients/connected", std::to_string(counters.clients_connected)},
      {"$SYS/broker/clients/total", std::to_string(sessions_known)},
      {"$SYS/broker/clients/disconnected",
       std::to_string(sessions_known - counters.clients_connected)},
      {"$SYS/broker/messages/received", std::to_string(counters.messages_received)},
      {"$SYS/broker/messages/sent", std::to_string(counters.messages_sent)},
      {"$SYS/broker/bytes/received", std::to_string(counters.bytes_received)},
      {"$SYS/broker/bytes/sent", std::to_string(counters.bytes_sent)},
      {"$SYS/broker/subscriptions/count", std::to_string(index.size())},
      {"$SYS/broker/retained messages/count", std::to_string(retained.size())},
      {"$SYS/broker/publish/messages/dropped", std::to_string(counters.messages_dropped)},
  };
  for (const auto& [topic, value] : entries) {
    auto message = std::make_shared<Message>();
    message->topic = topic;
    message->payload.assign(value.begin(), value.end());
    message->retain = true;
    publish_owned(message);
  }
}

}  // namespace attestmq::broker

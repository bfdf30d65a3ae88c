// Will messages (MQTT 5.0 sections 3.1.2.5 and 3.1.3.2, MQTT 3.1.1 section 3.1.2.5): kept in
// the session, published when the connection ends without a normal DISCONNECT, after the
// Will Delay Interval or when the session ends, whichever comes first.
#include "broker/access_control.hpp"
#include "broker/engine_impl.hpp"

namespace attestmq::broker {

void Engine::Impl::set_will(Session& session, const mqtt::Connect& packet, SubscriberId id) {
  // A reconnect in time cancels a delayed will of the previous connection (3.1.3.2.2).
  session.will.reset();
  session.will_at_ms.reset();
  session.will_delay_s = 0;
  session.will_expiry_interval_s.reset();
  if (!packet.will) return;
  const mqtt::Will& will = *packet.will;
  auto message = std::make_shared<Message>();
  message->topic.assign(will.topic);
  message->payload.assign(will.payload.begin(), will.payload.end());
  message->qos = will.qos;
  message->retain = will.retain;
  message->origin = origin_of(id);
  const mqtt::Properties& p = will.properties;
  copy_forwarded_properties(p, *message);
  session.will = std::move(message);
  session.will_delay_s = p.will_delay_interval.value_or(0);
  session.will_expiry_interval_s = p.message_expiry_interval;
}

void Engine::Impl::will_on_connection_end(Session& session) {
  if (!session.will) return;
  if (session.will_delay_s == 0) {
    publish_will(session);
    return;
  }
  session.will_at_ms = now() + std::uint64_t{session.will_delay_s} * 1000;
}

void Engine::Impl::publish_will(Session& session) {
  std::shared_ptr<Message> will = std::move(session.will);
  session.will.reset();
  session.will_at_ms.reset();
  if (!will) return;
  // Section 3.1.3.2.4: the Message Expiry Interval runs from when the will is published.
  if (session.will_expiry_interval_s)
    will->expires_at_ms = now() + std::uint64_t{*session.will_expiry_interval_s} * 1000;
  // Clients may not write $SYS (Mosquitto ignores such publications), wills included.
  if (will->topic.starts_with("$SYS")) return;
  // As Mosquitto does, the will is checked against the acl_file when it is published: it is a
  // PUBLISH by its client to a topic the client must be allowed to write.
  if (session.access && !session.access->may_write(will->topic)) {
    log_line(LogLevel::debug,
             "Denied will of " + session.client_id + " to '" + will->topic + "': acl_file");
    return;
  }
  publish_owned(will);
}

}  // namespace attestmq::broker

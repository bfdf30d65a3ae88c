// SUBSCRIBE and UNSUBSCRIBE (MQTT 5.0 sections 3.8-3.11, MQTT 3.1.1 sections 3.8-3.11),
// and the retained messages a new subscription receives (Retain Handling, 3.8.3.1).
#include <algorithm>

#include "broker/access_control.hpp"
#include "broker/engine_impl.hpp"
#include "mqtt/topic.hpp"

namespace attestmq::broker {

namespace {

struct RetainedSend {
  MessagePtr message;
  std::uint8_t qos;
  std::uint32_t subscription_id;
};

}  // namespace

void Engine::Impl::on_subscribe(Connection& conn, const mqtt::Subscribe& packet) {
  const bool v5 = conn.version == mqtt::Version::v5;
  const SubscriberId id = conn.session;
  Session& session = session_of(conn);
  for (const mqtt::Subscription& sub : packet.subscriptions) {
    if (sub.no_local && mqtt::parse_shared_filter(sub.filter)) {
      protocol_error(conn, mqtt::ReasonCode::ProtocolError,
                     "No Local on a shared subscription (MQTT 5.0 section 3.8.3.1)");
      return;
    }
  }
  const std::uint32_t subscription_id = packet.properties.subscription_identifiers.empty()
                                            ? 0
                                            : packet.properties.subscription_identifiers.front();
  mqtt::Suback suback;
  suback.packet_id = packet.packet_id;
  std::vector<RetainedSend> retained_sends;
  bool subscriptions_changed = false;
  for (const mqtt::Subscription& sub : packet.subscriptions) {
    // Section 3.9.3: 0x8F in 5.0, also for a filter deeper than the topic level limit
    // ("correctly formed but not accepted"); 3.1.1 only has Failure (0x80).
    if (!mqtt::valid_topic_filter(sub.filter) || too_deep(sub.filter)) {
      suback.reasons.push_back(v5 ? mqtt::ReasonCode::TopicFilterInvalid
                                  : mqtt::ReasonCode::UnspecifiedError);
      continue;
    }
    // Section 3.9.3: 0x87 Not authorized in 5.0; 3.1.1 has only Failure (0x80). The other
    // filters of the packet are still granted.
    if (session.access && !session.access->may_subscribe(sub.filter)) {
      log_line(LogLevel::debug, "Denied SUBSCRIBE from " + conn.client_id + " to '" +
                                    std::string(sub.filter) + "': acl_file");
      suback.reasons.push_back(v5 ? mqtt::ReasonCode::NotAuthorized
                                  : mqtt::ReasonCode::UnspecifiedError);
      continue;
    }
    const std::uint8_t granted = std::min(sub.qos, settings.max_qos);
    SubscriptionOptions options{granted, sub.no_local, sub.retain_as_published, sub.retain_handling,
                                subscription_id};
    // max_subscriptions_per_client bounds what one client can make the index hold; replacing
    // an existing subscription is always allowed. Section 3.9.3: 0x97 Quota exceeded.
    const std::uint32_t quota = settings.max_subscriptions_per_client;
    const auto known = std::find_if(
        session.subscriptions.begin(), session.subscriptions.end(),
        [&](const SessionSubscription& s) { return s.filter == sub.filter; });
    if (quota != 0 && session.subscriptions.size() >= quota && known == session.subscriptions.end()) {
      log_line(LogLevel::notice, "Client " + conn.client_id + " has " + std::to_string(quota) +
                                     " subscriptions (max_subscriptions_per_client); refused '" +
                                     std::string(sub.filter) + "'.");
      suback.reasons.push_back(v5 ? mqtt::ReasonCode::QuotaExceeded
                                  : mqtt::ReasonCode::UnspecifiedError);
      continue;
    }
    const bool fresh = index.subscribe(sub.filter, id, options);
    if (known == session.subscriptions.end())
      session.subscriptions.push_back({std::string(sub.filter), options});
    else
      known->options = options;
    subscriptions_changed = true;
    suback.reasons.push_back(static_cast<mqtt::ReasonCode>(granted));
    // Section 4.8.2: no retained messages for shared subscriptions. Section 3.8.3.1:
    // Retain Handling 0 always, 1 only for a new subscription, 2 never.
    const bool send_retained = sub.retain_handling == 0 || (sub.retain_handling == 1 && fresh);
    if (send_retained && !mqtt::parse_shared_filter(sub.filter)) {
      retained.match(sub.filter, [&](const MessagePtr& message) {
        if (!may_read(session, message->topic)) return;
        retained_sends.push_back({message, delivered_qos(message->qos, granted), subscription_id});
      });
    }
  }
  if (subscriptions_changed) persist_session(session);
  send_packet(conn, suback);

  const std::uint64_t now_ms = retained_sends.empty() ? 0 : now();
  Recipient recipient;
  recipient.who = id;
  recipient.retain_as_published = true;  // section 3.3.1.3: sent on subscribe with RETAIN 1
  mqtt::Publish packet_out;
  for (RetainedSend& send : retained_sends) {
    const Message& message = *send.message;
    if (message.expires_at_ms && *message.expires_at_ms <= now_ms) continue;
    if (conn.state != ConnectionState::connected) return;
    load_packet(message, packet_out);
    Publication publication;
    publication.packet = &packet_out;
    publication.topic = message.topic;
    publication.qos = message.qos;
    publication.retain = true;
    publication.origin = message.origin;
    publication.expires_at_ms = message.expires_at_ms;
    publication.message = send.message;
    recipient.qos = send.qos;
    recipient.subscription_ids.clear();
    if (send.subscription_id != 0) recipient.subscription_ids.push_back(send.subscription_id);
    deliver(session, publication, recipient);
  }
}

void Engine::Impl::on_unsubscribe(Connection& conn, const mqtt::Unsubscribe& packet) {
  Session& session = session_of(conn);
  mqtt::Unsuback unsuback;
  unsuback.packet_id = packet.packet_id;
  bool subscriptions_changed = false;
  for (std::string_view filter : packet.filters) {
    const bool existed = index.unsubscribe(filter, conn.session);
    if (existed) {
      std::erase_if(session.subscriptions,
                    [&](const SessionSubscription& s) { return s.filter == filter; });
      subscriptions_changed = true;
    }
    // Section 3.11.3: 0x11 when there was nothing to remove.
    unsuback.reasons.push_back(existed ? mqtt::ReasonCode::Success
                                       : mqtt::ReasonCode::NoSubscriptionExisted);
  }
  if (subscriptions_changed) persist_session(session);
  send_packet(conn, unsuback);
}

}  // namespace attestmq::broker

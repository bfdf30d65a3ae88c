// Routing a publication (MQTT 5.0 section 3.3.4, 4.7, 4.8): subscription matching, No Local,
// one delivery per session at the highest granted QoS with every matching Subscription
// Identifier, and one member per matching shared subscription group.
#include <algorithm>

#include "broker/access_control.hpp"
#include "broker/engine_impl.hpp"

namespace attestmq::broker {

const MessagePtr& Engine::Impl::message_of(Publication& publication) {
  if (publication.message) return publication.message;
  const mqtt::Publish& packet = *publication.packet;
  auto message = std::make_shared<Message>();
  message->topic.assign(publication.topic);
  message->payload.assign(packet.payload.begin(), packet.payload.end());
  message->qos = publication.qos;
  message->retain = publication.retain;
  copy_forwarded_properties(packet.properties, *message);
  message->expires_at_ms = publication.expires_at_ms;
  message->origin = publication.origin;
  publication.message = std::move(message);
  return publication.message;
}

std::uint8_t Engine::Impl::delivered_qos(std::uint8_t published, std::uint8_t granted) const {
  // Section 3.8.4: the minimum of the two, unless the operator set upgrade_outgoing_qos.
  return settings.upgrade_outgoing_qos ? granted : std::min(published, granted);
}

void Engine::Impl::collect_recipients(Publication& publication) {
  matches.clear();
  const std::string_view topic = publication.topic;
  // A $share group prefers a member that may read the topic (acl_file).
  index.match(topic, matches, [this, topic](SubscriberId who) {
    const Session& session = *sessions[who];
    return online(session) && !session.connection->paused && may_read(session, topic);
  });
  ++publication_mark;
  recipient_count = 0;
  for (const SubscriptionMatch& match : matches) {
    // Section 3.8.3.1: No Local keeps a client's own publications from it.
    if (match.options.no_local && publication.origin == origin_of(match.subscriber)) continue;
    Session& session = *sessions[match.subscriber];
    // acl_file: a subscriber gets only the topics it may read, whatever its filter matches.
    if (!may_read(session, topic)) continue;
    Recipient* recipient;
    if (!match.shared && session.match_mark == publication_mark) {
      recipient = &recipients[session.match_slot];
    } else {
      if (recipient_count == recipients.size()) recipients.emplace_back();
      recipient = &recipients[recipient_count];
      recipient->who = match.subscriber;
      recipient->qos = 0;
      recipient->retain_as_published = false;
      recipient->subscription_ids.clear();
      // A shared subscription is its own delivery, even beside an ordinary one (4.8.2).
      if (!match.shared) {
        session.match_mark = publication_mark;
        session.match_slot = static_cast<std::uint32_t>(recipient_count);
      }
      ++recipient_count;
    }
    // Section 3.8.4: delivered QoS is the minimum of published and granted QoS; with
    // overlapping subscriptions the highest of those (3.3.4).
    recipient->qos = std::max(recipient->qos, delivered_qos(publication.qos, match.options.qos));
    recipient->retain_as_published |= match.options.retain_as_published;
    if (match.options.subscription_id != 0)
      recipient->subscription_ids.push_back(match.options.subscription_id);
  }
}

std::size_t Engine::Impl::route(Publication& publication) {
  collect_recipients(publication);
  const std::size_t count = recipient_count;
  for (std::size_t i = 0; i < count; ++i) {
    const Recipient& recipient = recipients[i];
    deliver(*sessions[recipient.who], publication, recipient);
  }
  return count;
}

void Engine::Impl::publish_owned(const std::shared_ptr<const Message>& message) {
  mqtt::Publish packet;
  load_packet(*message, packet);
  Publication publication;
  publication.packet = &packet;
  publication.topic = message->topic;
  publication.qos = message->qos;
  publication.retain = message->retain;
  publication.origin = message->origin;
  publication.expires_at_ms = message->expires_at_ms;
  publication.message = message;
  if (message->retain) store_retained(publication);
  route(publication);
}

}  // namespace attestmq::broker

// Session lifecycle (MQTT 5.0 section 4.1): sessions live in a dense vector indexed by
// SubscriberId so that routing reaches a subscriber's state without hashing.
#include "broker/engine_impl.hpp"

namespace attestmq::broker {

SubscriberId Engine::Impl::create_session(std::string_view client_id) {
  SubscriberId id;
  if (!free_sessions.empty()) {
    id = free_sessions.back();
    free_sessions.pop_back();
  } else {
    id = static_cast<SubscriberId>(sessions.size());
    sessions.push_back(std::make_unique<Session>());
  }
  Session& session = *sessions[id];
  session.in_use = true;
  session.client_id.assign(client_id);
  session_by_client.emplace(session.client_id, id);
  return id;
}

void Engine::Impl::end_session(SubscriberId id) {
  Session& session = *sessions[id];
  // Section 3.1.3.2: a delayed will is published when the session ends first.
  if (session.will && session.will_at_ms) publish_will(session);
  forget_session(session);
  for (const SessionSubscription& sub : session.subscriptions) index.unsubscribe(sub.filter, id);
  session_by_client.erase(session.client_id);
  session = Session{};
  free_sessions.push_back(id);
}

}  // namespace attestmq::broker

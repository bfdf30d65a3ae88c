#pragma once
// The engine's state and the operations its concept files (connect.cpp, publish_in.cpp,
// routing.cpp, delivery.cpp, subscribe.cpp, will.cpp, disconnect.cpp, timers.cpp,
// sys_topics.cpp, framing.cpp) implement. Internal to src/broker.
#include <cstdint>
#include <memory>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/connection.hpp"
#include "broker/engine.hpp"
#include "broker/retained_store.hpp"
#include "broker/session.hpp"
#include "broker/stored_records.hpp"
#include "broker/subscription_index.hpp"
#include "mqtt/codec.hpp"

namespace attestmq::broker {

// One session a publication goes to, after merging overlapping subscriptions (3.3.4).
struct Recipient {
  SubscriberId who = 0;
  std::uint8_t qos = 0;
  bool retain_as_published = false;
  std::vector<std::uint32_t> subscription_ids;
};

// A publication about to be routed: the packet to encode (views), and the owned Message,
// built only when some session must keep it (retained, queued, QoS > 0 in flight).
struct Publication {
  mqtt::Publish* packet = nullptr;  // topic, payload and forwarded properties
  std::string_view topic;           // packet->topic may be blanked by an outgoing alias
  std::uint8_t qos = 0;
  bool retain = false;
  std::uint64_t origin = 0;  // session id + 1 of the publisher, 0 for the broker
  std::optional<std::uint64_t> expires_at_ms;
  MessagePtr message;
};

// An entry of the engine's timer queue: look at connection `conn` again at `due_ms`.
struct ConnectionTimer {
  std::uint64_t due_ms = 0;
  ConnId conn = 0;
  auto operator<=>(const ConnectionTimer&) const = default;
};

struct Engine::Impl {
  Impl(Host& host, Settings settings);

  Host& host;
  Settings settings;
  std::uint64_t started_ms = 0;
  std::uint64_t started_wall_s = 0;

  std::unordered_map<ConnId, std::unique_ptr<Connection>> connections;
  std::vector<ConnId> gone;  // closed() during an engine call: erased when the call ends
  int call_depth = 0;

  // Earliest first. Each connection keeps at most one live entry (Connection::timer_due_ms);
  // entries of closed connections or superseded deadlines are skipped when they come due.
  std::priority_queue<ConnectionTimer, std::vector<ConnectionTimer>, std::greater<>> connection_timers;

  std::vector<std::unique_ptr<Session>> sessions;  // index = SubscriberId
  std::vector<SubscriberId> free_sessions;
  std::unordered_map<std::string, SubscriberId, TopicLevelHash, TopicEqual> session_by_client;

  SubscriptionIndex index;
  RetainedStore retained;
  Store* store = nullptr;  // Host::store(); null without persistence
  std::uint64_t next_delivery_sequence = 1;
  EngineStats counters;
  std::uint64_t next_sys_ms = 0;
  std::uint64_t next_session_sweep_ms = 0;  // wills and session expiry (timers.cpp)

  // Scratch reused on the hot path so that a warm publish allocates nothing.
  std::vector<std::uint8_t> out;
  std::vector<SubscriptionMatch> matches;
  std::vector<Recipient> recipients;
  std::size_t recipient_count = 0;
  std::uint64_t publication_mark = 0;
  mqtt::Publish stored_packet;  // a stored Message seen as a packet
  mqtt::Packet decoded;
  std::span<const std::uint8_t> current_packet;  // the whole packet being dispatched

  // framing.cpp
  void input(Connection& conn, std::span<const std::uint8_t> bytes);
  std::size_t consume(Connection& conn, std::span<const std::uint8_t> bytes);
  void dispatch(Connection& conn, mqtt::Packet& packet);
  void first_packet_not_connect(Connection& conn);
  void hold_until_connack(Connection& conn, std::span<const std::uint8_t> bytes);
  void malformed(Connection& conn, const mqtt::DecodeStatus& status,
                 std::span<const std::uint8_t> body, bool is_connect);
  void protocol_error(Connection& conn, mqtt::ReasonCode code, std::string_view rule);
  void flush_gone();

  // connect.cpp
  void on_connect(Connection& conn, const mqtt::Connect& packet);
  void start_password_check(Connection& conn, const mqtt::Connect& packet);
  void on_password_checked(Connection& conn, PasswordVerdict verdict);
  void continue_connect(Connection& conn);

  // enhanced_authentication.cpp (MQTT 5.0 section 4.12)
  bool offers_method(const Connection& conn, std::string_view method) const;
  void start_authentication(Connection& conn, const mqtt::Connect& packet);
  void ask_host(Connection& conn, const mqtt::Properties& properties, bool starts_exchange);
  void on_auth(Connection& conn, const mqtt::Auth& packet);
  void on_authentication_answered(Connection& conn, AuthenticationOutcome outcome);
  void log_attested(const Connection& conn);
  void send_auth(Connection& conn, mqtt::ReasonCode code, std::span<const std::uint8_t> data);
  // Whether an AUTH 0x18 carrying `data` fits the client's Maximum Packet Size; `size` is its
  // encoded size.
  bool auth_fits(const Connection& conn, std::span<const std::uint8_t> data, std::size_t& size) const;
  void refuse_during_authentication(Connection& conn, mqtt::ReasonCode code, std::string_view why);
  static bool waiting_for_host(const Connection& conn) {
    return conn.state == ConnectionState::authenticating &&
           conn.auth_exchange != Connection::AuthExchange::awaiting_client;
  }
  void refuse(Connection& conn, mqtt::Version version, mqtt::ReasonCode code, std::string_view why,
              bool reason_string = false);
  void refuse_without_code_in_311(Connection& conn, mqtt::Version version, mqtt::ReasonCode code,
                                  std::string_view why);
  bool too_deep(std::string_view topic_or_filter) const;
  void take_over(Session& session, bool session_continues);
  SubscriberId attach_session(Connection& conn, const mqtt::Connect& packet, bool& present);
  // A fresh "auto-" identifier; nullopt when the host has no randomness.
  std::optional<std::string> assign_client_id();

  // listener_policies.cpp
  void resolve_access(Session& session);
  void update_listener_policies(std::vector<ListenerPolicy> policies);

  // disconnect.cpp
  void on_disconnect(Connection& conn, const mqtt::Disconnect& packet);
  void disconnect(Connection& conn, mqtt::ReasonCode code);  // DISCONNECT (5.0), then close
  void end_connection(Connection& conn);
  void on_transport_closed(Connection& conn);
  void shutdown();

  // session lifecycle (sessions.cpp)
  SubscriberId create_session(std::string_view client_id);
  void end_session(SubscriberId id);
  Session& session_of(const Connection& conn) { return *sessions[conn.session]; }
  static std::uint64_t origin_of(SubscriberId id) { return std::uint64_t{id} + 1; }

  // publish_in.cpp
  void on_publish(Connection& conn, mqtt::Publish& packet);
  void on_pubrel(Connection& conn, const mqtt::Pubrel& packet);
  bool resolve_topic_alias(Connection& conn, mqtt::Publish& packet);
  void store_retained(Publication& publication);

  // routing.cpp
  std::size_t route(Publication& publication);
  std::uint8_t delivered_qos(std::uint8_t published, std::uint8_t granted) const;
  void collect_recipients(Publication& publication);
  const MessagePtr& message_of(Publication& publication);
  void publish_owned(const std::shared_ptr<const Message>& message);

  // delivery.cpp
  void deliver(Session& session, Publication& publication, const Recipient& recipient);
  void enqueue(Session& session, Delivery delivery);
  void drop_for(Session& session, std::string_view limit);
  bool send_inflight(Session& session, InflightMessage& entry, bool dup);
  bool send_publish(Connection& conn, mqtt::Publish& packet, std::string_view topic,
                    std::optional<std::uint64_t> expires_at_ms);
  void pump(Session& session);
  void resend_held_back(Session& session);
  void resume(Session& session);
  bool may_read(const Session& session, std::string_view topic) const;
  bool window_has_room(const Session& session) const;
  InflightMessage& push_inflight(Session& session, std::uint16_t packet_id, Delivery delivery);
  InflightWindow::iterator erase_inflight(Session& session, InflightWindow::iterator it);
  std::uint16_t allocate_packet_id(Session& session);
  void on_puback(Connection& conn, const mqtt::Puback& packet);
  void on_pubrec(Connection& conn, const mqtt::Pubrec& packet);
  void on_pubcomp(Connection& conn, const mqtt::Pubcomp& packet);
  void load_packet(const Message& message, mqtt::Publish& packet);
  bool online(const Session& session) const;

  // subscribe.cpp
  void on_subscribe(Connection& conn, const mqtt::Subscribe& packet);
  void on_unsubscribe(Connection& conn, const mqtt::Unsubscribe& packet);

  // will.cpp
  void set_will(Session& session, const mqtt::Connect& packet, SubscriberId id);
  void will_on_connection_end(Session& session);
  void publish_will(Session& session);

  // timers.cpp
  void tick();
  std::uint64_t next_tick_ms();
  std::optional<std::uint64_t> connection_deadline(const Connection& conn) const;
  std::optional<std::uint64_t> reauthentication_deadline(const Connection& conn) const;
  void arm_timer(Connection& conn);
  void partial_packet_started(Connection& conn);
  void expire_connection_timers(std::uint64_t now_ms);
  void connection_deadline_passed(Connection& conn);
  std::uint64_t now() { return host.now_ms(); }

  // sys_topics.cpp
  void publish_sys();

  // persistence.cpp
  Clocks clocks();
  bool persistent(const Session& session) const;
  void persist_session(Session& session);
  void forget_session(Session& session);
  void persist_delivery(const Session& session, Delivery& delivery, std::uint16_t packet_id,
                        bool awaiting_pubcomp);
  void forget_delivery(Delivery& delivery);
  void persist_retained(const Message& message);
  void forget_retained(std::string_view topic);
  std::optional<std::string> restore(RecordKind kind, std::span<const std::uint8_t> key,
                                     std::span<const std::uint8_t> value);
  std::optional<std::string> restore_session(std::span<const std::uint8_t> key,
                                             std::span<const std::uint8_t> value);
  std::optional<std::string> restore_delivery(std::span<const std::uint8_t> key,
                                              std::span<const std::uint8_t> value);
  std::optional<std::string> restore_retained(std::span<const std::uint8_t> key,
                                              std::span<const std::uint8_t> value);

  // The Receive Maximum we announce in CONNACK (MQTT 5.0 section 3.2.2.3.3), which
  // Mosquitto takes from max_inflight_messages.
  std::uint16_t receive_maximum() const {
    return settings.max_inflight_messages == 0 ? 65535 : settings.max_inflight_messages;
  }

  // Output helpers (framing.cpp): encode into `out` and hand it to the host.
  template <class P>
  void send_packet(Connection& conn, const P& packet) {
    out.clear();
    mqtt::encode(packet, conn.version, out);
    transmit(conn);
  }
  void transmit(Connection& conn);
  void log_line(LogLevel level, std::string_view line) { host.log(level, line); }
};

}  // namespace attestmq::broker

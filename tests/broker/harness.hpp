#pragma once
// Test harness for the engine: the real Engine with the real codec, where only the I/O is
// captured. RecordingHost keeps what the engine sends per connection and owns the clock;
// TestClient encodes packets with the codec, feeds them in, and decodes what came back.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "broker/engine.hpp"
#include "broker/settings.hpp"
#include "mqtt/codec.hpp"

namespace attestmq::broker::testing {

using mqtt::ReasonCode;
using mqtt::Version;

class RecordingHost : public Host {
 public:
  explicit RecordingHost(Store* kept = nullptr) : kept_(kept) {}
  Store* store() override { return kept_; }
  std::uint64_t send(ConnId conn, std::span<const std::uint8_t> bytes) override {
    auto& buffer = outbox[conn];
    buffer.insert(buffer.end(), bytes.begin(), bytes.end());
    auto it = backlog.find(conn);
    return it == backlog.end() ? 0 : it->second;
  }
  // Like a host that tears the transport down at once: Engine::closed() from inside close().
  void close(ConnId conn) override {
    closed_conns.insert(conn);
    if (engine) engine->closed(conn);
  }
  std::uint64_t now_ms() override { return clock_ms; }
  std::uint64_t wall_clock_s() override { return 1'700'000'000 + clock_ms / 1000; }
  bool random(std::span<std::uint8_t> out) override {
    if (random_fails) return false;
    for (auto& b : out) b = static_cast<std::uint8_t>(++random_counter * 37);
    return true;
  }
  void log(LogLevel, std::string_view line) override { logs.emplace_back(line); }
  // Like a host with a worker: the check waits until answer_password_checks().
  void check_password(ConnId conn, PasswordCheck check) override {
    password_checks.emplace_back(conn, std::move(check));
  }
  // Enhanced authentication steps wait for the test to answer them.
  void authentication_step(ConnId conn, AuthenticationStep step) override {
    authentication_steps.emplace_back(conn, std::move(step));
  }
  // Answers the checks waiting now; one an answer starts waits for the next call.
  void answer_password_checks() {
    for (std::size_t waiting = password_checks.size(); waiting > 0; --waiting) {
      auto [conn, check] = std::move(password_checks.front());
      password_checks.pop_front();
      engine->password_checked(conn, check.passwords->verify(check.username, check.password)
                                         ? PasswordVerdict::valid
                                         : PasswordVerdict::invalid);
    }
  }

  bool logged(std::string_view text) const {
    for (const auto& line : logs)
      if (line.find(text) != std::string::npos) return true;
    return false;
  }

  Engine* engine = nullptr;
  std::map<ConnId, std::vector<std::uint8_t>> outbox;
  std::map<ConnId, std::uint64_t> backlog;  // what send() reports as still unsent
  std::set<ConnId> closed_conns;
  std::vector<std::string> logs;
  std::deque<std::pair<ConnId, PasswordCheck>> password_checks;
  std::deque<std::pair<ConnId, AuthenticationStep>> authentication_steps;
  bool hold_password_checks = false;  // leave them for the test to answer
  std::uint64_t clock_ms = 5'000'000;
  std::uint32_t random_counter = 0;
  bool random_fails = false;  // a host whose entropy source failed

 private:
  Store* kept_;
};

inline ConnectionInfo connection_info(std::uint32_t listener, std::string peer) {
  ConnectionInfo info;
  info.listener = listener;
  info.peer = std::move(peer);
  return info;
}

inline Settings open_settings() {
  Settings settings;
  settings.listeners.front().allow_anonymous = true;
  settings.sys_interval_s = 0;
  return settings;
}

// One broker under test.
class Broker {
 public:
  explicit Broker(Settings settings = open_settings(), Store* store = nullptr)
      : host(store), engine(std::make_unique<Engine>(host, std::move(settings))) {
    host.engine = engine.get();
  }
  void advance(std::uint64_t ms) {
    host.clock_ms += ms;
    engine->tick();
  }

  RecordingHost host;
  std::unique_ptr<Engine> engine;
  ConnId next_conn = 1;
};

struct ConnectOptions {
  bool clean_start = true;
  std::uint16_t keep_alive = 60;
  std::optional<std::string> username;
  mqtt::Properties properties;
  std::optional<mqtt::Will> will;

  ConnectOptions& clean(bool value) {
    clean_start = value;
    return *this;
  }
  ConnectOptions& keepalive(std::uint16_t seconds) {
    keep_alive = seconds;
    return *this;
  }
  ConnectOptions& user(std::string name) {
    username = std::move(name);
    return *this;
  }
  ConnectOptions& expiry(std::uint32_t seconds) {
    properties.session_expiry_interval = seconds;
    return *this;
  }
  ConnectOptions& with_will(const mqtt::Will& value) {
    will = value;
    return *this;
  }
};

// A persistent session: clean start 0, and in 5.0 an expiry interval.
inline ConnectOptions persistent(std::uint32_t expiry_s = 3600) {
  return ConnectOptions().clean(false).expiry(expiry_s);
}

class TestClient {
 public:
  TestClient(Broker& broker, Version version, std::uint32_t listener = 0)
      : broker_(broker), version_(version), id_(broker.next_conn++) {
    broker_.engine->open(id_, connection_info(listener, "127.0.0.1:" + std::to_string(40000 + id_)));
  }
  // A connection whose transport says more, e.g. a TLS listener's transport_username.
  TestClient(Broker& broker, Version version, const ConnectionInfo& info)
      : broker_(broker), version_(version), id_(broker.next_conn++) {
    broker_.engine->open(id_, info);
  }

  ConnId id() const { return id_; }
  Version version() const { return version_; }

  template <class P>
  void send(const P& packet) {
    std::vector<std::uint8_t> bytes;
    mqtt::encode(packet, version_, bytes);
    send_bytes(bytes);
  }
  void send_bytes(std::span<const std::uint8_t> bytes) {
    broker_.engine->input(id_, bytes);
    if (!broker_.host.hold_password_checks) broker_.host.answer_password_checks();
  }

  // CONNECT and return the CONNACK.
  mqtt::Connack connect(std::string_view client_id, ConnectOptions options = {}) {
    mqtt::Connect packet;
    packet.version = version_;
    packet.clean_start = options.clean_start;
    packet.keep_alive = options.keep_alive;
    packet.client_id = client_id;
    packet.properties = options.properties;
    packet.will = options.will;
    if (options.username) packet.username = *options.username;
    send(packet);
    return take<mqtt::Connack>();
  }

  void subscribe(std::string_view filter, std::uint8_t qos, std::uint32_t subscription_id = 0,
                 mqtt::Subscription extra = {}) {
    mqtt::Subscribe packet;
    packet.packet_id = next_packet_id_++;
    extra.filter = filter;
    extra.qos = qos;
    packet.subscriptions.push_back(extra);
    if (subscription_id != 0) packet.properties.subscription_identifiers.push_back(subscription_id);
    send(packet);
    auto suback = take<mqtt::Suback>();
    EXPECT_EQ(suback.packet_id, packet.packet_id);
  }

  // SUBSCRIBE without waiting for the SUBACK (pipelined behind a CONNECT).
  void subscribe_later(std::string_view filter, std::uint8_t qos) {
    mqtt::Subscribe packet;
    packet.packet_id = next_packet_id_++;
    mqtt::Subscription sub;
    sub.filter = filter;
    sub.qos = qos;
    packet.subscriptions.push_back(sub);
    send(packet);
  }

  void publish(std::string_view topic, std::string_view payload, std::uint8_t qos = 0,
               bool retain = false, std::uint16_t packet_id = 0, mqtt::Properties properties = {}) {
    mqtt::Publish packet;
    packet.topic = topic;
    packet.payload = bytes_of(payload);
    packet.qos = qos;
    packet.retain = retain;
    packet.packet_id = qos == 0 ? 0 : (packet_id != 0 ? packet_id : next_packet_id_++);
    packet.properties = std::move(properties);
    send(packet);
  }

  // Every packet the broker sent that the test has not taken yet, decoded.
  std::vector<mqtt::Packet> receive_all() {
    drain();
    std::vector<mqtt::Packet> all(std::make_move_iterator(pending_.begin()),
                                  std::make_move_iterator(pending_.end()));
    pending_.clear();
    return all;
  }

  // The next packet, which must be a P.
  template <class P>
  P take() {
    drain();
    if (pending_.empty()) {
      ADD_FAILURE() << "expected a packet, got nothing";
      return P{};
    }
    mqtt::Packet packet = std::move(pending_.front());
    pending_.pop_front();
    if (auto* p = std::get_if<P>(&packet)) return std::move(*p);
    ADD_FAILURE() << "expected packet variant " << mqtt::Packet(P{}).index() << ", got "
                  << packet.index();
    return P{};
  }

  bool idle() {
    drain();
    return pending_.empty();
  }
  bool closed() const { return broker_.host.closed_conns.contains(id_); }

  static mqtt::Bytes bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
  }
  static std::string text_of(mqtt::Bytes bytes) {
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }

 private:
  void drain() {
    auto& outbox = broker_.host.outbox[id_];
    std::size_t pos = 0;
    while (pos < outbox.size()) {
      std::span<const std::uint8_t> rest(outbox.data() + pos, outbox.size() - pos);
      mqtt::FixedHeader header;
      mqtt::DecodeStatus status;
      auto frame = mqtt::parse_frame(rest, mqtt::kMaxRemainingLength + 5, header, status);
      if (frame != mqtt::FrameStatus::complete) {
        ADD_FAILURE() << "broker sent a partial or bad frame: " << status.detail;
        break;
      }
      auto& owned = kept_.emplace_back(rest.begin(), rest.begin() + header.total_size());
      mqtt::Packet packet;
      auto decoded =
          mqtt::decode(header, std::span(owned).subspan(header.header_size), version_, packet);
      if (!decoded.ok()) ADD_FAILURE() << "broker sent an undecodable packet: " << decoded.detail;
      pending_.push_back(std::move(packet));
      pos += header.total_size();
    }
    outbox.clear();
  }

  Broker& broker_;
  Version version_;
  ConnId id_;
  std::uint16_t next_packet_id_ = 1;
  std::deque<std::vector<std::uint8_t>> kept_;  // decoded packets view into these
  std::deque<mqtt::Packet> pending_;
};

// Both protocol versions, for TEST_P suites.
inline auto both_versions() { return ::testing::Values(Version::v311, Version::v5); }
inline std::string version_name(const ::testing::TestParamInfo<Version>& info) {
  return info.param == Version::v5 ? "v5" : "v311";
}

}  // namespace attestmq::broker::testing

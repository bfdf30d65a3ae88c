// The broker engine (src/broker) fed by hostile clients: three connections share one engine,
// each receiving arbitrary bytes in arbitrary chunks, while time advances.
// Input: a byte of options, then records. Options bit 0: the host reports a closed connection
// from inside Host::close() (else after the engine call returns); bit 1: a small output
// allowance, so slow-consumer paths run; bit 2: $SYS topics every 5 s (off otherwise: they
// cost half of a run); bit 3: the listener authenticates (no anonymous clients, a password
// file, and the enhanced authentication method "fuzz-auth", MQTT 5.0 section 4.12), so the
// paths that wait for the host run. A record is [op][n]...: op bits 0-1 pick the connection
// (3 wraps to 0), bits 2-3 the action:
//   0  n bytes follow and arrive on the connection;
//   1  the clock advances by n * 250 ms and the engine ticks;
//   2  the peer goes away;
//   3  the host's output backlog drains (Engine::writable), and the host answers the password
//      check or authentication step it holds for the connection, if any: password "good" is
//      valid, a username starting with 'x' finds the queue full, others are invalid; a step
//      whose data starts with 0 continues (AUTH 0x18), with 1 succeeds, otherwise fails.
//      Answers may thus come after the peer went away, as a worker thread's do.
// A fresh connection takes the place of each one that is gone, closed by either side.
// Oracles, beyond "no crash, no sanitizer report":
// - the engine never sends to a connection after asking to close it;
// - it closes a connection whose input breaks MQTT framing or decoding, does not start with
//   CONNECT, repeats CONNECT (MQTT 5.0 section 3.1, [MQTT-3.1.0-2]) or carries a packet only a
//   server sends (section 2.1.2), at once or, when the input came while the host was checking
//   the client's login, once the host answered; a shadow decoder per connection, using the
//   public codec, tells when that must have happened;
// - what it sends to a client whose CONNECT decoded is a sequence of whole packets that
//   decode in that client's version, and no PUBLISH is larger than the client's Maximum
//   Packet Size (MQTT 5.0 section 3.1.2.11.4: such a message is discarded). Other packets
//   are not held to that limit here: the spec only lets the server drop their optional
//   properties, so a tiny limit cannot always be met.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/engine.hpp"
#include "mqtt/codec.hpp"

namespace {

using attestmq::broker::ConnId;
namespace mqtt = attestmq::mqtt;

void require(bool condition) {
  if (!condition) std::abort();
}

constexpr std::size_t kConnections = 3;

// What a client has sent so far, decoded independently of the engine.
class ShadowDecoder {
 public:
  // Takes more bytes; returns true once the stream broke a rule that ends the connection.
  bool take(std::span<const std::uint8_t> bytes) {
    if (broken_) return true;
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    std::size_t used = 0;
    while (!broken_) {
      const auto rest = std::span<const std::uint8_t>(pending_).subspan(used);
      mqtt::FixedHeader header;
      mqtt::DecodeStatus status;
      const mqtt::FrameStatus frame =
          mqtt::parse_frame(rest, mqtt::kMaxRemainingLength + 5, header, status);
      if (frame == mqtt::FrameStatus::need_more) break;
      broken_ = frame == mqtt::FrameStatus::error || !acceptable(header, rest);
      used += header.total_size();
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(
                                                            broken_ ? pending_.size() : used));
    return broken_;
  }

  // Known once a CONNECT decoded: the version and Maximum Packet Size the client asked for.
  std::optional<mqtt::Version> version() const {
    return connected_ ? std::optional(version_) : std::nullopt;
  }
  std::uint32_t max_packet_size() const { return max_packet_size_; }

 private:
  bool acceptable(const mqtt::FixedHeader& header, std::span<const std::uint8_t> packet_bytes) {
    const bool is_connect = header.type == mqtt::PacketType::Connect;
    if (connected_ == is_connect) return false;  // CONNECT first, and only once
    mqtt::Packet packet;
    const auto body = packet_bytes.subspan(header.header_size, header.remaining_length);
    if (!mqtt::decode(header, body, version_, packet).ok()) return false;
    if (const auto* connect = std::get_if<mqtt::Connect>(&packet)) {
      connected_ = true;
      version_ = connect->version;
      max_packet_size_ =
          connect->properties.maximum_packet_size.value_or(mqtt::kMaxRemainingLength + 5);
    }
    switch (header.type) {
      case mqtt::PacketType::Connack:
      case mqtt::PacketType::Suback:
      case mqtt::PacketType::Unsuback:
      case mqtt::PacketType::Pingresp: return false;
      default: return true;
    }
  }

  std::vector<std::uint8_t> pending_;
  mqtt::Version version_ = mqtt::Version::v5;
  std::uint32_t max_packet_size_ = mqtt::kMaxRemainingLength + 5;
  bool connected_ = false;
  bool broken_ = false;
};

class RecordingHost final : public attestmq::broker::Host {
 public:
  struct Peer {
    bool close_requested = false;
    bool gone = false;
    std::uint64_t unsent = 0;
    std::vector<std::uint8_t> output;  // sent and not yet checked
  };

  bool close_reentrantly = false;
  attestmq::broker::Engine* engine = nullptr;
  std::uint64_t clock_ms = 1'000'000;
  std::map<ConnId, Peer> peers;  // every connection ever opened

  std::uint64_t send(ConnId conn, std::span<const std::uint8_t> bytes) override {
    Peer& peer = peers.at(conn);
    require(!peer.close_requested && !peer.gone);
    peer.output.insert(peer.output.end(), bytes.begin(), bytes.end());
    peer.unsent += bytes.size();
    return peer.unsent;
  }
  void close(ConnId conn) override {
    Peer& peer = peers.at(conn);
    require(!peer.gone);
    peer.close_requested = true;
    if (close_reentrantly) report_gone(conn);
  }
  std::uint64_t now_ms() override { return clock_ms; }
  std::uint64_t wall_clock_s() override { return 1'800'000'000 + clock_ms / 1000; }
  bool random(std::span<std::uint8_t> out) override {
    for (auto& byte : out) byte = static_cast<std::uint8_t>(++random_counter_);
    return true;
  }
  void log(attestmq::broker::LogLevel, std::string_view line) override {
    require(!line.empty());
  }
  // The engine asks for one check or step at a time per connection (it waits for the answer).
  void check_password(ConnId conn, attestmq::broker::PasswordCheck check) override {
    require(authenticating && !waiting(conn));
    pending_passwords[conn] = std::move(check);
  }
  void authentication_step(ConnId conn, attestmq::broker::AuthenticationStep step) override {
    require(authenticating && !waiting(conn));
    require(step.method == kMethod);
    pending_steps[conn] = std::move(step);
  }

  // Answers what is held for `conn` (action 3), as a worker thread would, later.
  void answer(ConnId conn) {
    if (auto found = pending_passwords.find(conn); found != pending_passwords.end()) {
      const attestmq::broker::PasswordCheck check = std::move(found->second);
      pending_passwords.erase(found);
      engine->password_checked(conn, check.username.starts_with('x')
                                         ? attestmq::broker::PasswordVerdict::unavailable
                                     : check.password == "good"
                                         ? attestmq::broker::PasswordVerdict::valid
                                         : attestmq::broker::PasswordVerdict::invalid);
    }
    if (auto found = pending_steps.find(conn); found != pending_steps.end()) {
      const attestmq::broker::AuthenticationStep step = std::move(found->second);
      pending_steps.erase(found);
      attestmq::broker::AuthenticationOutcome outcome;
      using Kind = attestmq::broker::AuthenticationOutcome::Kind;
      const int first = step.data.empty() ? 1 : step.data.front();
      outcome.kind = first == 0 ? Kind::continue_with : first == 1 ? Kind::success : Kind::failure;
      outcome.data.assign(step.data.rbegin(), step.data.rend());
      outcome.reason = "fuzzed refusal";
      engine->authentication_answered(conn, std::move(outcome));
    }
  }

  bool waiting(ConnId conn) const {
    return pending_passwords.contains(conn) || pending_steps.contains(conn);
  }

  static constexpr std::string_view kMethod = "fuzz-auth";
  bool authenticating = false;
  std::map<ConnId, attestmq::broker::PasswordCheck> pending_passwords;
  std::map<ConnId, attestmq::broker::AuthenticationStep> pending_steps;

  void report_gone(ConnId conn) {
    Peer& peer = peers.at(conn);
    if (peer.gone) return;
    peer.gone = true;
    engine->closed(conn);
  }

 private:
  std::uint32_t random_counter_ = 0;
};

struct Client {
  ConnId id = 0;
  ShadowDecoder shadow;
};

class FuzzedBroker {
 public:
  FuzzedBroker(bool close_reentrantly, bool small_output, bool sys_topics, bool authenticating)
      : engine_(host_, settings(small_output, sys_topics, authenticating)) {
    host_.engine = &engine_;
    host_.close_reentrantly = close_reentrantly;
    host_.authenticating = authenticating;
    for (std::size_t i = 0; i < kConnections; ++i) open(i);
  }

  void input(std::size_t index, std::span<const std::uint8_t> bytes) {
    const ConnId id = clients_[index].id;
    const bool must_close = clients_[index].shadow.take(bytes);
    engine_.input(id, bytes);
    // Input that arrives while the host checks a password or an authentication step is held
    // until the answer (MQTT 5.0 section 4.12): the close is owed from then on.
    if (must_close) owed_closes_.insert(id);
    settle();
  }

  void advance(std::uint64_t ms) {
    host_.clock_ms += ms;
    engine_.tick();
    settle();
  }

  void drop(std::size_t index) {
    host_.report_gone(clients_[index].id);
    settle();
  }

  void drain(std::size_t index) {
    ConnId id = clients_[index].id;
    host_.peers.at(id).unsent = 0;
    engine_.writable(id);
    settle();
    host_.answer(id);
    settle();
  }

  void finish() {
    engine_.shutdown();
    settle();
  }

 private:
  // Present so that the engine asks the host; the host's answers decide (RecordingHost::answer).
  class UnusedCredentials final : public attestmq::broker::Credentials {
   public:
    bool verify(std::string_view, std::string_view) const override {
      require(false);
      return false;
    }
  };

  static attestmq::broker::Settings settings(bool small_output, bool sys_topics,
                                             bool authenticating) {
    attestmq::broker::Settings s;
    s.listeners[0].allow_anonymous = !authenticating;
    if (authenticating) {
      s.listeners[0].passwords = std::make_shared<UnusedCredentials>();
      s.listeners[0].authentication_methods = {std::string(RecordingHost::kMethod)};
    }
    s.max_queued_messages = 8;
    s.max_client_output_bytes = small_output ? 256 : 64 * 1024;
    s.sys_interval_s = sys_topics ? 5 : 0;
    s.connect_timeout_ms = 2'000;
    return s;
  }

  // Before the next record: output is checked, connections the engine asked to close go
  // away, and a fresh connection takes the place of each one gone.
  void settle() {
    std::erase_if(owed_closes_, [this](ConnId id) {
      const RecordingHost::Peer& peer = host_.peers.at(id);
      if (peer.close_requested || peer.gone) return true;
      require(host_.waiting(id));
      return false;
    });
    for (std::size_t index = 0; index < kConnections; ++index) {
      const Client& client = clients_[index];
      RecordingHost::Peer& peer = host_.peers.at(client.id);
      check_output(client, peer.output);
      if (peer.close_requested) {
        require(peer.output.empty() || !client.shadow.version());  // no half packet at the end
        host_.report_gone(client.id);
      }
      if (peer.gone) open(index);
    }
  }

  static void check_output(const Client& client, std::vector<std::uint8_t>& output) {
    const auto version = client.shadow.version();
    if (!version) return;
    std::size_t used = 0;
    for (;;) {
      const auto rest = std::span<const std::uint8_t>(output).subspan(used);
      mqtt::FixedHeader header;
      mqtt::DecodeStatus status;
      const auto frame = mqtt::parse_frame(rest, mqtt::kMaxRemainingLength + 5, header, status);
      require(frame != mqtt::FrameStatus::error);
      if (frame == mqtt::FrameStatus::need_more) break;
      if (header.type == mqtt::PacketType::Publish) {
        require(header.total_size() <= client.shadow.max_packet_size());
      }
      mqtt::Packet packet;
      require(mqtt::decode(header, rest.subspan(header.header_size, header.remaining_length),
                           *version, packet)
                  .ok());
      used += header.total_size();
    }
    output.erase(output.begin(), output.begin() + static_cast<std::ptrdiff_t>(used));
  }

  void open(std::size_t index) {
    const ConnId id = next_id_++;
    host_.peers[id] = {};
    clients_[index] = Client{.id = id, .shadow = {}};
    engine_.open(id, {.listener = 0, .peer = "127.0.0.1:" + std::to_string(40000 + id),
                      .transport_username = std::nullopt});
  }

  RecordingHost host_;
  attestmq::broker::Engine engine_;
  std::array<Client, kConnections> clients_{};
  std::set<ConnId> owed_closes_;  // broke a rule while the host was busy with their login
  ConnId next_id_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  FuzzedBroker broker((data[0] & 1) != 0, (data[0] & 2) != 0, (data[0] & 4) != 0,
                      (data[0] & 8) != 0);
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  while (rest.size() >= 2) {
    const std::uint8_t op = rest[0];
    const std::size_t n = rest[1];
    rest = rest.subspan(2);
    const std::size_t index = (op & 3) % kConnections;
    switch ((op >> 2) & 3) {
      case 0: {
        const auto chunk = rest.first(std::min(n, rest.size()));
        rest = rest.subspan(chunk.size());
        broker.input(index, chunk);
        break;
      }
      case 1: broker.advance(n * 250); break;
      case 2: broker.drop(index); break;
      case 3: broker.drain(index); break;
    }
  }
  broker.finish();
  return 0;
}

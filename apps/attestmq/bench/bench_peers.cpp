#include "bench_peers.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

namespace attestmq::app::bench {

namespace {

// Packet identifiers are 1..65535 (MQTT 5.0 section 2.2.1); a window below this bound keeps
// the identifiers of in-flight messages distinct.
constexpr std::uint64_t kPacketIdSpace = 65535;

// MQTT 5.0 sections 3.4.2.1 and 3.5.2.1: 0x10 "no matching subscribers" is still an accepted
// message; a reason code of 0x80 or more refuses it.
bool accepted(mqtt::ReasonCode reason) {
  return reason == mqtt::ReasonCode::Success || reason == mqtt::ReasonCode::NoMatchingSubscribers;
}

}  // namespace

mqtt::Connect make_connect(const Options& options, const std::string& client_id) {
  mqtt::Connect connect;
  connect.version = options.version;
  connect.clean_start = options.session_expiry_s == 0;
  if (options.session_expiry_s != 0 && options.version == mqtt::Version::v5)
    connect.properties.session_expiry_interval = options.session_expiry_s;
  connect.keep_alive = 0;  // MQTT 5.0 section 3.1.2.10: 0 turns keepalive off, no PINGREQ needed
  connect.client_id = client_id;
  return connect;
}

// A DISCONNECT from the server (MQTT 5.0 section 3.14) or any packet a client never receives.
bool unexpected(const mqtt::Packet& packet, const std::string& who, std::string& error) {
  if (const auto* disconnect = std::get_if<mqtt::Disconnect>(&packet)) {
    error =
        who + ": broker sent DISCONNECT (" + std::string(mqtt::to_string(disconnect->reason)) + ")";
  } else {
    error = who + ": unexpected packet of type " + std::to_string(packet.index() + 1);
  }
  return false;
}

bool check_connack(const mqtt::Connack& connack, const std::string& who, std::string& error) {
  if (connack.reason == mqtt::ReasonCode::Success) return true;
  error = who + ": CONNACK refused (" + std::string(mqtt::to_string(connack.reason)) + ")";
  return false;
}

Publisher::Publisher(const Options& options, std::string client_id, std::string topic,
                     unsigned index)
    : options_(options),
      client_id_(std::move(client_id)),
      topic_(std::move(topic)),
      index_(index),
      first_step_(options.first_step_of(index, Ramp::publishers)),
      payload_(options.payload_size, std::uint8_t{'x'}),
      ack_window_(options.window),
      sent_by_step_(options.step_count()) {}

void Publisher::schedule_from(std::int64_t start_ns, unsigned slot) {
  run_start_ = start_ns;
  slot_ = slot;
}

void Publisher::reschedule(unsigned step, const Timeline& timeline) {
  const bool first = scheduled_step_ == UINT32_MAX;
  scheduled_step_ = step;
  const std::int64_t interval = options_.interval_ns(step);
  if (!first && interval == interval_ns_) return;  // the same rate keeps its rhythm
  interval_ns_ = interval;
  // A new rate starts at its step's start (the first step's at the run's, warmup included),
  // the publishers' schedules spread evenly over one interval.
  const std::int64_t from = step == 0 ? run_start_ : timeline.step_start(step);
  next_due_ = from + interval_ns_ * slot_ / options_.publisher_count();
}

void Publisher::start() { connection_.queue(make_connect(options_, client_id_), options_.version); }

bool Publisher::on_packet(const mqtt::Packet& packet, std::string& error) {
  if (const auto* puback = std::get_if<mqtt::Puback>(&packet)) {
    if (!accepted(puback->reason)) ++rejected_acks_;
    acknowledged();
    return true;
  }
  // QoS 2 (section 4.3.3): PUBREC is answered with PUBREL, and PUBCOMP ends the exchange. A
  // refusing PUBREC ends it at once: no PUBREL follows.
  if (const auto* pubrec = std::get_if<mqtt::Pubrec>(&packet)) {
    if (!accepted(pubrec->reason)) {
      ++rejected_acks_;
      acknowledged();
      return true;
    }
    mqtt::Pubrel pubrel;
    pubrel.packet_id = pubrec->packet_id;
    connection_.queue(pubrel, options_.version);
    return true;
  }
  if (const auto* pubcomp = std::get_if<mqtt::Pubcomp>(&packet)) {
    // Section 3.7.2.1: 0x92, the broker no longer knew the packet identifier.
    if (pubcomp->reason != mqtt::ReasonCode::Success) ++rejected_acks_;
    acknowledged();
    return true;
  }
  if (const auto* connack = std::get_if<mqtt::Connack>(&packet)) {
    if (!check_connack(*connack, client_id_, error)) return false;
    // MQTT 5.0 section 3.2.2.3.3: never have more QoS 1 and 2 messages in flight than the
    // server's Receive Maximum.
    if (options_.qos > 0 && connack->properties.receive_maximum) {
      ack_window_ = std::min<unsigned>(ack_window_, *connack->properties.receive_maximum);
    }
    ready_ = true;
    return true;
  }
  return unexpected(packet, client_id_, error);
}

void Publisher::acknowledged() {
  if (unacknowledged_ > 0) --unacknowledged_;
}

bool Publisher::window_open() const {
  if (options_.qos > 0 && unacknowledged_ >= ack_window_) return false;
  // Messages not yet seen by every subscriber. This is the only bound at QoS 0; at QoS 1 and 2
  // it also applies, because a broker acknowledges on receipt and would otherwise queue (and, past
  // its queue limit, drop) what its subscribers have not taken yet.
  if (next_sequence_ - slowest_progress_ < options_.window) return true;
  std::uint64_t slowest = UINT64_MAX;
  for (const Subscriber* subscriber : subscribers_) {
    slowest = std::min(slowest, subscriber->progress(*this));
  }
  slowest_progress_ = slowest;
  return next_sequence_ - slowest_progress_ < options_.window;
}

unsigned Publisher::pump(std::int64_t now, const Timeline& timeline) {
  if (!ready_ || stopped_) return 0;
  if (now >= timeline.measure_end) {
    stopped_ = true;
    end_sequence_.store(next_sequence_, std::memory_order_release);
    return 0;
  }
  const unsigned step = timeline.settings_step(now);
  if (step < first_step_) return 0;
  if (step != scheduled_step_) reschedule(step, timeline);
  unsigned sent = 0;
  for (; window_open(); ++sent) {
    if (interval_ns_ == 0) {
      send(now, timeline);
      continue;
    }
    if (next_due_ > now) break;
    // Stamped with the scheduled time, not the actual one, so a stall of the broker (or of
    // the generator) shows up in the latency instead of silently delaying the schedule.
    send(next_due_, timeline);
    next_due_ += interval_ns_;
  }
  return sent;
}

void Publisher::send(std::int64_t stamp, const Timeline& timeline) {
  const std::uint64_t sequence = next_sequence_++;
  std::memcpy(payload_.data(), &sequence, sizeof sequence);
  std::memcpy(payload_.data() + sizeof sequence, &stamp, sizeof stamp);
  mqtt::Publish publish;
  publish.qos = options_.qos;
  publish.topic = topic_;
  publish.payload = payload_;
  if (options_.qos > 0) {
    publish.packet_id = static_cast<std::uint16_t>(sequence % kPacketIdSpace + 1);
    ++unacknowledged_;
  }
  connection_.queue(publish, options_.version);
  if (const int step = timeline.stamp_step(stamp); step >= 0) ++sent_by_step_[step];
}

Subscriber::Subscriber(const Options& options, std::string client_id, std::string filter,
                       std::vector<Publisher*> publishers,
                       std::shared_ptr<std::atomic<std::uint64_t>> group_received,
                       unsigned join_step)
    : options_(options),
      client_id_(std::move(client_id)),
      filter_(std::move(filter)),
      publishers_(std::move(publishers)),
      first_publisher_(publishers_.front()->index()),
      group_received_(std::move(group_received)),
      join_step_(join_step),
      progress_(std::make_unique<std::atomic<std::uint64_t>[]>(publishers_.size())),
      steps_(options.step_count()) {}

std::uint64_t Subscriber::progress(const Publisher& publisher) const {
  if (group_received_) return group_received_->load(std::memory_order_relaxed);
  return progress_[publisher.index() - first_publisher_].load(std::memory_order_relaxed);
}

bool Subscriber::caught_up() const {
  // Like a publisher, it keeps its socket open until its QoS 2 exchanges have ended.
  if (open_pubrecs_ > 0) return false;
  for (const Publisher* publisher : publishers_) {
    if (progress(*publisher) < publisher->end_sequence()) return false;
  }
  return true;
}

void Subscriber::start() {
  connection_.queue(make_connect(options_, client_id_), options_.version);
}

void Subscriber::join() {
  mqtt::Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.subscriptions.push_back(mqtt::Subscription{.filter = filter_, .qos = options_.qos});
  connection_.queue(subscribe, options_.version);
}

bool Subscriber::on_packet(const mqtt::Packet& packet, std::int64_t now, const Timeline& timeline,
                           std::string& error) {
  if (const auto* publish = std::get_if<mqtt::Publish>(&packet)) {
    return on_publish(*publish, now, timeline, error);
  }
  if (const auto* connack = std::get_if<mqtt::Connack>(&packet)) {
    if (!check_connack(*connack, client_id_, error)) return false;
    if (join_step_ > 0) {
      ready_ = true;  // connected; it subscribes when the run reaches its step
    } else {
      join();
    }
    return true;
  }
  if (const auto* pubrel = std::get_if<mqtt::Pubrel>(&packet)) {
    if (open_pubrecs_ > 0) --open_pubrecs_;
    mqtt::Pubcomp pubcomp;
    pubcomp.packet_id = pubrel->packet_id;
    connection_.queue(pubcomp, options_.version);
    return true;
  }
  if (const auto* suback = std::get_if<mqtt::Suback>(&packet)) {
    // MQTT 5.0 section 3.9.3: one reason code per filter, the granted QoS or a failure >= 0x80.
    if (suback->reasons.size() != 1 || static_cast<std::uint8_t>(suback->reasons[0]) >= 0x80) {
      error = client_id_ + ": SUBSCRIBE refused (" +
              std::string(suback->reasons.empty() ? "no reason code"
                                                  : mqtt::to_string(suback->reasons[0])) +
              ")";
      return false;
    }
    granted_qos_ = static_cast<std::uint8_t>(suback->reasons[0]);
    subscribed_ = true;
    ready_ = true;
    return true;
  }
  return unexpected(packet, client_id_, error);
}

bool Subscriber::on_publish(const mqtt::Publish& publish, std::int64_t now,
                            const Timeline& timeline, std::string& error) {
  if (publish.payload.size() < kStampSize) {
    error = client_id_ + ": received a " + std::to_string(publish.payload.size()) +
            "-byte payload on '" + std::string(publish.topic) +
            "', too short to be this benchmark's (is another client publishing there?)";
    return false;
  }
  std::uint64_t sequence = 0;
  std::int64_t stamp = 0;
  std::memcpy(&sequence, publish.payload.data(), sizeof sequence);
  std::memcpy(&stamp, publish.payload.data() + sizeof sequence, sizeof stamp);

  unsigned slot = 0;
  if (publishers_.size() > 1 && !stream_of(publish.topic, slot, error)) return false;
  count(slot, sequence, stamp, timeline, now);
  if (publish.qos == 1) {
    mqtt::Puback puback;
    puback.packet_id = publish.packet_id;
    connection_.queue(puback, options_.version);
  } else if (publish.qos == 2) {
    // Section 4.3.3: the receiver owns the message once it sends PUBREC. Duplicates are
    // counted above by sequence number, whatever the broker's packet identifiers.
    mqtt::Pubrec pubrec;
    pubrec.packet_id = publish.packet_id;
    connection_.queue(pubrec, options_.version);
    ++open_pubrecs_;
  }
  return true;
}

// The stream is the publisher whose index ends the topic (bench_command.cpp, topic()).
bool Subscriber::stream_of(std::string_view topic, unsigned& slot, std::string& error) const {
  const std::string_view digits = topic.substr(topic.rfind('/') + 1);  // npos + 1 == 0
  unsigned index = 0;
  const char* end = digits.data() + digits.size();
  const auto parsed = std::from_chars(digits.data(), end, index);
  if (digits.size() == topic.size() || parsed.ec != std::errc{} || parsed.ptr != end ||
      index < first_publisher_ || index - first_publisher_ >= publishers_.size()) {
    error = client_id_ + ": received a message on '" + std::string(topic) +
            "', no publisher's topic of this run";
    return false;
  }
  slot = index - first_publisher_;
  return true;
}

void Subscriber::count(unsigned slot, std::uint64_t sequence, std::int64_t stamp,
                       const Timeline& timeline, std::int64_t now) {
  // Throughput by arrival time, loss, duplicates and latency by the stamp's step.
  if (const int arrived = timeline.arrival_step(now); arrived >= 0) ++steps_[arrived].received;
  const int step = timeline.stamp_step(stamp);
  std::atomic<std::uint64_t>& next = progress_[slot];
  const std::uint64_t expected = next.load(std::memory_order_relaxed);
  if (sequence < expected) {
    ++duplicates_;
    if (step >= 0) ++steps_[step].duplicates;
    return;
  }
  if (step >= 0) {
    StepCounts& counts = steps_[step];
    ++counts.unique;
    if (!counts.latency) counts.latency = std::make_unique<LatencyHistogram>();
    counts.latency->record(static_cast<std::uint64_t>(std::max<std::int64_t>(now - stamp, 0)));
  }
  next.store(sequence + 1, std::memory_order_relaxed);
  // A member of a shared subscription sees part of the stream, in order (MQTT 5.0 section
  // 4.8.2): what it skips went to other members, so the group's progress is the number of
  // distinct messages its members have had. A count, not the highest sequence number: a
  // member that lags behind the others must hold the publisher back too, or the broker's
  // queue for it grows (and, at QoS 0, drops). A lost message therefore narrows the window for
  // the rest of the run; it is reported as lost all the same.
  if (group_received_) {
    group_received_->fetch_add(1, std::memory_order_relaxed);
  } else {
    gaps_ += sequence - expected;
  }
}

}  // namespace attestmq::app::bench

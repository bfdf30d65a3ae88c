#include "broker/stored_records.hpp"

#include <algorithm>
#include <string_view>

#include "mqtt/topic.hpp"
#include "mqtt/wire_reader.hpp"
#include "mqtt/wire_writer.hpp"

namespace attestmq::broker {

namespace {

constexpr std::uint8_t kFormat = 1;

// Message flags.
constexpr std::uint8_t kRetain = 0x01;
constexpr std::uint8_t kHasPayloadFormat = 0x08;
constexpr std::uint8_t kHasContentType = 0x10;
constexpr std::uint8_t kHasResponseTopic = 0x20;
constexpr std::uint8_t kHasCorrelationData = 0x40;
constexpr std::uint8_t kHasExpiry = 0x80;
constexpr int kQosShift = 1;

// Delivery flags.
constexpr std::uint8_t kDeliveryRetain = 0x04;
constexpr std::uint8_t kAwaitingPubcomp = 0x08;

// Reads fields in order and remembers the first failure, so that a decoder reads like the
// layout it checks and tests once at the end.
class RecordReader {
 public:
  explicit RecordReader(std::span<const std::uint8_t> value) : wire_(value) {}

  std::uint8_t byte() {
    std::uint8_t v = 0;
    note(wire_.read_byte(v));
    return v;
  }
  std::uint16_t u16() {
    std::uint16_t v = 0;
    note(wire_.read_two_byte_integer(v));
    return v;
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    note(wire_.read_four_byte_integer(v));
    return v;
  }
  std::uint64_t u64() {
    const std::uint64_t high = u32();
    return high << 32 | u32();
  }
  std::uint32_t varint() {
    std::uint32_t v = 0;
    note(wire_.read_variable_byte_integer(v));
    return v;
  }
  std::uint32_t count() {
    const std::uint32_t v = varint();
    // Every counted item takes at least one byte: a larger count is a lie about the length.
    if (v > wire_.remaining()) fail("a count larger than the bytes left");
    return error_ ? 0 : v;
  }
  std::string text() {
    std::string_view v;
    note(wire_.read_utf8_string(v));
    return std::string(v);
  }
  std::vector<std::uint8_t> binary() {
    mqtt::Bytes v;
    note(wire_.read_binary_data(v));
    return {v.begin(), v.end()};
  }
  std::vector<std::uint8_t> long_binary() {
    const std::uint32_t size = u32();
    mqtt::Bytes v;
    if (!error_) note(wire_.read_bytes(size, v));
    return {v.begin(), v.end()};
  }
  void format() {
    const std::uint8_t f = byte();
    if (!error_ && f != kFormat) fail("record format " + std::to_string(f) + " is not one this broker reads");
  }
  void fail(std::string why) {
    if (!error_) error_ = std::move(why);
  }
  // The verdict once every field is read.
  std::optional<std::string> finish() {
    if (!error_ && !wire_.at_end()) fail("bytes left over after the record");
    return error_;
  }
  bool failed() const { return error_.has_value(); }

 private:
  void note(const mqtt::DecodeStatus& status) {
    if (!status.ok()) fail(status.detail);
  }
  mqtt::WireReader wire_;
  std::optional<std::string> error_;
};

void write_u64(mqtt::WireWriter& w, std::uint64_t value) {
  w.four_byte_integer(static_cast<std::uint32_t>(value >> 32));
  w.four_byte_integer(static_cast<std::uint32_t>(value));
}

// A monotonic deadline as wall-clock seconds, rounded up, and back.
std::uint64_t wall_deadline(std::uint64_t deadline_ms, const Clocks& clocks) {
  const std::uint64_t left_ms = deadline_ms > clocks.now_ms ? deadline_ms - clocks.now_ms : 0;
  return clocks.wall_s + (left_ms + 999) / 1000;
}
std::uint64_t monotonic_deadline(std::uint64_t deadline_s, const Clocks& clocks) {
  const std::uint64_t left_s = deadline_s > clocks.wall_s ? deadline_s - clocks.wall_s : 0;
  return clocks.now_ms + std::min<std::uint64_t>(left_s, UINT32_MAX) * 1000;
}

void write_message(mqtt::WireWriter& w, const Message& m, const Clocks& clocks) {
  std::uint8_t flags = static_cast<std::uint8_t>(m.qos << kQosShift);
  if (m.retain) flags |= kRetain;
  if (m.payload_format_indicator) flags |= kHasPayloadFormat;
  if (m.content_type) flags |= kHasContentType;
  if (m.response_topic) flags |= kHasResponseTopic;
  if (m.correlation_data) flags |= kHasCorrelationData;
  if (m.expires_at_ms) flags |= kHasExpiry;
  w.utf8_string(m.topic);
  w.byte(flags);
  if (m.payload_format_indicator) w.byte(*m.payload_format_indicator);
  if (m.content_type) w.utf8_string(*m.content_type);
  if (m.response_topic) w.utf8_string(*m.response_topic);
  if (m.correlation_data) w.binary_data(*m.correlation_data);
  // Rounded up to whole seconds: a restored message never outlives its interval by less.
  if (m.expires_at_ms) write_u64(w, wall_deadline(*m.expires_at_ms, clocks));
  w.variable_byte_integer(static_cast<std::uint32_t>(m.user_properties.size()));
  for (const MessageUserProperty& p : m.user_properties) {
    w.utf8_string(p.name);
    w.utf8_string(p.value);
  }
  w.four_byte_integer(static_cast<std::uint32_t>(m.payload.size()));
  w.raw(m.payload);
}

std::shared_ptr<Message> read_message(RecordReader& r, const Clocks& clocks) {
  auto m = std::make_shared<Message>();
  m->topic = r.text();
  if (!r.failed() && !mqtt::valid_topic_name(m->topic)) r.fail("an invalid topic name");
  const std::uint8_t flags = r.byte();
  m->retain = (flags & kRetain) != 0;
  m->qos = (flags >> kQosShift) & 0x03;
  if (m->qos > 2) r.fail("QoS 3");
  if (flags & kHasPayloadFormat) {
    m->payload_format_indicator = r.byte();
    if (*m->payload_format_indicator > 1) r.fail("a Payload Format Indicator other than 0 or 1");
  }
  if (flags & kHasContentType) m->content_type = r.text();
  if (flags & kHasResponseTopic) m->response_topic = r.text();
  if (flags & kHasCorrelationData) m->correlation_data = r.binary();
  if (flags & kHasExpiry) m->expires_at_ms = monotonic_deadline(r.u64(), clocks);
  const std::uint32_t properties = r.count();
  for (std::uint32_t i = 0; i < properties && !r.failed(); ++i) {
    std::string name = r.text();
    m->user_properties.push_back({std::move(name), r.text()});
  }
  m->payload = r.long_binary();
  return m;
}

}  // namespace

std::vector<std::uint8_t> encode_session(const Session& session, const Clocks& clocks) {
  std::vector<std::uint8_t> out;
  mqtt::WireWriter w(out);
  w.byte(kFormat);
  w.byte(session.expiry_interval_s ? 1 : 0);
  // Beyond 2^32-1 s (136 years) is never, for all purposes: kept there so that a deadline
  // computed from it cannot overflow.
  if (session.expiry_interval_s) write_u64(w, std::min<std::uint64_t>(*session.expiry_interval_s, UINT32_MAX));
  w.four_byte_integer(session.listener);
  w.byte(session.username ? 1 : 0);
  if (session.username) w.utf8_string(*session.username);
  w.variable_byte_integer(static_cast<std::uint32_t>(session.incoming_qos2.size()));
  for (const std::uint16_t id : session.incoming_qos2) w.two_byte_integer(id);
  w.variable_byte_integer(static_cast<std::uint32_t>(session.subscriptions.size()));
  for (const SessionSubscription& sub : session.subscriptions) {
    const SubscriptionOptions& o = sub.options;
    w.utf8_string(sub.filter);
    // MQTT 5.0 section 3.8.3.1's Subscription Options byte.
    w.byte(static_cast<std::uint8_t>(o.qos | (o.no_local ? 0x04 : 0) |
                                     (o.retain_as_published ? 0x08 : 0) | o.retain_handling << 4));
    w.variable_byte_integer(o.subscription_id);
  }
  w.byte(session.will ? 1 : 0);
  if (session.will) {
    write_message(w, *session.will, clocks);
    w.four_byte_integer(session.will_delay_s);
    w.byte(session.will_expiry_interval_s ? 1 : 0);
    if (session.will_expiry_interval_s) w.four_byte_integer(*session.will_expiry_interval_s);
    w.byte(session.will_at_ms ? 1 : 0);
    if (session.will_at_ms) write_u64(w, wall_deadline(*session.will_at_ms, clocks));
  }
  return out;
}

std::variant<SessionRecord, std::string> decode_session(std::span<const std::uint8_t> value,
                                                        const Clocks& clocks) {
  RecordReader r(value);
  SessionRecord record;
  r.format();
  auto flag = [&](const char* what) {
    const std::uint8_t value = r.byte();
    if (value > 1) r.fail(std::string("a ") + what + " flag that is neither 0 nor 1");
    return value == 1;
  };
  if (flag("expiry")) {
    record.expiry_interval_s = r.u64();
    if (*record.expiry_interval_s > UINT32_MAX) r.fail("a Session Expiry Interval beyond 2^32-1 seconds");
  }
  record.listener = r.u32();
  if (flag("username")) record.username = r.text();
  const std::uint32_t ids = r.count();
  for (std::uint32_t i = 0; i < ids && !r.failed(); ++i) {
    const std::uint16_t id = r.u16();
    if (id == 0) r.fail("packet identifier 0");
    record.incoming_qos2.push_back(id);
  }
  const std::uint32_t subscriptions = r.count();
  for (std::uint32_t i = 0; i < subscriptions && !r.failed(); ++i) {
    SessionSubscription sub;
    sub.filter = r.text();
    if (!r.failed() && !mqtt::valid_topic_filter(sub.filter)) r.fail("an invalid topic filter");
    const std::uint8_t options = r.byte();
    if ((options & 0x03) == 3 || (options >> 4) > 2) r.fail("invalid subscription options");
    sub.options.qos = options & 0x03;
    sub.options.no_local = (options & 0x04) != 0;
    sub.options.retain_as_published = (options & 0x08) != 0;
    sub.options.retain_handling = static_cast<std::uint8_t>(options >> 4);
    sub.options.subscription_id = r.varint();
    record.subscriptions.push_back(std::move(sub));
  }
  if (flag("will") && !r.failed()) {
    record.will = read_message(r, clocks);
    record.will_delay_s = r.u32();
    if (flag("will expiry")) record.will_expiry_interval_s = r.u32();
    if (flag("will due")) record.will_at_ms = monotonic_deadline(r.u64(), clocks);
  }
  if (auto error = r.finish()) return "session record: " + *error;
  return record;
}

std::vector<std::uint8_t> encode_delivery(const DeliveryRecord& record, const Clocks& clocks) {
  std::vector<std::uint8_t> out;
  mqtt::WireWriter w(out);
  const Delivery& d = record.delivery;
  w.byte(kFormat);
  w.utf8_string(record.client_id);
  w.byte(static_cast<std::uint8_t>(d.qos | (d.retain ? kDeliveryRetain : 0) |
                                   (record.awaiting_pubcomp ? kAwaitingPubcomp : 0)));
  w.two_byte_integer(record.packet_id);
  w.variable_byte_integer(static_cast<std::uint32_t>(d.subscription_ids.size()));
  for (const std::uint32_t id : d.subscription_ids) w.variable_byte_integer(id);
  if (!record.awaiting_pubcomp) write_message(w, *d.message, clocks);
  return out;
}

std::variant<DeliveryRecord, std::string> decode_delivery(std::span<const std::uint8_t> value,
                                                          const Clocks& clocks) {
  RecordReader r(value);
  DeliveryRecord record;
  r.format();
  record.client_id = r.text();
  const std::uint8_t flags = r.byte();
  record.delivery.qos = flags & 0x03;
  record.delivery.retain = (flags & kDeliveryRetain) != 0;
  record.awaiting_pubcomp = (flags & kAwaitingPubcomp) != 0;
  record.packet_id = r.u16();
  if (!r.failed()) {
    if (record.delivery.qos != 1 && record.delivery.qos != 2)
      r.fail("a delivery at QoS " + std::to_string(record.delivery.qos));
    else if (record.awaiting_pubcomp && (record.delivery.qos != 2 || record.packet_id == 0))
      r.fail("awaiting PUBCOMP without a QoS 2 packet identifier");
  }
  const std::uint32_t ids = r.count();
  for (std::uint32_t i = 0; i < ids && !r.failed(); ++i) {
    record.delivery.subscription_ids.push_back(r.varint());
    if (record.delivery.subscription_ids.back() == 0) r.fail("Subscription Identifier 0");
  }
  if (!record.awaiting_pubcomp && !r.failed()) record.delivery.message = read_message(r, clocks);
  if (auto error = r.finish()) return "delivery record: " + *error;
  return record;
}

std::vector<std::uint8_t> encode_retained(const Message& message, const Clocks& clocks) {
  std::vector<std::uint8_t> out;
  mqtt::WireWriter w(out);
  w.byte(kFormat);
  write_message(w, message, clocks);
  return out;
}

std::variant<MessagePtr, std::string> decode_retained(std::span<const std::uint8_t> value,
                                                      const Clocks& clocks) {
  RecordReader r(value);
  r.format();
  std::shared_ptr<Message> message;
  if (!r.failed()) message = read_message(r, clocks);
  if (auto error = r.finish()) return "retained record: " + *error;
  return MessagePtr(std::move(message));
}

std::vector<std::uint8_t> delivery_key(std::uint64_t sequence) {
  std::vector<std::uint8_t> key;
  mqtt::WireWriter w(key);
  write_u64(w, sequence);
  return key;
}

std::optional<std::uint64_t> delivery_sequence(std::span<const std::uint8_t> key) {
  RecordReader r(key);
  const std::uint64_t sequence = r.u64();
  if (r.finish()) return std::nullopt;
  return sequence;
}

}  // namespace attestmq::broker

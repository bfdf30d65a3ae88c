#pragma once
// The two kinds of benchmark clients. A publisher sends a stream of numbered, time-stamped
// messages to its topic, never more than its window ahead; a subscriber checks the numbers
// (loss, duplicates) and records the end-to-end latency of each message.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench_connection.hpp"
#include "bench_histogram.hpp"
#include "bench_options.hpp"
#include "bench_timeline.hpp"

namespace attestmq::app::bench {

// The CONNECT every benchmark client sends: clean start, keep alive off.
mqtt::Connect make_connect(const Options& options, const std::string& client_id);
// Error texts naming `who`: a refused CONNACK, or a packet a client never expects.
bool check_connack(const mqtt::Connack& connack, const std::string& who, std::string& error);
bool unexpected(const mqtt::Packet& packet, const std::string& who, std::string& error);

// Every payload starts with the message's sequence number in its stream and the time it was
// (scheduled to be) sent; the rest is padding up to --size.
inline constexpr std::size_t kStampSize = 16;

class Subscriber;

class Publisher {
 public:
  // `index`: the publisher's number in the run; its topic's last level names it.
  Publisher(const Options& options, std::string client_id, std::string topic, unsigned index);

  Connection& connection() { return connection_; }
  const std::string& topic() const { return topic_; }
  unsigned index() const { return index_; }
  void add_subscriber(const Subscriber* subscriber) { subscribers_.push_back(subscriber); }
  // The run starts at `start_ns`; `slot` spreads publishers' schedules evenly over one
  // interval when a rate is set.
  void schedule_from(std::int64_t start_ns, unsigned slot);

  void start();  // queues CONNECT
  bool on_packet(const mqtt::Packet& packet, std::string& error);
  bool ready() const { return ready_; }

  // Queues what the schedule and the window allow at `now` and returns how many; stops at
  // the window's end. In a ramp its rate follows the step, and a ramped publisher starts at
  // its own step.
  unsigned pump(std::int64_t now, const Timeline& timeline);
  bool stopped() const { return stopped_; }
  // Stopped, and every QoS 1 and 2 exchange ended: only then may its connection close. A
  // socket closed with acknowledgements unread is reset, and the broker may lose the
  // PUBLISHes it had not read yet.
  bool finished() const { return stopped_ && unacknowledged_ == 0; }
  bool window_full() const { return !window_open(); }
  std::int64_t next_due() const { return interval_ns_ > 0 ? next_due_ : 0; }
  // The sequence number the stream ends at, once stopped.
  std::uint64_t end_sequence() const { return end_sequence_.load(std::memory_order_acquire); }

  std::uint64_t sent_in(unsigned step) const { return sent_by_step_[step]; }
  std::uint64_t rejected_acks() const { return rejected_acks_; }

 private:
  bool window_open() const;
  void acknowledged();  // a PUBACK, a PUBCOMP or a refusing PUBREC ended a message's exchange
  void send(std::int64_t stamp, const Timeline& timeline);
  void reschedule(unsigned step, const Timeline& timeline);

  const Options& options_;
  std::string client_id_;
  std::string topic_;
  unsigned index_;
  unsigned first_step_;  // a ramp of publishers starts this one's stream in this step
  Connection connection_;
  std::vector<const Subscriber*> subscribers_;
  std::vector<std::uint8_t> payload_;
  bool ready_ = false;
  bool stopped_ = false;
  unsigned ack_window_;  // QoS 1 and 2 messages in flight: --window, capped by Receive Maximum
  std::uint64_t next_sequence_ = 0;
  mutable std::uint64_t slowest_progress_ = 0;  // cache of the subscribers' minimum progress
  std::uint64_t unacknowledged_ = 0;
  std::int64_t run_start_ = 0;
  unsigned slot_ = 0;
  unsigned scheduled_step_ = UINT32_MAX;  // the step interval_ns_ and next_due_ were set for
  std::int64_t interval_ns_ = 0;
  std::int64_t next_due_ = 0;
  std::vector<std::uint64_t> sent_by_step_;  // by the message's stamp
  std::uint64_t rejected_acks_ = 0;
  std::atomic<std::uint64_t> end_sequence_{UINT64_MAX};
};

// A subscriber hears one publisher (pairs, fanout, shared) or several (fanin), each its own
// stream of sequence numbers, checked apart: the broker keeps each publisher's order (MQTT 5.0
// section 4.6), not an order between publishers. The members of a shared subscription share
// `group_received`, the number of distinct messages the group has had.
class Subscriber {
 public:
  // `join_step`: in a ramp of subscribers, the step at which it subscribes (it connects
  // before the run, like every client).
  Subscriber(const Options& options, std::string client_id, std::string filter,
             std::vector<Publisher*> publishers,
             std::shared_ptr<std::atomic<std::uint64_t>> group_received = nullptr,
             unsigned join_step = 0);

  Connection& connection() { return connection_; }
  void start();  // queues CONNECT; SUBSCRIBE follows the CONNACK unless it joins later
  unsigned join_step() const { return join_step_; }
  void join();   // queues SUBSCRIBE
  // `now` is when the socket was read: one clock reading serves every packet of a read.
  bool on_packet(const mqtt::Packet& packet, std::int64_t now, const Timeline& timeline,
                 std::string& error);
  bool ready() const { return ready_; }
  bool subscribed() const { return subscribed_; }  // its SUBACK arrived

  // Messages received so far from `publisher`: the next sequence number expected, or the
  // group's count in a shared subscription. Read by that publisher, possibly from another
  // thread.
  std::uint64_t progress(const Publisher& publisher) const;
  bool caught_up() const;

  // Per step: deliveries that arrived in it; distinct messages stamped in it, their
  // latency and their duplicates.
  struct StepCounts {
    std::uint64_t received = 0;
    std::uint64_t unique = 0;
    std::uint64_t duplicates = 0;
    std::unique_ptr<LatencyHistogram> latency;  // made at the first sample: 30 KiB each
  };
  const StepCounts& in(unsigned step) const { return steps_[step]; }
  std::uint64_t duplicates() const { return duplicates_; }  // over the whole run
  std::uint64_t gaps() const { return gaps_; }
  std::uint8_t granted_qos() const { return granted_qos_; }

 private:
  bool on_publish(const mqtt::Publish& publish, std::int64_t now, const Timeline& timeline,
                  std::string& error);
  bool stream_of(std::string_view topic, unsigned& slot, std::string& error) const;
  void count(unsigned slot, std::uint64_t sequence, std::int64_t stamp, const Timeline& timeline,
             std::int64_t now);

  const Options& options_;
  std::string client_id_;
  std::string filter_;
  std::vector<Publisher*> publishers_;  // consecutive indexes from first_publisher_
  unsigned first_publisher_;
  std::shared_ptr<std::atomic<std::uint64_t>> group_received_;  // null unless shared
  unsigned join_step_;
  Connection connection_;
  bool ready_ = false;
  bool subscribed_ = false;
  std::uint8_t granted_qos_ = 0;
  std::uint64_t open_pubrecs_ = 0;  // QoS 2 messages answered with PUBREC, PUBREL not yet in
  // One per publisher: the next sequence number expected from it (by this member, if shared).
  std::unique_ptr<std::atomic<std::uint64_t>[]> progress_;
  std::vector<StepCounts> steps_;
  std::uint64_t duplicates_ = 0;
  std::uint64_t gaps_ = 0;  // sequence numbers skipped: messages lost en route
};

}  // namespace attestmq::app::bench

#include "bench_worker.hpp"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace attestmq::app::bench {

namespace {

constexpr std::int64_t kMillisecond = 1'000'000;
constexpr std::int64_t kSecond = 1000 * kMillisecond;
constexpr std::int64_t kConnectTimeout = 10 * kSecond;
constexpr std::int64_t kDrainTimeout = 2 * kSecond;
// Upper bound on one wait, so a failure in another worker is noticed promptly.
constexpr std::int64_t kMaxWait = 100 * kMillisecond;
// A publisher whose window waits on subscribers served by another thread gets no socket
// event when they progress, so its worker looks again this often.
constexpr std::int64_t kCrossThreadPoll = 100'000;
constexpr int kEventBatch = 256;

}  // namespace

Worker::Worker(const Options& options, const sockaddr_storage& address, socklen_t address_size,
               SharedRun& shared, unsigned index)
    : options_(options),
      address_(address),
      address_size_(address_size),
      shared_(shared),
      index_(index) {}

Worker::~Worker() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool Worker::run(std::string& error) {
  const bool ok = connect_all(error) && wait_for_other_workers() && [&] {
    const std::int64_t start = shared_.start_ns.load();
    const auto seconds = [](double s) { return static_cast<std::int64_t>(s * kSecond); };
    Timeline timeline;
    timeline.measure_start = start + seconds(options_.warmup_s);
    timeline.measure_end = timeline.measure_start + seconds(options_.duration_s);
    timeline.drain_deadline = timeline.measure_end + kDrainTimeout;
    return measure(timeline, error);
  }();
  if (!ok) {
    shared_.failed = true;
    if (error.empty()) error = "stopped because another worker failed";
  }
  disconnect_all();
  return ok;
}

bool Worker::connect_all(std::string& error) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    error = std::string("epoll_create1: ") + std::strerror(errno);
    return false;
  }
  for (Endpoint& endpoint : endpoints_) {
    if (!endpoint.connection().open(address_, address_size_, epoll_fd_, &endpoint,
                                     options_.tls_context, error)) {
      return false;
    }
    if (endpoint.publisher) endpoint.publisher->start();
    if (endpoint.subscriber) endpoint.subscriber->start();
  }
  const auto all_ready = [this] {
    return std::all_of(endpoints_.begin(), endpoints_.end(), [](const Endpoint& e) {
      return e.publisher ? e.publisher->ready() : e.subscriber->ready();
    });
  };
  const std::int64_t deadline = monotonic_ns() + kConnectTimeout;
  const Timeline before_start;  // nothing received now is counted
  while (!all_ready()) {
    if (shared_.failed) return false;
    const std::int64_t now = monotonic_ns();
    if (now >= deadline) {
      const auto ready = std::count_if(endpoints_.begin(), endpoints_.end(), [](const Endpoint& e) {
        return e.publisher ? e.publisher->ready() : e.subscriber->ready();
      });
      error = std::to_string(endpoints_.size() - ready) + " of " +
              std::to_string(endpoints_.size()) + " connections got no CONNACK/SUBACK within 10 s";
      return false;
    }
    if (!poll(std::min(deadline - now, kMaxWait), before_start, error)) return false;
  }
  return true;
}

bool Worker::wait_for_other_workers() {
  shared_.ready_workers.fetch_add(1);
  while (shared_.ready_workers.load() < shared_.worker_count) {
    if (shared_.failed) return false;
    const timespec pause{0, kMillisecond};
    ::nanosleep(&pause, nullptr);
  }
  // The first worker past the barrier fixes the common start time.
  std::int64_t unset = 0;
  shared_.start_ns.compare_exchange_strong(unset, monotonic_ns());
  return true;
}

bool Worker::measure(const Timeline& timeline, std::string& error) {
  const std::int64_t start = shared_.start_ns.load();
  unsigned slot = 0;
  for (Endpoint& endpoint : endpoints_) {
    if (endpoint.publisher)
      endpoint.publisher->schedule_from(start, slot++ * shared_.worker_count + index_);
  }
  bool started = false;
  bool ended = false;
  for (;;) {
    const std::int64_t now = monotonic_ns();
    if (index_ == 0 && !started && now >= timeline.measure_start) {
      sample_cpu(shared_.generator_at_start, shared_.broker_at_start);
      started = true;
    }
    if (index_ == 0 && !ended && now >= timeline.measure_end) {
      sample_cpu(shared_.generator_at_end, shared_.broker_at_end);
      ended = true;
    }
    for (Endpoint& endpoint : endpoints_) {
      if (!endpoint.publisher) continue;
      endpoint.publisher->pump(now, timeline);
      if (!endpoint.connection().flush(error)) return false;
    }
    if (now >= timeline.measure_end && drained()) return true;
    if (now >= timeline.drain_deadline) return true;  // what is still missing counts as lost
    if (shared_.failed) return false;
    if (!poll(next_wakeup(now, timeline) - now, timeline, error)) return false;
  }
}

void Worker::disconnect_all() {
  std::string ignored;
  for (Endpoint& endpoint : endpoints_) {
    endpoint.connection().queue(mqtt::Disconnect{}, options_.version);
    endpoint.connection().flush(ignored);
    endpoint.connection().close();
  }
}

bool Worker::poll(std::int64_t timeout_ns, const Timeline& timeline, std::string& error) {
  epoll_event events[kEventBatch];
  timeout_ns = std::max<std::int64_t>(timeout_ns, 0);
  const timespec timeout{static_cast<time_t>(timeout_ns / kSecond),
                         static_cast<long>(timeout_ns % kSecond)};
  const int count = ::epoll_pwait2(epoll_fd_, events, kEventBatch, &timeout, nullptr);
  if (count < 0) {
    if (errno == EINTR) return true;
    error = std::string("epoll_pwait2: ") + std::strerror(errno);
    return false;
  }
  for (int i = 0; i < count; ++i) {
    auto& endpoint = *static_cast<Endpoint*>(events[i].data.ptr);
    Connection& connection = endpoint.connection();
    if ((events[i].events & (EPOLLOUT | EPOLLERR)) && !connection.on_writable(error)) {
      return false;
    }
    if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
      const std::int64_t now = monotonic_ns();
      const bool ok = connection.receive(
          options_.version,
          [&](const mqtt::Packet& packet) {
            return endpoint.publisher
                       ? endpoint.publisher->on_packet(packet, error)
                       : endpoint.subscriber->on_packet(packet, now, timeline, error);
          },
          error);
      // Answers (SUBSCRIBE, PUBACK) go out in one write per batch of input.
      if (!ok || !connection.flush(error)) return false;
    }
  }
  return true;
}

std::int64_t Worker::next_wakeup(std::int64_t now, const Timeline& timeline) const {
  std::int64_t wakeup = now + kMaxWait;
  for (const std::int64_t edge :
       {timeline.measure_start, timeline.measure_end, timeline.drain_deadline}) {
    if (edge > now) wakeup = std::min(wakeup, edge);
  }
  for (const Endpoint& endpoint : endpoints_) {
    const Publisher* publisher = endpoint.publisher;
    if (!publisher || publisher->stopped()) continue;
    if (publisher->window_full()) {
      if (shared_.worker_count > 1) wakeup = std::min(wakeup, now + kCrossThreadPoll);
    } else if (publisher->next_due() > 0) {
      wakeup = std::min(wakeup, publisher->next_due());
    }
  }
  return wakeup;
}

bool Worker::drained() const {
  return std::all_of(endpoints_.begin(), endpoints_.end(), [](const Endpoint& e) {
    return e.publisher ? e.publisher->finished() : e.subscriber->caught_up();
  });
}

void Worker::sample_cpu(CpuTime& generator, std::optional<CpuTime>& broker) const {
  generator = own_cpu_time();
  if (options_.broker_pid > 0) broker = process_cpu_time(options_.broker_pid);
}

}  // namespace attestmq::app::bench

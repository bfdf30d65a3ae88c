#include "bench_worker.hpp"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <variant>

namespace attestmq::app::bench {

namespace {

constexpr std::int64_t kMillisecond = 1'000'000;
constexpr std::int64_t kSecond = 1000 * kMillisecond;
constexpr std::int64_t kConnectTimeout = 10 * kSecond;
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
      index_(index),
      progress_line_(index == 0 && options.progress) {}

Timeline SharedRun::timeline(const Options& options) const {
  Timeline timeline = Timeline::of(options, start_ns.load());
  if (const std::int64_t stopped = stop_ns.load(); stopped != 0) timeline.stop_at(stopped);
  return timeline;
}

Worker::~Worker() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool Worker::run(std::string& error) {
  const bool ok = connect_all(error) && wait_for_other_workers(error) &&
                  measure(Timeline::of(options_, shared_.start_ns.load()), error);
  progress_line_.finish();  // before any report or error is printed
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
    if (stop_requested()) {
      error = "stopped by a signal before the measurement began";
      return false;
    }
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

bool Worker::wait_for_other_workers(std::string& error) {
  shared_.ready_workers.fetch_add(1);
  while (shared_.ready_workers.load() < shared_.worker_count) {
    if (shared_.failed) return false;
    if (stop_requested()) {
      error = "stopped by a signal before the measurement began";
      return false;
    }
    const timespec pause{0, kMillisecond};
    ::nanosleep(&pause, nullptr);
  }
  // The first worker past the barrier fixes the common start time.
  std::int64_t unset = 0;
  shared_.start_ns.compare_exchange_strong(unset, monotonic_ns());
  return true;
}

bool Worker::measure(Timeline timeline, std::string& error) {
  const std::int64_t start = shared_.start_ns.load();
  unsigned slot = 0;
  for (Endpoint& endpoint : endpoints_) {
    if (endpoint.publisher)
      endpoint.publisher->schedule_from(start, slot++ * shared_.worker_count + index_);
  }
  for (;;) {
    const std::int64_t now = monotonic_ns();
    observe_stop(shared_.stop_ns, now, timeline);
    if (index_ == 0) {
      sample_cpu_due(now, timeline);
      show_progress(now, timeline);
    }
    // Members of a ramp join at their step, and never after the window (cut by a stop) ended.
    const unsigned step = timeline.settings_step(now);
    if (step > joined_step_ && now < timeline.measure_end && !join_subscribers(step, error)) {
      return false;
    }
    for (Endpoint& endpoint : endpoints_) {
      if (!endpoint.publisher) continue;
      sent_ += endpoint.publisher->pump(now, timeline);
      if (!endpoint.connection().flush(error)) return false;
    }
    shared_.progress[index_].sent.store(sent_, std::memory_order_relaxed);
    shared_.progress[index_].received.store(received_, std::memory_order_relaxed);
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
            if (endpoint.publisher) return endpoint.publisher->on_packet(packet, error);
            received_ += std::holds_alternative<mqtt::Publish>(packet);
            return endpoint.subscriber->on_packet(packet, now, timeline, error);
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
  // The next step's start too: its rate, publishers or subscribers take over then.
  for (const std::int64_t edge :
       {timeline.measure_start, timeline.step_start(timeline.settings_step(now) + 1),
        timeline.measure_end, timeline.drain_deadline}) {
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

void Worker::sample_cpu_due(std::int64_t now, const Timeline& timeline) {
  // Sample k is taken at step k's start, the last at the window's end; after a stop the
  // remaining ones all at once (their steps then last no time).
  while (next_cpu_sample_ <= timeline.steps &&
         now >= std::min(timeline.step_start(next_cpu_sample_), timeline.measure_end)) {
    shared_.cpu[next_cpu_sample_++] = sample_cpu(options_.broker_pid);
  }
}

void Worker::show_progress(std::int64_t now, const Timeline& timeline) {
  if (!progress_line_.due(now)) return;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  for (unsigned w = 0; w < shared_.worker_count; ++w) {
    sent += shared_.progress[w].sent.load(std::memory_order_relaxed);
    received += shared_.progress[w].received.load(std::memory_order_relaxed);
  }
  const unsigned step = timeline.settings_step(now);
  std::string phase = now < timeline.measure_start ? "warmup"
                      : now < timeline.measure_end ? "measuring"
                                                   : "draining";
  if (timeline.steps > 1 && phase == "measuring") {
    phase = "step " + std::to_string(step + 1) + "/" + std::to_string(timeline.steps);
  }
  const double elapsed = static_cast<double>(now - shared_.start_ns.load()) / kSecond;
  char line[160];
  // Rates over the last second: the line is shown about once a second.
  std::snprintf(line, sizeof line,
                "attestmq bench: %5.1f s  %-10s  sent %llu (%llu/s)  received %llu (%llu/s)",
                elapsed, phase.c_str(), static_cast<unsigned long long>(sent),
                static_cast<unsigned long long>(sent - shown_sent_),
                static_cast<unsigned long long>(received),
                static_cast<unsigned long long>(received - shown_received_));
  shown_sent_ = sent;
  shown_received_ = received;
  progress_line_.show(now, line);
}

bool Worker::join_subscribers(unsigned step, std::string& error) {
  for (Endpoint& endpoint : endpoints_) {
    Subscriber* subscriber = endpoint.subscriber;
    if (!subscriber || subscriber->join_step() <= joined_step_ || subscriber->join_step() > step)
      continue;
    subscriber->join();
    if (!subscriber->connection().flush(error)) return false;
  }
  joined_step_ = step;
  return true;
}

}  // namespace attestmq::app::bench

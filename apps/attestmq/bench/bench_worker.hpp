#pragma once
// One event loop (one thread) driving a share of the benchmark's connections: connect and
// subscribe everything, wait for the other workers, then run warmup, measurement and drain
// on a timeline common to all workers.
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_cpu.hpp"
#include "bench_peers.hpp"
#include "bench_progress.hpp"
#include "bench_timeline.hpp"

namespace attestmq::app::bench {

// What the workers of one run share.
struct SharedRun {
  SharedRun(unsigned workers, unsigned steps)
      : worker_count(workers),
        cpu(steps + 1),
        progress(std::make_unique<WorkerProgress[]>(workers)) {}
  const unsigned worker_count;
  std::atomic<unsigned> ready_workers{0};
  std::atomic<std::int64_t> start_ns{0};
  std::atomic<std::int64_t> stop_ns{0};  // when a stop signal ended the window; 0: it did not
  std::atomic<bool> failed{false};
  // Taken by worker 0 at the start of each step and at the window's end.
  std::vector<CpuSample> cpu;
  // Each worker's messages sent and received so far, for the progress line.
  struct alignas(64) WorkerProgress {
    std::atomic<std::uint64_t> sent{0};
    std::atomic<std::uint64_t> received{0};
  };
  std::unique_ptr<WorkerProgress[]> progress;

  // The run's timeline as it ended (shortened by a stop).
  Timeline timeline(const Options& options) const;
};

class Worker {
 public:
  Worker(const Options& options, const sockaddr_storage& address, socklen_t address_size,
         SharedRun& shared, unsigned index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void add(Publisher& publisher) { endpoints_.push_back({&publisher, nullptr}); }
  void add(Subscriber& subscriber) { endpoints_.push_back({nullptr, &subscriber}); }

  // Runs the whole benchmark for this worker's connections; false with `error` set if a
  // connection failed (the other workers then stop too).
  bool run(std::string& error);

 private:
  struct Endpoint {
    Publisher* publisher;
    Subscriber* subscriber;
    Connection& connection() const {
      return publisher ? publisher->connection() : subscriber->connection();
    }
  };

  bool connect_all(std::string& error);
  bool wait_for_other_workers(std::string& error);
  bool measure(Timeline timeline, std::string& error);
  // Worker 0: the CPU samples due at `now`, and the progress line.
  void sample_cpu_due(std::int64_t now, const Timeline& timeline);
  void show_progress(std::int64_t now, const Timeline& timeline);
  // Subscribers of a ramp whose step has come subscribe.
  bool join_subscribers(unsigned step, std::string& error);
  void disconnect_all();
  // Waits up to `timeout_ns` for socket events and handles them.
  bool poll(std::int64_t timeout_ns, const Timeline& timeline, std::string& error);
  std::int64_t next_wakeup(std::int64_t now, const Timeline& timeline) const;
  bool drained() const;

  const Options& options_;
  const sockaddr_storage& address_;
  socklen_t address_size_;
  SharedRun& shared_;
  unsigned index_;
  int epoll_fd_ = -1;
  std::deque<Endpoint> endpoints_;  // a deque: epoll events point at its elements
  unsigned joined_step_ = 0;
  unsigned next_cpu_sample_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  ProgressLine progress_line_;
  std::uint64_t shown_sent_ = 0;
  std::uint64_t shown_received_ = 0;
};

}  // namespace attestmq::app::bench

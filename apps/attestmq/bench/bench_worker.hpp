#pragma once
// One event loop (one thread) driving a share of the benchmark's connections: connect and
// subscribe everything, wait for the other workers, then run warmup, measurement and drain
// on a timeline common to all workers.
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "bench_cpu.hpp"
#include "bench_peers.hpp"

namespace attestmq::app::bench {

// What the workers of one run share.
struct SharedRun {
  explicit SharedRun(unsigned workers) : worker_count(workers) {}
  const unsigned worker_count;
  std::atomic<unsigned> ready_workers{0};
  std::atomic<std::int64_t> start_ns{0};
  std::atomic<bool> failed{false};
  // Taken by worker 0 at the edges of the measurement window.
  CpuTime generator_at_start, generator_at_end;
  std::optional<CpuTime> broker_at_start, broker_at_end;
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
  bool wait_for_other_workers();
  bool measure(const Timeline& timeline, std::string& error);
  void disconnect_all();
  // Waits up to `timeout_ns` for socket events and handles them.
  bool poll(std::int64_t timeout_ns, const Timeline& timeline, std::string& error);
  std::int64_t next_wakeup(std::int64_t now, const Timeline& timeline) const;
  bool drained() const;
  void sample_cpu(CpuTime& generator, std::optional<CpuTime>& broker) const;

  const Options& options_;
  const sockaddr_storage& address_;
  socklen_t address_size_;
  SharedRun& shared_;
  unsigned index_;
  int epoll_fd_ = -1;
  std::deque<Endpoint> endpoints_;  // a deque: epoll events point at its elements
};

}  // namespace attestmq::app::bench

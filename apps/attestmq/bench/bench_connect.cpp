#include "bench_connect.hpp"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "bench_connection.hpp"
#include "bench_peers.hpp"
#include "bench_progress.hpp"
#include "client/attestation.hpp"

namespace attestmq::app::bench {

namespace {

constexpr std::int64_t kMillisecond = 1'000'000;
constexpr std::int64_t kSecond = 1000 * kMillisecond;
constexpr std::int64_t kMaxWait = 100 * kMillisecond;
constexpr int kEventBatch = 256;

// Section 6.2: cached-mode evidence is the one whose session signature was checked.
bool is_cached(const attest::VerificationResult& result) {
  return std::any_of(result.checks.begin(), result.checks.end(),
                     [](const attest::Check& check) { return check.name == "cached.signature"; });
}

struct Connector {
  explicit Connector(std::string id) : client_id(std::move(id)) {}
  std::string client_id;
  Connection connection;
  std::int64_t opened_ns = 0;
  // --attest: this connection's verifier, and the REQUEST its CONNECT carries.
  std::optional<client::Attestation> attestation;
  std::optional<client::EnhancedAuthentication> authentication;
  std::uint64_t verify_ns = 0;  // spent verifying for this connection
};

// What the loops share: the CPU samples at the window's edges and the progress line, both
// loop 0's, and the time a stop signal ended the window.
struct SharedConnect {
  explicit SharedConnect(bool progress) : progress_line(progress) {}
  CpuSample start, end;
  std::atomic<std::int64_t> stop_ns{0};
  std::atomic<std::uint64_t> completed{0};  // for the progress line
  ProgressLine progress_line;
};

// One thread's share of the clients and their event loop.
class ConnectLoop {
 public:
  ConnectLoop(const Options& options, const sockaddr_storage& address, socklen_t address_size,
              std::atomic<bool>& failed, SharedConnect& shared)
      : options_(options),
        address_(address),
        address_size_(address_size),
        failed_(failed),
        shared_(shared) {}
  ~ConnectLoop() {
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
  }
  ConnectLoop(const ConnectLoop&) = delete;
  ConnectLoop& operator=(const ConnectLoop&) = delete;

  void add(std::string client_id) { connectors_.emplace_back(std::move(client_id)); }
  // Loop 0 samples the CPU and shows the progress line.
  bool run(Timeline timeline, bool first, std::string& error);

  std::uint64_t completed() const { return completed_; }
  std::uint64_t cached_evidence() const { return cached_evidence_; }
  std::uint64_t verify_ns() const { return verify_ns_; }
  const LatencyHistogram& latency() const { return latency_; }

 private:
  bool open(Connector& connector, std::string& error);
  // Handles one epoll event; sets `done` when the CONNACK came and the connection is closed.
  bool on_event(Connector& connector, std::uint32_t events, const Timeline& timeline, bool& done,
                std::string& error);
  // Transport B: the broker's EVIDENCE in AUTH 0x18, verified and answered (section 7.2).
  bool on_auth(Connector& connector, const mqtt::Auth& auth, std::string& error);

  const Options& options_;
  const sockaddr_storage& address_;
  socklen_t address_size_;
  std::atomic<bool>& failed_;
  SharedConnect& shared_;
  int epoll_fd_ = -1;
  std::deque<Connector> connectors_;  // a deque: epoll events point at its elements
  std::uint64_t completed_ = 0;
  std::uint64_t cached_evidence_ = 0;
  std::uint64_t verify_ns_ = 0;
  LatencyHistogram latency_;
};

bool ConnectLoop::run(Timeline timeline, bool first, std::string& error) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    error = std::string("epoll_create1: ") + std::strerror(errno);
    return false;
  }
  for (Connector& connector : connectors_) {
    if (!open(connector, error)) return false;
  }
  bool started = false;
  std::vector<Connector*> finished;
  for (;;) {
    const std::int64_t now = monotonic_ns();
    observe_stop(shared_.stop_ns, now, timeline);
    if (first && !started && now >= timeline.measure_start) {
      shared_.start = sample_cpu(options_.broker_pid);
      started = true;
    }
    if (now >= timeline.measure_end) {
      if (first) {
        if (!started) shared_.start = sample_cpu(options_.broker_pid);
        shared_.end = sample_cpu(options_.broker_pid);
        shared_.progress_line.finish();
      }
      return true;
    }
    if (first && shared_.progress_line.due(now)) {
      shared_.progress_line.show(
          now, "attestmq bench: " + std::string(started ? "measuring" : "warmup") + ", " +
                   std::to_string(shared_.completed.load()) + " connections measured");
    }
    if (failed_) return false;
    const std::int64_t wait =
        std::min({kMaxWait, timeline.measure_end - now,
                  started ? kMaxWait : std::max<std::int64_t>(timeline.measure_start - now, 0)});
    const timespec timeout{static_cast<time_t>(wait / kSecond), static_cast<long>(wait % kSecond)};
    epoll_event events[kEventBatch];
    const int count = ::epoll_pwait2(epoll_fd_, events, kEventBatch, &timeout, nullptr);
    if (count < 0 && errno != EINTR) {
      error = std::string("epoll_pwait2: ") + std::strerror(errno);
      return false;
    }
    finished.clear();
    for (int i = 0; i < count; ++i) {
      auto& connector = *static_cast<Connector*>(events[i].data.ptr);
      bool done = false;
      if (!on_event(connector, events[i].events, timeline, done, error)) {
        error = connector.client_id + ": " + error;
        return false;
      }
      if (done) finished.push_back(&connector);
    }
    // Reopened only after the batch: a later event of the batch may name a closed connector,
    // and must not be mistaken for its new socket's.
    for (Connector* connector : finished) {
      if (!open(*connector, error)) return false;
    }
  }
}

bool ConnectLoop::open(Connector& connector, std::string& error) {
  connector.opened_ns = monotonic_ns();
  if (!connector.connection.open(address_, address_size_, epoll_fd_, &connector,
                                 options_.tls_context, error)) {
    return false;
  }
  mqtt::Connect connect = make_connect(options_, connector.client_id);
  if (options_.attest && !options_.attest_in_handshake) {
    connector.attestation = client::Attestation::before_handshake(
        *connector.connection.tls_session(), *options_.attest);
    if (options_.evidence_per_session) connector.attestation->require_per_session();
    connector.authentication = connector.attestation->authentication();
    connector.verify_ns = 0;
    connect.properties.authentication_method = std::string_view(connector.authentication->method);
    connect.properties.authentication_data = mqtt::Bytes(connector.authentication->data);
  }
  connector.connection.queue(connect, options_.version);
  return true;
}

bool ConnectLoop::on_auth(Connector& connector, const mqtt::Auth& auth, std::string& error) {
  if (!connector.authentication || auth.reason != mqtt::ReasonCode::ContinueAuthentication ||
      !auth.properties.authentication_data) {
    return unexpected(mqtt::Packet(auth), connector.client_id, error);
  }
  const std::int64_t start = monotonic_ns();
  auto answer = connector.authentication->respond(*auth.properties.authentication_data, error);
  connector.verify_ns += static_cast<std::uint64_t>(monotonic_ns() - start);
  if (!answer) {
    error = connector.client_id + ": attestation refused: " + error;
    return false;
  }
  mqtt::Auth reply;
  reply.reason = mqtt::ReasonCode::ContinueAuthentication;
  reply.properties.authentication_method = auth.properties.authentication_method;
  reply.properties.authentication_data = mqtt::Bytes(*answer);
  connector.connection.queue(reply, options_.version);
  return true;
}

bool ConnectLoop::on_event(Connector& connector, std::uint32_t events, const Timeline& timeline,
                           bool& done, std::string& error) {
  Connection& connection = connector.connection;
  if (!connection.is_open()) return true;  // closed earlier in this batch
  if ((events & (EPOLLOUT | EPOLLERR)) && !connection.on_writable(error)) return false;
  if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))) return true;
  const bool ok = connection.receive(
      options_.version,
      [&](const mqtt::Packet& packet) {
        if (const auto* auth = std::get_if<mqtt::Auth>(&packet)) {
          return on_auth(connector, *auth, error);
        }
        const auto* connack = std::get_if<mqtt::Connack>(&packet);
        if (!connack) return unexpected(packet, connector.client_id, error);
        if (!check_connack(*connack, connector.client_id, error)) return false;
        done = true;
        return false;  // nothing else is read on this connection
      },
      error);
  if (!done) return ok && connection.flush(error);
  const std::int64_t now = monotonic_ns();
  if (timeline.arrival_step(now) >= 0) {
    ++completed_;
    shared_.completed.fetch_add(1, std::memory_order_relaxed);
    if (connector.attestation && connector.attestation->result() &&
        is_cached(*connector.attestation->result())) {
      ++cached_evidence_;
    }
    verify_ns_ += connector.verify_ns;
    latency_.record(static_cast<std::uint64_t>(now - connector.opened_ns));
  }
  // MQTT 5.0 section 3.14: a normal DISCONNECT, so the broker discards no will and logs no error.
  std::string ignored;
  connection.queue(mqtt::Disconnect{}, options_.version);
  connection.flush(ignored);
  // Both refer to the TLS session that close() ends.
  connector.authentication.reset();
  connector.attestation.reset();
  connection.close();
  error.clear();
  return true;
}

}  // namespace

bool run_connect_scenario(const Options& options, const sockaddr_storage& address,
                          socklen_t address_size, ConnectReport& report, std::string& error) {
  std::atomic<bool> failed{false};
  SharedConnect shared(options.progress);
  std::vector<std::unique_ptr<ConnectLoop>> loops;
  for (unsigned t = 0; t < options.threads; ++t) {
    loops.push_back(std::make_unique<ConnectLoop>(options, address, address_size, failed, shared));
  }
  for (unsigned i = 0; i < options.clients; ++i) {
    loops[i % options.threads]->add("attestmq-bench-" + std::to_string(::getpid()) + "-conn" +
                                    std::to_string(i));
  }
  Timeline timeline = Timeline::of(options, monotonic_ns());

  std::vector<std::string> errors(options.threads);
  std::vector<std::thread> threads;
  const auto run_loop = [&](unsigned t) {
    if (!loops[t]->run(timeline, t == 0, errors[t])) failed = true;
  };
  for (unsigned t = 1; t < options.threads; ++t) threads.emplace_back(run_loop, t);
  run_loop(0);
  for (auto& thread : threads) thread.join();
  if (failed) {
    for (const auto& message : errors) {
      if (!message.empty()) error += (error.empty() ? "" : "; ") + message;
    }
    return false;
  }
  if (const std::int64_t stopped = shared.stop_ns.load(); stopped != 0) timeline.stop_at(stopped);
  report.stopped = timeline.stopped();
  report.seconds = timeline.step_seconds(0);
  for (const auto& loop : loops) {
    report.completed += loop->completed();
    report.cached_evidence += loop->cached_evidence();
    report.verify_ns += loop->verify_ns();
    report.latency.merge(loop->latency());
  }
  report.per_s = report.seconds > 0 ? static_cast<double>(report.completed) / report.seconds : 0;
  report.generator_cpu = shared.end.generator - shared.start.generator;
  report.generator_busy = busy_share(shared.start, shared.end, options.threads);
  if (shared.start.broker && shared.end.broker) {
    report.broker_cpu = *shared.end.broker - *shared.start.broker;
  }
  return true;
}

void print_text(const Options& options, const ConnectReport& report, std::FILE* out) {
  std::fprintf(out, "scenario   connect: %u client(s) reconnecting in a loop, %s, MQTT %s\n",
               options.clients, !options.attest                ? (options.tls ? "TLS" : "plain TCP")
               : options.attest_in_handshake ? "TLS, attested in the handshake (transport A)"
                                             : "TLS, attested (transport B)",
               options.version == mqtt::Version::v5 ? "5" : "3.1.1");
  std::fprintf(out, "window     %.1f s measured after %.1f s warmup%s\n", report.seconds,
               options.warmup_s, report.stopped ? ", stopped early" : "");
  std::fprintf(out, "connected  %12.0f conn/s  (%llu CONNACKs)\n", report.per_s,
               static_cast<unsigned long long>(report.completed));
  std::fprintf(out, "connect us  p50 %.1f  p99 %.1f  max %.1f  (socket to CONNACK)\n",
               microseconds(report.latency.value_at(0.50)),
               microseconds(report.latency.value_at(0.99)),
               microseconds(report.latency.value_at(1.0)));
  if (options.attest && !options.attest_in_handshake) {
    std::fprintf(out, "verify us  %.1f per connection (the broker's evidence, section 7.5)\n",
                 report.completed ? microseconds(report.verify_ns) / report.completed : 0.0);
    std::fprintf(out, "evidence   %llu cached, %llu per-session (docs/attestation.md section 6)\n",
                 static_cast<unsigned long long>(report.cached_evidence),
                 static_cast<unsigned long long>(report.completed - report.cached_evidence));
  }
  std::fprintf(out, "generator  %.2f CPU s, %.0f%% busy\n", report.generator_cpu.total(),
               100 * report.generator_busy);
  if (report.broker_cpu) {
    std::fprintf(out, "broker     %.2f CPU s, %.1f us per connection\n", report.broker_cpu->total(),
                 report.completed ? report.broker_cpu->total() * 1e6 / report.completed : 0.0);
  }
}

nlohmann::json to_json(const Options& options, const ConnectReport& report) {
  const auto cpu = [&](const CpuTime& time) {
    return nlohmann::json{{"user_s", time.user_s},
                          {"system_s", time.system_s},
                          {"total_s", time.total()}};
  };
  nlohmann::json result = {
      {"scenario", "connect"},
      {"clients", options.clients},
      {"tls", options.tls},
      {"attest", !options.attest                ? nlohmann::json(nullptr)
                 : options.attest_in_handshake ? nlohmann::json("handshake")
                                               : nlohmann::json("auth")},
      {"mqtt_version", options.version == mqtt::Version::v5 ? "5" : "3.1.1"},
      {"duration_s", report.seconds},
      {"stopped_early", report.stopped},
      {"warmup_s", options.warmup_s},
      {"threads", options.threads},
      {"connections", report.completed},
      {"connections_per_s", report.per_s},
      {"connect_latency_us",
       {{"p50", microseconds(report.latency.value_at(0.50))},
        {"p99", microseconds(report.latency.value_at(0.99))},
        {"max", microseconds(report.latency.value_at(1.0))},
        {"mean", report.latency.mean() / 1000.0},
        {"samples", report.latency.count()}}},
      {"generator_cpu", cpu(report.generator_cpu)},
      {"generator_busy", report.generator_busy},
  };
  if (options.attest && !options.attest_in_handshake) {
    result["verify_us_per_connection"] =
        report.completed ? microseconds(report.verify_ns) / report.completed : 0.0;
    result["evidence"] = {{"requested", options.evidence_per_session ? "per-session" : "cached"},
                          {"cached", report.cached_evidence},
                          {"per_session", report.completed - report.cached_evidence}};
  }
  result["broker_cpu"] = report.broker_cpu ? cpu(*report.broker_cpu) : nlohmann::json(nullptr);
  return result;
}

}  // namespace attestmq::app::bench

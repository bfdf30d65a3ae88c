#include "wasm/runner/enclave/enclave.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "attest/common/hex.hpp"
#include "wasm/runner/guard_pages.hpp"

namespace attestmq::wasm {
namespace {

// The most the loop waits between two ticks when the engine asks for none sooner.
constexpr std::uint64_t kMaxTickMs = 1000;

}  // namespace

std::uint64_t Enclave::now_ms() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000 + static_cast<std::uint64_t>(now.tv_nsec) / 1'000'000;
}

std::variant<std::unique_ptr<Enclave>, std::string> Enclave::create(config::BrokerConfig host_view,
                                                                    std::string configure_arguments) {
  auto logger = server::Logger::open(host_view.log, false);
  if (auto* error = std::get_if<std::string>(&logger)) return std::move(*error);
  std::unique_ptr<Enclave> enclave;
  try {
    enclave.reset(new Enclave(std::move(host_view), std::move(configure_arguments), std::move(std::get<0>(logger))));
  } catch (const std::runtime_error& error) {
    // The runner could not set up the module's memory bounds, or the module's _initialize trapped.
    return std::string(error.what());
  }
  enclave->epoll_ = server::UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
  enclave->wake_ = server::UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!enclave->epoll_ || !enclave->wake_) return std::string("epoll: ") + std::strerror(errno);
  epoll_event wake{EPOLLIN, {.u64 = kWakeTag}};
  ::epoll_ctl(enclave->epoll_.get(), EPOLL_CTL_ADD, enclave->wake_.get(), &wake);
  // The provider and the module first: nobody can connect to a broker that is not ready to
  // attest, or whose configuration does not load.
  std::string error;
  if (!enclave->start_provider(error)) return error;
  if (!enclave->open_store(error)) return error;
  if (!enclave->configure_guest(error)) return error;
  auto opened = server::open_listen_sockets(enclave->host_view_.listeners);
  if (auto* open_error = std::get_if<std::string>(&opened)) return std::move(*open_error);
  auto& sockets = std::get<server::OpenedSockets>(opened);
  for (const auto& skipped : sockets.skipped) enclave->log(log_level::kNotice, "Skipped " + skipped);
  for (std::size_t index = 0; index < sockets.sockets.size(); ++index) {
    const server::ListenSocket& socket = sockets.sockets[index];
    enclave->addresses_.push_back({socket.ipv6, socket.address, socket.port});
    enclave->log(log_level::kNotice, std::string("Opening ") + (socket.ipv6 ? "ipv6" : "ipv4") +
                                         " listen socket on " + socket.address + " port " +
                                         std::to_string(socket.port) + ".");
    epoll_event event{EPOLLIN, {.u64 = kListenTag | index}};
    ::epoll_ctl(enclave->epoll_.get(), EPOLL_CTL_ADD, socket.fd.get(), &event);
  }
  enclave->accept_paused_until_ms_.assign(sockets.sockets.size(), 0);
  enclave->listen_sockets_ = std::move(sockets.sockets);
  return enclave;
}

Enclave::Enclave(config::BrokerConfig host_view, std::string configure_arguments,
                 std::unique_ptr<server::Logger> logger)
    : host_view_(std::move(host_view)),
      configure_arguments_(std::move(configure_arguments)),
      logger_(std::move(logger)),
      // The module reads its configuration, certificates, keys, password and ACL files
      // through a read-only view of the host's filesystem (wasi_files.cpp).
      runner_(std::make_unique<Runner<EngineModule>>(host_calls(), std::vector<Preopen>{{"/", "/"}})),
      admission_(host_view_.listeners, host_view_.tcp_nodelay),
      open_per_listener_(host_view_.listeners.size(), 0),
      read_buffer_(kReadChunk) {}

Enclave::~Enclave() = default;

HostCalls Enclave::host_calls() {
  return {.send = [this](std::uint32_t conn, std::span<const std::uint8_t> bytes) { return guest_send(conn, bytes); },
          .close = [this](std::uint32_t conn) { guest_close(conn); },
          .log = [this](std::uint32_t level, std::string_view line) { log(level, line); },
          .evidence = [this](std::span<const std::uint8_t, 64> report_data, std::vector<std::uint8_t>& answer) {
            return evidence(report_data, answer);
          },
          .store_put = [this](std::uint8_t kind, std::span<const std::uint8_t> key, std::span<const std::uint8_t> value) {
            if (!store_) return false;
            store_->put(static_cast<broker::RecordKind>(kind), key, value);
            return true;
          },
          .store_erase = [this](std::uint8_t kind, std::span<const std::uint8_t> key) {
            if (!store_) return false;
            store_->erase(static_cast<broker::RecordKind>(kind), key);
            return true;
          },
          .hold = [this](std::uint32_t conn) { hold(conn); },
          .store_commit = [this] {
            if (!store_) return false;
            // Asked once, for a sealed database's new epoch: synced before the counter moves.
            if (auto error = store_->commit_synced()) {
              log(log_level::kError, *error);
              return false;
            }
            return true;
          },
          .sealing_key = [this](std::vector<std::uint8_t>& answer) {
            const auto reason = [&answer](std::string_view text) {
              answer.assign(text.begin(), text.end());
              return false;
            };
            if (!provider_) return reason("this runner has no TEE provider (--tee)");
            attest::SealingKeyOutcome key = provider_->sealing_key();
            if (key.key.empty()) return reason(key.error);
            log(log_level::kNotice, "Sealing key for the module: " + key.origin + ".");
            answer = std::move(key.key);
            return true;
          },
          .counter = [this](std::uint64_t at_least) -> std::optional<std::uint64_t> {
            if (!provider_) return std::nullopt;
            attest::CounterOutcome counted = provider_->raise_counter(at_least);
            if (!counted.value) log(log_level::kError, "TEE counter: " + counted.error);
            return counted.value;
          }};
}

std::optional<std::array<std::uint8_t, 32>> Enclave::measurement_from_hex(std::string_view hex) {
  const auto bytes = attest::from_hex(hex);
  std::array<std::uint8_t, 32> measurement{};
  if (!bytes || bytes->size() != measurement.size()) return std::nullopt;
  std::copy(bytes->begin(), bytes->end(), measurement.begin());
  return measurement;
}

bool Enclave::start_provider(std::string& error) {
  const std::string& tee = host_view_.tee;
  if (tee == "none") return true;
  const auto module = measurement_from_hex(kAttestmqEngineSha256);
  // A build whose measurement is not a SHA-256 would attest nothing: refuse to attest at all.
  if (!module) {
    error = "tee " + tee + ": the module measurement compiled into this runner is not a SHA-256";
    return false;
  }
  attest::ProviderConfig config;
  config.kind = tee;
  config.sim_key_file = host_view_.tee_sim_key_file;
  // The sim TEE reports the module's measurement, as a real one would report the enclave's.
  config.sim_measurement = *module;
  provider_ = attest::make_provider(config, error);
  if (!provider_) {
    error = "tee " + tee + ": " + error;
    return false;
  }
  const auto add = [this](std::string_view name, std::string_view value) {
    configure_arguments_.append(name).append("=").append(value).push_back('\0');
  };
  add("evidence_type", attest::to_string(provider_->type()));
  add("module_sha256", kAttestmqEngineSha256);
  if (provider_->has_counter()) add("counter", "1");
  log(log_level::kNotice, provider_->description());
  log(log_level::kNotice, std::string("Module SHA-256 in every piece of evidence: ") +
                              std::string(kAttestmqEngineSha256));
  return true;
}

// The module's evidence import. Runs while guest code is on the stack: nothing may throw.
bool Enclave::evidence(std::span<const std::uint8_t, 64> report_data, std::vector<std::uint8_t>& answer) {
  const auto reason = [&answer](std::string_view text) {
    answer.assign(text.begin(), text.end());
    return false;
  };
  if (!provider_) return reason("this runner has no TEE provider (--tee)");
  try {
    attest::ReportData data{};
    std::copy(report_data.begin(), report_data.end(), data.begin());
    attest::ProviderOutcome outcome = provider_->evidence(data);
    if (!outcome.evidence) {
      return reason(outcome.error.empty() ? provider_->description() + " made no evidence"
                                          : outcome.error);
    }
    answer = std::move(outcome.evidence->bytes);
    return true;
  } catch (const std::exception& error) {
    return reason(std::string("the TEE provider failed: ") + error.what());
  }
}

void Enclave::log(std::uint32_t level, std::string_view line) {
  const auto broker_level = static_cast<broker::LogLevel>(std::min(level, log_level::kError));
  if (logger_->enabled(broker_level)) logger_->log(broker_level, line);
}

// The module's own reading of the configuration; the arguments go through its input buffer.
bool Enclave::configure_guest(std::string& error) {
  std::uint32_t status = 1;
  const bool ran = runner_->batch([&](EngineModule::Instance& guest) {
    input_buffer_ = Z_attestmq_engineZ_attestmq_input_buffer(&guest, kReadChunk);
  }) == WASM_RT_TRAP_NONE;
  const auto target = runner_->memory().span(input_buffer_, configure_arguments_.size());
  if (ran && target && configure_arguments_.size() <= kReadChunk) {
    std::memcpy(target->data(), configure_arguments_.data(), configure_arguments_.size());
    runner_->batch([&](EngineModule::Instance& guest) {
      status = Z_attestmq_engineZ_attestmq_configure(&guest, static_cast<std::uint32_t>(configure_arguments_.size()));
    });
  }
  if (status != 0) {
    error = "the engine module refused its configuration (the reason is logged above)";
    return false;
  }
  return restore_guest(error);
}

void Enclave::recover_from_trap() {
  // The connections' TLS and MQTT state died with the instance: nothing more can be said on
  // them, so each is closed, and the new instance starts with none.
  const std::size_t lost = connections_.size();
  for (auto& [conn, connection] : connections_) {
    open_per_listener_[connection.listener] -= 1;
  }
  connections_.clear();
  touched_.clear();
  holding_.clear();
  log(log_level::kError, "Closed " + std::to_string(lost) + " connections of the trapped instance.");
  // Nothing that depends on the trapped instance's last changes was let out (their output was
  // held): they are dropped, and the new instance starts from what was committed.
  if (store_) store_->discard();
  std::string error;
  if (!configure_guest(error)) {
    log(log_level::kError, "The new instance cannot start: " + error + "; stopping.");
    request_stop();
  }
}

void Enclave::run() {
  const std::string& version = host_view_.settings.version_string;
  log(log_level::kNotice, version + " running in attestmq-enclave, module SHA-256 " +
                              std::string(kAttestmqEngineSha256) + ", guest memory bounded by " +
                              std::string(guard_pages::kBoundsDescription));
  while (run_once(-1)) {
  }
  log(log_level::kNotice, version + " terminating");
}

bool Enclave::run_once(int max_wait_ms) {
  if (stop_requested_.load() && !stopping_) begin_stopping();
  if (stopping_ && connections_.empty()) {
    make_durable(true);  // the last connections' changes (their ends, their last PUBACKs)
    return false;
  }
  if (reload_requested_.exchange(false)) {
    call_guest([](EngineModule::Instance& guest) { Z_attestmq_engineZ_attestmq_reload(&guest); });
    flush_touched();
  }
  int timeout = run_timers();
  if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms)) timeout = max_wait_ms;
  const bool changes_wait = make_durable(stopping_);
  epoll_event events[256];
  int ready = 0;
  if (timeout != 0 && changes_wait) {
    // As the native reactor: changes wait for others only while events keep arriving.
    ready = ::epoll_wait(epoll_.get(), events, 256, 0);
    if (ready == 0) make_durable(true);
  }
  if (ready == 0) ready = ::epoll_wait(epoll_.get(), events, 256, timeout);
  for (int index = 0; index < ready; ++index) handle_event(events[index].data.u64, events[index].events);
  // Written once per batch of events, as the native reactor does: what the inputs of one
  // batch sent to a connection (a subscriber hearing many publishers) leaves in one send().
  flush_touched();
  return true;
}

// The engine says goodbye (DISCONNECT 0x8B to 5.0 clients) and closes its connections; the
// runner closes whatever is left, and the loop ends once every one finished closing.
void Enclave::begin_stopping() {
  stopping_ = true;
  listen_sockets_.clear();  // no new connections from here on
  call_guest([](EngineModule::Instance& guest) { Z_attestmq_engineZ_attestmq_shutdown(&guest); });
  flush_touched();
  std::vector<std::uint32_t> open;
  for (const auto& [conn, connection] : connections_) {
    if (!connection.closing) open.push_back(conn);
  }
  for (const std::uint32_t conn : open) guest_close(conn);
  flush_touched();
}

void Enclave::request_stop() {
  stop_requested_.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_.get(), &one, sizeof one);
}

void Enclave::request_reload() {
  reload_requested_.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_.get(), &one, sizeof one);
}

// The engine's tick when it is due, and the closing deadlines; returns epoll_wait's timeout.
int Enclave::run_timers() {
  std::uint64_t now = now_ms();
  if (now >= next_tick_at_ms_) {
    std::uint64_t next = kMaxTickMs;
    call_guest([&](EngineModule::Instance& guest) { next = Z_attestmq_engineZ_attestmq_tick(&guest); });
    flush_touched();
    next_tick_at_ms_ = now + std::clamp<std::uint64_t>(next, 1, kMaxTickMs);
  }
  const int closing = close_deadlines_.expire(now, [&](std::uint64_t conn) {
    const auto it = connections_.find(static_cast<std::uint32_t>(conn));
    if (it == connections_.end()) return;
    log(log_level::kInfo, "Client connection from " + it->second.peer + " did not finish closing in time (" +
                              std::to_string(it->second.unwritten()) + " bytes unsent), closing it.");
    release(static_cast<std::uint32_t>(conn));
  });
  const int tick = static_cast<int>(next_tick_at_ms_ - std::min(now, next_tick_at_ms_));
  const int accepting = resume_accepting(now);
  int timeout = closing < 0 ? tick : std::min(tick, closing);
  return accepting < 0 ? timeout : std::min(timeout, accepting);
}

void Enclave::handle_event(std::uint64_t tag, std::uint32_t events) {
  if (tag == kWakeTag) {
    std::uint64_t count = 0;
    [[maybe_unused]] const ssize_t got = ::read(wake_.get(), &count, sizeof count);
    return;
  }
  if (tag & kListenTag) return accept_from(static_cast<std::size_t>(tag & ~kListenTag));
  const auto conn = static_cast<std::uint32_t>(tag);
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_from(conn);
  const auto it = connections_.find(conn);
  if (it != connections_.end() && (events & EPOLLOUT)) {
    touched_.push_back(conn);
  }
}

}  // namespace attestmq::wasm

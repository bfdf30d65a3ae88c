// The public face of the engine: every call enters through a scope that defers erasing
// connections the host reports closed while the engine is still using them (the host may
// call Engine::closed() from inside Host::close()).
#include "broker/engine.hpp"

#include "broker/engine_impl.hpp"

namespace attestmq::broker {

namespace {

template <class Impl>
class CallScope {
 public:
  explicit CallScope(Impl& impl) : impl_(impl) { ++impl_.call_depth; }
  ~CallScope() {
    if (--impl_.call_depth == 0) impl_.flush_gone();
  }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  Impl& impl_;
};

}  // namespace

Engine::Impl::Impl(Host& host_, Settings settings_)
    : host(host_), settings(std::move(settings_)), store(host_.store()) {
  if (settings.listeners.empty()) settings.listeners.emplace_back();
  started_ms = host.now_ms();
  started_wall_s = host.wall_clock_s();
  if (settings.sys_interval_s != 0) {
    publish_sys();
    next_sys_ms = started_ms + std::uint64_t{settings.sys_interval_s} * 1000;
  }
}

void Engine::Impl::flush_gone() {
  for (ConnId id : gone) connections.erase(id);
  gone.clear();
}

Engine::Engine(Host& host, Settings settings)
    : impl_(std::make_unique<Impl>(host, std::move(settings))) {}

Engine::~Engine() = default;

std::optional<std::string> Engine::restore(RecordKind kind, std::span<const std::uint8_t> key,
                                           std::span<const std::uint8_t> value) {
  CallScope scope(*impl_);
  return impl_->restore(kind, key, value);
}

void Engine::open(ConnId conn, const ConnectionInfo& info) {
  CallScope scope(*impl_);
  // A host that reuses an id without reporting the old connection closed: end it first.
  if (auto old = impl_->connections.find(conn); old != impl_->connections.end()) {
    if (!old->second->transport_gone) impl_->on_transport_closed(*old->second);
    std::erase(impl_->gone, conn);
    impl_->connections.erase(old);
  }
  auto connection = std::make_unique<Connection>();
  connection->id = conn;
  connection->info = info;
  if (connection->info.listener >= impl_->settings.listeners.size()) connection->info.listener = 0;
  connection->opened_ms = connection->last_packet_ms = impl_->now();
  Connection& opened = *(impl_->connections[conn] = std::move(connection));
  impl_->arm_timer(opened);  // connect_timeout: half-open connections end (timers.cpp)
}

void Engine::input(ConnId conn, std::span<const std::uint8_t> bytes) {
  CallScope scope(*impl_);
  auto it = impl_->connections.find(conn);
  if (it == impl_->connections.end()) return;
  impl_->input(*it->second, bytes);
}

void Engine::writable(ConnId conn) {
  CallScope scope(*impl_);
  auto it = impl_->connections.find(conn);
  if (it == impl_->connections.end()) return;
  Connection& connection = *it->second;
  connection.paused = false;
  if (connection.state == ConnectionState::connected) impl_->pump(impl_->session_of(connection));
}

void Engine::closed(ConnId conn) {
  CallScope scope(*impl_);
  auto it = impl_->connections.find(conn);
  if (it == impl_->connections.end() || it->second->transport_gone) return;
  impl_->on_transport_closed(*it->second);
}

void Engine::password_checked(ConnId conn, PasswordVerdict verdict) {
  CallScope scope(*impl_);
  auto it = impl_->connections.find(conn);
  if (it == impl_->connections.end()) return;
  impl_->on_password_checked(*it->second, verdict);
}

void Engine::authentication_answered(ConnId conn, AuthenticationOutcome outcome) {
  CallScope scope(*impl_);
  auto it = impl_->connections.find(conn);
  if (it == impl_->connections.end()) return;
  impl_->on_authentication_answered(*it->second, std::move(outcome));
}

void Engine::tick() {
  CallScope scope(*impl_);
  impl_->tick();
}

std::uint64_t Engine::next_tick_ms() const { return impl_->next_tick_ms(); }

void Engine::shutdown() {
  CallScope scope(*impl_);
  impl_->shutdown();
}

void Engine::update_listener_policies(std::vector<ListenerPolicy> policies) {
  CallScope scope(*impl_);
  impl_->update_listener_policies(std::move(policies));
}

EngineStats Engine::stats() const {
  EngineStats stats = impl_->counters;
  stats.subscriptions = impl_->index.size();
  stats.retained_messages = impl_->retained.size();
  stats.clients_total = impl_->session_by_client.size();
  return stats;
}

}  // namespace attestmq::broker

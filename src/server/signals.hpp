#pragma once
// Signals for a running broker, native (Server) or enclave (the Wasm runner): SIGINT and
// SIGTERM stop it, SIGHUP reloads, SIGPIPE is ignored.
#include <signal.h>

namespace attestmq::server {

// What the signal handlers call: both must be async-signal-safe.
class SignalTarget {
 public:
  virtual void request_stop() = 0;
  virtual void request_reload() = 0;

 protected:
  ~SignalTarget() = default;
};

// While alive, SIGINT and SIGTERM stop `target` gracefully, SIGHUP asks it to reload its
// files (the broker's: TLS certificates and keys, password files and ACL files), and SIGPIPE
// is ignored; the previous dispositions come back when it goes. One at a time per process.
class StopOnSignals {
 public:
  explicit StopOnSignals(SignalTarget& target);
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
  struct sigaction previous_hup_ {};
  struct sigaction previous_pipe_ {};
};

// While alive, the calling thread holds SIGINT, SIGTERM and SIGHUP pending instead of taking
// their default action (which ends the process). Created before Server::create and dropped
// once StopOnSignals is in place, it keeps a signal that arrives while the listen sockets are
// already open from killing the broker instead of stopping or reloading it.
class HoldStopSignals {
 public:
  HoldStopSignals();
  ~HoldStopSignals();  // the held signals are delivered now
  HoldStopSignals(const HoldStopSignals&) = delete;
  HoldStopSignals& operator=(const HoldStopSignals&) = delete;

 private:
  sigset_t previous_{};
};

}  // namespace attestmq::server

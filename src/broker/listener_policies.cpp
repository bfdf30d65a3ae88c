// The listeners' security policies (password_file, acl_file) and what each session may do
// under them: resolved at CONNECT, and again for every session when the host replaces the
// policies (the native server does on SIGHUP, after reading the files again).
#include <string>

#include "broker/access_control.hpp"
#include "broker/engine_impl.hpp"

namespace attestmq::broker {

void Engine::Impl::resolve_access(Session& session) {
  // The acl_file's rules for this client id, username and attested claims, substituted once
  // (access_control).
  const auto& acl = settings.listeners[session.listener].acl;
  session.access =
      acl ? acl->for_client(session.client_id, session.username,
                            session.attested ? &*session.attested : nullptr)
          : nullptr;
}

void Engine::Impl::update_listener_policies(std::vector<ListenerPolicy> policies) {
  if (policies.size() != settings.listeners.size()) {
    log_line(LogLevel::error, "Listener policies not replaced: " + std::to_string(policies.size()) +
                                  " given for " + std::to_string(settings.listeners.size()) +
                                  " listeners.");
    return;
  }
  settings.listeners = std::move(policies);
  for (const auto& session : sessions) {
    if (session && session->in_use) resolve_access(*session);
  }
}

}  // namespace attestmq::broker

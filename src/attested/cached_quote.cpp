#include "attested/cached_quote.hpp"

namespace attestmq::attested {

std::shared_ptr<const attest::session::CachedEvidence> CachedQuote::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

bool CachedQuote::refresh(attest::Provider& provider, const attest::Software& software,
                          std::uint64_t issued_at, std::string& error) {
  // Made outside the lock: a quote may take tens of milliseconds, and sessions keep being
  // signed with the previous pair meanwhile.
  auto fresh = attest::session::CachedEvidence::make(provider, software, issued_at, error);
  if (!fresh) return false;
  std::lock_guard lock(mutex_);
  current_ = std::move(fresh);  // the previous K is freed once no session still signs with it
  return true;
}

}  // namespace attestmq::attested

#pragma once
// One listener's cached evidence (docs/attestation.md section 6.2): the current key K and
// cached envelope, replaced whole by each successful refresh and kept on a failed one. In the
// native server, read by every reactor thread and refreshed by the refresher thread.
#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "attest/common/cache_mutex.hpp"
#include "attest/provider/provider.hpp"
#include "attest/session/cached_evidence.hpp"

namespace attestmq::attested {

class CachedQuote {
 public:
  // The pair to sign sessions with; null before the first successful refresh.
  std::shared_ptr<const attest::session::CachedEvidence> current() const;

  // Section 6.2 steps 1 and 2 at `issued_at` (seconds since 1970): a new K and a new quote.
  // On failure the previous pair stays current and `error` says why.
  bool refresh(attest::Provider& provider, const attest::Software& software, std::uint64_t issued_at,
               std::string& error);

 private:
  mutable attest::CacheMutex mutex_;
  std::shared_ptr<const attest::session::CachedEvidence> current_;
};

}  // namespace attestmq::attested

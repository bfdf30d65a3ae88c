#pragma once
// Sealing under the broker's TEE provider (docs/persistence.md, "Sealed records"), for both
// hosts: `attestmq broker --tee` seals on its way to its SQLite database, the Wasm module on
// its way to the runner's.
#include <memory>
#include <string>
#include <variant>

#include "attest/envelope/claims.hpp"
#include "attest/provider/provider.hpp"
#include "broker/store.hpp"
#include "config/broker_config.hpp"
#include "store/sealed_store.hpp"

namespace attestmq::attested {

// A SealedStore over `database`, under the provider's sealing key and counter, bound to the
// measurement in `software`. The provider must outlive it. Refused, with the reason, when
// the TEE has no sealing key: records are never written unsealed under a TEE.
std::variant<std::unique_ptr<store::SealedStore>, std::string> seal_with(attest::Provider& provider,
                                                                         broker::Store& database,
                                                                         const attest::Software& software,
                                                                         const config::PersistenceConfig& persistence);

}  // namespace attestmq::attested

#include "attested/sealing.hpp"

#include <openssl/crypto.h>

namespace attestmq::attested {

std::variant<std::unique_ptr<store::SealedStore>, std::string> seal_with(attest::Provider& provider,
                                                                         broker::Store& database,
                                                                         const attest::Software& software,
                                                                         const config::PersistenceConfig& persistence) {
  attest::SealingKeyOutcome key = provider.sealing_key();
  if (key.key.empty()) return "persistence: sealing needs a key from the TEE: " + key.error;
  store::SealedStore::Options options;
  options.module_sha256 = software.module_sha256;
  options.migrate_from = persistence.seal_migrate_from;
  options.key_origin = key.origin;
  if (provider.has_counter()) {
    options.counter = [&provider](std::uint64_t at_least) -> std::variant<std::uint64_t, std::string> {
      attest::CounterOutcome counted = provider.raise_counter(at_least);
      if (counted.value) return *counted.value;
      return counted.error;
    };
  }
  auto sealed = store::SealedStore::create(database, key.key, std::move(options));
  OPENSSL_cleanse(key.key.data(), key.key.size());
  if (auto* error = std::get_if<std::string>(&sealed)) return "persistence: " + *error;
  return sealed;
}

}  // namespace attestmq::attested

#pragma once
// Sealing (docs/persistence.md, "Sealed records"): a broker::Store that encrypts and
// authenticates every record before it reaches the outer store, which may be on an untrusted
// host's disk. Used inside attestmq-enclave's module (the outer store is the runner's, through
// the store imports) and by `attestmq broker` under a TEE provider.
//
// Outside, a record is (kind, name, sealed value): the name is an HMAC of the engine's key, so
// client identifiers and topic names do not leave; the sealed value binds the record's kind,
// name, the epoch it was written in, the module that wrote it and the database's random id
// (the associated data), so a value moved to another record, from another database or from
// another module does not open. A header record holds that id and the epoch, which advances
// at every start and is matched against the TEE's monotonic counter where it has one, so that
// an older copy of the database is refused.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "broker/store.hpp"
#include "store/sealing_crypto.hpp"

namespace attestmq::store {

using Sha256 = std::array<std::uint8_t, 32>;

class SealedStore final : public broker::Store {
 public:
  // The TEE's monotonic counter: raises it to at least `at_least` and answers its value, or
  // says why it cannot.
  using Counter = std::function<std::variant<std::uint64_t, std::string>(std::uint64_t at_least)>;
  struct Options {
    Sha256 module_sha256{};  // this module: bound into every record it seals
    // persistence_seal_migrate_from: a database sealed by exactly this module is taken over
    // and sealed again under module_sha256. Any other module's database is refused.
    std::optional<Sha256> migrate_from;
    Counter counter;  // empty: the TEE has none, and a whole older copy goes undetected
    std::string key_origin;  // where the sealing key came from, for the log
  };

  // Seals into `outer` under keys derived from the TEE's `sealing_key`.
  static std::variant<std::unique_ptr<SealedStore>, std::string> create(broker::Store& outer,
                                                                        std::span<const std::uint8_t> sealing_key,
                                                                        Options options);

  // Changes gather here, in the trusted memory, only the last per record kept, and are sealed
  // at flush(): a message stored and acknowledged between two commits is never sealed at all
  // (as SqliteStore never writes it).
  void put(broker::RecordKind kind, std::span<const std::uint8_t> key,
           std::span<const std::uint8_t> value) override;
  void erase(broker::RecordKind kind, std::span<const std::uint8_t> key) override;
  // There are changes not yet handed to the outer store; since when.
  bool pending() const { return !changes_.empty(); }
  std::chrono::steady_clock::time_point pending_since() const { return pending_since_; }
  // Seals every pending change into the outer store. The host calls it before each commit.
  void flush();

  // Restoring, once, before the first put. `unseal` takes each record of the outer store in
  // its (kind, name) order, the header first; what is wrong with one is returned, and the
  // database must then be refused as a whole.
  std::optional<std::string> unseal(broker::RecordKind kind, std::span<const std::uint8_t> name,
                                    std::span<const std::uint8_t> sealed);
  // After the last record: checks the epoch against the counter, hands every record to
  // `restore` in (kind, key) order (broker::Engine::restore's contract), seals them again if
  // migrating, and puts the header of the new epoch.
  using Restore = std::function<std::optional<std::string>(broker::RecordKind, std::span<const std::uint8_t>,
                                                           std::span<const std::uint8_t>)>;
  std::optional<std::string> finish_unsealing(const Restore& restore);
  // Once the outer store committed the new header: raises the TEE's counter to its epoch. Until
  // then a crash leaves the counter one behind, which the next start accepts.
  std::optional<std::string> confirm_epoch();
  // Notices for the log about what this start could not check (no counter), or did (migration).
  const std::vector<std::string>& notices() const { return notices_; }
  std::uint64_t epoch() const { return epoch_; }

 private:
  SealedStore(broker::Store& outer, const sealing::Key& record_key, const sealing::Key& name_key, Options options);
  sealing::Key name_of(broker::RecordKind kind, std::span<const std::uint8_t> key);
  // run id, sequence, ciphertext and tag under this run's key.
  std::vector<std::uint8_t> seal(std::span<const std::uint8_t> aad, std::span<const std::uint8_t> plaintext);
  std::optional<std::vector<std::uint8_t>> open(std::span<const std::uint8_t> aad, std::span<const std::uint8_t> sealed);
  std::optional<std::string> unseal_header(std::span<const std::uint8_t> sealed);
  std::vector<std::uint8_t> record_aad(broker::RecordKind kind, std::span<const std::uint8_t> name,
                                       std::uint64_t epoch, const Sha256& module) const;
  void put_header();
  // finish_unsealing's work; on a refusal the store is closed to changes.
  std::optional<std::string> open_epoch(const Restore& restore);
  void seal_into_outer(broker::RecordKind kind, std::span<const std::uint8_t> key, std::span<const std::uint8_t> value);
  void note_change();

  broker::Store& outer_;
  sealing::Key record_key_;  // derives each run's key
  sealing::Mac namer_;       // names records
  Options options_;
  sealing::Aead aead_;
  // This run: a random id (the salt of its key) and the sequence that makes each nonce unique.
  std::array<std::uint8_t, 16> run_id_{};
  // Drawn when the database is created and kept in its header: bound into every record, so
  // that records of another database under the same key and module do not open here.
  std::array<std::uint8_t, 16> database_id_{};
  sealing::Key run_key_{};
  std::uint64_t sequence_ = 0;
  std::map<std::array<std::uint8_t, 16>, sealing::Key> earlier_run_keys_;
  std::uint64_t epoch_ = 0;  // the header's, then this run's
  std::optional<Sha256> sealed_by_;  // the header's module
  bool header_seen_ = false;
  bool finished_ = false;
  bool refused_ = false;  // the database was refused: no change of this run may reach it
  std::vector<std::tuple<broker::RecordKind, std::vector<std::uint8_t>, std::vector<std::uint8_t>>> unsealed_;
  std::vector<std::string> notices_;
  // kind byte then key -> the new value, or nullopt if erased; and the records the outer store
  // holds, so that erasing one it never saw costs nothing.
  std::unordered_map<std::string, std::optional<std::vector<std::uint8_t>>> changes_;
  std::unordered_set<std::string> outside_;
  std::chrono::steady_clock::time_point pending_since_;
};

}  // namespace attestmq::store

#include "store/sealed_store.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace attestmq::store {
namespace {

// Formats (docs/persistence.md, "Sealed records"). The labels start each associated data, so
// that a header can never be taken for a record, nor either for anything else sealed under
// the same key.
constexpr std::string_view kHeaderLabel = "AttestMQ sealed header v1";
constexpr std::string_view kRecordLabel = "AttestMQ sealed record v1";
constexpr std::string_view kHeaderName = "header";
constexpr std::uint8_t kHeaderVersion = 1;
constexpr std::size_t kRunIdSize = 16;
constexpr std::size_t kSealedOverhead = kRunIdSize + 8 + sealing::kTagSize;  // run id, sequence, tag
constexpr std::size_t kHeaderSize = 1 + 8 + 32 + 16;  // version, epoch, module, database id

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

void append_u64(std::vector<std::uint8_t>& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

std::uint64_t read_u64(std::span<const std::uint8_t> bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = value << 8 | bytes[i];
  return value;
}

std::string hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t byte : bytes) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0F]);
  }
  return out;
}

const char* kind_name(broker::RecordKind kind) {
  switch (kind) {
    case broker::RecordKind::sealing:
      return "header";
    case broker::RecordKind::session:
      return "session";
    case broker::RecordKind::delivery:
      return "delivery";
    case broker::RecordKind::retained:
      return "retained";
  }
  return "unknown";
}

// How a record is known inside: its kind byte, then its key.
std::string record_id(broker::RecordKind kind, std::span<const std::uint8_t> key) {
  std::string id(1, static_cast<char>(kind));
  id.append(reinterpret_cast<const char*>(key.data()), key.size());
  return id;
}

}  // namespace

std::variant<std::unique_ptr<SealedStore>, std::string> SealedStore::create(broker::Store& outer,
                                                                          std::span<const std::uint8_t> sealing_key,
                                                                          Options options) {
  if (sealing_key.size() < 16) return std::string("the TEE's sealing key is shorter than 128 bits");
  // Two keys from the TEE's: one seals, one names, so that a name says nothing of a value.
  const auto record_key = sealing::derive_key(sealing_key, {}, "AttestMQ sealing: records");
  const auto name_key = sealing::derive_key(sealing_key, {}, "AttestMQ sealing: record names");
  if (!record_key || !name_key) return std::string("cannot derive the sealing keys (HKDF-SHA256)");
  std::unique_ptr<SealedStore> store(new SealedStore(outer, *record_key, *name_key, std::move(options)));
  if (!store->options_.key_origin.empty())
    store->notices_.push_back("Records are sealed under a key from " + store->options_.key_origin + ".");
  // A fresh key for every run of the broker, from a random salt: a nonce is then unique (run
  // id, sequence) even if an attacker replays an older database, which a counted nonce alone
  // would repeat.
  if (RAND_bytes(store->run_id_.data(), static_cast<int>(store->run_id_.size())) != 1 ||
      RAND_bytes(store->database_id_.data(), static_cast<int>(store->database_id_.size())) != 1)
    return std::string("no randomness for the sealing run and database ids");
  const auto run_key = sealing::derive_key(*record_key, store->run_id_, "AttestMQ sealing: run key");
  if (!run_key) return std::string("cannot derive the sealing run key (HKDF-SHA256)");
  store->run_key_ = *run_key;
  store->earlier_run_keys_[store->run_id_] = *run_key;
  return store;
}

SealedStore::SealedStore(broker::Store& outer, const sealing::Key& record_key, const sealing::Key& name_key,
                         Options options)
    : outer_(outer), record_key_(record_key), namer_(name_key), options_(std::move(options)) {}

sealing::Key SealedStore::name_of(broker::RecordKind kind, std::span<const std::uint8_t> key) {
  const std::uint8_t kind_byte = static_cast<std::uint8_t>(kind);
  return namer_({&kind_byte, 1}, key);
}

std::vector<std::uint8_t> SealedStore::record_aad(broker::RecordKind kind, std::span<const std::uint8_t> name,
                                                  std::uint64_t epoch, const Sha256& module) const {
  std::vector<std::uint8_t> aad(kRecordLabel.begin(), kRecordLabel.end());
  aad.push_back(static_cast<std::uint8_t>(kind));
  aad.insert(aad.end(), name.begin(), name.end());
  append_u64(aad, epoch);
  aad.insert(aad.end(), module.begin(), module.end());
  aad.insert(aad.end(), database_id_.begin(), database_id_.end());
  return aad;
}

std::vector<std::uint8_t> SealedStore::seal(std::span<const std::uint8_t> aad,
                                            std::span<const std::uint8_t> plaintext) {
  const std::uint64_t sequence = sequence_++;
  std::vector<std::uint8_t> out(run_id_.begin(), run_id_.end());
  append_u64(out, sequence);
  sealing::Nonce nonce{};  // four zero bytes, then the sequence
  std::memcpy(nonce.data() + 4, out.data() + kRunIdSize, 8);
  aead_.seal(run_key_, nonce, aad, plaintext, out);
  return out;
}

std::optional<std::vector<std::uint8_t>> SealedStore::open(std::span<const std::uint8_t> aad,
                                                           std::span<const std::uint8_t> sealed) {
  if (sealed.size() < kSealedOverhead) return std::nullopt;
  std::array<std::uint8_t, kRunIdSize> run_id{};
  std::copy_n(sealed.begin(), kRunIdSize, run_id.begin());
  auto key = earlier_run_keys_.find(run_id);
  if (key == earlier_run_keys_.end()) {
    const auto derived = sealing::derive_key(record_key_, run_id, "AttestMQ sealing: run key");
    if (!derived) return std::nullopt;
    key = earlier_run_keys_.emplace(run_id, *derived).first;
  }
  sealing::Nonce nonce{};
  std::copy_n(sealed.begin() + kRunIdSize, 8, nonce.begin() + 4);
  return aead_.open(key->second, nonce, aad, sealed.subspan(kRunIdSize + 8));
}

void SealedStore::note_change() {
  if (changes_.empty()) pending_since_ = std::chrono::steady_clock::now();
}

void SealedStore::put(broker::RecordKind kind, std::span<const std::uint8_t> key,
                      std::span<const std::uint8_t> value) {
  if (refused_) return;
  note_change();
  changes_[record_id(kind, key)] = std::vector<std::uint8_t>(value.begin(), value.end());
}

void SealedStore::erase(broker::RecordKind kind, std::span<const std::uint8_t> key) {
  if (refused_) return;
  std::string id = record_id(kind, key);
  if (!outside_.contains(id)) {  // never handed out: forgetting the pending put is enough
    changes_.erase(id);
    return;
  }
  note_change();
  changes_[std::move(id)] = std::nullopt;
}

void SealedStore::flush() {
  for (auto& [id, value] : changes_) {
    const auto kind = static_cast<broker::RecordKind>(id[0]);
    const std::span<const std::uint8_t> key(reinterpret_cast<const std::uint8_t*>(id.data()) + 1, id.size() - 1);
    if (value) {
      seal_into_outer(kind, key, *value);
      outside_.insert(id);
    } else {
      outer_.erase(kind, name_of(kind, key));
      outside_.erase(id);
    }
  }
  changes_.clear();
}

void SealedStore::seal_into_outer(broker::RecordKind kind, std::span<const std::uint8_t> key,
                                  std::span<const std::uint8_t> value) {
  const sealing::Key name = name_of(kind, key);
  std::vector<std::uint8_t> plaintext;
  plaintext.reserve(4 + key.size() + value.size());
  for (int shift = 24; shift >= 0; shift -= 8) plaintext.push_back(static_cast<std::uint8_t>(key.size() >> shift));
  plaintext.insert(plaintext.end(), key.begin(), key.end());
  plaintext.insert(plaintext.end(), value.begin(), value.end());
  std::vector<std::uint8_t> sealed_value;
  append_u64(sealed_value, epoch_);
  const auto sealed = seal(record_aad(kind, name, epoch_, options_.module_sha256), plaintext);
  sealed_value.insert(sealed_value.end(), sealed.begin(), sealed.end());
  outer_.put(kind, name, sealed_value);
}

std::optional<std::string> SealedStore::unseal_header(std::span<const std::uint8_t> sealed) {
  const auto header = open(bytes_of(kHeaderLabel), sealed);
  if (!header)
    return std::string("the header does not authenticate: the database was sealed under another key "
                       "(another TEE, platform or sim key), or changed");
  if (header->size() != kHeaderSize || (*header)[0] != kHeaderVersion)
    return "the header is of an unknown format (version " + std::to_string(header->empty() ? 0 : (*header)[0]) +
           ", " + std::to_string(header->size()) + " bytes)";
  epoch_ = read_u64(std::span(*header).subspan(1));
  Sha256 module{};
  std::copy_n(header->begin() + 9, module.size(), module.begin());
  std::copy_n(header->begin() + 9 + module.size(), database_id_.size(), database_id_.begin());
  sealed_by_ = module;
  if (module != options_.module_sha256) {
    if (options_.migrate_from != module)
      return "it was sealed by module " + hex(module) + ", and this is module " + hex(options_.module_sha256) +
             " (persistence_seal_migrate_from " + hex(module) + " lets this module take it over)";
    notices_.push_back("Taking over the database sealed by module " + hex(module) +
                       " (persistence_seal_migrate_from): every record is sealed again under this module.");
  }
  return std::nullopt;
}

std::optional<std::string> SealedStore::unseal(broker::RecordKind kind, std::span<const std::uint8_t> name,
                                               std::span<const std::uint8_t> sealed) {
  if (finished_) return std::string("records after the database was opened");
  if (kind == broker::RecordKind::sealing) {
    if (header_seen_) return std::string("two headers");
    if (!std::ranges::equal(name, bytes_of(kHeaderName))) return std::string("a header under another name");
    header_seen_ = true;
    return unseal_header(sealed);
  }
  // The header's kind sorts first: a record before it means there is none.
  if (!header_seen_)
    return std::string("it holds records but no sealed header: it was written without sealing (a broker "
                       "without a TEE), or its header was removed");
  const std::string which = std::string(kind_name(kind)) + " record " + hex(name.first(std::min<std::size_t>(name.size(), 8)));
  if (name.size() != 32 || sealed.size() < 8 + kSealedOverhead) return "the " + which + " is truncated";
  const std::uint64_t written_in = read_u64(sealed);
  if (written_in > epoch_)
    return "the " + which + " was written in epoch " + std::to_string(written_in) + ", after the header's epoch " +
           std::to_string(epoch_) + ": records from different copies of the database";
  auto plaintext = open(record_aad(kind, name, written_in, *sealed_by_), sealed.subspan(8));
  if (!plaintext)
    return "the " + which + " does not authenticate: changed, moved from another record, or sealed by another module or key";
  if (plaintext->size() < 4) return "the " + which + " is truncated";
  const std::size_t key_length = static_cast<std::size_t>((*plaintext)[0]) << 24 |
                                 static_cast<std::size_t>((*plaintext)[1]) << 16 |
                                 static_cast<std::size_t>((*plaintext)[2]) << 8 | (*plaintext)[3];
  if (key_length > plaintext->size() - 4) return "the " + which + " has a key longer than itself";
  std::vector<std::uint8_t> key(plaintext->begin() + 4, plaintext->begin() + 4 + static_cast<std::ptrdiff_t>(key_length));
  plaintext->erase(plaintext->begin(), plaintext->begin() + 4 + static_cast<std::ptrdiff_t>(key_length));
  outside_.insert(record_id(kind, key));
  unsealed_.emplace_back(kind, std::move(key), std::move(*plaintext));
  return std::nullopt;
}

std::optional<std::string> SealedStore::finish_unsealing(const Restore& restore) {
  if (finished_) return std::string("the database was opened already");
  finished_ = true;
  auto error = open_epoch(restore);
  if (error) {
    // A refused database takes no change from this run: not what the engine did while it was
    // half restored, nor anything later (a host that keeps a refused instance alive).
    refused_ = true;
    changes_.clear();
  }
  return error;
}

std::optional<std::string> SealedStore::open_epoch(const Restore& restore) {
  const std::uint64_t stored_epoch = epoch_;
  bool caught_up = false;
  if (options_.counter) {
    auto counted = options_.counter(0);
    if (auto* error = std::get_if<std::string>(&counted)) return "the TEE's monotonic counter: " + *error;
    const std::uint64_t counter = std::get<std::uint64_t>(counted);
    // The header is committed before the counter is raised: a crash in between leaves the
    // database one epoch ahead, never behind.
    if (stored_epoch < counter)
      return "it is at epoch " + std::to_string(stored_epoch) + " but the TEE's counter is at " +
             std::to_string(counter) + ": an older copy of the database (rollback), or one deleted";
    if (stored_epoch > counter + 1)
      return "it is at epoch " + std::to_string(stored_epoch) + " but the TEE's counter is only at " +
             std::to_string(counter) + ": the counter was reset, or belongs to another database";
    // One ahead: the last start committed its epoch but did not raise the counter to it. That
    // epoch is finished now, not advanced again, so that starts whose counter keeps failing
    // cannot run the database ahead of it for good.
    caught_up = stored_epoch == counter + 1;
  } else {
    notices_.push_back(
        "This TEE has no trusted monotonic counter: an older copy of the whole database would not be "
        "detected (docs/persistence.md, \"Epoch and rollback\").");
  }
  epoch_ = caught_up ? stored_epoch : stored_epoch + 1;
  std::ranges::sort(unsealed_);
  for (const auto& [kind, key, value] : unsealed_) {
    if (auto error = restore(kind, key, value)) return error;
  }
  // Sealed again under this module only once every record was restored: a refusal leaves the
  // database as it was (the host discards what this start put).
  if (sealed_by_ && *sealed_by_ != options_.module_sha256) {
    for (const auto& [kind, key, value] : unsealed_) seal_into_outer(kind, key, value);
  }
  unsealed_.clear();
  flush();  // what restoring changed (retained messages that expired meanwhile)
  put_header();
  return std::nullopt;
}

void SealedStore::put_header() {
  std::vector<std::uint8_t> header{kHeaderVersion};
  append_u64(header, epoch_);
  header.insert(header.end(), options_.module_sha256.begin(), options_.module_sha256.end());
  header.insert(header.end(), database_id_.begin(), database_id_.end());
  outer_.put(broker::RecordKind::sealing, bytes_of(kHeaderName), seal(bytes_of(kHeaderLabel), header));
}

std::optional<std::string> SealedStore::confirm_epoch() {
  if (!options_.counter) return std::nullopt;
  auto counted = options_.counter(epoch_);
  if (auto* error = std::get_if<std::string>(&counted)) return "the TEE's monotonic counter: " + *error;
  if (std::get<std::uint64_t>(counted) < epoch_) return std::string("the TEE's monotonic counter did not advance");
  return std::nullopt;
}

}  // namespace attestmq::store

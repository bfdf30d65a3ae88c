#pragma once
// What the engine keeps across restarts (DESIGN.md section 1, the `store` host calls): a set of
// records, each a kind, a key and a value, that the host writes to durable storage. The
// engine encodes them (stored_records.hpp); the host never interprets one, so the same records
// can be sealed inside a Wasm module and handed to an untrusted host as ciphertext.
//
// The durability contract (docs/persistence.md): the host makes every put and erase of one
// engine call durable, in order, before any byte that call sent leaves the machine. A PUBACK
// or PUBREC therefore never promises what a crash could take back.
#include <cstdint>
#include <span>

namespace attestmq::broker {

// The order of kinds is the order a host hands records back at start (Engine::restore): a
// delivery names its session, so sessions come first.
enum class RecordKind : std::uint8_t {
  sealing = 0,   // the header of a sealed database (store/sealed_store.hpp), never the engine's
  session = 1,   // key: client identifier; value: expiry, subscriptions, incoming QoS 2 ids
  delivery = 2,  // key: 8-byte sequence number; value: the session, its QoS 1/2 state, message
  retained = 3,  // key: topic name; value: the retained message
};

class Store {
 public:
  virtual ~Store() = default;
  // Replaces the record (kind, key), or adds it.
  virtual void put(RecordKind kind, std::span<const std::uint8_t> key,
                   std::span<const std::uint8_t> value) = 0;
  virtual void erase(RecordKind kind, std::span<const std::uint8_t> key) = 0;
};

}  // namespace attestmq::broker

#pragma once
// The host interface the guest module imports from the runner, beside WASI (module
// "attestmq"; docs/architecture.md, "The engine ABI"). Pointers are guest addresses: the
// runner checks each range against linear memory before it touches a byte.
#include <cstdint>

#define ATTESTMQ_IMPORT(name) __attribute__((import_module("attestmq"), import_name(name)))

extern "C" {
// Ciphertext (or, on a plain listener, the MQTT bytes) for `connection`'s socket. Returns
// the bytes the runner now holds unsent for it, or UINT64_MAX when it refused the call.
ATTESTMQ_IMPORT("send")
std::uint64_t attestmq_host_send(std::uint32_t connection, const std::uint8_t* bytes, std::uint32_t length);
// Flush what was sent, then close the socket; the runner answers with the `closed` export.
ATTESTMQ_IMPORT("close") std::uint32_t attestmq_host_close(std::uint32_t connection);
// One log line at `level` (broker::LogLevel).
ATTESTMQ_IMPORT("log")
std::uint32_t attestmq_host_log(std::uint32_t level, const char* text, std::uint32_t length);
// Evidence from the TEE beneath the runner (its `--tee` provider) over the 64 bytes of
// REPORTDATA at `report_data`. Returns the evidence's length, with bit 32 set when the
// provider failed and `out` holds the reason instead. Bytes are written to `out` only when
// they fit in `capacity`: a longer answer is asked for again with a larger buffer.
ATTESTMQ_IMPORT("evidence")
std::uint64_t attestmq_host_evidence(const std::uint8_t* report_data, std::uint8_t* out,
                                     std::uint32_t capacity);

// Persistence (docs/persistence.md). The records are sealed before they are handed over
// (store/sealed_store.hpp): the runner keeps them in its database and never reads them.
// put and erase change the record (kind, key); the module calls them when the runner asks it
// to flush (attestmq_store_flush), then the runner commits, and every byte sent after
// `hold(connection)` on that connection waits for that commit (the durability contract of
// broker/store.hpp). Each answers 0, or a WASI
// error number when the call was refused.
ATTESTMQ_IMPORT("store_put")
std::uint32_t attestmq_host_store_put(std::uint32_t kind, const std::uint8_t* key, std::uint32_t key_length,
                                      const std::uint8_t* value, std::uint32_t value_length);
ATTESTMQ_IMPORT("store_erase")
std::uint32_t attestmq_host_store_erase(std::uint32_t kind, const std::uint8_t* key, std::uint32_t key_length);
ATTESTMQ_IMPORT("hold") std::uint32_t attestmq_host_hold(std::uint32_t connection);
// Commits now; used once at start, before the TEE's counter is raised to the new epoch.
ATTESTMQ_IMPORT("store_commit") std::uint32_t attestmq_host_store_commit();
// The TEE's sealing key, answered as evidence is: its length, bit 32 set with the reason in
// `out` when there is none.
ATTESTMQ_IMPORT("sealing_key")
std::uint64_t attestmq_host_sealing_key(std::uint8_t* out, std::uint32_t capacity);
// The TEE's monotonic counter raised to at least `at_least`: its value, or UINT64_MAX when
// it failed (the runner logs why). Offered only when the configure arguments say counter=1.
ATTESTMQ_IMPORT("counter") std::uint64_t attestmq_host_counter(std::uint64_t at_least);
}

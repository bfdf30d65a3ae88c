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
}

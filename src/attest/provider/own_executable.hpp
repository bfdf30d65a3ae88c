#pragma once
// What a native process attests as its code: the SHA-256 of its own executable. The broker
// and the client CLI (mutual attestation) both claim it as the module hash (claims key 2), and
// the sim provider reports it as the measurement, as a real TEE would report the enclave's.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace attestmq::attest {

// The SHA-256 of /proc/self/exe; nullopt with `error` when it cannot be read.
std::optional<std::array<std::uint8_t, 32>> own_executable_sha256(std::string& error);

}  // namespace attestmq::attest

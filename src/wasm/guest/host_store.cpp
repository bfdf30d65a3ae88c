#include "wasm/guest/host_store.hpp"

#include <cstdio>
#include <cstdlib>

#include "wasm/guest/host_imports.hpp"

namespace attestmq::wasm::guest {
namespace {

[[noreturn]] void lost(const char* call, std::uint32_t error) {
  std::fprintf(stderr, "the runner refused %s (WASI error %u): stopping this instance\n", call, error);
  std::abort();
}

}  // namespace

void HostStore::put(broker::RecordKind kind, std::span<const std::uint8_t> key, std::span<const std::uint8_t> value) {
  const std::uint32_t error =
      attestmq_host_store_put(static_cast<std::uint32_t>(kind), key.data(), static_cast<std::uint32_t>(key.size()),
                              value.data(), static_cast<std::uint32_t>(value.size()));
  if (error != 0) lost("store_put", error);
}

void HostStore::erase(broker::RecordKind kind, std::span<const std::uint8_t> key) {
  const std::uint32_t error =
      attestmq_host_store_erase(static_cast<std::uint32_t>(kind), key.data(), static_cast<std::uint32_t>(key.size()));
  if (error != 0) lost("store_erase", error);
}

}  // namespace attestmq::wasm::guest

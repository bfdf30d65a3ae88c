#include "wasm/runner/host.hpp"

#include <string>

namespace attestmq::wasm {

void Host::refuse(std::string_view import, std::uint32_t pointer, std::uint64_t length) {
  ++refused_calls_;
  calls_.log(log_level::kWarning, "refused " + std::string(import) + ": guest range [" + std::to_string(pointer) +
             ", +" + std::to_string(length) + ") is outside linear memory of " +
             std::to_string(memory_->size) + " bytes");
}

}  // namespace attestmq::wasm

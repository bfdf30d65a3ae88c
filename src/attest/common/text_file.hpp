#pragma once
// Reads a whole file (a policy, a pinned root). C stdio rather than std::ifstream: the Wasm
// build's libc++ has no file streams (WASI preview 1 builds it without filesystem support),
// and the same code then runs natively and in the module.
#include <filesystem>
#include <optional>
#include <string>

namespace attestmq::attest {

// The file's bytes, or nothing when it cannot be opened or read to its end.
std::optional<std::string> read_text_file(const std::filesystem::path& path);

}  // namespace attestmq::attest

#pragma once
// Reads a whole file (a PSK file here; configuration, password and ACL files in config/,
// which builds on this layer). With stdio rather than iostreams: the Wasm build's libc++
// has no file streams, and its stdio reaches the runner's read-only WASI files.
#include <optional>
#include <string>

namespace attestmq::tls {

// The file's bytes, or nullopt with `error_number` set (errno: ENOENT, EACCES, EISDIR...).
std::optional<std::string> read_whole_file(const std::string& path, int& error_number);

}  // namespace attestmq::tls

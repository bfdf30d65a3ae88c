// The mosquitto.conf parser (src/config/config_parser) on arbitrary text: a configuration
// file is written by an operator, but a parser that crashes on a typo is still a bug, and
// include_dir pulls in files the operator may not have read.
// Inputs naming include_dir are skipped: it reads a directory, and a fuzz input must not
// touch the disk (include_dir_test.cpp covers it). Options naming files (cafile, ...) do
// stat() their path; that stays, as it is one system call and the answer is "missing".
// Oracle, beyond "no crash, no sanitizer report": the result is a configuration or one error
// that names where it comes from (the file, "file:line" of a listener, or the command line)
// and, when it names a line, a line of the text. The command line is `-p 1883`, as the
// broker's tests run it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "config/config_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attestmq::config;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (text.find("include_dir") != std::string_view::npos) return 0;
  const ConfigResult result = parse_config(text, "fuzz.conf", CommandLine{.ports = {1883}, .verbose = false, .tee = std::nullopt});
  if (const auto* error = std::get_if<ConfigError>(&result)) {
    const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    if (error->file.empty() || error->line > lines || error->message.empty()) std::abort();
  }
  return 0;
}

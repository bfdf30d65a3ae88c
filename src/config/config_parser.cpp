// The line-by-line reader of mosquitto.conf syntax (mosquitto.conf(5)): "option value..." per
// line, '#' starts a comment line, blank lines are ignored; `listener` opens a section that
// listener options (and, with per_listener_settings, security options) apply to.
#include "tls/whole_file.hpp"
#include "config/config_parser.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <memory>

#include "config/mosquitto_options.hpp"
#include "config/option_handlers.hpp"
#include "config/parse_state.hpp"
#include "config/value_parsers.hpp"

namespace attestmq::config {
namespace {

constexpr std::string_view kBlanks = " \t\r";


Line split_line(std::string_view text, std::string origin) {
  Line line{std::move(origin), {}, {}, {}};
  std::size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    const auto start = text.find_first_not_of(kBlanks, pos);
    if (start == std::string_view::npos) break;
    const auto end = std::min(text.find_first_of(kBlanks, start), text.size());
    const auto token = text.substr(start, end - start);
    if (first) {
      line.name = token;
      line.rest = trim_blanks(text.substr(end));
      first = false;
    } else {
      line.args.push_back(token);
    }
    pos = end;
  }
  return line;
}

std::optional<std::string> read_file(const std::string& path) {
  int error_number = 0;
  return tls::read_whole_file(path, error_number);
}

class Parser {
 public:
  std::optional<ConfigError> parse(std::string_view text, const std::string& file, bool included) {
    std::size_t number = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
      const auto end = std::min(text.find('\n', pos), text.size());
      const std::string_view raw = trim_blanks(text.substr(pos, end - pos));
      pos = end + 1;
      ++number;
      if (raw.empty() || raw.front() == '#') continue;
      const Line line = split_line(raw, file + ":" + std::to_string(number));
      if (auto error = parse_line(line, included)) {
        // An error inside an included file already names that file and line.
        if (error->file.empty()) return ConfigError{file, number, std::move(error->message)};
        return error;
      }
    }
    return std::nullopt;
  }

  ParseState& state() { return state_; }

 private:
  // An error without a file name is about `line` itself.
  static ConfigError at_line(std::string message) { return ConfigError{{}, 0, std::move(message)}; }

  std::optional<ConfigError> parse_line(const Line& line, bool included) {
    const std::string name(line.name);
    if (line.name == "include_dir") {
      if (included) return at_line(name + ": only allowed in the main configuration file");
      if (line.rest.empty()) return at_line(name + ": expected a directory");
      return include_directory(std::string(line.rest), line);
    }
    switch (auto outcome = apply_option(state_, line); outcome.kind) {
      case OptionOutcome::Kind::applied: return std::nullopt;
      case OptionOutcome::Kind::rejected: return at_line(name + ": " + outcome.message);
      case OptionOutcome::Kind::not_handled: break;
    }
    if (is_unsupported_mosquitto_option(line.name)) return at_line(name + ": not supported yet");
    return at_line("unknown option " + in_quotes(line.name));
  }

  // mosquitto.conf(5): every file ending in ".conf" in the directory, in alphabetical order.
  std::optional<ConfigError> include_directory(const std::string& directory, const Line& line) {
    std::vector<std::string> files;
    // POSIX directory calls rather than std::filesystem, which the Wasm build's libc++ lacks.
    const std::unique_ptr<DIR, int (*)(DIR*)> listing(::opendir(directory.c_str()), &::closedir);
    if (!listing) {
      return at_line("include_dir: cannot read directory " + in_quotes(directory) + ": " + std::strerror(errno));
    }
    while (const dirent* entry = ::readdir(listing.get())) {
      const std::string name = entry->d_name;
      if (name.size() <= 5 || !name.ends_with(".conf")) continue;
      const std::string path = directory + "/" + name;
      struct stat status {};
      if (::stat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode)) files.push_back(path);
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      const auto text = read_file(file);
      if (!text) return at_line("include_dir: cannot read " + in_quotes(file) + " (included from " + line.origin + ")");
      if (auto error = parse(*text, file, true)) return error;
    }
    return std::nullopt;
  }

  ParseState state_;
};

}  // namespace

std::string ConfigError::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ": " + message;
}

ConfigResult parse_config(std::string_view text, std::string_view file_name,
                          const CommandLine& command_line) {
  Parser parser;
  if (auto error = parser.parse(text, std::string(file_name), false)) return std::move(*error);
  return resolve(std::move(parser.state()), command_line);
}

ConfigResult load_config_file(const std::string& path, const CommandLine& command_line) {
  const auto text = read_file(path);
  if (!text) return ConfigError{path, 0, std::string("cannot read configuration file: ") + std::strerror(errno)};
  return parse_config(*text, path, command_line);
}

ConfigResult default_config(const CommandLine& command_line) {
  return resolve(ParseState{}, command_line);
}

}  // namespace attestmq::config

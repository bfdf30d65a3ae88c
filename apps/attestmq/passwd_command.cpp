// `attestmq passwd`: creates and updates Mosquitto password files, with mosquitto_passwd(1)'s
// command line. Other lines of the file (users, comments) are kept as they are, and the file
// is replaced atomically (a temporary file renamed over it) with mode 0600. Exit 0 done,
// 1 error, 2 usage.
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "config/password_file.hpp"
#include "mqtt/utf8.hpp"

namespace attestmq::app {
namespace {

constexpr int kOk = 0;
constexpr int kError = 1;
constexpr int kUsage = 2;

constexpr const char* kUsageText =
    "usage: attestmq passwd [-H sha512-pbkdf2|sha512] [-I ITERATIONS] [-c] FILE USERNAME\n"
    "       attestmq passwd [-H sha512-pbkdf2|sha512] [-I ITERATIONS] [-c] -b FILE USERNAME PASSWORD\n"
    "       attestmq passwd -D FILE USERNAME\n"
    "       attestmq passwd [-H sha512-pbkdf2|sha512] [-I ITERATIONS] -U FILE\n"
    "\n"
    "Creates and updates password files for the password_file option, in the formats of\n"
    "mosquitto_passwd (each reads the other's files).\n"
    " -b  batch mode: the password is the last argument instead of a prompt\n"
    " -c  create a new file, replacing an existing one\n"
    " -D  delete USERNAME\n"
    " -H  hash: sha512-pbkdf2 ($7$, the default) or sha512 ($6$, Mosquitto 1.6's)\n"
    " -I  PBKDF2 iterations (default 101, as mosquitto_passwd)\n"
    " -U  hash every plain-text password in FILE, keeping hashed ones\n"
    "Without -b the password is asked for twice on the terminal, or read as one line from\n"
    "standard input when that is not a terminal.\n";

enum class Action : std::uint8_t { set_password, delete_user, upgrade_file };

struct PasswdOptions {
  Action action = Action::set_password;
  bool help = false;
  bool batch = false;
  bool create = false;
  config::HashKind kind = config::HashKind::sha512_pbkdf2;
  std::uint32_t iterations = config::kDefaultIterations;
  std::string file;
  std::string username;
  std::optional<std::string> password;  // -b
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "attestmq passwd: %s\n\n%s", message.c_str(), kUsageText);
  return kUsage;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "attestmq passwd: %s\n", message.c_str());
  return kError;
}

// The options, or the usage error to report.
std::optional<std::string> parse_arguments(int argc, char** argv, PasswdOptions& options) {
  int index = 1;
  for (; index < argc && argv[index][0] == '-'; ++index) {
    const std::string_view flag = argv[index];
    if (flag == "-h" || flag == "--help") {
      options.help = true;
      return std::nullopt;
    }
    if (flag == "-b") {
      options.batch = true;
    } else if (flag == "-c") {
      options.create = true;
    } else if (flag == "-D") {
      options.action = Action::delete_user;
    } else if (flag == "-U") {
      options.action = Action::upgrade_file;
    } else if (flag == "-H" || flag == "-I") {
      if (++index == argc) return std::string(flag) + " needs a value";
      const std::string_view value = argv[index];
      if (flag == "-H") {
        if (value == "sha512-pbkdf2") {
          options.kind = config::HashKind::sha512_pbkdf2;
        } else if (value == "sha512") {
          options.kind = config::HashKind::sha512;
        } else {
          return "-H: expected sha512-pbkdf2 or sha512, got '" + std::string(value) + "'";
        }
        continue;
      }
      const auto [end, status] = std::from_chars(value.data(), value.data() + value.size(), options.iterations);
      if (status != std::errc{} || end != value.data() + value.size() || options.iterations == 0 ||
          options.iterations > config::kMaxIterations) {
        return "-I: expected iterations from 1 to " + std::to_string(config::kMaxIterations) + ", got '" +
               std::string(value) + "'";
      }
    } else {
      return "unknown option '" + std::string(flag) + "'";
    }
  }
  if (options.action != Action::set_password && (options.batch || options.create)) {
    return "-b and -c only apply when setting a password, not with -D or -U";
  }
  const int positional = argc - index;
  const int expected = options.action == Action::upgrade_file ? 1 : options.batch ? 3 : 2;
  if (positional != expected) return "expected " + std::to_string(expected) + " arguments after the options";
  options.file = argv[index];
  if (expected >= 2) options.username = argv[index + 1];
  if (expected == 3) options.password = argv[index + 2];
  return std::nullopt;
}

// A username as the password file and MQTT can carry it (MQTT 5.0 section 3.1.3.5: a UTF-8
// string); ':' ends the username on a line.
std::optional<std::string> check_username(const std::string& username) {
  if (username.empty()) return "the username is empty";
  if (username.find(':') != std::string::npos) return "the username must not contain ':'";
  if (username.size() > 65535 || !mqtt::valid_utf8(username)) {
    return "the username is not a valid MQTT UTF-8 string";
  }
  return std::nullopt;
}

// Echo goes off before the prompt appears, so nothing typed in answer to it is echoed.
std::optional<std::string> read_line_without_echo(const char* prompt) {
  termios saved{};
  const bool terminal = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::fprintf(stderr, "%s", prompt);
  std::fflush(stderr);
  std::string line;
  const bool read = static_cast<bool>(std::getline(std::cin, line));
  if (terminal) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fprintf(stderr, "\n");
  }
  if (!read) return std::nullopt;
  return line;
}

// On a terminal the password is typed twice, as mosquitto_passwd asks; from a pipe it is
// the first line.
std::optional<std::string> obtain_password(std::string& error) {
  if (!::isatty(STDIN_FILENO)) {
    std::string line;
    if (!std::getline(std::cin, line)) {
      error = "no password on standard input";
      return std::nullopt;
    }
    if (line.ends_with('\r')) line.pop_back();
    return line;
  }
  auto first = read_line_without_echo("Password: ");
  auto second = first ? read_line_without_echo("Reenter password: ") : std::nullopt;
  if (!first || !second) {
    error = "no password entered";
    return std::nullopt;
  }
  if (*first != *second) {
    error = "the passwords do not match";
    return std::nullopt;
  }
  return first;
}

// The file's lines without their '\n'; nullopt when it cannot be read.
std::optional<std::vector<std::string>> read_lines(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return std::nullopt;
  std::vector<std::string> lines;
  for (std::string line; std::getline(stream, line);) lines.push_back(std::move(line));
  if (stream.bad()) return std::nullopt;
  return lines;
}

// The username of a `username:hash` line; empty for blank lines and comments.
std::string_view line_username(std::string_view line) {
  if (line.empty() || line.front() == '#') return {};
  const std::size_t colon = line.find(':');
  return colon == std::string_view::npos ? std::string_view{} : line.substr(0, colon);
}

// Writes a temporary file beside `path` and renames it over `path`, so that a reader (the
// broker reloading) sees the old file or the new one, never a part of either.
std::optional<std::string> replace_file(const std::string& path, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  std::string temporary = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) return "cannot create a temporary file beside " + path + ": " + std::strerror(errno);
  bool ok = ::fchmod(fd, S_IRUSR | S_IWUSR) == 0;
  for (std::size_t done = 0; ok && done < text.size();) {
    const ssize_t written = ::write(fd, text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) continue;
    ok = written > 0;
    if (ok) done += static_cast<std::size_t>(written);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ok = ::close(fd) == 0 && ok;
  if (ok && ::rename(temporary.c_str(), path.c_str()) == 0) return std::nullopt;
  const std::string reason = std::strerror(ok ? errno : saved_errno);
  ::unlink(temporary.c_str());
  return "cannot write " + path + ": " + reason;
}

std::optional<std::string> hashed_line(const PasswdOptions& options, const std::string& username,
                                       std::string_view password) {
  auto hash = config::hash_password(password, options.kind, options.iterations);
  if (!hash) return std::nullopt;
  return username + ":" + config::format_hash(*hash);
}

int set_password(const PasswdOptions& options) {
  if (auto problem = check_username(options.username)) return fail(*problem);
  std::vector<std::string> lines;
  if (!options.create) {
    auto existing = read_lines(options.file);
    if (!existing) {
      return fail("cannot read " + options.file + ": " + std::strerror(errno) + " (-c creates a new file)");
    }
    lines = std::move(*existing);
  }
  std::string error;
  const auto password = options.password ? options.password : obtain_password(error);
  if (!password) return fail(error);
  if (password->empty()) return fail("the password is empty");
  const auto line = hashed_line(options, options.username, *password);
  if (!line) return fail("hashing the password failed (OpenSSL)");
  bool replaced = false;
  for (auto& existing : lines) {
    if (line_username(existing) == options.username) {
      existing = *line;
      replaced = true;
    }
  }
  if (!replaced) lines.push_back(*line);
  if (auto problem = replace_file(options.file, lines)) return fail(*problem);
  return kOk;
}

int delete_user(const PasswdOptions& options) {
  auto lines = read_lines(options.file);
  if (!lines) return fail("cannot read " + options.file + ": " + std::strerror(errno));
  const auto removed = std::erase_if(*lines, [&](const std::string& line) {
    return line_username(line) == options.username;
  });
  if (removed == 0) return fail("user '" + options.username + "' not found in " + options.file);
  if (auto problem = replace_file(options.file, *lines)) return fail(*problem);
  return kOk;
}

// Mosquitto 1.x allowed plain-text passwords; a line whose password does not parse as a hash
// is one of them. Hashed lines are kept, so running -U twice does no harm.
int upgrade_file(const PasswdOptions& options) {
  auto lines = read_lines(options.file);
  if (!lines) return fail("cannot read " + options.file + ": " + std::strerror(errno));
  for (auto& line : *lines) {
    const std::string username(line_username(line));
    if (username.empty()) continue;
    std::string_view password = std::string_view(line).substr(username.size() + 1);
    if (password.ends_with('\r')) password.remove_suffix(1);
    std::string not_a_hash;
    if (config::parse_hash(password, not_a_hash)) continue;
    const auto hashed = hashed_line(options, username, password);
    if (!hashed) return fail("hashing the password failed (OpenSSL)");
    line = *hashed;
  }
  if (auto problem = replace_file(options.file, *lines)) return fail(*problem);
  return kOk;
}

}  // namespace

int passwd_main(int argc, char** argv) {
  PasswdOptions options;
  if (auto problem = parse_arguments(argc, argv, options)) return usage_error(*problem);
  if (options.help) {
    std::fputs(kUsageText, stdout);
    return kOk;
  }
  switch (options.action) {
    case Action::set_password:
      return set_password(options);
    case Action::delete_user:
      return delete_user(options);
    case Action::upgrade_file:
      return upgrade_file(options);
  }
  return kError;
}

}  // namespace attestmq::app

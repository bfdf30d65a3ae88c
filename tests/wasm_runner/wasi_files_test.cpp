// The runner's read-only WASI filesystem, driven by the test guest: raw WASI calls with
// host-given pointers, and wasi-libc's fopen/chdir with its own preopen lookup. A temporary
// tree holds a preopened directory and, beside it, a file the guest must not reach.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "guest_harness.hpp"

namespace attestmq::wasm::test {
namespace {

namespace fs = std::filesystem;

// WASI errno values (wasi_snapshot_preview1.witx).
constexpr std::uint32_t kSuccess = 0;
constexpr std::uint32_t kAcces = 2;
constexpr std::uint32_t kBadf = 8;
constexpr std::uint32_t kFault = 21;
constexpr std::uint32_t kInval = 28;
constexpr std::uint32_t kIsdir = 31;
constexpr std::uint32_t kLoop = 32;
constexpr std::uint32_t kMfile = 33;
constexpr std::uint32_t kNametoolong = 37;
constexpr std::uint32_t kNoent = 44;
constexpr std::uint32_t kNotdir = 54;
constexpr std::uint32_t kNotsup = 58;
constexpr std::uint32_t kRofs = 69;
constexpr std::uint32_t kNotcapable = 76;

// Rights, flags and types a guest passes or is told.
constexpr std::uint64_t kRightFdRead = 1u << 1;
constexpr std::uint64_t kRightFdWrite = 1u << 6;
constexpr std::uint64_t kFileRights = kRightFdRead | 1u << 2 | 1u << 5 | 1u << 21;
constexpr std::uint64_t kDirectoryRights = 1u << 13 | 1u << 18 | 1u << 21;
constexpr std::uint32_t kFollow = 1;
constexpr std::uint32_t kOflagCreat = 1;
constexpr std::uint32_t kOflagDirectory = 2;
constexpr std::uint32_t kOflagExcl = 4;
constexpr std::uint32_t kOflagTrunc = 8;
constexpr std::uint32_t kFdflagAppend = 1;
constexpr std::uint32_t kFdflagSync = 16;
constexpr std::uint8_t kFiletypeCharacterDevice = 2;
constexpr std::uint8_t kFiletypeDirectory = 3;
constexpr std::uint8_t kFiletypeRegularFile = 4;
constexpr std::uint8_t kFiletypeSymbolicLink = 7;

constexpr std::uint32_t kPreopen = 3;  // the first (and here only) preopen's descriptor
constexpr std::uint32_t kFirstOpened = 4;
const std::string kNotes = "user:$7$hash\nadmin:$7$other\n";

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

std::string file_content(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// root/secret.txt, outside the preopen; root/data, preopened as "/data", with files, a
// subdirectory, a FIFO and symbolic links within and out.
class TempTree {
 public:
  TempTree() {
    std::string pattern = (fs::temp_directory_path() / "attestmq-wasi-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp: " + pattern);
    root = pattern;
    data = root / "data";
    fs::create_directories(data / "sub");
    write_file(root / "secret.txt", "outside the preopen");
    write_file(data / "notes.txt", kNotes);
    write_file(data / "sub" / "inner.txt", "inner");
    std::string large(100 * 1024, '\0');
    for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 7 + i / 251);
    write_file(data / "large.bin", large);
    fs::create_symlink("notes.txt", data / "link_inside");
    fs::create_symlink("../secret.txt", data / "link_up");
    fs::create_symlink(root / "secret.txt", data / "link_absolute");
    if (::mkfifo((data / "fifo").c_str(), 0600) != 0) throw std::runtime_error("mkfifo");
  }
  ~TempTree() { fs::remove_all(root); }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  fs::path root;
  fs::path data;
};

struct Opened {
  std::uint32_t error;
  std::uint32_t fd;
  bool operator==(const Opened&) const = default;
};

struct Read {
  std::uint32_t error;
  std::string bytes;
  bool operator==(const Read&) const = default;
};

// Guest memory layout for the raw calls, in the input buffer: results at +0..+127, the
// iovec at +128, strings from +256.
class WasiFilesTest : public ::testing::Test, protected TempTree, protected GuestHarness {
 protected:
  explicit WasiFilesTest(const std::vector<Preopen>& preopens)
      : GuestHarness(preopens) {}
  WasiFilesTest() : GuestHarness({{"/data", data.string()}}) {}

  // Calls the guest export `function` with `arguments`, in a batch of its own. The arguments
  // are computed before: a helper that calls the guest must not run inside a batch.
  template <class Function, class... Arguments>
  std::uint32_t invoke(Function function, Arguments... arguments) {
    std::uint32_t result = 0xffffffff;
    EXPECT_EQ(runner.batch([&](Guest& guest) { result = function(&guest, arguments...); }),
              WASM_RT_TRAP_NONE);
    return result;
  }

  std::uint32_t input() { return input_buffer(); }
  std::uint32_t result_address() { return input(); }
  std::uint32_t memory_end() { return runner.memory().size(); }

  // Puts `text` at input+256 (NUL-terminated, for wasi-libc) and returns its address.
  std::uint32_t put_string(const std::string& text) {
    const auto target = runner.memory().span(input() + 256, text.size() + 1);
    EXPECT_TRUE(target);
    std::memcpy(target->data(), text.c_str(), text.size() + 1);
    return input() + 256;
  }

  std::string guest_bytes(std::uint32_t pointer, std::uint32_t length) {
    const auto bytes = runner.memory().span(pointer, length);
    EXPECT_TRUE(bytes);
    return bytes ? std::string(bytes->begin(), bytes->end()) : std::string();
  }

  template <class Integer>
  Integer load(std::uint32_t pointer) {
    Integer value{};
    const std::string bytes = guest_bytes(pointer, sizeof value);
    std::memcpy(&value, bytes.data(), std::min(bytes.size(), sizeof value));
    return value;
  }

  Opened open(const std::string& path, std::uint32_t oflags = 0,
              std::uint64_t rights = kFileRights, std::uint32_t fdflags = 0,
              std::uint32_t base = kPreopen, std::uint32_t dirflags = kFollow,
              std::uint64_t inheriting = 0) {
    const std::uint32_t text = put_string(path);
    const std::uint32_t fd_pointer = result_address();
    const auto length = static_cast<std::uint32_t>(path.size());
    const std::uint32_t error = invoke(Z_echo_guestZ_path_open, base, dirflags, text, length,
                                       oflags, rights, inheriting, fdflags, fd_pointer);
    return {error, error == kSuccess ? load<std::uint32_t>(fd_pointer) : 0};
  }

  // fd_read of up to `length` bytes into the guest's large buffer, through one iovec.
  Read read(std::uint32_t fd, std::uint32_t length = 4096) {
    const GuestMemory memory = runner.memory();
    const std::uint32_t large = invoke(Z_echo_guestZ_large_buffer);
    const std::uint32_t iovec = input() + 128;
    EXPECT_TRUE(memory.store_u32(iovec, large) && memory.store_u32(iovec + 4, length));
    const std::uint32_t error = invoke(Z_echo_guestZ_fd_read, fd, iovec, 1, result_address());
    if (error != kSuccess) return {error, {}};
    return {error, guest_bytes(large, load<std::uint32_t>(result_address()))};
  }

  std::uint64_t seek(std::uint32_t fd, std::int64_t offset, std::uint32_t whence,
                     std::uint32_t* error = nullptr) {
    const std::uint32_t result = invoke(Z_echo_guestZ_fd_seek, fd,
                                        static_cast<std::uint64_t>(offset), whence,
                                        result_address());
    if (error) *error = result;
    return load<std::uint64_t>(result_address());
  }

  std::uint32_t close(std::uint32_t fd) {
    return invoke(Z_echo_guestZ_fd_close, fd);
  }

  // read_file: the content read with fopen/fread, or the guest's errno.
  Read read_with_fopen(const std::string& path) {
    const std::uint32_t text = put_string(path);
    const auto count = static_cast<std::int32_t>(
        invoke(Z_echo_guestZ_read_file, text));
    if (count < 0) return {static_cast<std::uint32_t>(-count), {}};
    const std::uint32_t output = invoke(Z_echo_guestZ_output_buffer);
    return {kSuccess, guest_bytes(output, static_cast<std::uint32_t>(count))};
  }

  std::uint32_t change_directory(const std::string& path) {
    const std::uint32_t text = put_string(path);
    return invoke(Z_echo_guestZ_change_directory, text);
  }

  // open_file: fopen(path, mode) in the guest; 0 or its errno.
  std::uint32_t open_with_fopen(const std::string& path, const std::string& mode) {
    const std::uint32_t text = put_string(path + std::string(1, '\0') + mode);
    const auto mode_address = text + static_cast<std::uint32_t>(path.size()) + 1;
    return invoke(Z_echo_guestZ_open_file, text, mode_address);
  }

  // path_filestat_get's filetype and size, or its errno.
  std::pair<std::uint32_t, std::uint8_t> path_filetype(const std::string& path,
                                                       std::uint32_t flags = kFollow) {
    const std::uint32_t text = put_string(path);
    const std::uint32_t filestat = result_address();
    const std::uint32_t error = invoke(Z_echo_guestZ_path_filestat_get, kPreopen, flags, text,
                                       static_cast<std::uint32_t>(path.size()), filestat);
    return {error, error == kSuccess ? load<std::uint8_t>(filestat + 16) : 0};
  }
};

TEST_F(WasiFilesTest, PreopensAreListedFromDescriptorThree) {
  const std::uint32_t prestat = result_address();
  EXPECT_EQ(invoke(Z_echo_guestZ_fd_prestat_get, kPreopen, prestat),
            kSuccess);
  EXPECT_EQ(load<std::uint8_t>(prestat), 0u);  // a directory
  EXPECT_EQ(load<std::uint32_t>(prestat + 4), 5u);
  const std::uint32_t name = input() + 64;
  EXPECT_EQ(invoke(Z_echo_guestZ_fd_prestat_dir_name, kPreopen, name, 5),
            kSuccess);
  EXPECT_EQ(guest_bytes(name, 5), "/data");
  EXPECT_EQ(invoke(Z_echo_guestZ_fd_prestat_dir_name, kPreopen, name, 4),
            kNametoolong);
  // wasi-libc stops at the first EBADF; standard streams are not preopens either.
  EXPECT_EQ(invoke(Z_echo_guestZ_fd_prestat_get, 4, prestat), kBadf);
  EXPECT_EQ(invoke(Z_echo_guestZ_fd_prestat_get, 1, prestat), kBadf);
}

TEST_F(WasiFilesTest, RawCallsOpenReadSeekStatAndCloseAFile) {
  const Opened notes = open("notes.txt");
  ASSERT_EQ(notes.error, kSuccess);
  EXPECT_EQ(notes.fd, kFirstOpened);
  EXPECT_EQ(read(notes.fd).bytes, kNotes);
  EXPECT_EQ(read(notes.fd), (Read{kSuccess, ""}));  // end of file
  EXPECT_EQ(seek(notes.fd, 0, 1), kNotes.size());  // ftell
  EXPECT_EQ(seek(notes.fd, 5, 0), 5u);
  EXPECT_EQ(read(notes.fd, 7).bytes, kNotes.substr(5, 7));
  EXPECT_EQ(seek(notes.fd, -6, 2), kNotes.size() - 6);
  EXPECT_EQ(read(notes.fd).bytes, kNotes.substr(kNotes.size() - 6));
  std::uint32_t error = 0;
  seek(notes.fd, -1, 0, &error);
  EXPECT_EQ(error, kInval);
  seek(notes.fd, 0, 3, &error);
  EXPECT_EQ(error, kInval);

  const std::uint32_t filestat = result_address();
  ASSERT_EQ(invoke(Z_echo_guestZ_fd_filestat_get, notes.fd, filestat),
            kSuccess);
  EXPECT_EQ(load<std::uint8_t>(filestat + 16), kFiletypeRegularFile);
  EXPECT_EQ(load<std::uint64_t>(filestat + 32), kNotes.size());
  struct stat host_status {};
  ASSERT_EQ(::stat((data / "notes.txt").c_str(), &host_status), 0);
  EXPECT_EQ(load<std::uint64_t>(filestat + 8), host_status.st_ino);

  EXPECT_EQ(close(notes.fd), kSuccess);
  EXPECT_EQ(read(notes.fd).error, kBadf);
  EXPECT_EQ(close(notes.fd), kBadf);
  EXPECT_EQ(runner.host().refused_calls(), 0u);
}

TEST_F(WasiFilesTest, FopenReadsThroughWasiLibcsPreopenLookup) {
  EXPECT_EQ(read_with_fopen("/data/notes.txt"), (Read{kSuccess, kNotes}));
  EXPECT_EQ(read_with_fopen("/data/sub/inner.txt"), (Read{kSuccess, "inner"}));
  EXPECT_EQ(read_with_fopen("/data/link_inside"), (Read{kSuccess, kNotes}));
  EXPECT_EQ(read_with_fopen("/data/missing.txt").error, kNoent);
  // fclose gave every descriptor back.
  EXPECT_EQ(runner.host().files().opened_count(), 0u);
}

TEST_F(WasiFilesTest, ChdirMakesRelativePathsWorkIncludingDotDotBeneathThePreopen) {
  ASSERT_EQ(change_directory("/data/sub"), kSuccess);
  EXPECT_EQ(read_with_fopen("inner.txt"), (Read{kSuccess, "inner"}));
  EXPECT_EQ(read_with_fopen("../notes.txt"), (Read{kSuccess, kNotes}));
  EXPECT_EQ(change_directory("/data/notes.txt"), kNotdir);
  EXPECT_EQ(change_directory("/data/missing"), kNoent);
}

TEST_F(WasiFilesTest, OpensThatWouldWriteAreRefusedAndChangeNothing) {
  EXPECT_EQ(open("notes.txt", 0, kFileRights | kRightFdWrite).error, kNotcapable);
  EXPECT_EQ(open("notes.txt", 0, kFileRights, 0, kPreopen, kFollow, kRightFdWrite).error,
            kNotcapable);
  EXPECT_EQ(open("notes.txt", 0, 1u << 22).error, kNotcapable);  // fd_filestat_set_size
  EXPECT_EQ(open("notes.txt", 0, 1u << 26).error, kNotcapable);  // path_unlink_file
  EXPECT_EQ(open("notes.txt", kOflagTrunc).error, kRofs);
  EXPECT_EQ(open("new.txt", kOflagCreat).error, kRofs);
  EXPECT_EQ(open("new.txt", kOflagCreat | kOflagExcl).error, kRofs);
  EXPECT_EQ(open("notes.txt", 0, kFileRights, kFdflagAppend).error, kNotcapable);
  EXPECT_EQ(open("notes.txt", 0, kFileRights, kFdflagSync).error, kNotcapable);
  EXPECT_EQ(open("notes.txt", 1u << 4).error, kInval);  // no such oflag
  EXPECT_EQ(open_with_fopen("/data/new.txt", "w"), kRofs);
  EXPECT_EQ(open_with_fopen("/data/notes.txt", "a"), kRofs);
  EXPECT_FALSE(fs::exists(data / "new.txt"));
  EXPECT_EQ(file_content(data / "notes.txt"), kNotes);
  EXPECT_EQ(runner.host().files().opened_count(), 0u);
}

struct EscapeCase {
  const char* name;
  std::string (*path)(const TempTree& tree);
  std::uint32_t dirflags;
  std::uint32_t error;
};

class EscapeTest : public WasiFilesTest, public ::testing::WithParamInterface<EscapeCase> {};

TEST_P(EscapeTest, PathsLeavingThePreopenAreRefusedByOpenAndStat) {
  const std::string path = GetParam().path(*this);
  EXPECT_EQ(open(path, 0, kFileRights, 0, kPreopen, GetParam().dirflags).error, GetParam().error);
  EXPECT_EQ(path_filetype(path, GetParam().dirflags | kFollow).first, kNotcapable);
  EXPECT_EQ(runner.host().files().opened_count(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Escapes, EscapeTest,
    ::testing::Values(
        EscapeCase{"DotDot", [](const TempTree&) { return std::string("../secret.txt"); }, kFollow,
                   kNotcapable},
        EscapeCase{"DotDotAfterASubdirectory",
                   [](const TempTree&) { return std::string("sub/../../secret.txt"); }, kFollow,
                   kNotcapable},
        EscapeCase{"AbsolutePathOutside",
                   [](const TempTree& tree) { return (tree.root / "secret.txt").string(); },
                   kFollow, kNotcapable},
        EscapeCase{"AbsolutePathToTheSameDirectory",
                   [](const TempTree& tree) { return (tree.data / "notes.txt").string(); },
                   kFollow, kNotcapable},
        EscapeCase{"RelativeSymlinkOut", [](const TempTree&) { return std::string("link_up"); },
                   kFollow, kNotcapable},
        EscapeCase{"AbsoluteSymlinkOut",
                   [](const TempTree&) { return std::string("link_absolute"); }, kFollow,
                   kNotcapable},
        // Not following the last component: the link itself is not a file to read.
        EscapeCase{"SymlinkOutNotFollowed", [](const TempTree&) { return std::string("link_up"); },
                   0, kLoop}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(WasiFilesTest, FopenCannotLeaveThePreopenEither) {
  EXPECT_EQ(read_with_fopen("/data/../secret.txt").error, kNotcapable);
  EXPECT_EQ(read_with_fopen("/data/link_up").error, kNotcapable);
  // No preopen covers the path: wasi-libc refuses it without asking the host.
  EXPECT_EQ(read_with_fopen((root / "secret.txt").string()).error, kNotcapable);
  ASSERT_EQ(change_directory("/data"), kSuccess);
  EXPECT_EQ(read_with_fopen("../secret.txt").error, kNotcapable);
}

TEST_F(WasiFilesTest, PathsWithANulOrAsLongAsPathMaxAreRefused) {
  EXPECT_EQ(open(std::string("notes.txt\0.pem", 14)).error, kInval);
  // 4096 bytes, Linux's PATH_MAX with the NUL the host adds, in the guest's large buffer.
  const std::uint32_t large = invoke(Z_echo_guestZ_large_buffer);
  const auto path = runner.memory().span(large, 4096);
  ASSERT_TRUE(path);
  std::fill(path->begin(), path->end(), 'a');
  const std::uint32_t opened = result_address();
  EXPECT_EQ(invoke(Z_echo_guestZ_path_open, kPreopen, kFollow, large, 4096, 0, kFileRights, 0,
                   0, opened),
            kNametoolong);
}

TEST_F(WasiFilesTest, DirectoriesAreOnlyBasesForOpeningBeneathThem) {
  EXPECT_EQ(open("sub").error, kIsdir);
  EXPECT_EQ(open("notes.txt", kOflagDirectory, kDirectoryRights).error, kNotdir);
  const Opened sub = open("sub", kOflagDirectory, kDirectoryRights);
  ASSERT_EQ(sub.error, kSuccess);
  const Opened inner = open("inner.txt", 0, kFileRights, 0, sub.fd);
  ASSERT_EQ(inner.error, kSuccess);
  EXPECT_EQ(read(inner.fd).bytes, "inner");
  EXPECT_EQ(open("../secret.txt", 0, kFileRights, 0, sub.fd).error, kNotcapable);
  // Beneath the subdirectory now, not the preopen: its parent is outside.
  EXPECT_EQ(open("../notes.txt", 0, kFileRights, 0, sub.fd).error, kNotcapable);
  std::uint32_t error = 0;
  EXPECT_EQ(read(sub.fd).error, kNotcapable);
  EXPECT_EQ(read(kPreopen).error, kNotcapable);
  seek(sub.fd, 0, 0, &error);
  EXPECT_EQ(error, kNotcapable);
  EXPECT_EQ(open("notes.txt", 0, kFileRights, 0, inner.fd).error, kNotcapable);
  for (const std::uint32_t fd : {kPreopen, sub.fd, inner.fd}) {
    EXPECT_EQ(invoke(Z_echo_guestZ_fd_readdir, fd, input(), 256, 0, result_address()),
              kNotcapable);
  }
}

TEST_F(WasiFilesTest, OnlyRegularFilesAreOffered) {
  // Opening a FIFO for reading would block until a writer came; the runner must not wait.
  EXPECT_EQ(open("fifo").error, kAcces);
  EXPECT_EQ(runner.host().files().opened_count(), 0u);
}

TEST_F(WasiFilesTest, FdstatTellsTypesAndGrantsNoWriteRightToFilesOrDirectories) {
  const Opened notes = open("notes.txt");
  ASSERT_EQ(notes.error, kSuccess);
  const std::uint32_t fdstat = result_address();
  struct Expected {
    std::uint32_t fd;
    std::uint8_t filetype;
    std::uint64_t rights;
    std::uint64_t inheriting;
  };
  for (const Expected& expected :
       {Expected{1, kFiletypeCharacterDevice, kRightFdWrite, 0},
        Expected{2, kFiletypeCharacterDevice, kRightFdWrite, 0},
        Expected{kPreopen, kFiletypeDirectory, kDirectoryRights, kFileRights | kDirectoryRights},
        Expected{notes.fd, kFiletypeRegularFile, kFileRights, 0}}) {
    ASSERT_EQ(invoke(Z_echo_guestZ_fd_fdstat_get, expected.fd, fdstat),
              kSuccess);
    EXPECT_EQ(load<std::uint8_t>(fdstat), expected.filetype) << expected.fd;
    EXPECT_EQ(load<std::uint16_t>(fdstat + 2), 0u) << expected.fd;
    EXPECT_EQ(load<std::uint64_t>(fdstat + 8), expected.rights) << expected.fd;
    EXPECT_EQ(load<std::uint64_t>(fdstat + 16), expected.inheriting) << expected.fd;
  }
  EXPECT_EQ(invoke(Z_echo_guestZ_fd_fdstat_get, 0, fdstat), kBadf);
  EXPECT_EQ(invoke(Z_echo_guestZ_fd_fdstat_set_flags, notes.fd, 1),
            kNotcapable);
  EXPECT_EQ(invoke(Z_echo_guestZ_fd_fdstat_set_flags, 99, 0), kBadf);
}

TEST_F(WasiFilesTest, PathFilestatGetFollowsLinksOnlyWhenAsked) {
  EXPECT_EQ(path_filetype("sub"), std::make_pair(kSuccess, kFiletypeDirectory));
  EXPECT_EQ(path_filetype("link_inside"), std::make_pair(kSuccess, kFiletypeRegularFile));
  EXPECT_EQ(path_filetype("link_inside", 0), std::make_pair(kSuccess, kFiletypeSymbolicLink));
  // The link itself lies beneath the preopen, even if its target does not.
  EXPECT_EQ(path_filetype("link_up", 0), std::make_pair(kSuccess, kFiletypeSymbolicLink));
  EXPECT_EQ(path_filetype("missing").first, kNoent);
  EXPECT_EQ(path_filetype("notes.txt", 2).first, kInval);
}

TEST_F(WasiFilesTest, UnknownAndStandardDescriptorsAreBadAndPreopensStay) {
  const std::uint32_t pointer = result_address();
  for (const std::uint32_t fd : {0u, 1u, 2u, kFirstOpened, 99u, 0xffffffffu}) {
    EXPECT_EQ(read(fd).error, kBadf) << fd;
    std::uint32_t error = 0;
    seek(fd, 0, 0, &error);
    EXPECT_EQ(error, kBadf) << fd;
    EXPECT_EQ(close(fd), kBadf) << fd;
    EXPECT_EQ(open("notes.txt", 0, kFileRights, 0, fd).error, kBadf) << fd;
    EXPECT_EQ(invoke(Z_echo_guestZ_fd_filestat_get, fd, pointer),
              kBadf);
    EXPECT_EQ(invoke(Z_echo_guestZ_fd_readdir, fd, pointer, 8, 0, pointer),
              kBadf);
  }
  EXPECT_EQ(close(kPreopen), kNotsup);
  EXPECT_EQ(open("notes.txt").error, kSuccess);
}

TEST_F(WasiFilesTest, DescriptorTableHoldsAtMost64OpenedFiles) {
  std::vector<std::uint32_t> fds;
  for (std::size_t i = 0; i < GuestFiles::kMaxOpened; ++i) {
    const Opened opened = open("notes.txt");
    ASSERT_EQ(opened.error, kSuccess) << i;
    fds.push_back(opened.fd);
  }
  EXPECT_EQ(fds.front(), kFirstOpened);
  EXPECT_EQ(fds.back(), kFirstOpened + GuestFiles::kMaxOpened - 1);
  EXPECT_EQ(open("notes.txt").error, kMfile);
  EXPECT_EQ(open("sub", kOflagDirectory, kDirectoryRights).error, kMfile);
  EXPECT_EQ(read_with_fopen("/data/notes.txt").error, kMfile);
  // A closed number is the lowest free one, and is given out again.
  ASSERT_EQ(close(fds[10]), kSuccess);
  EXPECT_EQ(open("notes.txt"), (Opened{kSuccess, fds[10]}));
  EXPECT_EQ(runner.host().files().opened_count(), GuestFiles::kMaxOpened);
}

TEST_F(WasiFilesTest, FdReadTakesAtMost64KiBPerCall) {
  const std::string large = file_content(data / "large.bin");
  const Opened file = open("large.bin");
  ASSERT_EQ(file.error, kSuccess);
  const std::uint32_t size = invoke(Z_echo_guestZ_large_buffer_size);
  ASSERT_GT(size, large.size());
  const Read first = read(file.fd, size);
  ASSERT_EQ(first.error, kSuccess);
  EXPECT_EQ(first.bytes, large.substr(0, 64 * 1024));
  const Read second = read(file.fd, size);
  EXPECT_EQ(second.bytes, large.substr(64 * 1024));
}

TEST_F(WasiFilesTest, FdReadFillsSeveralBuffersInOrder) {
  const Opened notes = open("notes.txt");
  ASSERT_EQ(notes.error, kSuccess);
  const GuestMemory memory = runner.memory();
  const std::uint32_t iovecs = input() + 128;
  const std::uint32_t buffers = input() + 1024;
  ASSERT_TRUE(memory.store_u32(iovecs, buffers) && memory.store_u32(iovecs + 4, 4) &&
              memory.store_u32(iovecs + 8, buffers + 100) && memory.store_u32(iovecs + 12, 0) &&
              memory.store_u32(iovecs + 16, buffers + 200) && memory.store_u32(iovecs + 20, 6));
  ASSERT_EQ(invoke(Z_echo_guestZ_fd_read, notes.fd, iovecs, 3, result_address()),
            kSuccess);
  EXPECT_EQ(load<std::uint32_t>(result_address()), 10u);
  EXPECT_EQ(guest_bytes(buffers, 4), kNotes.substr(0, 4));
  EXPECT_EQ(guest_bytes(buffers + 200, 6), kNotes.substr(4, 6));
}

TEST_F(WasiFilesTest, EnvironmentIsEmpty) {
  const GuestMemory memory = runner.memory();
  const std::uint32_t count = result_address();
  ASSERT_TRUE(memory.store_u32(count, 0xffffffff) && memory.store_u32(count + 4, 0xffffffff));
  ASSERT_EQ(invoke(Z_echo_guestZ_environ_sizes_get, count, count + 4),
            kSuccess);
  EXPECT_EQ(load<std::uint32_t>(count), 0u);
  EXPECT_EQ(load<std::uint32_t>(count + 4), 0u);
  EXPECT_EQ(invoke(Z_echo_guestZ_environ_get, count, count + 8),
            kSuccess);
}

// An import call with one pointer outside memory; `file` is an open descriptor of notes.txt.
struct OutOfBoundsCase {
  const char* name;
  std::uint32_t (*call)(Guest* guest, std::uint32_t end, std::uint32_t input, std::uint32_t file);
  const char* refused;  // the start of the runner's log line
};

class OutOfBoundsTest : public WasiFilesTest,
                        public ::testing::WithParamInterface<OutOfBoundsCase> {};

TEST_P(OutOfBoundsTest, IsRefusedWithEfaultAndChangesNothing) {
  const Opened notes = open("notes.txt");
  ASSERT_EQ(notes.error, kSuccess);
  // A valid path and iovec for the cases that do not spoil them.
  const std::uint32_t end = memory_end();
  put_string("notes.txt");
  const std::uint32_t large = invoke(Z_echo_guestZ_large_buffer);
  ASSERT_TRUE(runner.memory().store_u32(input() + 128, large) &&
              runner.memory().store_u32(input() + 132, 16));
  const std::uint32_t base = input();
  EXPECT_EQ(invoke(GetParam().call, end, base, notes.fd), kFault);
  EXPECT_EQ(runner.host().refused_calls(), 1u);
  EXPECT_TRUE(logged(std::string("refused ") + GetParam().refused)) << log.back();
  EXPECT_EQ(runner.instances_created(), 1u);
  // Nothing was opened or read: the file is still at its start, the only one open.
  EXPECT_EQ(runner.host().files().opened_count(), 1u);
  EXPECT_EQ(read(notes.fd).bytes, kNotes);
}

INSTANTIATE_TEST_SUITE_P(
    Pointers, OutOfBoundsTest,
    ::testing::Values(
        OutOfBoundsCase{"PrestatGet",
                        [](Guest* g, std::uint32_t end, std::uint32_t, std::uint32_t) {
                          return Z_echo_guestZ_fd_prestat_get(g, kPreopen, end - 4);
                        },
                        "wasi fd_prestat_get: guest range"},
        OutOfBoundsCase{"PrestatDirName",
                        [](Guest* g, std::uint32_t end, std::uint32_t, std::uint32_t) {
                          return Z_echo_guestZ_fd_prestat_dir_name(g, kPreopen, end - 2, 5);
                        },
                        "wasi fd_prestat_dir_name: guest range"},
        OutOfBoundsCase{"PathOpenPath",
                        [](Guest* g, std::uint32_t end, std::uint32_t, std::uint32_t) {
                          return Z_echo_guestZ_path_open(g, kPreopen, kFollow, end - 4, 9, 0,
                                                         kFileRights, 0, 0, 0);
                        },
                        "wasi path_open path: guest range"},
        OutOfBoundsCase{"PathOpenResult",
                        [](Guest* g, std::uint32_t end, std::uint32_t input, std::uint32_t) {
                          return Z_echo_guestZ_path_open(g, kPreopen, kFollow, input + 256, 9, 0,
                                                         kFileRights, 0, 0, end - 2);
                        },
                        "wasi path_open fd: guest range"},
        OutOfBoundsCase{"FdReadResult",
                        [](Guest* g, std::uint32_t end, std::uint32_t input, std::uint32_t file) {
                          return Z_echo_guestZ_fd_read(g, file, input + 128, 1, end - 2);
                        },
                        "wasi fd_read nread: guest range"},
        OutOfBoundsCase{"FdReadIovecs",
                        [](Guest* g, std::uint32_t end, std::uint32_t input, std::uint32_t file) {
                          return Z_echo_guestZ_fd_read(g, file, end - 4, 1, input);
                        },
                        "wasi fd_read iovecs: guest range"},
        OutOfBoundsCase{"FdReadIovecCountWrapsAround",
                        [](Guest* g, std::uint32_t, std::uint32_t input, std::uint32_t file) {
                          return Z_echo_guestZ_fd_read(g, file, input + 128, 1u << 29, input);
                        },
                        "wasi fd_read iovecs: guest range"},
        OutOfBoundsCase{"FdReadBuffer",
                        [](Guest* g, std::uint32_t end, std::uint32_t input, std::uint32_t file) {
                          // A second iovec after the valid one, naming bytes past the end.
                          const std::uint32_t iovecs = input + 128;
                          GuestMemory memory(*Z_echo_guestZ_memory(g));
                          memory.store_u32(iovecs + 8, end - 8);
                          memory.store_u32(iovecs + 12, 16);
                          return Z_echo_guestZ_fd_read(g, file, iovecs, 2, input);
                        },
                        "wasi fd_read buffer: guest range"},
        OutOfBoundsCase{"FdSeekResult",
                        [](Guest* g, std::uint32_t end, std::uint32_t, std::uint32_t file) {
                          return Z_echo_guestZ_fd_seek(g, file, 5, 0, end - 4);
                        },
                        "wasi fd_seek newoffset: guest range"},
        OutOfBoundsCase{"FdstatGet",
                        [](Guest* g, std::uint32_t end, std::uint32_t, std::uint32_t file) {
                          return Z_echo_guestZ_fd_fdstat_get(g, file, end - 8);
                        },
                        "wasi fd_fdstat_get: guest range"},
        OutOfBoundsCase{"FilestatGet",
                        [](Guest* g, std::uint32_t end, std::uint32_t, std::uint32_t file) {
                          return Z_echo_guestZ_fd_filestat_get(g, file, end - 8);
                        },
                        "wasi fd_filestat_get: guest range"},
        OutOfBoundsCase{"PathFilestatGetPath",
                        [](Guest* g, std::uint32_t end, std::uint32_t input, std::uint32_t) {
                          return Z_echo_guestZ_path_filestat_get(g, kPreopen, kFollow, end - 4, 9,
                                                                 input);
                        },
                        "wasi path_filestat_get path: guest range"},
        OutOfBoundsCase{"PathFilestatGetResult",
                        [](Guest* g, std::uint32_t end, std::uint32_t input, std::uint32_t) {
                          return Z_echo_guestZ_path_filestat_get(g, kPreopen, kFollow, input + 256,
                                                                 9, end - 8);
                        },
                        "wasi path_filestat_get: guest range"},
        OutOfBoundsCase{"EnvironCount",
                        [](Guest* g, std::uint32_t end, std::uint32_t input, std::uint32_t) {
                          return Z_echo_guestZ_environ_sizes_get(g, end - 2, input);
                        },
                        "wasi environ_sizes_get count: guest range"},
        OutOfBoundsCase{"EnvironBufferSize",
                        [](Guest* g, std::uint32_t end, std::uint32_t input, std::uint32_t) {
                          return Z_echo_guestZ_environ_sizes_get(g, input, end - 2);
                        },
                        "wasi environ_sizes_get buf_size: guest range"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(WasiFilesTest, ProcExitIsALoggedTrapAndTheFreshInstanceHasNoOpenFiles) {
  const Opened notes = open("notes.txt");
  ASSERT_EQ(notes.error, kSuccess);
  EXPECT_EQ(count_call(), 1u);
  bool returned = false;
  const wasm_rt_trap_t trap = runner.batch([&](Guest& guest) {
    Z_echo_guestZ_proc_exit(&guest, 3);
    returned = true;
  });
  EXPECT_EQ(trap, WASM_RT_TRAP_UNREACHABLE);
  EXPECT_FALSE(returned);
  EXPECT_TRUE(logged("guest called proc_exit(3)"));
  EXPECT_TRUE(logged("guest trapped: "));
  EXPECT_EQ(runner.instances_created(), 2u);
  EXPECT_EQ(count_call(), 1u);
  // The dropped instance's descriptor is gone, and its number is free for the new one.
  EXPECT_EQ(runner.host().files().opened_count(), 0u);
  EXPECT_EQ(read(notes.fd).error, kBadf);
  EXPECT_EQ(read_with_fopen("/data/notes.txt"), (Read{kSuccess, kNotes}));
  EXPECT_EQ(open("sub/inner.txt"), (Opened{kSuccess, kFirstOpened}));
}

// The enclave's configuration: the host's "/" preopened as "/", and the guest changes to the
// host's working directory, so that the configuration's paths mean what they mean natively.
class RootPreopenTest : public WasiFilesTest {
 protected:
  RootPreopenTest() : WasiFilesTest({{"/", "/"}}) {}
};

TEST_F(RootPreopenTest, AbsoluteAndRelativePathsBothWork) {
  EXPECT_EQ(read_with_fopen((data / "notes.txt").string()), (Read{kSuccess, kNotes}));
  ASSERT_EQ(change_directory(data.string()), kSuccess);
  EXPECT_EQ(read_with_fopen("notes.txt"), (Read{kSuccess, kNotes}));
  EXPECT_EQ(read_with_fopen("../secret.txt"), (Read{kSuccess, "outside the preopen"}));
  // Beneath "/", ".." at the top and magic links still go nowhere.
  EXPECT_EQ(open("../etc/passwd").error, kNotcapable);
  EXPECT_EQ(open("proc/self/root/etc/passwd").error, kLoop);
  EXPECT_EQ(open("proc/self/fd/0").error, kLoop);
}

TEST(WasiFilesPreopen, AMissingHostDirectoryFailsTheRunnersConstruction) {
  const auto construct = [] {
    Runner<EchoGuest> runner({.send = [](std::uint32_t, std::span<const std::uint8_t>) -> std::uint64_t { return 0; },
                              .close = [](std::uint32_t) {},
                              .log = [](std::uint32_t, std::string_view) {},
                              .evidence = {}},
                             {{"/etc", "/nonexistent/attestmq"}});
  };
  EXPECT_THROW(construct(), std::runtime_error);
}

}  // namespace
}  // namespace attestmq::wasm::test

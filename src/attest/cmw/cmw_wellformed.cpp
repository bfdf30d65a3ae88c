#include "attest/cmw/cmw_wellformed.hpp"

#include <fmt/format.h>

#include <vector>

namespace attestmq::attest {

namespace {

enum Major : std::uint8_t {
  kUnsigned = 0,
  kNegative = 1,
  kBytes = 2,
  kText = 3,
  kArray = 4,
  kMap = 5,
  kTag = 6,
  kSimple = 7
};

}  // namespace

bool check_cbor_well_formed(std::span<const std::uint8_t> bytes, std::size_t max_depth,
                            std::string& error) {
  // Items still owed by each open array/map, innermost last.
  std::vector<std::uint64_t> open;
  std::size_t offset = 0;
  std::size_t top_level_items = 0;
  auto fail = [&](std::string_view what) {
    error = fmt::format("CBOR: {} at byte {}", what, offset);
    return false;
  };
  auto item_done = [&] {
    while (!open.empty()) {
      if (--open.back() > 0) return;
      open.pop_back();  // the container is complete: it counts as one item of its parent
    }
    ++top_level_items;
  };
  while (offset < bytes.size()) {
    if (open.empty() && top_level_items == 1) return fail("trailing bytes after the item");
    const std::uint8_t initial = bytes[offset];
    const auto major = static_cast<Major>(initial >> 5);
    const std::uint8_t info = initial & 0x1f;
    std::size_t head = 1;
    std::uint64_t argument = info;
    // RFC 8949 section 3: additional information 24..27 carries a 1, 2, 4 or 8 byte argument,
    // 28..30 are reserved, 31 is the indefinite-length marker (or "break").
    if (info >= 24 && info <= 27) {
      const std::size_t width = std::size_t{1} << (info - 24);
      if (bytes.size() - offset - 1 < width) return fail("truncated head");
      argument = 0;
      for (std::size_t i = 0; i < width; ++i) argument = argument << 8 | bytes[offset + 1 + i];
      head += width;
      // RFC 8949 section 4.2.1: deterministic CBOR takes the shortest head. A longer one would
      // parse here yet re-encode differently (and libcbor loads some short forms only).
      // Major type 7 with 2 to 8 bytes holds a float, whose shortest form is another matter.
      const std::uint64_t shortest_limit = width == 1 ? 24 : std::uint64_t{1} << (4 * width);
      if ((major != kSimple || width == 1) && argument < shortest_limit)
        return fail("argument not in its shortest form (not canonical CBOR)");
    } else if (info >= 28 && info <= 30) {
      return fail("reserved additional information");
    } else if (info == 31) {
      return fail("indefinite-length item or break (not accepted)");
    }
    const std::uint64_t remaining = bytes.size() - offset - head;
    switch (major) {
      case kUnsigned:
      case kNegative:
      case kSimple:
        offset += head;
        item_done();
        break;
      case kBytes:
      case kText:
        if (argument > remaining) return fail("string length beyond the input");
        offset += head + static_cast<std::size_t>(argument);
        item_done();
        break;
      case kArray:
      case kMap: {
        const std::uint64_t owed = major == kMap ? argument * 2 : argument;
        // Every item takes at least one byte, so more items than bytes cannot be real.
        if (argument > remaining || owed > remaining) return fail("count beyond the input");
        offset += head;
        if (owed == 0) {
          item_done();
        } else {
          if (open.size() >= max_depth) return fail("nesting too deep");
          open.push_back(owed);
        }
        break;
      }
      case kTag:
        // A tag owes exactly one item; counting it as a level bounds libcbor's recursion.
        offset += head;
        if (open.size() >= max_depth) return fail("nesting too deep");
        open.push_back(1);
        break;
    }
  }
  if (!open.empty() || top_level_items != 1) return fail("truncated item");
  return true;
}

}  // namespace attestmq::attest

#include "attest/cmw/cmw_writer.hpp"

namespace attestmq::attest {

void CborWriter::head(std::uint8_t major, std::uint64_t argument) {
  const auto initial = static_cast<std::uint8_t>(major << 5);
  if (argument < 24) {
    out_.push_back(static_cast<std::uint8_t>(initial | argument));
    return;
  }
  int width = 8;
  std::uint8_t info = 27;
  if (argument <= 0xff) {
    width = 1, info = 24;
  } else if (argument <= 0xffff) {
    width = 2, info = 25;
  } else if (argument <= 0xffffffff) {
    width = 4, info = 26;
  }
  out_.push_back(static_cast<std::uint8_t>(initial | info));
  for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) {
    out_.push_back(static_cast<std::uint8_t>(argument >> shift));
  }
}

void CborWriter::negative_int(std::int64_t value) {
  // RFC 8949 section 3.1, major type 1: the argument is -1 - value.
  head(1, static_cast<std::uint64_t>(-(value + 1)));
}

void CborWriter::integer(std::int64_t value) {
  if (value < 0) {
    negative_int(value);
  } else {
    unsigned_int(static_cast<std::uint64_t>(value));
  }
}

void CborWriter::bytes(std::span<const std::uint8_t> value) {
  head(2, value.size());
  out_.insert(out_.end(), value.begin(), value.end());
}

void CborWriter::text(std::string_view value) {
  head(3, value.size());
  out_.insert(out_.end(), value.begin(), value.end());
}

void CborWriter::raw(std::span<const std::uint8_t> encoded) {
  out_.insert(out_.end(), encoded.begin(), encoded.end());
}

}  // namespace attestmq::attest

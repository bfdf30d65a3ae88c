#pragma once
// Deterministically encoded CBOR (RFC 8949 section 4.2.1): the shortest head for every
// argument, definite lengths only. Callers emit map keys in bytewise order of their encoding.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace attestmq::attest {

class CborWriter {
 public:
  void unsigned_int(std::uint64_t value) { head(0, value); }
  void negative_int(std::int64_t value);  // value < 0
  void integer(std::int64_t value);
  void bytes(std::span<const std::uint8_t> value);
  void text(std::string_view value);
  void array(std::uint64_t count) { head(4, count); }
  void map(std::uint64_t pairs) { head(5, pairs); }
  void tag(std::uint64_t number) { head(6, number); }
  // Appends an already encoded item verbatim.
  void raw(std::span<const std::uint8_t> encoded);

  const std::vector<std::uint8_t>& data() const { return out_; }
  std::vector<std::uint8_t> take() { return std::move(out_); }

 private:
  void head(std::uint8_t major, std::uint64_t argument);
  std::vector<std::uint8_t> out_;
};

}  // namespace attestmq::attest

#pragma once
// A pass over CBOR heads before libcbor builds a tree: libcbor would otherwise allocate
// whatever an array or map head declares and recurse as deep as the input nests.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace attestmq::attest {

// True if `bytes` is exactly one well-formed CBOR data item (RFC 8949 section 3) that uses
// only definite lengths, nests at most `max_depth` arrays, maps and tags, and whose every declared
// length fits in what remains of the input. Otherwise sets `error` with the byte offset.
bool check_cbor_well_formed(std::span<const std::uint8_t> bytes, std::size_t max_depth,
                            std::string& error);

}  // namespace attestmq::attest

// CMW in JSON (draft-ietf-rats-msg-wrap): a record is [type, base64url value, ?indicator],
// a collection an object of label -> CMW with an optional "__cmwc_t".
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "attest/cmw/cmw.hpp"

namespace attestmq::attest {

namespace {

using nlohmann::json;

constexpr std::uint64_t kIndicatorMask = 0x1f;

int base64url_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// RFC 4648 section 5 without padding, as the draft requires for JSON records. Strict: a
// length of 1 mod 4 or nonzero unused low bits mean the text is not a canonical encoding.
std::optional<std::vector<std::uint8_t>> decode_base64url(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const int digit = base64url_digit(c);
    if (digit < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(digit);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(buffer >> bits));
      buffer &= (1u << bits) - 1;
    }
  }
  if (buffer != 0) return std::nullopt;
  return out;
}

class JsonCmwReader {
 public:
  JsonCmwReader(const CmwLimits& limits, std::string& error) : limits_(limits), error_(error) {}

  std::optional<Cmw> read(const json& node, std::size_t depth, const std::string& where) {
    if (node.is_array()) return read_record(node, where);
    if (node.is_object()) return read_collection(node, depth, where);
    return fail(where, "is neither a record (array) nor a collection (object)");
  }

 private:
  std::optional<Cmw> fail(const std::string& where, std::string_view what) {
    error_ = fmt::format("CMW {}: {}", where, what);
    return std::nullopt;
  }

  std::optional<Cmw> read_record(const json& node, const std::string& where) {
    if (node.size() != 2 && node.size() != 3) {
      return fail(where, "record must have 2 or 3 elements");
    }
    Cmw cmw;
    cmw.form = Cmw::Form::record;
    if (node[0].is_string()) {
      // The same rule as in CBOR, so that any CMW read from JSON can be written as CBOR.
      if (!plausible_media_type(node[0].get_ref<const std::string&>())) {
        return fail(where, "record type is not a media type");
      }
      cmw.type = node[0].get<std::string>();
    } else if (node[0].is_number_unsigned()) {
      cmw.type = node[0].get<std::uint64_t>();
    } else {
      return fail(where, "record type must be a string or an unsigned integer");
    }
    if (!node[1].is_string()) return fail(where, "record value must be a base64url string");
    auto value = decode_base64url(node[1].get_ref<const std::string&>());
    if (!value) return fail(where, "record value is not unpadded base64url");
    cmw.value = std::move(*value);
    if (node.size() == 3) {
      if (!node[2].is_number_unsigned()) return fail(where, "indicator must be unsigned");
      const auto indicator = node[2].get<std::uint64_t>();
      if ((indicator & ~kIndicatorMask) != 0) return fail(where, "unknown indicator bits");
      cmw.indicator = indicator;
    }
    return cmw;
  }

  std::optional<Cmw> read_collection(const json& node, std::size_t depth,
                                     const std::string& where) {
    if (depth >= limits_.max_depth) return fail(where, "collections nested too deep");
    if (node.size() > limits_.max_items + 1) return fail(where, "too many members");
    Cmw cmw;
    cmw.form = Cmw::Form::collection;
    for (const auto& [label, member] : node.items()) {
      if (label == "__cmwc_t") {
        if (!member.is_string()) return fail(where, "__cmwc_t must be a string");
        cmw.collection_type = member.get<std::string>();
        continue;
      }
      auto inner = read(member, depth + 1, where + "." + label);
      if (!inner) return std::nullopt;
      cmw.items.push_back(CmwItem{CmwLabel{label}, std::move(*inner)});
    }
    if (cmw.items.empty()) return fail(where, "collection has no members");
    return cmw;
  }

  const CmwLimits& limits_;
  std::string& error_;
};

}  // namespace

std::optional<Cmw> parse_cmw_json(std::string_view text, std::string& error,
                                  const CmwLimits& limits) {
  if (text.size() > limits.max_bytes) {
    error = fmt::format("CMW: {} bytes exceed the limit of {}", text.size(), limits.max_bytes);
    return std::nullopt;
  }
  const json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    error = "CMW: not valid JSON";
    return std::nullopt;
  }
  return JsonCmwReader(limits, error).read(root, 0, "$");
}

}  // namespace attestmq::attest

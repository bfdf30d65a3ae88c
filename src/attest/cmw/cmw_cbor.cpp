// CMW in CBOR (draft-ietf-rats-msg-wrap): parsed with libcbor after a bounds pass over the
// heads, encoded deterministically with CborWriter.
#include <cbor.h>
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "attest/cmw/cmw.hpp"
#include "attest/cmw/cmw_wellformed.hpp"
#include "attest/cmw/cmw_writer.hpp"

namespace attestmq::attest {

const Cmw* Cmw::find(std::string_view label) const {
  for (const auto& item : items) {
    const auto* text = std::get_if<std::string>(&item.label.value);
    if (text != nullptr && *text == label) return &item.cmw;
  }
  return nullptr;
}

// RFC 6838 section 4.2: media type names are restricted printable ASCII; parameters add
// '=', ';', ' ' and quotes, so accept printable ASCII as a whole.
bool plausible_media_type(std::string_view type) {
  if (type.empty() || type.size() > 255) return false;
  return std::all_of(type.begin(), type.end(), [](char c) { return c > 0x1f && c < 0x7f; });
}

namespace {

constexpr std::string_view kCollectionTypeLabel = "__cmwc_t";
// The largest indicator value the draft defines a bit for (trust anchors, 16) sets bits 0..4.
constexpr std::uint64_t kIndicatorMask = 0x1f;
// Each CMW level may sit inside one CBOR array or map and one tag.
constexpr std::size_t kCborLevelsPerCmwLevel = 3;

struct ItemDeleter {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};
using ItemPtr = std::unique_ptr<cbor_item_t, ItemDeleter>;

std::string text_of(cbor_item_t* item) {
  return std::string(reinterpret_cast<const char*>(cbor_string_handle(item)),
                     cbor_string_length(item));
}

std::vector<std::uint8_t> bytes_of(cbor_item_t* item) {
  const auto* data = cbor_bytestring_handle(item);
  return std::vector<std::uint8_t>(data, data + cbor_bytestring_length(item));
}

class CborCmwReader {
 public:
  CborCmwReader(const CmwLimits& limits, std::string& error) : limits_(limits), error_(error) {}

  std::optional<Cmw> read(cbor_item_t* item, std::size_t depth, const std::string& where) {
    switch (cbor_typeof(item)) {
      case CBOR_TYPE_ARRAY:
        return read_record(item, where);
      case CBOR_TYPE_TAG:
        return read_tag(item, where);
      case CBOR_TYPE_MAP:
        return read_collection(item, depth, where);
      default:
        return fail(where, "is neither a record (array), a tag nor a collection (map)");
    }
  }

 private:
  std::optional<Cmw> fail(const std::string& where, std::string_view what) {
    error_ = fmt::format("CMW {}: {}", where, what);
    return std::nullopt;
  }

  // record = [type: media type text / CoAP Content-Format uint, value: bstr, ? ind: uint]
  std::optional<Cmw> read_record(cbor_item_t* item, const std::string& where) {
    const std::size_t size = cbor_array_size(item);
    if (size != 2 && size != 3) return fail(where, "record must have 2 or 3 elements");
    cbor_item_t** elements = cbor_array_handle(item);
    Cmw cmw;
    cmw.form = Cmw::Form::record;
    if (cbor_isa_string(elements[0])) {
      std::string type = text_of(elements[0]);
      if (!plausible_media_type(type)) return fail(where, "record type is not a media type");
      cmw.type = std::move(type);
    } else if (cbor_isa_uint(elements[0])) {
      cmw.type = cbor_get_int(elements[0]);
    } else {
      return fail(where, "record type must be text or an unsigned integer");
    }
    if (!cbor_isa_bytestring(elements[1])) return fail(where, "record value must be bytes");
    cmw.value = bytes_of(elements[1]);
    if (size == 3) {
      if (!cbor_isa_uint(elements[2])) return fail(where, "indicator must be an unsigned int");
      const std::uint64_t indicator = cbor_get_int(elements[2]);
      if ((indicator & ~kIndicatorMask) != 0) return fail(where, "unknown indicator bits");
      cmw.indicator = indicator;
    }
    return cmw;
  }

  // tag form = #6.<tag number>(bstr)
  std::optional<Cmw> read_tag(cbor_item_t* item, const std::string& where) {
    const ItemPtr content(cbor_tag_item(item));
    if (!cbor_isa_bytestring(content.get())) return fail(where, "tagged CMW must wrap bytes");
    Cmw cmw;
    cmw.form = Cmw::Form::tag;
    cmw.tag = cbor_tag_value(item);
    cmw.value = bytes_of(content.get());
    return cmw;
  }

  // collection = { ? "__cmwc_t": text, + label (text / int) => CMW }
  std::optional<Cmw> read_collection(cbor_item_t* item, std::size_t depth,
                                     const std::string& where) {
    if (depth >= limits_.max_depth) return fail(where, "collections nested too deep");
    const std::size_t size = cbor_map_size(item);
    if (size > limits_.max_items + 1) return fail(where, "collection has too many members");
    Cmw cmw;
    cmw.form = Cmw::Form::collection;
    const cbor_pair* pairs = cbor_map_handle(item);
    for (std::size_t i = 0; i < size; ++i) {
      CmwLabel label;
      std::string name;
      if (cbor_isa_string(pairs[i].key)) {
        name = text_of(pairs[i].key);
        label.value = name;
      } else if (cbor_isa_uint(pairs[i].key) || cbor_isa_negint(pairs[i].key)) {
        const std::uint64_t raw = cbor_get_int(pairs[i].key);
        if (raw > static_cast<std::uint64_t>(INT64_MAX)) return fail(where, "label too large");
        const auto magnitude = static_cast<std::int64_t>(raw);
        label.value = cbor_isa_uint(pairs[i].key) ? magnitude : -1 - magnitude;
        name = std::to_string(std::get<std::int64_t>(label.value));
      } else {
        return fail(where, "collection label must be text or an integer");
      }
      for (const auto& seen : cmw.items) {
        if (seen.label == label) return fail(where, fmt::format("duplicate label '{}'", name));
      }
      if (name == kCollectionTypeLabel && label.value.index() == 0) {
        if (!cbor_isa_string(pairs[i].value)) return fail(where, "__cmwc_t must be text");
        cmw.collection_type = text_of(pairs[i].value);
        continue;
      }
      auto member = read(pairs[i].value, depth + 1, where + "." + name);
      if (!member) return std::nullopt;
      cmw.items.push_back(CmwItem{std::move(label), std::move(*member)});
    }
    if (cmw.items.empty()) return fail(where, "collection has no members");
    return cmw;
  }

  const CmwLimits& limits_;
  std::string& error_;
};

void write_cmw(CborWriter& out, const Cmw& cmw);

std::vector<std::uint8_t> encoded_label(const CmwLabel& label) {
  CborWriter key;
  if (const auto* text = std::get_if<std::string>(&label.value)) {
    key.text(*text);
  } else {
    key.integer(std::get<std::int64_t>(label.value));
  }
  return key.take();
}

void write_collection(CborWriter& out, const Cmw& cmw) {
  // RFC 8949 section 4.2.1: keys sorted by the bytewise order of their deterministic encoding.
  std::vector<std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>>> entries;
  if (cmw.collection_type) {
    CborWriter key, value;
    key.text(kCollectionTypeLabel);
    value.text(*cmw.collection_type);
    entries.emplace_back(key.take(), value.take());
  }
  for (const auto& item : cmw.items) {
    CborWriter value;
    write_cmw(value, item.cmw);
    entries.emplace_back(encoded_label(item.label), value.take());
  }
  std::sort(entries.begin(), entries.end());
  out.map(entries.size());
  for (const auto& [key, value] : entries) {
    out.raw(key);
    out.raw(value);
  }
}

void write_cmw(CborWriter& out, const Cmw& cmw) {
  switch (cmw.form) {
    case Cmw::Form::record:
      out.array(cmw.indicator ? 3 : 2);
      if (const auto* media = std::get_if<std::string>(&cmw.type)) {
        out.text(*media);
      } else {
        out.unsigned_int(std::get<std::uint64_t>(cmw.type));
      }
      out.bytes(cmw.value);
      if (cmw.indicator) out.unsigned_int(*cmw.indicator);
      return;
    case Cmw::Form::tag:
      out.tag(cmw.tag);
      out.bytes(cmw.value);
      return;
    case Cmw::Form::collection:
      write_collection(out, cmw);
      return;
  }
}

}  // namespace

std::optional<Cmw> parse_cmw_cbor(std::span<const std::uint8_t> bytes, std::string& error,
                                  const CmwLimits& limits) {
  if (bytes.size() > limits.max_bytes) {
    error = fmt::format("CMW: {} bytes exceed the limit of {}", bytes.size(), limits.max_bytes);
    return std::nullopt;
  }
  if (!check_cbor_well_formed(bytes, limits.max_depth * kCborLevelsPerCmwLevel, error)) {
    return std::nullopt;
  }
  cbor_load_result load{};
  const ItemPtr root(cbor_load(bytes.data(), bytes.size(), &load));
  if (!root || load.error.code != CBOR_ERR_NONE) {
    error = fmt::format("CBOR: libcbor rejected the input at byte {}", load.error.position);
    return std::nullopt;
  }
  return CborCmwReader(limits, error).read(root.get(), 0, "$");
}

std::vector<std::uint8_t> encode_cmw_cbor(const Cmw& cmw) {
  CborWriter out;
  write_cmw(out, cmw);
  return out.take();
}

}  // namespace attestmq::attest

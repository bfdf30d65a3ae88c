// Parsing of the policy file (docs/policy.md). Every key is known or an error; every value
// is checked for type, range and, for measurements, hex length.
#include "attest/policy/policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>

#include "attest/common/hex.hpp"
#include "attest/common/text_file.hpp"
#include "attest/envelope/claims.hpp"

namespace attestmq::attest {

namespace {

using nlohmann::json;

class PolicyReader {
 public:
  explicit PolicyReader(std::string& error) : error_(error) {}

  bool fail(const std::string& key, std::string_view what) {
    error_ = fmt::format("policy: '{}' {}", key, what);
    return false;
  }

  // The object at `key` must use only `known` member names.
  bool only_known(const json& object, const std::string& where,
                  std::initializer_list<std::string_view> known) {
    if (!object.is_object())
      return fail(where.empty() ? "(top level)" : where, "must be an object");
    for (const auto& [name, value] : object.items()) {
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        return fail(where.empty() ? name : where + "." + name, "is not a known key");
      }
    }
    return true;
  }

  bool boolean(const json& object, const std::string& where, const char* name, bool& out) {
    if (!object.contains(name)) return true;
    const json& value = object[name];
    if (!value.is_boolean()) return fail(join(where, name), "must be true or false");
    out = value.get<bool>();
    return true;
  }

  template <typename Int>
  bool integer(const json& object, const std::string& where, const char* name,
               std::optional<Int>& out) {
    if (!object.contains(name)) return true;
    const json& value = object[name];
    if (!value.is_number_unsigned() ||
        value.get<std::uint64_t>() > std::numeric_limits<Int>::max()) {
      return fail(join(where, name),
                  fmt::format("must be an integer 0..{}", std::numeric_limits<Int>::max()));
    }
    out = static_cast<Int>(value.get<std::uint64_t>());
    return true;
  }

  // A bit mask: a JSON number or a "0x..." string.
  bool mask(const json& object, const std::string& where, const char* name, std::uint64_t& out) {
    if (!object.contains(name)) return true;
    const json& value = object[name];
    if (value.is_number_unsigned()) {
      out = value.get<std::uint64_t>();
      return true;
    }
    if (value.is_string()) {
      const auto& text = value.get_ref<const std::string&>();
      if (text.size() > 2 && text.size() <= 18 && text.starts_with("0x")) {
        const auto bytes = from_hex(std::string(text.size() % 2 ? "0" : "") + text.substr(2));
        if (bytes) {
          out = 0;
          for (const auto b : *bytes) out = out << 8 | b;
          return true;
        }
      }
    }
    return fail(join(where, name), "must be a number or a \"0x...\" hex string");
  }

  // Every list in a policy is an allow-list; an empty one would read as "no constraint" to
  // one reader and "nothing allowed" to another, so it is refused for all of them.
  bool strings(const json& object, const std::string& where, const char* name,
               std::vector<std::string>& out) {
    if (!object.contains(name)) return true;
    const json& value = object[name];
    if (!value.is_array()) return fail(join(where, name), "must be an array of strings");
    if (value.empty()) {
      return fail(join(where, name), "must not be empty (leave the key out for its default)");
    }
    out.clear();
    for (const auto& element : value) {
      if (!element.is_string()) return fail(join(where, name), "must be an array of strings");
      out.push_back(element.get<std::string>());
    }
    return true;
  }

  // An array of hex strings of exactly `bytes` bytes each, stored in lower case.
  bool digests(const json& object, const std::string& where, const char* name, std::size_t bytes,
               std::vector<std::string>& out) {
    if (!strings(object, where, name, out)) return false;
    for (auto& text : out) {
      const auto decoded = from_hex(text);
      if (!decoded || decoded->size() != bytes) {
        return fail(join(where, name),
                    fmt::format("entry \"{}\" is not {} bytes of hex", text, bytes));
      }
      text = to_hex(*decoded);
    }
    return true;
  }

 private:
  static std::string join(const std::string& where, const char* name) {
    return where.empty() ? name : where + "." + name;
  }
  std::string& error_;
};

bool read_types(PolicyReader& reader, const json& root, Policy& policy) {
  std::vector<std::string> names;
  if (!reader.strings(root, "", "accepted_types", names)) return false;
  if (!root.contains("accepted_types")) return true;
  policy.accepted_types.clear();
  for (const auto& name : names) {
    const auto type = evidence_type_from_string(name);
    if (!type) return reader.fail("accepted_types", fmt::format("has unknown type \"{}\"", name));
    policy.accepted_types.push_back(*type);
  }
  return true;
}

bool read_revocation(PolicyReader& reader, const json& root, Policy& policy) {
  if (!root.contains("revocation")) return true;
  const json& value = root["revocation"];
  if (value == "required") {
    policy.revocation = RevocationMode::required;
  } else if (value == "skip-insecure") {
    policy.revocation = RevocationMode::skip_insecure;
  } else {
    return reader.fail("revocation", "must be \"required\" or \"skip-insecure\"");
  }
  return true;
}

bool read_roots(PolicyReader& reader, const json& root, const std::filesystem::path& base_dir,
                Policy& policy) {
  if (!root.contains("pinned_roots")) return true;
  const json& roots = root["pinned_roots"];
  if (!reader.only_known(roots, "pinned_roots", {"sgx", "tdx", "snp", "sim"})) return false;
  for (const auto& [name, value] : roots.items()) {
    if (!value.is_string()) return reader.fail("pinned_roots." + name, "must be a path");
    std::filesystem::path path = value.get<std::string>();
    if (path.is_relative()) path = base_dir / path;
    policy.pinned_roots[*evidence_type_from_string(name)] = path;
  }
  return true;
}

bool read_sgx(PolicyReader& reader, const json& root, SgxPolicy& sgx) {
  if (!root.contains("sgx")) return true;
  const json& node = root["sgx"];
  return reader.only_known(
             node, "sgx", {"mrenclave", "mrsigner", "isv_prod_id", "min_isv_svn", "allow_debug"}) &&
         reader.digests(node, "sgx", "mrenclave", 32, sgx.mrenclave) &&
         reader.digests(node, "sgx", "mrsigner", 32, sgx.mrsigner) &&
         reader.integer(node, "sgx", "isv_prod_id", sgx.isv_prod_id) &&
         reader.integer(node, "sgx", "min_isv_svn", sgx.min_isv_svn) &&
         reader.boolean(node, "sgx", "allow_debug", sgx.allow_debug);
}

bool read_tdx(PolicyReader& reader, const json& root, TdxPolicy& tdx) {
  if (!root.contains("tdx")) return true;
  const json& node = root["tdx"];
  return reader.only_known(node, "tdx",
                           {"mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "allow_debug"}) &&
         reader.digests(node, "tdx", "mrtd", 48, tdx.mrtd) &&
         reader.digests(node, "tdx", "rtmr0", 48, tdx.rtmr[0]) &&
         reader.digests(node, "tdx", "rtmr1", 48, tdx.rtmr[1]) &&
         reader.digests(node, "tdx", "rtmr2", 48, tdx.rtmr[2]) &&
         reader.digests(node, "tdx", "rtmr3", 48, tdx.rtmr[3]) &&
         reader.boolean(node, "tdx", "allow_debug", tdx.allow_debug);
}

bool read_snp(PolicyReader& reader, const json& root, SnpPolicy& snp) {
  if (!root.contains("snp")) return true;
  const json& node = root["snp"];
  if (!reader.only_known(node, "snp",
                         {"measurement", "forbidden_policy_bits", "required_policy_bits", "min_tcb",
                          "allow_debug"}) ||
      !reader.digests(node, "snp", "measurement", 48, snp.measurement) ||
      !reader.mask(node, "snp", "forbidden_policy_bits", snp.forbidden_policy_bits) ||
      !reader.mask(node, "snp", "required_policy_bits", snp.required_policy_bits) ||
      !reader.boolean(node, "snp", "allow_debug", snp.allow_debug)) {
    return false;
  }
  if (!node.contains("min_tcb")) return true;
  const json& tcb = node["min_tcb"];
  return reader.only_known(tcb, "snp.min_tcb", {"bootloader", "tee", "snp", "microcode"}) &&
         reader.integer(tcb, "snp.min_tcb", "bootloader", snp.min_tcb.bootloader) &&
         reader.integer(tcb, "snp.min_tcb", "tee", snp.min_tcb.tee) &&
         reader.integer(tcb, "snp.min_tcb", "snp", snp.min_tcb.snp) &&
         reader.integer(tcb, "snp.min_tcb", "microcode", snp.min_tcb.microcode);
}

}  // namespace

std::optional<Policy> parse_policy(std::string_view json_text,
                                   const std::filesystem::path& base_dir, std::string& error) {
  const json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    error = "policy: not valid JSON";
    return std::nullopt;
  }
  PolicyReader reader(error);
  Policy policy;
  std::optional<std::uint32_t> max_age_seconds;
  std::optional<std::uint32_t> max_quote_age_seconds;
  const bool ok =
      reader.only_known(
          root, "",
          {"accepted_types", "allow_simulated", "accepted_tcb_statuses", "accepted_module_hashes",
           "accepted_configuration_digests", "pinned_roots", "max_collateral_age_seconds", "max_quote_age_seconds", "revocation",
           "sgx", "tdx", "snp"}) &&
      read_types(reader, root, policy) &&
      reader.boolean(root, "", "allow_simulated", policy.allow_simulated) &&
      reader.strings(root, "", "accepted_tcb_statuses", policy.accepted_tcb_statuses) &&
      reader.digests(root, "", "accepted_module_hashes", 32, policy.accepted_module_hashes) &&
      reader.digests(root, "", "accepted_configuration_digests", 32,
                     policy.accepted_configuration_digests) &&
      read_roots(reader, root, base_dir, policy) &&
      reader.integer(root, "", "max_collateral_age_seconds", max_age_seconds) &&
      reader.integer(root, "", "max_quote_age_seconds", max_quote_age_seconds) &&
      read_revocation(reader, root, policy) &&
      read_sgx(reader, root, policy.sgx) && read_tdx(reader, root, policy.tdx) &&
      read_snp(reader, root, policy.snp);
  if (!ok) return std::nullopt;
  if (max_age_seconds) policy.max_collateral_age_seconds = *max_age_seconds;
  if (max_quote_age_seconds) policy.max_quote_age_seconds = *max_quote_age_seconds;
  return policy;
}

std::optional<Policy> load_policy(const std::filesystem::path& path, std::string& error) {
  const auto text = read_text_file(path);
  if (!text) {
    error = fmt::format("{}: cannot open policy file", path.string());
    return std::nullopt;
  }
  auto policy = parse_policy(*text, path.parent_path(), error);
  if (!policy) error = fmt::format("{}: {}", path.string(), error);
  return policy;
}

}  // namespace attestmq::attest

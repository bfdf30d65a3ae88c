#include "attest/snp/amd_product.hpp"

#include <array>

namespace attestmq::attest {
namespace {

constexpr std::array kProducts{AmdProduct::milan, AmdProduct::genoa, AmdProduct::turin};

std::optional<AmdProduct> product_after_prefix(std::string_view common_name,
                                               std::string_view prefix) {
  if (!common_name.starts_with(prefix)) return std::nullopt;
  const std::string_view name = common_name.substr(prefix.size());
  for (AmdProduct product : kProducts) {
    if (name == to_string(product)) return product;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(AmdProduct product) {
  switch (product) {
    case AmdProduct::milan: return "Milan";
    case AmdProduct::genoa: return "Genoa";
    case AmdProduct::turin: return "Turin";
  }
  return "unknown";
}

std::optional<AmdProduct> amd_product_from_ark_cn(std::string_view common_name) {
  return product_after_prefix(common_name, "ARK-");
}

std::optional<AmdProduct> amd_product_from_ask_cn(std::string_view common_name) {
  return product_after_prefix(common_name, "SEV-");
}

}  // namespace attestmq::attest

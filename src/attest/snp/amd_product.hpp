#pragma once
// The AMD EPYC generations that support SEV-SNP. Each has its own ARK/ASK pair and, from
// Turin on, its own TCB_VERSION layout, so the product decides how a report is read.
#include <optional>
#include <string_view>

namespace attestmq::attest {

enum class AmdProduct { milan, genoa, turin };

// "Milan", "Genoa", "Turin": the spelling AMD uses in certificate names and KDS URLs.
std::string_view to_string(AmdProduct product);

// The product named by an AMD certificate CN: "ARK-<product>" (root), "SEV-<product>" (ASK,
// and the VCEK's issuer). Any other CN yields nothing.
std::optional<AmdProduct> amd_product_from_ark_cn(std::string_view common_name);
std::optional<AmdProduct> amd_product_from_ask_cn(std::string_view common_name);

}  // namespace attestmq::attest

#pragma once
// The built-in trust anchors for SEV-SNP: one AMD Root Key (ARK) per product. A verifier
// pins the ARK of the product the chain names, unless the caller supplies its own root.
#include <string_view>

#include "attest/snp/amd_product.hpp"

namespace attestmq::attest {

// PEM text of AMD's production ARK for `product`.
std::string_view amd_builtin_ark_pem(AmdProduct product);

// SHA-256 of the DER encoding of that ARK, lower-case hex: the pin. A root is AMD's only if
// it has this fingerprint; its CN and a valid self-signature prove nothing, anyone can make
// a self-signed "ARK-Milan".
std::string_view amd_builtin_ark_sha256(AmdProduct product);

}  // namespace attestmq::attest

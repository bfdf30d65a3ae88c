#pragma once
// REPORTDATA: the 64 bytes a TEE signs into its evidence, binding it to one TLS session and
// one set of claims (DESIGN.md section 3; byte layout in docs/evidence.md).
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "attest/envelope/claims.hpp"

namespace attestmq::attest {

// The domain label, followed in the hash input by one zero byte.
inline constexpr std::string_view kReportDataLabel = "AttestMQ REPORTDATA v1";

using ReportData = std::array<std::uint8_t, 64>;

// SHA-512(label || 0x00 || len(binder) (1 byte) || binder || SHA-256(encode_claims(claims)))
// where binder is claims.binder. nullopt if the claims cannot be encoded (oversize fields).
std::optional<ReportData> compute_report_data(const Claims& claims);

}  // namespace attestmq::attest

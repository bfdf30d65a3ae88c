#pragma once
// The Intel SGX Root CA (production), the default trust anchor for SGX and TDX quotes.
#include <string_view>

namespace attestmq::attest {

std::string_view intel_sgx_root_ca_pem();

}  // namespace attestmq::attest

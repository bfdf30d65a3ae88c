#pragma once
// Field offsets of the report bodies carried in DCAP quotes. SGX: SGX Developer Reference,
// REPORT body (also the QE report inside the signature data). TDX: Intel TDX DCAP Quoting
// Library API, TD Quote Body (TDX 1.0, 584 bytes; TDX 1.5 appends TEE_TCB_SVN2 and MRSERVICETD).
#include <cstddef>
#include <cstdint>
#include <span>

namespace attestmq::attest {

struct ByteField {
  std::size_t offset;
  std::size_t size;
  std::span<const std::uint8_t> in(std::span<const std::uint8_t> body) const {
    return body.subspan(offset, size);
  }
};

namespace sgx_report {
inline constexpr ByteField cpusvn{0, 16};
inline constexpr ByteField miscselect{16, 4};
inline constexpr ByteField attributes{48, 16};
inline constexpr ByteField mrenclave{64, 32};
inline constexpr ByteField mrsigner{128, 32};
inline constexpr ByteField isv_prod_id{256, 2};
inline constexpr ByteField isv_svn{258, 2};
inline constexpr ByteField report_data{320, 64};
// ATTRIBUTES.DEBUG is bit 1 of the first attributes byte.
inline constexpr std::uint8_t kDebugBit = 0x02;
}  // namespace sgx_report

namespace tdx_report {
inline constexpr ByteField tee_tcb_svn{0, 16};
inline constexpr ByteField mrseam{16, 48};
inline constexpr ByteField mrsignerseam{64, 48};
inline constexpr ByteField seam_attributes{112, 8};
inline constexpr ByteField td_attributes{120, 8};
inline constexpr ByteField xfam{128, 8};
inline constexpr ByteField mrtd{136, 48};
inline constexpr ByteField mrconfigid{184, 48};
inline constexpr ByteField mrowner{232, 48};
inline constexpr ByteField mrownerconfig{280, 48};
inline constexpr ByteField rtmr[4] = {{328, 48}, {376, 48}, {424, 48}, {472, 48}};
inline constexpr ByteField report_data{520, 64};
inline constexpr ByteField tee_tcb_svn2{584, 16};  // TDX 1.5 only
inline constexpr ByteField mrservicetd{600, 48};   // TDX 1.5 only
// TDATTRIBUTES.DEBUG (TUD.DEBUG) is bit 0 of the first byte.
inline constexpr std::uint8_t kDebugBit = 0x01;
}  // namespace tdx_report

inline std::uint16_t read_le16(std::span<const std::uint8_t> b) {
  return static_cast<std::uint16_t>(b[0] | (b[1] << 8));
}

}  // namespace attestmq::attest

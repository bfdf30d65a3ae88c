#include "wasm/runner/wasi_errno.hpp"

#include <cerrno>

namespace attestmq::wasm::wasi_errno {

std::uint32_t from_host(int error) {
  switch (error) {
    case EACCES: return kAcces;
    case EAGAIN: return kAgain;
    case EBADF: return kBadf;
    case EFBIG: return kFbig;
    case EINVAL: return kInval;
    case EISDIR: return kIsdir;
    case ELOOP: return kLoop;
    case EMFILE: return kMfile;
    case ENAMETOOLONG: return kNametoolong;
    case ENFILE: return kNfile;
    case ENOENT: return kNoent;
    case ENOMEM: return kNomem;
    case ENOSYS: return kNosys;
    case ENOTDIR: return kNotdir;
    case ENXIO: return kNxio;
    case EOVERFLOW: return kOverflow;
    case EPERM: return kPerm;
    case EROFS: return kRofs;
    case ESPIPE: return kSpipe;
    case EXDEV: return kNotcapable;
    default: return kIo;
  }
}

}  // namespace attestmq::wasm::wasi_errno

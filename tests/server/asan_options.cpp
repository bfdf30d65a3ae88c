// The server tests measure this process's resident memory to prove a slow consumer cannot
// grow it without bound. AddressSanitizer keeps freed blocks in a quarantine (256 MiB by
// default) to catch use-after-free, which would count every freed output buffer as resident;
// a small quarantine keeps that detection and lets the measurement mean what it says.
// GCC announces AddressSanitizer with __SANITIZE_ADDRESS__, clang only via __has_feature.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ATTESTMQ_ADDRESS_SANITIZER
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(ATTESTMQ_ADDRESS_SANITIZER)
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=4"; }
#endif

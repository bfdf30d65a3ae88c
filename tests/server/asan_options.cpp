// The server tests measure this process's resident memory to prove a slow consumer cannot
// grow it without bound. AddressSanitizer keeps freed blocks in a quarantine (256 MiB by
// default) to catch use-after-free, which would count every freed output buffer as resident;
// a small quarantine keeps that detection and lets the measurement mean what it says.
#if defined(__SANITIZE_ADDRESS__)
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=4"; }
#endif

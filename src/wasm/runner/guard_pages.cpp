#include "wasm/runner/guard_pages.hpp"

#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace attestmq::wasm::guard_pages {
namespace {

std::atomic<std::uintptr_t> watched{0};
struct sigaction previous_segv;
struct sigaction previous_bus;

// Hands a fault that is not the guest's to the handler it would have met without us. With
// the default action, returning re-runs the faulting instruction, which faults again and
// ends the process as if no handler had been installed.
void pass_on(int signal_number, siginfo_t* info, void* context) {
  struct sigaction& previous = signal_number == SIGSEGV ? previous_segv : previous_bus;
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(signal_number, info, context);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signal_number);
    return;
  }
  ::signal(signal_number, SIG_DFL);
}

void on_fault(int signal_number, siginfo_t* info, void* context) {
  const std::uintptr_t base = watched.load(std::memory_order_relaxed);
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  if (base != 0 && address >= base && address - base < kReservationBytes) {
    // The trap point saved no signal mask (ATTESTMQ_WASM_TRAP_POINT): leave the handler with
    // the fault signals unblocked, as the kernel would on return, then jump to it.
    sigset_t faults;
    sigemptyset(&faults);
    sigaddset(&faults, SIGSEGV);
    sigaddset(&faults, SIGBUS);
    pthread_sigmask(SIG_UNBLOCK, &faults, nullptr);
    wasm_rt_trap(WASM_RT_TRAP_OOB);
  }
  pass_on(signal_number, info, context);
}

}  // namespace

void install() {
  void* probe = ::mmap(nullptr, kReservationBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
  if (probe == MAP_FAILED) {
    throw std::runtime_error(std::string("this runner bounds guest memory with guard pages and cannot "
                                         "reserve the 8 GiB of address space they need (") +
                             std::strerror(errno) +
                             "); build it with -DATTESTMQ_WASM_BOUNDS=explicit for such a platform "
                             "(docs/deploy-tee.md)");
  }
  ::munmap(probe, kReservationBytes);
  struct sigaction action{};
  action.sa_sigaction = on_fault;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  if (::sigaction(SIGSEGV, &action, &previous_segv) != 0 || ::sigaction(SIGBUS, &action, &previous_bus) != 0) {
    throw std::runtime_error(std::string("cannot install the guard-page fault handler: ") + std::strerror(errno));
  }
}

void watch(const std::uint8_t* memory_base) {
  watched.store(reinterpret_cast<std::uintptr_t>(memory_base), std::memory_order_relaxed);
}

void release_beyond(const wasm_rt_memory_t& memory) {
  if (memory.data == nullptr) return;
  ::munmap(memory.data + memory.size, kReservationBytes - memory.size);
}

}  // namespace attestmq::wasm::guard_pages

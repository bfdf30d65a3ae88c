#pragma once
// A TEE provider behind a mutex. The broker asks its provider from several threads: every
// reactor (per-session evidence) and the refresher of cached evidence (docs/attestation.md
// section 6.2). The file-based providers cannot serve two requests at once: Gramine's
// /dev/attestation and configfs-tsm take REPORTDATA in one write and give the quote in a later
// read, so interleaved requests would get each other's quotes (and be refused for it).
#include <memory>
#include <mutex>
#include <string>

#include "attest/provider/provider.hpp"

namespace attestmq::server {

class SerializedProvider final : public attest::Provider {
 public:
  explicit SerializedProvider(std::unique_ptr<attest::Provider> inner) : inner_(std::move(inner)) {}
  attest::EvidenceType type() const override { return inner_->type(); }
  std::string description() const override { return inner_->description(); }
  attest::ProviderOutcome evidence(const attest::ReportData& report_data) override {
    std::lock_guard lock(mutex_);
    return inner_->evidence(report_data);
  }
  attest::SealingKeyOutcome sealing_key() override {
    std::lock_guard lock(mutex_);
    return inner_->sealing_key();
  }
  bool has_counter() const override { return inner_->has_counter(); }
  attest::CounterOutcome raise_counter(std::uint64_t at_least) override {
    std::lock_guard lock(mutex_);
    return inner_->raise_counter(at_least);
  }

 private:
  std::unique_ptr<attest::Provider> inner_;
  std::mutex mutex_;
};

}  // namespace attestmq::server
